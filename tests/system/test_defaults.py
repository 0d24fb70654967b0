"""natterd's documented defaults, with no arguments at all (README, natterd.8):
it listens on 127.0.0.1:2048 (plain) and with TLS on 127.0.0.1:6697 using a
self-signed certificate generated on first start, whose SHA-256 fingerprint
it logs; it opens #lobby; its data lives in the default data directory,
$XDG_DATA_HOME/natter, else ~/.local/share/natter (GLib's
g_get_user_data_dir()).

These are the only system tests on fixed ports. HOME and the XDG variables
point into the test's temporary directory, so the data directory is private.
When another program already holds 2048 or 6697, the test is skipped with
the reason (a CI machine may run an IRC server); it never touches that
program. The same goes for losing a race for the port between the check and
natterd's own bind."""
from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NATTERD, TIMEOUT, Client, Server, unique, wait_for

PLAIN_PORT = 2048
TLS_PORT = 6697
HOST = "127.0.0.1"
FPR_RE = re.compile(r"TLS certificate (\S+), SHA-256 fingerprint ([0-9A-F:]{95})")
IN_USE = "Address already in use"


def colon_hex(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def holder(port: int) -> str:
    """Who listens on @port, as ss(8) tells it (best effort, for the reason)."""
    if shutil.which("ss") is None:
        return ""
    try:
        out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" ({' '.join(out.split())})" if out else ""


def skip_if_taken(port: int) -> None:
    """Skips the test when another program has @port bound on loopback.

    The probe binds the way natterd does (SO_REUSEADDR), so connections
    left in TIME_WAIT by an earlier run do not count as busy."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            pytest.skip(f"{HOST}:{port} is already in use by another program{holder(port)}; "
                        "this test needs natterd's default ports free")
        raise
    finally:
        s.close()


def private_env(root: Path, xdg_data: Path | None = None) -> dict[str, str]:
    """The environment with HOME and the XDG base directories inside @root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(root / "home")
    env["XDG_CONFIG_HOME"] = str(root / "home" / ".config")
    env["XDG_CACHE_HOME"] = str(root / "home" / ".cache")
    if xdg_data is not None:
        env["XDG_DATA_HOME"] = str(xdg_data)
    (root / "home").mkdir(parents=True, exist_ok=True)
    return env


class DefaultServer(Server):
    """A conftest Server started with no arguments in a private environment
    (its stop() still checks the exit status and the sanitizer markers)."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        super().__init__(tmp)
        self.env = env

    def start(self) -> "DefaultServer":
        assert os.access(NATTERD, os.X_OK), f"natterd binary not found at {NATTERD}"
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([NATTERD], stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=self.logf, env=self.env, cwd=self.tmp)
        self.port = PLAIN_PORT
        return self

    def stop(self) -> None:
        if not getattr(self, "stopped", False):
            self.stopped = True
            super().stop()

    def wait_listening(self, tls: bool = True) -> None:
        """Waits for both default listeners; skips the test when natterd lost
        a port to another program after our check."""
        want = [f"listening on {HOST}:{PLAIN_PORT}"]
        if tls:
            want.append(f"listening with TLS on {HOST}:{TLS_PORT}")
        deadline = time.monotonic() + 15 * (TIMEOUT / 5)
        while time.monotonic() < deadline:
            text = self.log()
            if self.proc.poll() is not None:
                if f"cannot listen on {HOST}:{PLAIN_PORT}: {IN_USE}" in text:
                    self.expect_exit = True
                    pytest.skip(f"{HOST}:{PLAIN_PORT} was taken by another program while the "
                                f"test started natterd{holder(PLAIN_PORT)}")
                raise AssertionError(f"natterd exited with {self.proc.returncode}:\n{text}")
            if tls and f"cannot listen on {HOST}:{TLS_PORT}: {IN_USE}" in text:
                pytest.skip(f"{HOST}:{TLS_PORT} was taken by another program while the test "
                            f"started natterd{holder(TLS_PORT)}")
            if all(w in text for w in want):
                return
            time.sleep(0.02)
        raise AssertionError(f"natterd did not open its default listeners:\n{self.log()}")


@pytest.fixture
def default_server(tmp_path):
    servers: list[DefaultServer] = []

    def make(env: dict[str, str]) -> DefaultServer:
        s = DefaultServer(tmp_path / f"run{len(servers)}", env)
        servers.append(s)
        return s

    yield make
    errors = []
    for s in servers:
        try:
            s.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)


class TLSClient(Client):
    def __init__(self, port: int, ctx: ssl.SSLContext, name: str):
        super().__init__(port, name=name)
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")


def lobby_listed(c: Client) -> bool:
    c.send("LIST #lobby")
    got = c.collect_until("323")
    return any(m.command == "322" and m.params[1].lower() == "#lobby" for m in got)


def test_default_listeners_certificate_lobby_and_data_dir(default_server, tmp_path):
    skip_if_taken(PLAIN_PORT)
    skip_if_taken(TLS_PORT)
    env = private_env(tmp_path)
    data = tmp_path / "home" / ".local" / "share" / "natter"
    assert not data.exists()

    srv = default_server(env).start()
    srv.wait_listening()
    log = srv.log()
    assert f"data in {data}\n" in log, log
    assert (data / "natterd.db").is_file()
    cert, key = data / "tls-cert.pem", data / "tls-key.pem"
    assert f"generated a self-signed TLS certificate in {cert}" in log, log
    assert stat.S_IMODE(key.stat().st_mode) == 0o600, oct(key.stat().st_mode)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700, oct(data.stat().st_mode)
    m = FPR_RE.search(log)
    assert m and m.group(1) == str(cert), log
    logged = m.group(2)
    assert logged == colon_hex(ssl.PEM_cert_to_DER_cert(cert.read_text()))

    # Plain IRC on 2048; #lobby is there before anyone joins it.
    plain = srv.client(unique("Pl"))
    assert lobby_listed(plain), "LIST #lobby did not show #lobby"

    # TLS on 6697: a strict client (CA = the generated certificate, host
    # name checked) completes the handshake and sees the logged fingerprint.
    ctx = ssl.create_default_context(cafile=str(cert))
    secure = TLSClient(TLS_PORT, ctx, name="secure")
    srv.clients.append(secure)
    assert colon_hex(secure.sock.getpeercert(binary_form=True)) == logged
    assert secure.sock.version() in ("TLSv1.2", "TLSv1.3")
    welcome = [m for m in secure.register(unique("Sec")) if m.command == "001"]
    assert welcome and welcome[0].params[0] == secure.nick
    assert lobby_listed(secure)

    # Both listeners reach the same #lobby.
    plain.join("#lobby")
    secure.join("#lobby")
    plain.expect("JOIN", params=["#lobby"], source_nick=secure.nick)
    secure.send("PRIVMSG #lobby :hello over TLS")
    got = plain.expect("PRIVMSG", params=["#lobby"], source_nick=secure.nick)
    assert got.params[-1] == "hello over TLS"
    plain.send("PRIVMSG #lobby :hello over plain")
    got = secure.expect("PRIVMSG", params=["#lobby"], source_nick=plain.nick)
    assert got.params[-1] == "hello over plain"
    plain.send(f"WHOIS {secure.nick}")
    assert plain.expect("671", params=[None, secure.nick]), "no 671 for the TLS user"
    plain.close()
    secure.close()
    srv.stop()
    assert srv.proc.returncode == 0

    # A second start reuses the certificate and the data file.
    skip_if_taken(PLAIN_PORT)
    skip_if_taken(TLS_PORT)
    again = default_server(env).start()
    again.wait_listening()
    log = again.log()
    assert "generated a self-signed TLS certificate" not in log, log
    m = FPR_RE.search(log)
    assert m and m.group(2) == logged, log
    assert "upgraded to schema" not in log, log
    c = again.client(unique("Back"))
    assert lobby_listed(c)


def test_xdg_data_home_chooses_the_data_directory(default_server, tmp_path):
    skip_if_taken(PLAIN_PORT)
    skip_if_taken(TLS_PORT)
    xdg = tmp_path / "xdg-data"
    srv = default_server(private_env(tmp_path, xdg_data=xdg)).start()
    srv.wait_listening()
    data = xdg / "natter"
    assert f"data in {data}\n" in srv.log(), srv.log()
    assert (data / "natterd.db").is_file() and (data / "tls-cert.pem").is_file()
    assert not (tmp_path / "home" / ".local" / "share" / "natter").exists()
    c = srv.client(unique("Xdg"))
    c.sync()


def test_default_tls_port_taken_keeps_the_plain_listener(default_server, tmp_path):
    """Another program on 6697 costs the built-in TLS listener only: natterd
    warns and serves on 2048 (main.c open_listeners)."""
    skip_if_taken(PLAIN_PORT)
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        blocker.bind((HOST, TLS_PORT))
    except OSError as e:
        blocker.close()
        if e.errno == errno.EADDRINUSE:
            pytest.skip(f"{HOST}:{TLS_PORT} is already in use by another program"
                        f"{holder(TLS_PORT)}")
        raise
    try:
        blocker.listen(1)
        srv = default_server(private_env(tmp_path)).start()
        srv.wait_listening(tls=False)
        want = (f"cannot listen on {HOST}:{TLS_PORT}: {IN_USE}; "
                "going on without the default TLS listener")
        assert wait_for(lambda: want in srv.log()), srv.log()
        assert "listening with TLS" not in srv.log()
        c = srv.client(unique("Pl"))
        assert lobby_listed(c)
    finally:
        blocker.close()
