"""Accepting is bounded per loop turn (issue 8 item 3, follow-up).

A network that reconnects every refused connection at once kept natterd in
its accept loop for as long as connections kept arriving: libevent's
listener accepts until the backlog is empty, and under a storm it never is
(one turn took 9,443 connections and 255 ms while registered clients
waited). Now each listener takes at most [limits] accept_per_turn
connections per loop turn; the rest wait in the kernel's backlog for the
next turn, and every client that is ready is served in between.

The ordering test stops natterd (SIGSTOP) so that a connection burst and a
registered client's command wait at the same time, then counts, from the
LUSERS answer, how many of the burst natterd had accepted when it handled
the command: no timing is asserted. Source addresses are other loopback
addresses; everything is bounded in time.
"""
import selectors
import signal
import socket
import threading
import time

import pytest

from conftest import unique, wait_for


def _unknown_count(msgs):
    """253 RPL_LUSERUNKNOWN's count; natterd leaves the line out at 0."""
    for m in msgs:
        if m.command == "253":
            return int(m.params[1])
    return 0


def _raw_connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def _register_all(socks, prefix, timeout=60):
    """Sends NICK/USER on every socket; returns how many got 001 within
    @timeout (all at once, not one after the other)."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for i, s in enumerate(socks):
        s.sendall(f"NICK {prefix}{i}\r\nUSER u 0 * :burst\r\n".encode())
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    welcomed = 0
    deadline = time.monotonic() + timeout
    while bufs and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            bufs[s] += data
            if b" 001 " in bufs[s] or not data:
                welcomed += b" 001 " in bufs[s]
                sel.unregister(s)
                del bufs[s]
    sel.close()
    return welcomed


def _burst_then_lusers(srv, w, n, net):
    """With natterd stopped, opens @n connections from 127.@net.x.y and then
    has @w ask LUSERS; returns (the sockets, how many of them natterd had
    accepted when it answered)."""
    socks = []
    srv.signal(signal.SIGSTOP)
    try:
        # The kernel completes these handshakes into the listen backlog
        # while natterd is stopped.
        for i in range(n):
            socks.append(_raw_connect(srv.port, f"127.{net}.{i // 100}.{1 + i % 100}"))
        w.send("LUSERS")
        time.sleep(0.2)   # let the line arrive; not an assertion
    finally:
        srv.signal(signal.SIGCONT)
    return socks, _unknown_count(w.collect_until("266", timeout=20))


def test_a_burst_waits_in_the_backlog_while_clients_are_served(server_factory):
    """With accept_per_turn=1, a command that arrives together with a
    burst of 80 connections is answered after at most a couple of them are
    accepted (before the bound: after all 80); then every one of the burst
    is accepted and registers."""
    srv = server_factory(config={"limits": {"accept_per_turn": 1}})
    w = srv.client(unique("Wa"))
    w.send("LUSERS")
    assert _unknown_count(w.collect_until("266")) == 0
    n = 80
    socks, unknown = _burst_then_lusers(srv, w, n, 7)
    assert unknown <= 3, (f"LUSERS was answered after {unknown} of the {n} waiting "
                          f"connections were accepted (accept_per_turn=1)")
    # Everything left in the backlog is accepted in later turns.
    assert _register_all(socks, unique("Bu")) == n
    w.send("LUSERS")
    msgs = w.collect_until("266", timeout=10)
    assert _users_online(msgs) == n + 1, msgs
    assert _unknown_count(msgs) == 0, msgs
    for s in socks:
        s.close()


def test_default_bound_and_reload(server_factory):
    """The default bound (64) holds for a burst of 200; a SIGHUP that sets
    accept_per_turn=1 applies to the next burst."""
    srv = server_factory()
    w = srv.client(unique("Wd"))
    socks, unknown = _burst_then_lusers(srv, w, 200, 12)
    assert unknown <= 64 + 3, f"{unknown} of 200 accepted before LUSERS was answered"
    assert _register_all(socks, unique("Da")) == 200
    for s in socks:
        s.close()
    srv.sections["limits"]["accept_per_turn"] = "1"
    srv.write_config()
    srv.signal(signal.SIGHUP)
    assert wait_for(lambda: "config reloaded" in srv.log(), timeout=10), srv.log()
    socks, unknown = _burst_then_lusers(srv, w, 80, 13)
    assert unknown <= 3, f"{unknown} of 80 accepted before LUSERS was answered"
    assert _register_all(socks, unique("Db")) == 80
    for s in socks:
        s.close()


def _users_online(msgs):
    for m in msgs:
        if m.command == "266":   # "Current global users N, max M"
            return int(m.params[1])
    return -1


def test_default_bound_accepts_a_large_burst(server_factory):
    """With the default bound, 400 connections opened at once from several
    blocks all get in and register (none is lost in the backlog)."""
    srv = server_factory()
    srv.signal(signal.SIGSTOP)
    socks = []
    try:
        for i in range(400):
            socks.append(_raw_connect(srv.port, f"127.8.{i // 100}.{1 + i % 100}"))
    finally:
        srv.signal(signal.SIGCONT)
    assert _register_all(socks, unique("Lb")) == 400
    for s in socks:
        s.close()


def test_registered_clients_answered_during_a_connect_flood(server_factory):
    """A block reconnecting as fast as it is refused (connect_burst=2) does
    not take the loop away: a registered client's PINGs keep being answered
    (within a generous 5 s each), refused connections still get their ERROR
    line, and a newcomer from another block registers."""
    srv = server_factory(config={"limits": {"connect_burst": 2, "connect_rate": 0.01}})
    c = srv.client(unique("Ca"))
    stop = threading.Event()
    stats = {"attempts": 0, "slow_down": 0}

    def flood():
        k = 0
        while not stop.is_set():
            socks = []
            for _ in range(100):
                k += 1
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((f"127.9.0.{1 + k % 200}", 0))
                s.setblocking(False)
                try:
                    s.connect(("127.0.0.1", srv.port))
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    continue
                socks.append(s)
            stats["attempts"] += len(socks)
            deadline = time.monotonic() + 2
            for s in socks:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    if b"slow down" in s.recv(512):
                        stats["slow_down"] += 1
                except OSError:
                    pass
                s.close()

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    try:
        for i in range(20):
            c.send(f"PING :during{i}")
            c.expect("PONG", params=[None, f"during{i}"], timeout=5)
            time.sleep(0.05)
        newcomer = srv.client(unique("Nc"), source="127.9.1.1")
        newcomer.sync(timeout=10)
    finally:
        stop.set()
        t.join(timeout=30)
    assert stats["attempts"] >= 100, stats
    assert stats["slow_down"] > 0, stats
    c.sync()


def test_refused_client_that_already_spoke_still_reads_why(server_factory):
    """A refusal is one packet (the ERROR line leaves with the FIN); a client
    whose registration lines arrived before natterd accepted it must still
    read the line, not a reset that drops it."""
    srv = server_factory(config={"limits": {"connect_burst": 1, "connect_rate": 0.01}})
    srv.connect(name="first", source="127.10.0.1")   # the block's burst
    for i in range(10):
        srv.signal(signal.SIGSTOP)
        try:
            s = _raw_connect(srv.port, f"127.10.0.{2 + i}")
            s.sendall(b"NICK late\r\nUSER u 0 * :u\r\n" + b"PING :pad\r\n" * 100)
            time.sleep(0.05)   # let the lines arrive; not an assertion
        finally:
            srv.signal(signal.SIGCONT)
        got = b""
        try:
            while True:
                data = s.recv(4096)
                if not data:
                    break
                got += data
        except ConnectionResetError:
            pass
        s.close()
        assert got == b"ERROR :Too many connections from your network, slow down\r\n", got


@pytest.mark.parametrize("value", ["0", "-1", "100001", "many"])
def test_accept_per_turn_out_of_range_is_refused(server_factory, value):
    srv = server_factory(config={"limits": {"accept_per_turn": value}}, start=False)
    srv.expect_exit = True
    with pytest.raises(AssertionError):
        srv.start()
    srv.proc.wait(timeout=10)
    assert srv.proc.returncode != 0
    assert "accept_per_turn must be an integer from 1 to 100000" in srv.log(), srv.log()
