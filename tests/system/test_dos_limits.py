"""Denial of service: the limits that keep one client (or one network) from
taking the server away from everyone else.

Spec: issue 8 items 1 (amplification: TARGMAX, reply cost, per-turn budget),
2 (total send queue, SO_SNDBUF, no orphaned sockets), 3 (connection slots),
5 (LUSERS from counters) and 11 (small sendq). Every test is bounded in time;
source addresses other than 127.0.0.1 are other loopback addresses.
"""
import re
import signal
import time

import pytest

from conftest import ConnectionClosed, recv_all_raw, unique, wait_for


def _isupport_targmax(client) -> dict[str, int]:
    out = {}
    for item in (client.isupport.get("TARGMAX") or "").split(","):
        key, _, value = item.partition(":")
        if key:
            out[key.upper()] = int(value) if value else 0
    return out


# --- item 1: amplification -------------------------------------------------

def test_targmax_is_enforced_as_advertised(server):
    """Every command with a number in TARGMAX answers 407 past it and acts
    on the first targets only."""
    op = server.client(unique("Tm"))
    chan = "#" + unique("tm")
    op.join(chan)
    targmax = _isupport_targmax(op)
    for cmd in ("PRIVMSG", "NAMES", "KICK", "WHOIS"):
        assert targmax.get(cmd, 0) > 0, f"TARGMAX advertises no limit for {cmd}: {targmax}"
    for cmd, n in targmax.items():
        if n == 0 or cmd in ("NOTICE", "TAGMSG"):   # NOTICE never answers
            continue
        names = [unique("nx") for _ in range(n + 1)]
        if cmd == "PRIVMSG":
            op.send(f"PRIVMSG {','.join(names)} :hi")
        elif cmd == "NAMES":
            op.send(f"NAMES {','.join('#' + x for x in names)}")
        elif cmd == "KICK":
            op.send(f"KICK {chan} {','.join(names)} :bye")
        elif cmd == "WHOIS":
            op.send(f"WHOIS {','.join(names)}")
        elif cmd == "JOIN":
            op.send(f"JOIN {','.join('#' + x for x in names)}")
        elif cmd == "PART":
            op.send(f"PART {','.join('#' + x for x in names)}")
        else:
            continue
        got = op.sync()
        too_many = [m for m in got if m.command == "407"]
        assert len(too_many) == 1, f"{cmd} with {n + 1} targets (TARGMAX {n}): {got}"
        assert too_many[0].params[1] == (names[n] if cmd in ("PRIVMSG", "KICK", "WHOIS")
                                         else "#" + names[n]), too_many[0].text
        # Only the first n targets were acted on.
        mentioned = [m for m in got if names[n] in m.text and m.command != "407"]
        assert not mentioned, f"{cmd}: the target past TARGMAX was acted on: {mentioned}"


def test_big_replies_cost_flood_tokens(server_factory):
    """A command is charged by the size of its answer: three WHOs of a
    150-member room hold the asker's next line back for seconds, where a
    flat cost of 2 per WHO would not (burst 5, 4 lines/s)."""
    srv = server_factory(config={"limits": {"flood_burst": 5, "flood_rate": 4,
                                            "max_per_address": 500}})
    chan = "#" + unique("big")
    members = []
    for i in range(150):
        c = srv.connect(name=f"m{i}")
        nick = f"M{i}_" + "x" * 24
        c.send(f"NICK {nick}")
        c.send(f"USER m 0 * :member {i}")
        c.send(f"JOIN {chan}")
        members.append(c)
    for c in members:
        c.expect("366", timeout=30)
    asker = srv.client(unique("Ask"))
    asker.send(f"JOIN {chan}")
    asker.expect("366", timeout=10)
    time.sleep(2.0)   # refill the asker's burst (4 lines/s, burst 5)
    start = time.monotonic()
    asker.send_raw(f"WHO {chan}\r\nWHO {chan}\r\nWHO {chan}\r\nPING :after\r\n".encode())
    asker.expect("PONG", params=[None, "after"], timeout=30)
    waited = time.monotonic() - start
    assert waited >= 1.5, f"three 18 KB answers cost nothing: PONG after {waited:.2f}s"


def test_one_client_cannot_hold_the_loop(server):
    """A client with thousands of lines waiting gets a bounded share of a
    loop turn: a line from another client that is ready at the same time is
    handled after at most a few of its turns (64 lines each), not after the
    whole 16 KiB read (about 600 lines)."""
    chan = "#" + unique("turn")
    flooder = server.client(unique("Fl"))
    canary = server.client(unique("Ca"))
    watcher = server.client(unique("Wa"))
    for c in (flooder, canary, watcher):
        c.join(chan)
    for c in (flooder, canary, watcher):
        c.sync()
    n = 3000
    burst = "".join(f"PRIVMSG {chan} :f{i}\r\n" for i in range(n)).encode()
    # Stop natterd so that both inputs are waiting when it next looks.
    server.signal(signal.SIGSTOP)
    try:
        flooder.send_raw(burst)
        time.sleep(0.2)
        canary.send(f"PRIVMSG {chan} :canary")
        time.sleep(0.2)
    finally:
        server.signal(signal.SIGCONT)
    before = 0
    while True:
        m = watcher.expect("PRIVMSG", timeout=20)
        if m.params[-1] == "canary":
            break
        before += 1
    assert before < 300, f"the canary's line waited behind {before} of the flooder's"
    flooder.sync(timeout=20)


