"""Limits: send queue, flood control, PING and registration timeouts,
connections per address and in total.

Spec: protocol.md "Liveness and limits"; issue 2 "Limits with clear errors".
"""
import socket
import time

from conftest import Client, ConnectionClosed, privmsgs, recv_all_raw, unique


def test_slow_reader_hits_sendq_and_is_closed(server_factory):
    srv = server_factory(config={"limits": {"sendq": 65536}})
    chan = "#" + unique("sq")
    writer = srv.client(unique("Wr"))
    fine = srv.client(unique("Fine"))
    slow = srv.connect(name="slow", rcvbuf=4096)
    slow.register(unique("Slow"))
    for c in (writer, fine, slow):
        c.join(chan)
    writer.sync()
    fine.sync()
    slow.sync()
    # From now on `slow` never reads. Push far more than sendq plus every
    # kernel buffer in between; stop as soon as the server drops it.
    body = "s" * 400
    seen_quit = None
    received = 0
    sent = 0
    deadline = time.monotonic() + 60
    while seen_quit is None and time.monotonic() < deadline and sent < 100000:
        # 100 lines (~45 kB) per round, well under `fine`'s own sendq.
        writer.send_raw("".join(f"PRIVMSG {chan} :{sent + i} {body}\r\n"
                                for i in range(100)).encode())
        sent += 100
        writer.sync(timeout=20)   # all of the batch has been handled...
        for m in fine.sync(timeout=20):   # ...so all of it is queued before PONG
            if m.command == "PRIVMSG":
                assert m.params[-1] == f"{received} {body}", "fine reader lost a message"
                received += 1
            elif m.command == "QUIT" and m.nick == slow.nick:
                seen_quit = m
    assert seen_quit is not None, f"slow reader still connected after {sent} messages"
    assert "sendq" in seen_quit.params[-1].lower(), seen_quit.text
    # The fine reader got every single message.
    writer.sync(timeout=20)
    for m in fine.sync(timeout=20):
        if m.command == "PRIVMSG":
            assert m.params[-1] == f"{received} {body}"
            received += 1
    assert received == sent
    # The slow client's stream ends with ERROR :SendQ exceeded, then EOF.
    data = recv_all_raw(slow.sock, timeout=30)
    assert b"ERROR :SendQ exceeded" in data[-200:], data[-200:]
    writer.send(f"PRIVMSG {chan} :after")
    assert fine.expect("PRIVMSG").params[-1] == "after"


def test_flooder_throttled_but_nothing_lost(server_factory):
    srv = server_factory(config={"limits": {"flood_burst": 5, "flood_rate": 10}})
    chan = "#" + unique("fl")
    flooder = srv.client(unique("Fl"))
    peer = srv.client(unique("Fp"))
    flooder.join(chan)
    peer.join(chan)
    peer.sync()
    n = 35
    start = time.monotonic()
    flooder.send_raw("".join(f"PRIVMSG {chan} :flood {i}\r\n" for i in range(n)).encode())
    got = []
    while len(got) < n:
        m = peer.expect("PRIVMSG", timeout=15)
        got.append(m.params[-1])
    elapsed = time.monotonic() - start
    assert got == [f"flood {i}" for i in range(n)], "every line delivered, in order"
    # 35 lines with a burst of 5 at 10 lines/s need about 3 s.
    assert elapsed >= 2.0, f"not throttled: {n} lines relayed in {elapsed:.2f}s"
    # The flooder was slowed, not disconnected.
    flooder.sync(timeout=15)


def test_ping_timeout(server_factory):
    srv = server_factory(config={"limits": {"ping_interval": 1, "ping_timeout": 2}})
    quiet = srv.connect(name="quiet", auto_pong=False)
    quiet.register(unique("Quiet"))
    alive = srv.client(unique("Alive"))   # answers PINGs automatically
    # `alive` only reads (and so answers PINGs) while `quiet` stays silent.
    def pump_alive(until):
        while time.monotonic() < until:
            alive._fill(until)
        alive.pending.clear()

    deadline = time.monotonic() + 10
    got = []
    closed = False
    while time.monotonic() < deadline and not closed:
        try:
            quiet._fill(time.monotonic() + 0.1)
        except ConnectionClosed:
            closed = True
        got.extend(quiet.pending)
        quiet.pending.clear()
        pump_alive(time.monotonic() + 0.1)
    assert closed, f"quiet client not closed within 10 s: {got}"
    assert any(m.command == "PING" for m in got), f"server never sent PING: {got}"
    errors = [m for m in got if m.command == "ERROR"]
    assert errors, f"PING timeout must close with ERROR: {got}"
    assert "timeout" in errors[0].params[-1].lower(), errors[0].text
    # The client that answers PINGs stays connected well past the timeout.
    pump_alive(time.monotonic() + 3)
    assert any(m.command == "PING" for m in alive.log), "alive was never PINGed"
    alive.sync()


def test_registration_timeout(server_factory):
    srv = server_factory(config={"limits": {"registration_timeout": 1}})
    silent = srv.connect(name="silent")
    half = srv.connect(name="half")
    half.send("NICK " + unique("Half"))
    for c in (silent, half):
        got = c.expect_closed(timeout=6)
        assert any(m.command == "ERROR" for m in got), got
    # Registered clients are not affected.
    ok = srv.client(unique("Ok"))
    time.sleep(1.5)
    ok.sync()


def _refused(c):
    got = c.expect_closed(timeout=5)
    assert any(m.command == "ERROR" for m in got), f"refusal needs an ERROR line: {got}"


def test_max_per_address(server_factory):
    srv = server_factory(config={"limits": {"max_per_address": 2}})
    a = srv.client(unique("Pa"))
    b = srv.client(unique("Pa"))
    c = srv.connect(name="third")
    _refused(c)
    a.sync()
    b.sync()
    a.send("QUIT")
    a.expect_closed()
    # The slot is given back once a client leaves.
    deadline = time.monotonic() + 5
    while True:
        d = srv.connect(name="retry")
        d.send("NICK " + unique("Pd"))
        d.send("USER pd 0 * :x")
        try:
            d.expect("001")
            break
        except ConnectionClosed:
            assert time.monotonic() < deadline, "slot not freed after QUIT"
            time.sleep(0.05)


def test_max_clients(server_factory):
    srv = server_factory(config={"limits": {"max_clients": 3}})
    clients = [srv.client(unique("Mc")) for _ in range(3)]
    extra = srv.connect(name="extra")
    _refused(extra)
    for c in clients:
        c.sync()
