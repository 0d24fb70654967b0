"""TLS 1.3 records carried by natterd itself after the handshake (tls.c hands
them to tls13_record.c and frees OpenSSL's connection state, to keep idle
TLS clients small; bench/README.md "Idle TLS memory"), seen from real
clients: python's ssl module (OpenSSL), GnuTLS (`gnutls-cli`, each TLS 1.3
cipher suite), TLS 1.2 staying with OpenSSL, close_notify at the end, and
KeyUpdate from `openssl s_client`."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import TIMEOUT, Client, unique, wait_for
from test_tls import TLS_LISTEN, client_context, tls_client, tls_port

HANDED_OVER = "records carried by natterd from here"


@pytest.fixture
def tls_server(server_factory):
    return server_factory(extra_args=TLS_LISTEN)


def test_tls13_records_are_carried_by_natterd(tls_server):
    secure = tls_client(tls_server, unique("Sec"))
    assert secure.sock.version() == "TLSv1.3"
    assert wait_for(lambda: HANDED_OVER in tls_server.log()), tls_server.log()
    plain = tls_server.client(unique("Pl"))
    chan = "#" + unique("rec")
    secure.join(chan)
    plain.join(chan)
    secure.expect("JOIN", source_nick=plain.nick)
    # Many lines both ways, more than one record's worth each way.
    for i in range(60):
        plain.send(f"PRIVMSG {chan} :{i} " + "x" * 400)
    for i in range(60):
        assert secure.expect("PRIVMSG", params=[chan]).params[-1] == f"{i} " + "x" * 400
    for i in range(60):
        secure.send(f"PRIVMSG {chan} :{i} " + "y" * 400)
    for i in range(60):
        assert plain.expect("PRIVMSG", params=[chan]).params[-1] == f"{i} " + "y" * 400
    secure.sync()


def test_tls12_client_stays_with_openssl(tls_server):
    ctx = client_context(tls_server.data_dir / "tls-cert.pem")
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    old = tls_client(tls_server, unique("Old"), ctx=ctx)
    assert old.sock.version() == "TLSv1.2"
    old.sync()
    assert HANDED_OVER not in tls_server.log()
    new = tls_client(tls_server, unique("New"))
    assert wait_for(lambda: tls_server.log().count(HANDED_OVER) == 1), tls_server.log()
    old.send(f"PRIVMSG {new.nick} :from TLS 1.2")
    assert new.expect("PRIVMSG").params[-1] == "from TLS 1.2"
    new.send(f"PRIVMSG {old.nick} :from TLS 1.3")
    assert old.expect("PRIVMSG").params[-1] == "from TLS 1.3"


class StrictEOFClient(Client):
    """A TLS client that reports a close without close_notify as an error
    (python raises SSLEOFError instead of returning b"")."""

    def __init__(self, port: int, ctx: ssl.SSLContext):
        super().__init__(port, name="strict")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost",
                                    suppress_ragged_eofs=False)


def test_quit_ends_with_close_notify(tls_server):
    c = StrictEOFClient(tls_port(tls_server), client_context(tls_server.data_dir / "tls-cert.pem"))
    tls_server.clients.append(c)
    c.register(unique("Bye"))
    assert c.sock.version() == "TLSv1.3"
    c.send("QUIT :done")
    try:
        got = c.expect_closed()
    except ssl.SSLEOFError as e:
        pytest.fail(f"natterd closed the TLS connection without close_notify: {e}")
    assert any(m.command == "ERROR" for m in got), got


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_key_update_from_openssl_s_client(tls_server):
    """s_client sends a KeyUpdate for a line "K" (update_requested: natterd
    must answer with its own before its next record) and "k" (not
    requested); the conversation goes on both times."""
    port = tls_port(tls_server)
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_3", "-crlf",
         "-servername", "localhost"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: list[bytes] = []

    def reader():
        for line in proc.stdout:
            out.append(line)

    t = threading.Thread(target=reader, daemon=True)
    t.start()

    def seen(text: str) -> bool:
        return any(text.encode() in line for line in out)

    def send(line: str) -> None:
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()

    nick = unique("ku")
    try:
        # IRC in lower case: s_client treats lines starting with some
        # capitals (Q, R, K, k) as its own commands.
        send(f"nick {nick}")
        send(f"user {nick} 0 * :keyupdate")
        assert wait_for(lambda: seen(f" 001 {nick} "), timeout=TIMEOUT * 2), b"".join(out)
        assert wait_for(lambda: HANDED_OVER in tls_server.log()), tls_server.log()
        for i, (command, token) in enumerate((("K", "after-requested"),
                                              ("k", "after-not-requested"),
                                              ("K", "after-second"))):
            send(command)
            # s_client takes a command only at the start of what one read
            # brings, and drops the rest: the next line waits for its answer.
            assert wait_for(lambda: sum(line.count(b"KEYUPDATE") for line in out) == i + 1,
                            timeout=TIMEOUT * 2), b"".join(out)
            send(f"ping :{token}")
            assert wait_for(lambda: seen(f"PONG") and seen(f":{token}"),
                            timeout=TIMEOUT * 2), b"".join(out)
        # natterd saw no error on the connection.
        assert "TLS error" not in tls_server.log(), tls_server.log()
    finally:
        try:
            send("quit :bye")
        except OSError:
            pass
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(shutil.which("gnutls-cli") is None, reason="needs gnutls-cli (gnutls-bin)")
@pytest.mark.parametrize("cipher,suite", [("AES-256-GCM", "1302"), ("AES-128-GCM", "1301"),
                                          ("CHACHA20-POLY1305", "1303")])
def test_gnutls_client_each_suite(tls_server, cipher, suite):
    """A second TLS implementation against natterd's record layer: GnuTLS
    with one TLS 1.3 suite at a time; lines both ways, many records."""
    port = tls_port(tls_server)
    proc = subprocess.Popen(
        ["gnutls-cli", "--insecure", "-p", str(port),
         "--priority", f"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+{cipher}", "127.0.0.1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: list[bytes] = []
    t = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, b"")),
                         daemon=True)
    t.start()

    def count(text: str) -> int:
        return sum(text.encode() in line for line in list(out))

    def send(line: str) -> None:
        # CR LF ourselves: gnutls-cli --crlf sends a NUL with each line.
        proc.stdin.write(line.encode() + b"\r\n")
        proc.stdin.flush()

    nick = unique("gnu")
    try:
        send(f"NICK {nick}")
        send(f"USER {nick} 0 * :gnutls")
        assert wait_for(lambda: count(f" 001 {nick} ") == 1, timeout=TIMEOUT * 2), b"".join(out)
        assert count(f"({cipher})") == 1, b"".join(out)
        assert wait_for(lambda: f"(TLS 1.3, suite {suite})" in tls_server.log()), tls_server.log()
        for i in range(40):
            send(f"PRIVMSG {nick} :{i} " + "z" * 400)
        send("PING :gnutls-done")
        assert wait_for(lambda: count(":gnutls-done") == 1, timeout=TIMEOUT * 2), b"".join(out)
        for i in range(40):
            assert count(f"PRIVMSG {nick} :{i} " + "z" * 400) == 1, i
        assert "TLS error" not in tls_server.log(), tls_server.log()
    finally:
        try:
            send("QUIT :bye")
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_own_records_false_leaves_tls_to_openssl(server_factory):
    """[tls] own_records=false: the way back to OpenSSL for every record,
    with session tickets again (a reconnect can resume)."""
    srv = server_factory(extra_args=TLS_LISTEN, config={"tls": {"own_records": "false"}})
    c = tls_client(srv, unique("Ossl"))
    assert c.sock.version() == "TLSv1.3"
    chan = "#" + unique("rec")
    c.join(chan)
    for i in range(20):
        c.send(f"PRIVMSG {chan} :{i} " + "z" * 400)
    c.sync()
    assert HANDED_OVER not in srv.log()
    # OpenSSL sends its session tickets after the handshake again.
    assert c.sock.session is not None and c.sock.session.has_ticket


@pytest.mark.parametrize("own_records", ["true", "false"])
def test_slow_tls_reader_gets_sendq_error(server_factory, own_records):
    """A TLS reader closed for its send queue still reads the ERROR line:
    the record half written when its queue was dropped goes out first (the
    record layer, OpenSSL's or natterd's, must be offered it again)."""
    srv = server_factory(extra_args=TLS_LISTEN,
                         config={"limits": {"sendq": 8192, "sndbuf": 4096},
                                 "tls": {"own_records": own_records}})
    chan = "#" + unique("sq")
    slow = tls_client(srv, unique("Slow"), rcvbuf=4096)
    writer = srv.client(unique("Wr"))
    slow.join(chan)
    writer.join(chan)
    slow.sync()
    writer.sync()
    # `slow` never reads again; the room talks until it is dropped.
    quit_seen = False
    for round_ in range(10):
        writer.send_raw("".join(f"PRIVMSG {chan} :{round_}.{i} {'x' * 400}\r\n"
                                for i in range(80)).encode())
        for m in writer.sync(timeout=20):
            quit_seen |= m.command == "QUIT" and m.nick == slow.nick
        if quit_seen:
            break
    assert quit_seen, "the slow TLS reader was never dropped"
    data = b""
    slow.sock.settimeout(10)
    try:
        while True:
            chunk = slow.sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ConnectionResetError, ssl.SSLZeroReturnError):
        pass
    assert b"ERROR :SendQ exceeded" in data[-300:], data[-300:]
