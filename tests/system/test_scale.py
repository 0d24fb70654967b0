"""500 concurrent clients in one room: every member receives every message
exactly once (issue 2, "500 concurrent clients in one room with no lost
message"). The test process and natterd both need ~500 descriptors; the
count is fitted under RLIMIT_NOFILE."""
import resource
import selectors
import socket
import time

import pytest

from conftest import Message, unique

WANTED = 500
SENDERS = 5
PER_SENDER = 10


class Conn:
    def __init__(self, port, nick):
        self.nick = nick
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setblocking(False)
        self.buf = b""
        self.out = b""
        self.joined = False
        self.got: dict[str, int] = {}
        self.pong_tokens: set[str] = set()
        self.errors: list[str] = []
        self.eof = False

    def queue(self, line: str):
        self.out += line.encode() + b"\r\n"


def fit_clients():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = WANTED + 64
    if soft < need and hard >= need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need * 2), hard))
        soft = min(hard, need * 2)
    return max(0, min(WANTED, soft - 64))


def pump(sel, conns, until, timeout):
    deadline = time.monotonic() + timeout
    while not until():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        for c in conns:
            if c.out and not c.eof:
                try:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                except BlockingIOError:
                    pass
        for key, _ in sel.select(timeout=min(remaining, 0.5)):
            c = key.data
            try:
                data = c.sock.recv(262144)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                c.eof = True
                sel.unregister(c.sock)
                continue
            c.buf += data
            *lines, c.buf = c.buf.split(b"\n")
            for raw in lines:
                raw = raw.rstrip(b"\r")
                if not raw:
                    continue
                m = Message(raw)
                if m.command == "PING":
                    c.queue("PONG :" + (m.params[-1] if m.params else ""))
                elif m.command == "366":
                    c.joined = True
                elif m.command == "PRIVMSG":
                    text = m.params[-1]
                    c.got[text] = c.got.get(text, 0) + 1
                elif m.command == "PONG":
                    c.pong_tokens.add(m.params[-1])
                elif m.command in ("ERROR", "KILL") or (m.command.isdigit() and m.command[0] in "45"):
                    c.errors.append(m.text)
    return True


def test_500_clients_one_room_no_lost_message(server_factory):
    n = fit_clients()
    if n < 100:
        pytest.skip(f"RLIMIT_NOFILE too low for the scale test ({n})")
    srv = server_factory(config={"limits": {"max_clients": n + 50,
                                            "max_per_address": n + 50}})
    chan = "#" + unique("scale")
    sel = selectors.DefaultSelector()
    conns = []
    try:
        for i in range(n):
            c = Conn(srv.port, f"sc{i}_{unique('')}"[:30])
            sel.register(c.sock, selectors.EVENT_READ, c)
            c.queue(f"NICK {c.nick}")
            c.queue(f"USER sc{i} 0 * :scale client {i}")
            c.queue(f"JOIN {chan}")
            conns.append(c)
            if i % 50 == 49:   # keep the accept backlog and buffers moving
                pump(sel, conns, lambda: False, 0.05)
        assert pump(sel, conns, lambda: all(c.joined or c.eof for c in conns), 90), \
            f"only {sum(c.joined for c in conns)}/{n} clients joined"
        dead = [c.nick for c in conns if c.eof]
        assert not dead, f"{len(dead)} clients were disconnected while joining: {dead[:5]}"
        assert all(not c.errors for c in conns), [c.errors for c in conns if c.errors][:3]

        senders = conns[:: n // SENDERS][:SENDERS]
        texts = []
        for s_i, s in enumerate(senders):
            for k in range(PER_SENDER):
                t = f"scale msg {s_i}-{k}"
                texts.append((s, t))
                s.queue(f"PRIVMSG {chan} :{t}")

        def expected(c):
            return [t for s, t in texts if s is not c]

        def complete():
            return all(all(c.got.get(t, 0) >= 1 for t in expected(c)) or c.eof for c in conns)

        ok = pump(sel, conns, complete, 90)
        missing = sum(1 for c in conns for t in expected(c) if t not in c.got)
        assert ok and missing == 0, f"{missing} deliveries missing"
        # A PING round-trip per client flushes anything still queued, so any
        # duplicate would show up before the PONG.
        token = unique("fin")
        for c in conns:
            c.queue(f"PING {token}")
        assert pump(sel, conns, lambda: all(token in c.pong_tokens or c.eof for c in conns), 60)
        assert not [c for c in conns if c.eof], "clients were dropped"
        for c in conns:
            exp = expected(c)
            assert sorted(c.got) == sorted(exp), (c.nick, set(c.got) ^ set(exp))
            dups = {t: k for t, k in c.got.items() if k != 1}
            assert not dups, f"{c.nick} got duplicates {dups}"
        assert srv.alive()
    finally:
        for c in conns:
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            c.sock.close()
        sel.close()
