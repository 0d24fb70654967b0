"""The history crash loop: "acknowledged means stored", tested.

Clients talk to natterd under load (in a room and in private, echo-message
on); natterd is killed with SIGKILL at a random moment; it is started again
on the same data directory, and CHATHISTORY must return every message any
client was acknowledged (its echo) or shown (a relay), exactly once, with
the same msgid and text. The data file must pass PRAGMA integrity_check
after every kill, and natterd must start cleanly every time.

Used by test_history_crash.py (a few kills) and by bench/history-crash-loop
(100 kills, prints the figures).
"""
from __future__ import annotations

import os
import random
import re
import select
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

CAPS = "batch draft/chathistory server-time message-tags echo-message"
ROOM = "#crash"


def _parse(line: bytes):
    text = line.decode("utf-8", "replace")
    tags = {}
    if text.startswith("@"):
        t, _, text = text.partition(" ")
        for item in t[1:].split(";"):
            k, _, v = item.partition("=")
            tags[k] = v
    src = None
    if text.startswith(":"):
        src, _, text = text.partition(" ")
        src = src[1:]
    trailing = None
    if " :" in text:
        text, _, trailing = text.partition(" :")
    parts = text.split()
    if trailing is not None:
        parts.append(trailing)
    return tags, src, parts[0].upper() if parts else "", parts[1:]


class Conn:
    def __init__(self, port: int, nick: str):
        self.nick = nick
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.out = b""
        self.lines: list = []

    def send(self, line: str) -> None:
        self.out += line.encode() + b"\r\n"

    def flush(self) -> None:
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            except OSError:
                self.out = b""
                return
            self.out = self.out[n:]

    def read(self) -> bool:
        """Reads what is there; False at EOF."""
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self.buf += data
        while b"\n" in self.buf:
            line, _, self.buf = self.buf.partition(b"\n")
            line = line.rstrip(b"\r")
            if line:
                self.lines.append(_parse(line))
        return True

    def wait_for(self, command: str, timeout: float = 20.0, params0=None):
        """Blocking read until a line with @command; returns lines so far."""
        self.sock.setblocking(True)
        deadline = time.monotonic() + timeout
        got = []
        while True:
            while self.lines:
                m = self.lines.pop(0)
                got.append(m)
                if m[2] == "PING":
                    self.sock.sendall(f"PONG :{m[3][-1]}\r\n".encode())
                if m[2] == command and (params0 is None or (m[3] and m[3][0] == params0)):
                    return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.nick}: no {command} within {timeout}s")
            self.sock.settimeout(left)
            if not self.read():
                raise AssertionError(f"{self.nick}: connection closed waiting for {command}")


# More [history] settings for every start, comma-separated ("durable_ack=echo").
EXTRA_HISTORY = os.environ.get("CRASHLOOP_HISTORY", "")