# --- item 2 and 11: send queues ---------------------------------------------

def _flood_until_quit(writer, fine, chan, victims, max_bytes, body="s" * 400):
    """Sends 100-line batches to @chan until one of @victims is seen to quit
    by @fine. Returns (victim_nick, quit message, bytes sent per member)."""
    sent = 0
    i = 0
    while sent < max_bytes:
        writer.send_raw("".join(f"PRIVMSG {chan} :{i + k} {body}\r\n"
                                for k in range(100)).encode())
        i += 100
        sent += 100 * (len(body) + 80)
        writer.sync(timeout=30)
        for m in fine.sync(timeout=30):
            if m.command == "QUIT" and m.nick in victims:
                return m.nick, m, sent
    return None, None, sent


def test_sendq_total_closes_largest_first(server_factory):
    """Four slow readers each stay far below their own sendq, but together
    pass [limits] sendq_total: the largest are closed with SendQ exceeded,
    a reader that keeps up is untouched."""
    srv = server_factory(config={"limits": {"sendq": 900000, "sendq_total": 1048576,
                                            "sndbuf": 4096}})
    chan = "#" + unique("tot")
    writer = srv.client(unique("Wr"))
    fine = srv.client(unique("Fi"))
    slow = []
    for i in range(4):
        c = srv.connect(name=f"slow{i}", rcvbuf=4096)
        c.register(unique("Sl"))
        slow.append(c)
    for c in [writer, fine] + slow:
        c.join(chan)
        c.sync()
    nick, quit_msg, sent = _flood_until_quit(writer, fine, chan, {c.nick for c in slow},
                                             max_bytes=850000)
    assert quit_msg is not None, f"no slow reader closed after {sent} bytes each"
    assert "sendq" in quit_msg.params[-1].lower(), quit_msg.text
    # Each queue was well under its own 900000-byte sendq.
    assert sent < 600000, f"closed only after {sent} bytes: the total cap did not act"
    assert "all send queues hold" in srv.log()
    writer.send(f"PRIVMSG {chan} :still fine")
    fine.expect("PRIVMSG", params=[chan, "still fine"])


def _server_side_socket(port: int, peer_port: int) -> str:
    """The server's end of the connection to @peer_port in /proc/net/tcp
    (state and queues), or "" when the kernel holds no such socket."""
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        local, remote = f[1].split(":"), f[2].split(":")
        if int(local[1], 16) == port and int(remote[1], 16) == peer_port:
            return line.strip()
    return ""


def test_sendq_close_leaves_no_orphaned_socket(server_factory):
    """A reader closed for its send queue that never reads again: its socket
    is released within the linger time (reset), not left orphaned in the
    kernel holding its unread data."""
    srv = server_factory(config={"limits": {"sendq": 65536, "sndbuf": 4096}})
    chan = "#" + unique("orph")
    writer = srv.client(unique("Wr"))
    fine = srv.client(unique("Fi"))
    slow = srv.connect(name="slow", rcvbuf=4096)
    slow.register(unique("Sl"))
    for c in (writer, fine, slow):
        c.join(chan)
        c.sync()
    peer_port = slow.sock.getsockname()[1]
    nick, quit_msg, sent = _flood_until_quit(writer, fine, chan, {slow.nick}, max_bytes=10000000)
    assert quit_msg is not None, f"slow reader never closed after {sent} bytes"
    assert _server_side_socket(srv.port, peer_port), "expected the socket to linger a moment"
    assert wait_for(lambda: not _server_side_socket(srv.port, peer_port), timeout=12), \
        "server-side socket still held after the linger: " + \
        _server_side_socket(srv.port, peer_port)


def test_small_sendq_does_not_drop_prompt_reader(server_factory):
    """sendq=8192: joining 49 rooms in one burst queues more than 8 KiB in
    one turn, but the client reads promptly, so it must not be dropped."""
    srv = server_factory(config={"limits": {"sendq": 8192}})
    c = srv.client(unique("Sm"))
    rooms = ["#" + unique("r") for _ in range(49)]
    c.send_raw("".join(f"JOIN {r}\r\n" for r in rooms).encode())
    for r in rooms:
        c.expect("366", params=[None, r], timeout=20)
    c.sync()


# --- item 3: connection slots -----------------------------------------------

def _idle(srv, source, name):
    return srv.connect(name=name, source=source)


