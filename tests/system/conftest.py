"""System-test harness for natterd.

Every test talks to the real natterd binary over loopback sockets, with raw
IRC lines. The binary is taken from $NATTERD, else <repo>/build/src/server/natterd.

Fixtures:
  server_factory(config=None, motd=..., opers=None) -> Server   (started)
  server                                              -> Server   (defaults)
Helpers:
  Server.client(nick=None, caps=None)  -> Client (registered when nick given)
  Client.send / send_raw / expect / sync / register / expect_closed
"""
from __future__ import annotations

import itertools
import os
import re
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NATTERD = os.environ.get("NATTERD", str(REPO / "build" / "src" / "server" / "natterd"))

TIMEOUT = 5.0          # default wait for any expected reply
SERVER_NAME = "irc.systest.natter"
NETWORK = "SysTestNet"
DESCRIPTION = "natter system test server"
MOTD_LINES = ["Welcome to the natter system tests.", "Second line of the MOTD."]

# Generous limits by default so that ordinary tests are never slowed by flood
# control; the limit tests override what they exercise.
DEFAULT_LIMITS = {
    "flood_burst": "10000",
    "flood_rate": "10000",
    "connect_burst": "100000",
    "connect_rate": "100000",
}

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A short name unique within this test run (valid as nick or channel part)."""
    return f"{prefix}{os.getpid() % 1000}x{next(_counter)}"


# --------------------------------------------------------------------------
# IRC message parsing (IRCv3 message-tags aware)
# --------------------------------------------------------------------------

_TAG_UNESCAPE = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


def unescape_tag_value(value: str) -> str:
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append(_TAG_UNESCAPE.get(nxt, nxt))
            i += 2
            continue
        if ch == "\\":  # trailing lone backslash is dropped
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class Message:
    """One parsed line from the server."""

    def __init__(self, raw: bytes):
        self.raw = raw
        line = raw.decode("utf-8", errors="surrogateescape")
        self.tags: dict[str, str | None] = {}
        self.source: str | None = None
        if line.startswith("@"):
            tagpart, _, line = line.partition(" ")
            for item in tagpart[1:].split(";"):
                if not item:
                    continue
                key, eq, val = item.partition("=")
                self.tags[key] = unescape_tag_value(val) if eq else None
            line = line.lstrip(" ")
        if line.startswith(":"):
            src, _, line = line.partition(" ")
            self.source = src[1:]
            line = line.lstrip(" ")
        params: list[str] = []
        command, _, rest = line.partition(" ")
        self.command = command.upper()
        while rest:
            rest = rest.lstrip(" ")
            if not rest:
                break
            if rest.startswith(":"):
                params.append(rest[1:])
                break
            p, _, rest = rest.partition(" ")
            params.append(p)
        self.params = params

    @property
    def nick(self) -> str | None:
        if self.source is None:
            return None
        return self.source.split("!", 1)[0]

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<Message {self.text!r}>"


class ConnectionClosed(AssertionError):
    pass


def _matches(msg: Message, command, params=None, source_nick=None) -> bool:
    if command is not None:
        commands = (command,) if isinstance(command, str) else tuple(command)
        if msg.command not in {c.upper() for c in commands}:
            return False
    if params is not None:
        if len(msg.params) < len(params):
            return False
        for want, got in zip(params, msg.params):
            if want is None:
                continue
            if callable(want):
                if not want(got):
                    return False
            elif want != got:
                return False
    if source_nick is not None and (msg.nick or "").lower() != source_nick.lower():
        return False
    return True


def is_error_reply(msg: Message) -> bool:
    """A numeric error (4xx/5xx), an IRCv3 FAIL, a NOTICE or an ERROR line."""
    if msg.command.isdigit() and 400 <= int(msg.command) <= 599:
        return True
    return msg.command in ("FAIL", "NOTICE", "ERROR")


# --------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------

class Client:
    def __init__(self, port: int, host: str = "127.0.0.1", name: str = "?",
                 rcvbuf: int | None = None, auto_pong: bool = True,
                 source: str | None = None):
        self.name = name
        self.nick: str | None = None
        self.auto_pong = auto_pong
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:   # another loopback address, e.g. "127.3.0.1"
            self.sock.bind((source, 0))
        self.sock.settimeout(TIMEOUT)
        self.sock.connect((host, port))
        self.buf = b""
        self.pending: list[Message] = []   # parsed, not yet consumed
        self.closed = False
        self.isupport: dict[str, str | None] = {}
        self.caps: set[str] = set()
        self.log: list[Message] = []       # everything received (for debugging)
        self.violations: list[str] = []    # framing rules the server broke

    # -- sending ---------------------------------------------------------
    def send(self, line: str) -> None:
        self.send_raw(line.encode("utf-8") + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        self.sock.settimeout(TIMEOUT * 4)
        self.sock.sendall(data)

    # -- receiving -------------------------------------------------------
    def _fill(self, deadline: float) -> bool:
        """Reads more bytes; returns False on timeout, raises on EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            raise ConnectionClosed(f"{self.name}: connection closed by server")
        self.buf += data
        while b"\n" in self.buf:
            line, _, self.buf = self.buf.partition(b"\n")
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                continue
            self._check_framing(line)
            msg = Message(line)
            self.log.append(msg)
            if self.auto_pong and msg.command == "PING":
                try:
                    self.send("PONG :" + (msg.params[-1] if msg.params else ""))
                except OSError:
                    pass
            self.pending.append(msg)
        return True

    def _check_framing(self, line: bytes) -> None:
        """protocol.md Framing: at most 512 bytes with CRLF, not counting the
        tags; never a NUL or a bare CR inside; text is UTF-8."""
        body = line
        if body.startswith(b"@"):
            tags, _, body = body.partition(b" ")
            if len(tags) + 1 > 8191:
                self.violations.append(f"tag section of {len(tags) + 1} bytes: {line[:80]!r}")
        if len(body) + 2 > 512:
            self.violations.append(f"line of {len(body) + 2} bytes: {line[:80]!r}...")
        if b"\0" in line or b"\r" in line:
            self.violations.append(f"NUL or CR inside a line: {line[:120]!r}")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            self.violations.append(f"invalid UTF-8 sent by the server: {line[:120]!r}")

    def get(self, timeout: float = TIMEOUT) -> Message:
        """The next message, whatever it is."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            if not self._fill(deadline):
                raise TimeoutError(f"{self.name}: no message within {timeout}s")
        return self.pending.pop(0)

    def expect(self, command=None, params=None, source_nick=None,
               timeout: float = TIMEOUT, skip_pings: bool = True) -> Message:
        """Reads until a message matches; the ones skipped are kept in .skipped."""
        deadline = time.monotonic() + timeout
        self.skipped: list[Message] = []
        while True:
            while self.pending:
                msg = self.pending.pop(0)
                if _matches(msg, command, params, source_nick):
                    return msg
                self.skipped.append(msg)
            if not self._fill(deadline):
                seen = "\n  ".join(m.text for m in self.skipped[-30:])
                raise AssertionError(
                    f"{self.name}: expected {command} {params or ''} within {timeout}s;"
                    f" got instead:\n  {seen}")

    def collect_until(self, command, params=None, timeout: float = TIMEOUT) -> list[Message]:
        """All messages up to and including the first match."""
        last = self.expect(command, params, timeout=timeout)
        return self.skipped + [last]

    def sync(self, timeout: float = TIMEOUT) -> list[Message]:
        """Round-trips a PING; returns every message received before its PONG.

        Because the server handles one connection's lines in order, anything
        caused by earlier lines (from any client that itself synced) is queued
        before the PONG."""
        token = unique("sync")
        self.send(f"PING {token}")
        got = self.collect_until("PONG", timeout=timeout)
        # The PONG token is the last parameter.
        while got[-1].params[-1:] != [token]:
            got += self.collect_until("PONG", timeout=timeout)
        return [m for m in got[:-1]
                if not (m.command == "PONG" and m.params[-1:] == [token])]

    def drain(self) -> list[Message]:
        return self.sync()

    def expect_closed(self, timeout: float = TIMEOUT) -> list[Message]:
        """Reads until EOF; returns the messages received until then."""
        deadline = time.monotonic() + timeout
        got: list[Message] = []
        try:
            while True:
                got.extend(self.pending)
                self.pending.clear()
                if not self._fill(deadline):
                    raise AssertionError(
                        f"{self.name}: connection not closed within {timeout}s; got "
                        + "\n  ".join(m.text for m in got[-20:]))
        except ConnectionClosed:
            got.extend(self.pending)
            self.pending.clear()
            return got

    # -- registration ----------------------------------------------------
    def register(self, nick: str, caps=None, user: str | None = None,
                 realname: str = "System Test") -> list[Message]:
        """CAP LS 302 / REQ / END (when caps given), NICK, USER; waits for the
        end of the MOTD (376 or 422). Returns every message received."""
        got: list[Message] = []
        if caps is not None:
            self.send("CAP LS 302")
            ls = self.read_cap_ls()
            missing = [c for c in caps if c not in ls]
            assert not missing, f"server does not advertise {missing}; CAP LS: {sorted(ls)}"
            if caps:
                self.send("CAP REQ :" + " ".join(caps))
                ack = self.expect("CAP", params=[None, lambda s: s in ("ACK", "NAK")])
                assert ack.params[1] == "ACK", f"CAP REQ {caps} refused: {ack.text}"
                assert set(ack.params[-1].split()) == set(caps), ack.text
                self.caps = set(caps)
        self.send(f"NICK {nick}")
        self.send(f"USER {user or nick.lower()[:10].strip('[]`^{}|_-') or 'u'} 0 * :{realname}")
        if caps is not None:
            self.send("CAP END")
        welcome = self.expect("001")
        got.extend(self.skipped)
        got.append(welcome)
        self.nick = welcome.params[0]
        end = self.expect(("376", "422"))
        got.extend(self.skipped)
        got.append(end)
        for m in got:
            if m.command == "005":
                for tok in m.params[1:-1]:
                    key, eq, val = tok.partition("=")
                    self.isupport[key.upper()] = val if eq else None
        return got

    def read_cap_ls(self) -> dict[str, str | None]:
        """Reads a (possibly multi-line, 302) CAP LS reply."""
        caps: dict[str, str | None] = {}
        while True:
            m = self.expect("CAP", params=[None, "LS"])
            more = len(m.params) >= 4 and m.params[2] == "*"
            for c in m.params[-1].split():
                k, eq, v = c.partition("=")
                caps[k] = v if eq else None
            if not more:
                return caps

    def join(self, channel: str) -> list[Message]:
        self.send(f"JOIN {channel}")
        return self.collect_until("366", params=[None, lambda c: c.lower() == channel.lower()])

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

def hash_password(password: str) -> str:
    out = subprocess.run([NATTERD, "--hash-password"], input=password + "\n",
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"--hash-password failed: {out.stderr}"
    lines = [l.strip() for l in out.stdout.splitlines() if l.strip()]
    assert lines, "--hash-password printed nothing"
    return lines[-1]


class Server:
    def __init__(self, tmp: Path, config: dict | None = None, motd=MOTD_LINES,
                 opers: dict[str, str] | None = None, extra_args=()):
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.data_dir = tmp / "data"
        self.config_path = tmp / "natterd.conf"
        self.motd_path = tmp / "motd.txt"
        self.log_path = tmp / "natterd.log"
        self.extra_args = list(extra_args)
        self.clients: list[Client] = []
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.expect_exit = False

        sections = {
            "server": {"name": SERVER_NAME, "network": NETWORK,
                       "description": DESCRIPTION},
            "channels": {"default": "#lobby"},
            "limits": dict(DEFAULT_LIMITS),
            "opers": {},
        }
        if motd is not None:
            self.write_motd(motd)
            sections["server"]["motd_file"] = str(self.motd_path)
        for name, password in (opers or {}).items():
            sections["opers"][name] = hash_password(password)
        for section, values in (config or {}).items():
            sections.setdefault(section, {})
            for key, value in values.items():
                if value is None:
                    sections[section].pop(key, None)
                else:
                    sections[section][key] = str(value)
        self.sections = sections
        self.write_config()

    def write_motd(self, lines) -> None:
        self.motd_path.write_text("".join(l + "\n" for l in lines), encoding="utf-8")

    def write_config(self, text: str | None = None) -> None:
        if text is None:
            parts = []
            for section, values in self.sections.items():
                parts.append(f"[{section}]")
                parts.extend(f"{k}={v}" for k, v in values.items())
                parts.append("")
            text = "\n".join(parts)
        self.config_path.write_text(text, encoding="utf-8")

    def start(self) -> "Server":
        assert os.access(NATTERD, os.X_OK), (
            f"natterd binary not found at {NATTERD}; build it or set NATTERD")
        self.logf = open(self.log_path, "wb")
        cmd = [NATTERD, "--listen", "127.0.0.1:0", "--data-dir", str(self.data_dir),
               "--config", str(self.config_path), "--log-level", "debug", *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf)
        deadline = time.monotonic() + 15
        pat = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
        while time.monotonic() < deadline:
            m = pat.search(self.log_path.read_bytes())
            if m and int(m.group(1)) != 0:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"natterd exited with {self.proc.returncode} at start:\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"natterd did not log 'listening on' in 15 s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")[-6000:]
        except OSError:
            return ""

    def connect(self, name: str = "raw", **kw) -> Client:
        c = Client(self.port, name=name, **kw)
        self.clients.append(c)
        return c

    def client(self, nick: str | None = None, caps=None, **kw) -> Client:
        """A connected client, registered as @nick when given."""
        c = self.connect(name=nick or "raw", **kw)
        if nick is not None:
            c.register(nick, caps=caps)
        return c

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 10) -> int:
        return self.proc.wait(timeout=timeout)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        violations = []
        for c in self.clients:
            violations.extend(f"{c.name}: {v}" for v in c.violations)
            c.close()
        if self.proc is None:
            return
        crashed = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                crashed = "natterd did not exit within 10 s of SIGTERM"
        elif not self.expect_exit:
            crashed = f"natterd died during the test (status {self.proc.returncode})"
        self.logf.close()
        text = self.log()
        if crashed is None and not self.expect_exit and self.proc.returncode != 0:
            crashed = f"natterd exited with status {self.proc.returncode} on SIGTERM"
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in text and crashed is None:
                crashed = f"sanitizer report ({marker}) in natterd log"
        if crashed:
            raise AssertionError(f"{crashed}\n--- natterd log tail ---\n{text}")
        if violations:
            raise AssertionError("natterd sent lines that break protocol.md Framing:\n  "
                                 + "\n  ".join(violations[:10]))


@pytest.fixture
def server_factory(tmp_path):
    servers: list[Server] = []

    def make(config: dict | None = None, motd=MOTD_LINES, opers=None, extra_args=(),
             start: bool = True) -> Server:
        s = Server(tmp_path / f"srv{len(servers)}", config=config, motd=motd,
                   opers=opers, extra_args=extra_args)
        servers.append(s)
        if start:
            s.start()
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


@pytest.fixture
def server(server_factory) -> Server:
    return server_factory()


# Small assertion helpers shared by the test files -------------------------

def privmsgs(msgs, target=None) -> list[Message]:
    return [m for m in msgs if m.command == "PRIVMSG"
            and (target is None or m.params[0].lower() == target.lower())]


def numerics(msgs) -> list[str]:
    return [m.command for m in msgs if m.command.isdigit()]


def wait_for(predicate, timeout: float = TIMEOUT, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def recv_all_raw(sock: socket.socket, timeout: float) -> bytes:
    """Reads raw bytes until EOF or timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return data
        r, _, _ = select.select([sock], [], [], remaining)
        if not r:
            return data
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, OSError):
            return data
        if not chunk:
            return data
        data += chunk