def start_natterd(natterd: str, workdir: Path, run: int) -> tuple[subprocess.Popen, int]:
    log = workdir / f"natterd.{run}.log"
    conf = workdir / "natterd.conf"
    conf.write_text("[server]\nname=crash.test\n[channels]\ndefault=#lobby\n"
                    "[limits]\nflood_burst=100000\nflood_rate=100000\nconnect_burst=1000000\nconnect_rate=1000000\nsendq=16777216\n"
                    "[history]\nquery_limit=1000\nreplay_on_join=0\n"
                    + "".join(f"{kv}\n" for kv in EXTRA_HISTORY.split(",") if kv))
    logf = open(log, "wb")
    proc = subprocess.Popen([natterd, "--listen", "127.0.0.1:0", "--data-dir",
                             str(workdir / "data"), "--config", str(conf)],
                            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
    logf.close()
    pat = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = pat.search(log.read_bytes())
        if m and int(m.group(1)) != 0:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            raise AssertionError(f"natterd did not start (run {run}):\n"
                                 + log.read_text(errors="replace")[-3000:])
        time.sleep(0.01)
    raise AssertionError(f"natterd did not listen within 20 s (run {run})")


def register(port: int, nick: str, room: str) -> Conn:
    c = Conn(port, nick)
    c.sock.sendall(f"CAP REQ :{CAPS}\r\nNICK {nick}\r\nUSER {nick} 0 * :crash\r\n"
                   f"CAP END\r\nJOIN {room}\r\n".encode())
    c.wait_for("366")
    return c


def fetch_all(c: Conn, target: str) -> list[tuple[str, str, str]]:
    """Every stored message of @target as (msgid, sender nick, text), oldest first."""
    out: list = []
    ref = "*"
    while True:
        if ref == "*":
            c.sock.sendall(f"CHATHISTORY LATEST {target} * 1000\r\n".encode())
        else:
            c.sock.sendall(f"CHATHISTORY BEFORE {target} msgid={ref} 1000\r\n".encode())
        got = c.wait_for("BATCH")
        start = got[-1]
        assert start[3][0].startswith("+"), start
        ref_id = start[3][0][1:]
        lines = c.wait_for("BATCH", params0="-" + ref_id)[:-1]
        page = [(m[0]["msgid"], (m[1] or "").split("!")[0], m[3][-1])
                for m in lines if m[2] == "PRIVMSG"]
        if not page:
            return out
        out = page + out
        ref = page[0][0]


def one_round(natterd: str, workdir: Path, run: int, rng: random.Random, nclients: int,
              window: int, acked: dict, shown: dict) -> dict:
    """Talk, kill at a random moment; adds to @acked / @shown (msgid -> (target, text))."""
    proc, port = start_natterd(natterd, workdir, run)
    room = f"{ROOM}{run}"
    conns = [register(port, f"c{i}r{run}", room) for i in range(nclients)]
    for c in conns:
        c.sock.setblocking(False)
    seq = 0
    outstanding = {c.nick: 0 for c in conns}
    kill_after = rng.uniform(0.05, 0.6)
    t0 = time.monotonic()
    sent = 0
    killed = False
    open_conns = set(c.nick for c in conns)
    while open_conns:
        if not killed and time.monotonic() - t0 >= kill_after:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        if not killed:
            for i, c in enumerate(conns):
                while outstanding[c.nick] < window:
                    seq += 1
                    # every third message is private, to the next client
                    if seq % 3 == 0:
                        target = conns[(i + 1) % len(conns)].nick
                    else:
                        target = room
                    c.send(f"PRIVMSG {target} :r{run} {c.nick} {seq}")
                    outstanding[c.nick] += 1
                    sent += 1
                c.flush()
        r, _, _ = select.select([c.sock for c in conns if c.nick in open_conns], [], [],
                                0.01)
        for c in conns:
            if c.sock not in r:
                continue
            alive = c.read()
            while c.lines:
                tags, src, cmd, params = c.lines.pop(0)
                if cmd == "PING":
                    c.send(f"PONG :{params[-1]}")
                if cmd != "PRIVMSG":
                    continue
                nick = (src or "").split("!")[0]
                target = params[0]
                text = params[-1]
                msgid = tags.get("msgid")
                assert msgid, f"a relayed message without msgid: {params}"
                # The history target as the fetching side names it.
                key = target.lower() if target.startswith("#") else \
                    tuple(sorted((nick.lower(), target.lower())))
                if nick == c.nick:
                    outstanding[c.nick] -= 1
                    acked[msgid] = (key, nick, text)
                else:
                    shown[msgid] = (key, nick, text)
            if not alive:
                open_conns.discard(c.nick)
                c.sock.close()
        if killed and time.monotonic() - t0 > kill_after + 20:
            raise AssertionError("connections did not close after the kill")
    return {"sent": sent, "kill_after": kill_after}


def verify(natterd: str, workdir: Path, run: int, acked: dict, shown: dict,
           targets: set, check_shown: bool = True) -> dict:
    """Checks the file, restarts natterd and compares CHATHISTORY with what
    clients saw. Returns counts."""
    db = sqlite3.connect(workdir / "data" / "natterd.db")
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    assert ok == "ok", f"integrity_check after kill {run}: {ok}"
    proc, port = start_natterd(natterd, workdir, run)
    try:
        stored: dict = {}
        dupes = 0
        for pair in sorted(targets, key=str):
            if isinstance(pair, str):
                c = register(port, f"v{run}", pair)
                rows = fetch_all(c, pair)
            else:
                # A private conversation is readable only by its parties:
                # connect as the first one.
                c = register(port, pair[0], "#lobby")
                rows = fetch_all(c, pair[1])
            c.sock.sendall(b"QUIT\r\n")
            c.sock.close()
            for msgid, nick, text in rows:
                if msgid in stored:
                    dupes += 1
                stored[msgid] = (pair, nick, text)
        texts = [v[2] for v in stored.values()]
        dup_texts = len(texts) - len(set(texts))
        seen = list(acked.items()) + (list(shown.items()) if check_shown else [])
        missing = [(k, v) for k, v in seen if k not in stored]
        wrong = [(k, v, stored[k]) for k, v in list(acked.items()) + list(shown.items())
                 if k in stored and stored[k] != v]
        assert not missing, f"{len(missing)} acknowledged/shown messages missing: {missing[:5]}"
        assert not wrong, f"stored differently from what was shown: {wrong[:5]}"
        assert dupes == 0 and dup_texts == 0, f"{dupes} msgids, {dup_texts} texts stored twice"
        return {"stored": len(stored)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


def run(natterd: str, workdir: Path, kills: int, seed: int = 1, nclients: int = 4,
        window: int = 16, log=print, check_shown: bool = True) -> dict:
    """@check_shown False: only what senders were acknowledged (their echo)
    must be stored, as [history] durable_ack=echo promises."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    all_acked: dict = {}
    all_shown: dict = {}
    all_targets: set = set()
    total_sent = 0
    t0 = time.monotonic()
    for k in range(kills):
        acked: dict = {}
        shown: dict = {}
        r = one_round(natterd, workdir, k, rng, nclients, window, acked, shown)
        total_sent += r["sent"]
        targets = {f"{ROOM}{k}"}
        for i in range(nclients):
            a, b = f"c{i}r{k}".lower(), f"c{(i + 1) % nclients}r{k}".lower()
            targets.add(tuple(sorted((a, b))))
        # After each kill: this round's rooms and conversations.
        v = verify(natterd, workdir, k, acked, shown, targets, check_shown)
        all_acked.update(acked)
        all_shown.update(shown)
        all_targets |= targets
        log(f"kill {k + 1}/{kills} after {r['kill_after'] * 1000:.0f} ms: sent {r['sent']}, "
            f"acknowledged {len(acked)}, shown {len(shown)}, stored {v['stored']}: ok")
    # At the end: everything, from every round, is still there exactly once.
    v = verify(natterd, workdir, kills, all_acked, all_shown, all_targets, check_shown)
    log(f"final check: {v['stored']} stored messages, every acknowledged or shown one "
        "present once")
    return {"kills": kills, "sent": total_sent, "acknowledged": len(all_acked),
            "shown": len(all_shown), "stored": v["stored"],
            "seconds": time.monotonic() - t0}
