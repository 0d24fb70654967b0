"""New connections per second per network block (issue 8 item 3).

A network that reconnects every closed connection at once made natterd set
up and evict thousands of connections a second. [limits] connect_burst and
connect_rate bound how fast one block (/ipv4_block, /ipv6_block) may open
connections; over that, the socket is closed at once with one ERROR line and
no connection state (no "connect from" in the log). Other blocks are not
affected. Source addresses are other loopback addresses; bounded in time.
"""
import time

from conftest import ConnectionClosed, unique

SLOW_DOWN = "Too many connections from your network, slow down"


def _refused(srv, source):
    """True when a connection from @source is refused with the rate error."""
    c = srv.connect(name=f"try-{source}", source=source)
    got = c.expect_closed(timeout=10)
    errors = [m for m in got if m.command == "ERROR"]
    assert errors and errors[0].params[-1] == SLOW_DOWN, got
    return True


def _admitted(c):
    c.send("CAP LS 302")
    try:
        c.expect("CAP", timeout=10)
    except ConnectionClosed:
        return False
    return True


def test_burst_then_refused_from_many_addresses_of_one_block(server_factory):
    srv = server_factory(config={"limits": {"connect_burst": 5, "connect_rate": 0.01}})
    # Five from different addresses of 127.5.7.0/24: the burst.
    first = [srv.connect(name=f"b{i}", source=f"127.5.7.{1 + i}") for i in range(5)]
    for c in first:
        assert _admitted(c)
    # Fifteen more from yet other addresses of the same /24: refused at once.
    for i in range(15):
        assert _refused(srv, f"127.5.7.{100 + i}")
    # Another block is not affected, and registers.
    other = srv.client(unique("Nb"), source="127.5.8.1")
    other.sync()
    # The refused ones never became connections: only the five were set up,
    # and the refusals were logged (through the rate-limited logger).
    log = srv.log()
    connects = [l for l in log.splitlines() if "connect from 127.5.7." in l]
    assert len(connects) == 5, connects
    assert f"refused 127.5.7.100: {SLOW_DOWN}" in log, log[-3000:]
    # The admitted ones are untouched.
    for c in first:
        c.send("PING :alive")
        c.expect("PONG")


def test_the_block_may_connect_again_at_its_rate(server_factory):
    srv = server_factory(config={"limits": {"connect_burst": 1, "connect_rate": 1}})
    a = srv.connect(name="a", source="127.5.9.1")
    assert _admitted(a)
    assert _refused(srv, "127.5.9.2")
    # About a second later one more is allowed (retried, not a fixed sleep).
    deadline = time.monotonic() + 15
    admitted = False
    while not admitted and time.monotonic() < deadline:
        time.sleep(0.3)
        c = srv.connect(name="again", source="127.5.9.3")
        admitted = _admitted(c)
    assert admitted