def test_idle_unregistered_connections_give_way_to_newcomers(server_factory):
    """The server is full of connections that never register, from many
    addresses: a newcomer is still admitted (the oldest idle one is evicted
    with an ERROR line), and registered users keep their slots."""
    srv = server_factory(config={"limits": {"max_clients": 20}})
    regular = srv.client(unique("Rg"), source="127.0.9.1")
    idle = [_idle(srv, f"127.0.{1 + i % 5}.{1 + i}", f"idle{i}") for i in range(19)]
    for c in idle:
        c.send("CAP LS 302")    # each is accepted and unregistered
        c.expect("CAP")
    newcomer = srv.client(unique("New"), source="127.0.8.1")
    newcomer.sync()
    got = idle[0].expect_closed(timeout=5)
    assert any(m.command == "ERROR" and "unregistered" in m.params[-1].lower() for m in got), got
    regular.sync()
    for c in idle[1:]:
        c.send("PING :still")
        c.expect("PONG")


def test_unregistered_connections_have_their_own_limit(server_factory):
    srv = server_factory(config={"limits": {"max_unregistered": 5}})
    user = srv.client(unique("Us"))
    idle = [_idle(srv, f"127.1.0.{1 + i}", f"idle{i}") for i in range(5)]
    for c in idle:
        c.send("CAP LS 302")
        c.expect("CAP")
    late = _idle(srv, "127.1.1.1", "late")
    late.send("CAP LS 302")
    late.expect("CAP")
    got = idle[0].expect_closed(timeout=5)
    assert any(m.command == "ERROR" for m in got), got
    late.send("CAP END")
    late.register(unique("Late"))
    user.sync()


def test_connections_limited_per_network_block(server_factory):
    """max_per_block counts a whole /24 (ipv4_block), whatever the exact
    addresses; another block is not affected."""
    srv = server_factory(config={"limits": {"max_per_block": 3, "max_per_address": 100}})
    same = [srv.client(unique("Bl"), source=f"127.2.5.{1 + i}") for i in range(3)]
    extra = srv.connect(name="extra", source="127.2.5.200")
    got = extra.expect_closed(timeout=5)
    errors = [m for m in got if m.command == "ERROR"]
    assert errors and "network" in errors[0].params[-1].lower(), got
    other = srv.client(unique("Ot"), source="127.2.6.1")
    other.sync()
    for c in same:
        c.sync()


def test_block_size_is_configurable(server_factory):
    srv = server_factory(config={"limits": {"max_per_block": 1, "ipv4_block": 16}})
    first = srv.client(unique("B1"), source="127.3.1.1")
    second = srv.connect(name="second", source="127.3.200.1")
    got = second.expect_closed(timeout=5)
    assert any(m.command == "ERROR" for m in got), got
    first.sync()


# --- item 5: LUSERS ----------------------------------------------------------

def _lusers(c):
    c.send("LUSERS")
    got = c.sync()
    return {m.command: m for m in got if m.command.isdigit()}


def test_lusers_counts_follow_modes_and_quits(server, tmp_path):
    a = server.client(unique("La"))
    b = server.client(unique("Lb"))
    raw = [server.connect(name=f"raw{i}") for i in range(2)]
    for r in raw:
        r.send("CAP LS 302")
        r.expect("CAP")
    r = _lusers(a)
    assert re.search(r"There are 2 users and 0 invisible", r["251"].params[-1]), r["251"].text
    assert r["253"].params[1] == "2", r["253"].text
    b.send(f"MODE {b.nick} +i")
    b.sync()
    r = _lusers(a)
    assert re.search(r"There are 1 users and 1 invisible", r["251"].params[-1]), r["251"].text
    b.send("QUIT")
    b.expect_closed()
    for c in raw:
        c.close()
    assert wait_for(lambda: "There are 1 users and 0 invisible" in _lusers(a)["251"].params[-1])
    assert "253" not in _lusers(a)


def test_a_churning_network_evicts_itself_not_newcomers(server_factory):
    """A network that keeps opening connections (a quarter or more of the
    unregistered slots) evicts its own oldest ones: a newcomer from another
    network that is still registering is not pushed out."""
    srv = server_factory(config={"limits": {"max_unregistered": 8}})
    attack = [_idle(srv, f"127.4.1.{1 + i}", f"a{i}") for i in range(8)]
    for c in attack:
        c.send("CAP LS 302")
        c.expect("CAP")
    slow_newcomer = _idle(srv, "127.4.9.1", "newcomer")
    slow_newcomer.send("CAP LS 302")    # still negotiating: unregistered
    slow_newcomer.expect("CAP")
    for i in range(12):   # each one evicts an older one of its own network
        c = _idle(srv, f"127.4.1.{100 + i}", f"b{i}")
        c.send("CAP LS 302")
        c.expect("CAP")
    slow_newcomer.send("CAP END")
    slow_newcomer.register(unique("Nc"))
    # The attacker's oldest went first.
    got = attack[0].expect_closed(timeout=5)
    assert any(m.command == "ERROR" for m in got), got
