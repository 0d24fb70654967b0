"""TLS in natterd (issue 10): tls: listeners, the generated self-signed
certificate and its fingerprint, --gen-cert, reloading the certificate on
SIGHUP with connections kept, stalled and garbage handshakes, WHOIS 671,
the +Z room mode, the sts capability, client certificate fingerprints, big
bursts through TLS, and a real client library (python3-irc) over TLS.

Every TLS client verifies natterd's certificate against the file natterd
wrote, with host name checking on, so the generated certificate must be
one that a strict client accepts."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NATTERD, TIMEOUT, Client, unique, wait_for

TLS_LISTEN = ["--listen", "tls:127.0.0.1:0"]
FPR_RE = re.compile(r"TLS certificate (\S+), SHA-256 fingerprint ([0-9A-F:]{95})")


def colon_hex(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def cert_der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


def tls_port(srv, timeout: float = TIMEOUT) -> int:
    pat = re.compile(r"listening with TLS on 127\.0\.0\.1:(\d+)")
    assert wait_for(lambda: pat.search(srv.log()), timeout=timeout), srv.log()
    return int(pat.search(srv.log()).group(1))


def client_context(cafile: Path, certfile: Path | None = None,
                   keyfile: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cafile))
    if certfile is not None:
        ctx.load_cert_chain(str(certfile), str(keyfile))
    return ctx


class TLSClient(Client):
    """A conftest Client whose socket is wrapped in TLS after connecting;
    every helper (expect, sync, register...) works unchanged."""

    def __init__(self, port: int, ctx: ssl.SSLContext, name: str = "tls", **kw):
        super().__init__(port, name=name, **kw)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def peer_der(self) -> bytes:
        return self.sock.getpeercert(binary_form=True)


def tls_client(srv, nick: str | None = None, ctx=None, **kw) -> TLSClient:
    ctx = ctx or client_context(srv.data_dir / "tls-cert.pem")
    c = TLSClient(tls_port(srv), ctx, name=nick or "tls", **kw)
    srv.clients.append(c)
    if nick is not None:
        c.register(nick)
    return c


@pytest.fixture
def tls_server(server_factory):
    return server_factory(extra_args=TLS_LISTEN)


def gen_cert(data_dir: Path, config: Path | None = None) -> str:
    args = [NATTERD, "--gen-cert", "--data-dir", str(data_dir)]
    if config is not None:
        args += ["--config", str(config)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    m = re.search(r"SHA-256 fingerprint: ([0-9A-F:]{95})", out.stdout)
    assert m, out.stdout
    return m.group(1)


# ---------------------------------------------------------------------------

def test_tls_client_chats_with_plain_client(tls_server):
    cert = tls_server.data_dir / "tls-cert.pem"
    assert "generated a self-signed TLS certificate" in tls_server.log()
    m = FPR_RE.search(tls_server.log())
    assert m and m.group(1) == str(cert), tls_server.log()
    assert m.group(2) == colon_hex(cert_der(cert))

    secure = tls_client(tls_server, unique("Sec"))
    assert colon_hex(secure.peer_der()) == m.group(2)
    assert secure.sock.version() in ("TLSv1.2", "TLSv1.3")
    plain = tls_server.client(unique("Pl"))
    chan = "#" + unique("tls")
    secure.join(chan)
    plain.join(chan)
    secure.expect("JOIN", source_nick=plain.nick)

    plain.send(f"PRIVMSG {chan} :over plain ✓")
    m = secure.expect("PRIVMSG", params=[chan])
    assert m.nick == plain.nick and m.params[-1] == "over plain ✓"
    secure.send(f"PRIVMSG {chan} :over TLS ✓")
    m = plain.expect("PRIVMSG", params=[chan])
    assert m.nick == secure.nick and m.params[-1] == "over TLS ✓"
    secure.send(f"PRIVMSG {plain.nick} :private over TLS")
    assert plain.expect("PRIVMSG", params=[plain.nick]).params[-1] == "private over TLS"

    secure.send("QUIT :done")
    got = secure.expect_closed()
    assert any(x.command == "ERROR" for x in got), got
    assert plain.expect("QUIT", source_nick=secure.nick).params[-1] == "Quit: done"
    assert re.search(r"connect from 127\.0\.0\.1 \(fd \d+, tls,", tls_server.log())


def test_gen_cert_writes_a_pair_the_server_then_uses(server_factory, tmp_path):
    data = tmp_path / "gen"
    fpr = gen_cert(data)
    cert, key = data / "tls-cert.pem", data / "tls-key.pem"
    assert fpr == colon_hex(cert_der(cert))
    assert (key.stat().st_mode & 0o777) == 0o600, oct(key.stat().st_mode)
    assert "PRIVATE KEY" in key.read_text()
    # A second run makes a new certificate.
    assert gen_cert(data) != fpr

    srv = server_factory(extra_args=TLS_LISTEN + ["--data-dir", str(data)], start=False)
    srv.data_dir = data
    srv.start()
    m = FPR_RE.search(srv.log())
    assert m and m.group(2) == colon_hex(cert_der(cert)), srv.log()
    assert "generated a self-signed" not in srv.log()
    c = tls_client(srv, unique("Gen"))
    assert colon_hex(c.peer_der()) == m.group(2)


def test_configured_cert_files_and_bad_ones(server_factory, tmp_path):
    other = tmp_path / "certs"
    fpr = gen_cert(other)
    srv = server_factory(config={"tls": {"cert_file": other / "tls-cert.pem",
                                         "key_file": other / "tls-key.pem"}},
                         extra_args=TLS_LISTEN)
    assert FPR_RE.search(srv.log()).group(2) == fpr
    assert not (srv.data_dir / "tls-cert.pem").exists()
    c = tls_client(srv, unique("Cfg"), ctx=client_context(other / "tls-cert.pem"))
    assert colon_hex(c.peer_der()) == fpr

    # A key that does not fit, and a missing file: clear errors, no start.
    third = tmp_path / "third"
    gen_cert(third)
    for cert, key, words in ((other / "tls-cert.pem", third / "tls-key.pem",
                              "does not match"),
                             (tmp_path / "nope.pem", third / "tls-key.pem",
                              "cannot load the TLS certificate")):
        bad = server_factory(config={"tls": {"cert_file": cert, "key_file": key}},
                             extra_args=TLS_LISTEN, start=False)
        bad.expect_exit = True
        out = subprocess.run([NATTERD, "--listen", "tls:127.0.0.1:0", "--data-dir",
                              str(bad.data_dir), "--config", str(bad.config_path)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
        assert words in out.stderr, out.stderr

    half = server_factory(config={"tls": {"cert_file": other / "tls-cert.pem"}}, start=False)
    out = subprocess.run([NATTERD, "--listen", "127.0.0.1:0", "--data-dir", str(half.data_dir),
                          "--config", str(half.config_path)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "cert_file and key_file go together" in out.stderr


def test_sighup_reloads_certificate_and_keeps_connections(tls_server):
    cert = tls_server.data_dir / "tls-cert.pem"
    old_fpr = colon_hex(cert_der(cert))
    old = tls_client(tls_server, unique("Old"))
    plain = tls_server.client(unique("Pl"))
    assert colon_hex(old.peer_der()) == old_fpr

    new_fpr = gen_cert(tls_server.data_dir, tls_server.config_path)
    assert new_fpr != old_fpr
    tls_server.signal(signal.SIGHUP)
    assert wait_for(lambda: new_fpr in tls_server.log()), tls_server.log()

    # The open connection is kept, and still works both ways.
    old.sync()
    new = tls_client(tls_server, unique("New"))
    assert colon_hex(new.peer_der()) == new_fpr
    assert colon_hex(old.peer_der()) == old_fpr
    old.send(f"PRIVMSG {new.nick} :still here")
    assert new.expect("PRIVMSG").params[-1] == "still here"
    new.send(f"PRIVMSG {old.nick} :welcome")
    assert old.expect("PRIVMSG").params[-1] == "welcome"
    plain.sync()

    # A broken certificate on disk: the reload says so and keeps the last one.
    cert.write_text("not a certificate\n")
    tls_server.signal(signal.SIGHUP)
    assert wait_for(lambda: "TLS certificate reload failed" in tls_server.log()), \
        tls_server.log()
    third = tls_client(tls_server, unique("Thr"),
                       ctx=ssl._create_unverified_context())
    assert colon_hex(third.peer_der()) == new_fpr
    old.sync()


def test_stalled_handshake_is_timed_out(server_factory):
    srv = server_factory(config={"limits": {"registration_timeout": 1}},
                         extra_args=TLS_LISTEN)
    port = tls_port(srv)
    silent = socket.create_connection(("127.0.0.1", port))
    # Half a ClientHello: a record header promising more than is sent.
    partial = socket.create_connection(("127.0.0.1", port))
    partial.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 20)
    for s in (silent, partial):
        s.settimeout(TIMEOUT + 3)
        assert s.recv(100) == b"", "a stalled handshake got bytes instead of a close"
        s.close()
    assert wait_for(lambda: srv.log().count("Handshake timed out") >= 2), srv.log()
    # A registered TLS client is not touched by that timeout.
    c = tls_client(srv, unique("Ok"))
    time.sleep(0.1)
    c.sync()


def test_garbage_on_tls_port_is_refused_cleanly(tls_server):
    port = tls_port(tls_server)
    for junk in (b"NICK plain\r\nUSER a 0 * :b\r\n", b"GET / HTTP/1.1\r\n\r\n",
                 os.urandom(3000), b"\x16\x03\x03\x00\x05\x01\x00\x00\x01\x00"):
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(TIMEOUT)
        try:
            s.sendall(junk)
        except OSError:
            pass
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        assert b"ERROR" not in data and b"001" not in data, data
        s.close()
    assert wait_for(lambda: tls_server.log().count("TLS handshake failed") >= 3), \
        tls_server.log()
    # Every failure is one clear log line, and the server carries on.
    for line in tls_server.log().splitlines():
        if "TLS handshake failed" in line:
            assert re.search(r"disconnect 127\.0\.0\.1 \(\*\): (\[read_error\] )?Read error: TLS handshake "
                             r"failed: [a-z]", line), line
    tls_client(tls_server, unique("After")).sync()
    tls_server.client(unique("Plain")).sync()


def test_whois_shows_671_only_for_tls_users(tls_server):
    secure = tls_client(tls_server, unique("Sec"))
    plain = tls_server.client(unique("Pl"))
    for asker in (plain, secure):
        asker.send(f"WHOIS {secure.nick}")
        got = asker.collect_until("318")
        sec = [m for m in got if m.command == "671"]
        assert len(sec) == 1 and sec[0].params[1] == secure.nick, got
        asker.send(f"WHOIS {plain.nick}")
        assert not [m for m in asker.collect_until("318") if m.command == "671"]


def test_plus_Z_room_admits_only_tls(tls_server):
    op = tls_client(tls_server, unique("Op"))
    plain = tls_server.client(unique("Pl"))
    other = tls_client(tls_server, unique("Ot"))
    assert "Z" in op.isupport["CHANMODES"].split(",")[3], op.isupport
    chan = "#" + unique("z")
    op.join(chan)
    op.send(f"MODE {chan} +Z")
    assert op.expect("MODE", params=[chan]).params[1] == "+Z"
    op.send(f"MODE {chan}")
    assert "Z" in op.expect("324").params[2]

    plain.send(f"JOIN {chan}")
    refusal = plain.expect("489")
    assert refusal.params[1] == chan and "TLS" in refusal.params[-1]
    # An invitation does not let a plain connection in either.
    op.send(f"INVITE {plain.nick} {chan}")
    op.expect("341")
    plain.send(f"JOIN {chan}")
    plain.expect("489")

    other.join(chan)
    op.expect("JOIN", source_nick=other.nick)
    op.send(f"MODE {chan} -Z")
    op.expect("MODE", params=[chan, "-Z"])
    plain.join(chan)


def test_sts_capability(server_factory):
    srv = server_factory(config={"tls": {"sts_duration": 86400}}, extra_args=TLS_LISTEN)
    port = tls_port(srv)
    plain = srv.connect("plain")
    plain.send("CAP LS 302")
    assert plain.read_cap_ls().get("sts") == f"port={port}"
    secure = tls_client(srv)
    secure.send("CAP LS 302")
    assert secure.read_cap_ls().get("sts") == "duration=86400"
    secure.send("CAP REQ :sts")
    secure.expect("CAP", params=[None, "NAK"])
    # Not shown to pre-302 clients (no values there).
    old = srv.connect("old")
    old.send("CAP LS")
    assert "sts" not in old.read_cap_ls()

    # Not configured: not offered.
    quiet = server_factory(extra_args=TLS_LISTEN)
    c = quiet.connect("q")
    c.send("CAP LS 302")
    assert "sts" not in c.read_cap_ls()


def test_sts_without_tls_listener_is_not_offered(server_factory):
    srv = server_factory(config={"tls": {"sts_duration": 60, "sts_preload": "true"}})
    c = srv.connect("p")
    c.send("CAP LS 302")
    assert "sts" not in c.read_cap_ls()


def test_client_certificate_fingerprint_is_seen(tls_server, tmp_path):
    mine = tmp_path / "client"
    gen_cert(mine)
    der = cert_der(mine / "tls-cert.pem")
    ctx = client_context(tls_server.data_dir / "tls-cert.pem",
                         mine / "tls-cert.pem", mine / "tls-key.pem")
    c = tls_client(tls_server, unique("Crt"), ctx=ctx)
    c.sync()
    want = hashlib.sha256(der).hexdigest()
    assert wait_for(lambda: f"client certificate {want}" in tls_server.log()), \
        tls_server.log()
    # Without one, none is recorded.
    n = tls_client(tls_server, unique("NoCrt"))
    n.sync()
    assert tls_server.log().count("client certificate") == 1


def test_big_burst_to_slow_tls_reader_arrives_whole(tls_server):
    """Output that the kernel cannot take at once (partial TLS writes and
    retries with a grown queue) arrives complete and in order."""
    reader = tls_client(tls_server, unique("Slow"), rcvbuf=4096)
    sender = tls_server.client(unique("Fast"))
    chan = "#" + unique("burst")
    reader.join(chan)
    sender.join(chan)
    reader.expect("JOIN", source_nick=sender.nick)
    body = "x" * 380
    total = 1500  # ~600 KB, under the default 1 MiB sendq
    batch = "".join(f"PRIVMSG {chan} :{i} {body}\r\n" for i in range(total))
    sender.send_raw(batch.encode())
    sender.sync(timeout=30)
    time.sleep(0.3)  # let natterd fill the socket and wait for the reader
    seen = []
    while len(seen) < total:
        m = reader.expect("PRIVMSG", params=[chan], timeout=30)
        seen.append(int(m.params[-1].split()[0]))
    assert seen == list(range(total))
    reader.sync()


def test_python_irc_library_over_tls(tls_server):
    irc_client = pytest.importorskip("irc.client")
    irc_connection = pytest.importorskip("irc.connection")
    ctx = client_context(tls_server.data_dir / "tls-cert.pem")
    port = tls_port(tls_server)
    nick = unique("Lib")
    chan = "#" + unique("libtls")
    events = {"joined": False, "pubmsg": [], "errors": []}

    reactor_cls = getattr(irc_client, "Reactor", None) or irc_client.IRC
    reactor = reactor_cls()
    factory = irc_connection.Factory(
        wrapper=lambda sock: ctx.wrap_socket(sock, server_hostname="localhost"))
    conn = reactor.server().connect("127.0.0.1", port, nick, username="libtls",
                                    ircname="Library over TLS", connect_factory=factory)

    conn.add_global_handler("welcome", lambda c, e: c.join(chan))
    conn.add_global_handler(
        "join", lambda c, e: events.__setitem__("joined", True)
        if irc_client.NickMask(e.source).nick == nick else None)
    conn.add_global_handler(
        "pubmsg", lambda c, e: events["pubmsg"].append(
            (irc_client.NickMask(e.source).nick, e.arguments[0])))
    for ev in ("error", "nicknameinuse", "cannotsendtochan"):
        conn.add_global_handler(ev, lambda c, e: events["errors"].append(e.type))

    def run_until(pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not pred():
            reactor.process_once(timeout=0.1)
        return pred()

    try:
        assert run_until(lambda: events["joined"]), events
        raw = tls_server.client(unique("Raw"))
        raw.join(chan)
        raw.send(f"PRIVMSG {chan} :hello TLS library")
        assert run_until(lambda: events["pubmsg"]), events
        assert events["pubmsg"][0] == (raw.nick, "hello TLS library")
        conn.privmsg(chan, "hi from irc.client over TLS")
        m = raw.expect("PRIVMSG", params=[chan])
        assert m.nick == nick and m.params[-1] == "hi from irc.client over TLS"
        raw.send(f"WHOIS {nick}")
        assert [m for m in raw.collect_until("318") if m.command == "671"]
        conn.quit("bye")
        assert raw.expect("QUIT", source_nick=nick).params[-1] == "Quit: bye"
        assert not events["errors"], events
    finally:
        conn.close()


def test_records_held_by_flood_control_are_all_handled(server_factory):
    """Many small TLS records arrive in one read (read-ahead); flood control
    then holds them inside the TLS layer, where no socket event will come:
    every line must still be handled, in order."""
    srv = server_factory(config={"limits": {"flood_burst": 5, "flood_rate": 40}},
                         extra_args=TLS_LISTEN)
    c = tls_client(srv, unique("Rec"))
    c.sync()
    for i in range(40):
        c.send(f"PING r{i}")  # one TLS record each
    got = [c.expect("PONG", timeout=15).params[-1] for _ in range(40)]
    assert got == [f"r{i}" for i in range(40)]


def test_sasl_external_and_plain_over_tls(server_factory, tmp_path):
    """The TLS layer and accounts together: PLAIN is refused on a plain
    connection (loopback treated as remote) but accepted over TLS; a client
    certificate added to an account logs in with SASL EXTERNAL."""
    accounts = pytest.importorskip("test_accounts")
    srv = server_factory(config=accounts.accounts_config(loopback_is_secure="false"),
                         extra_args=TLS_LISTEN)
    mine = tmp_path / "client"
    gen_cert(mine)
    want = hashlib.sha256(cert_der(mine / "tls-cert.pem")).hexdigest()
    ctx = client_context(srv.data_dir / "tls-cert.pem",
                         mine / "tls-cert.pem", mine / "tls-key.pem")
    name = unique("ext")

    # Register over TLS with the certificate, and add it to the account.
    owner = tls_client(srv, name, ctx=ctx)
    owner.send(f"REGISTER * * :{accounts.PASSWORD}")
    owner.expect("REGISTER", params=["SUCCESS"])
    owner.expect("900")
    owner.send("ACCOUNT CERT ADD")
    owner.sync()
    owner.send("ACCOUNT CERT LIST")
    listed = " ".join(m.text for m in owner.sync())
    assert want in listed.lower(), listed
    owner.send("QUIT")
    owner.expect_closed()

    # PLAIN: refused in the clear, accepted over TLS.
    plain = srv.connect()
    accounts.cap_sasl(plain)
    plain.send("AUTHENTICATE PLAIN")
    assert "TLS" in plain.expect("904").params[-1]
    secure = tls_client(srv)
    accounts.cap_sasl(secure)
    accounts.sasl_plain(secure, name, accounts.PASSWORD)
    assert secure.expect(("903", "904")).command == "903"

    # EXTERNAL with the certificate, no password at all.
    ext = tls_client(srv, ctx=ctx)
    accounts.cap_sasl(ext)
    ext.send("AUTHENTICATE EXTERNAL")
    ext.expect("AUTHENTICATE", params=["+"])
    ext.send("AUTHENTICATE +")
    logged = ext.expect("900")
    assert logged.params[2] == name
    ext.expect("903")
    # ...and not without it.
    bare = tls_client(srv)
    accounts.cap_sasl(bare)
    bare.send("AUTHENTICATE EXTERNAL")
    bare.expect("AUTHENTICATE", params=["+"])
    bare.send("AUTHENTICATE +")
    assert "certificate" in bare.expect("904").params[-1]
