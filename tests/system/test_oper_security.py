"""OPER under attack (issue 8, items 4 and 7): a bounded password queue that
forgets departed clients, unknown names that cost what known ones cost,
failures throttled per name and per address with growing delays, and every
operator action logged without the secret."""
import math
import re
import socket
import statistics
import time

import pytest

from conftest import unique, wait_for

OPER_PASSWORD = "c0rrect-horse-battery"


def src(block: int, i: int) -> str:
    """A loopback source address of its own: 127.<block>.<i // 250>.<i % 250 + 1>."""
    return f"127.{block}.{i // 250}.{i % 250 + 1}"


def stats_a(op):
    op.send("STATS a")
    got = op.collect_until("219", timeout=20)
    for m in got:
        if m.command == "249" and m.params[-1].startswith("password "):
            return dict(f.split("=") for f in m.params[-1].split()[1:])
    raise AssertionError(f"no password queue line in {got}")


def oper_reply(client, timeout=30):
    """464, 381 or FAIL OPER ...: the one answer an OPER gets."""
    return client.expect(("464", "381", "FAIL"), timeout=timeout)


# ------------------------------------------------------------ the queue

def test_full_password_queue_refuses_with_a_clear_error(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"password_queue": 1}})
    clients = [srv.connect(f"q{i}", source=src(11, i)) for i in range(8)]
    for c in clients:
        c.register(unique("Qf"))
    # Eight checks at once (distinct names and addresses, so no throttling):
    # one fits the queue, the others arrive while it is busy.
    for i, c in enumerate(clients):
        c.send(f"OPER nobody{i} wrong")
    answers = [oper_reply(c) for c in clients]
    refused = [m for m in answers if m.command == "FAIL"]
    assert all(m.command in ("464", "FAIL") for m in answers), answers
    assert refused, f"no OPER refused with password_queue=1: {answers}"
    for m in refused:
        assert m.params[:2] == ["OPER", "TEMPORARILY_UNAVAILABLE"], m.text
        assert "try again" in m.params[-1], m.text
    assert wait_for(lambda: "the password queue is full" in srv.log(), timeout=5), srv.log()
    # The queue works again once it has room.
    op = srv.client(unique("Op"))
    op.send(f"OPER admin {OPER_PASSWORD}")
    assert oper_reply(op).command == "381"
    assert int(stats_a(op)["refused"]) == len(refused)


def test_departed_clients_do_not_make_an_operator_wait(server_factory):
    """300 connections send OPER and hang up at once; their checks are dropped
    before they run, so a real operator right after waits for about one check
    (main before this change: every check ran; 300 checks of a known name
    made the operator wait 55 s on the loaded 2-core test machine)."""
    srv = server_factory(opers={"admin": OPER_PASSWORD})
    attackers = []
    for i in range(300):
        c = srv.connect(f"att{i}", source=src(12, i))
        c.register(unique("At"))
        c.sync()                  # nothing left unread: close sends FIN, not RST
        attackers.append(c)
    op = srv.client(unique("Real"))
    op.sync()
    # Distinct names: each check costs a full argon2id verification (unknown
    # names cost what known ones do) and no name is throttled.
    for i, c in enumerate(attackers):
        c.send_raw(f"OPER x{i} y\r\n".encode())
        c.sock.shutdown(socket.SHUT_WR)
        c.close()
    start = time.monotonic()
    op.send(f"OPER admin {OPER_PASSWORD}")
    m = oper_reply(op, timeout=60)
    waited = time.monotonic() - start
    assert m.command == "381", m.text
    st = stats_a(op)
    print(f"\nreal operator waited {waited * 1000:.0f} ms behind 300 departed OPERs "
          f"(password queue: {st})")
    assert int(st["dropped"]) + int(st["refused"]) > 0, st
    assert int(st["completed"]) + int(st["orphaned"]) < 100, st
    assert waited < 5.0, f"the operator waited {waited:.1f} s"


# ------------------------------------------------------------ guessing

def test_unknown_name_costs_as_much_as_a_known_one(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"oper_free_failures": 1000}})
    a = srv.client(unique("Tm"))
    known, unknown = [], []
    for i in range(5):
        for name, times in (("admin", known), (f"nosuch{i}", unknown)):
            a.sync()
            start = time.monotonic()
            a.send(f"OPER {name} wrong{i}")
            assert oper_reply(a).command == "464"
            times.append(time.monotonic() - start)
    k, u = statistics.median(known), statistics.median(unknown)
    print(f"\nOPER median: known name {k * 1000:.1f} ms, unknown name {u * 1000:.1f} ms")
    # Before: unknown names were answered in well under 1 ms, known in ~80.
    assert u > 0.5 * k, (known, unknown)


def test_failures_throttle_the_name_with_a_clear_error(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"oper_free_failures": 2, "oper_delay": 60}})
    # Three guessers, each from its own address, all at "admin".
    for i in range(3):
        g = srv.connect(f"g{i}", source=src(13, i))
        g.register(unique("Gu"))
        g.send("OPER admin guess")
        assert oper_reply(g).command == "464"
    late = srv.connect("late", source=src(13, 50))
    late.register(unique("Lt"))
    late.send(f"OPER admin {OPER_PASSWORD}")
    m = oper_reply(late)
    assert m.command == "FAIL" and m.params[:2] == ["OPER", "RATE_LIMITED"], m.text
    assert re.search(r"this name; try again in \d+ seconds", m.params[-1]), m.text
    # An unknown name is throttled the same way (nothing tells names apart).
    for i in range(3):
        g = srv.connect(f"h{i}", source=src(13, 100 + i))
        g.register(unique("Hu"))
        g.send("OPER ghost guess")
        assert oper_reply(g).command == "464"
    g = srv.connect("h9", source=src(13, 110))
    g.register(unique("Hu"))
    g.send("OPER ghost guess")
    m = oper_reply(g)
    assert m.command == "FAIL" and "this name" in m.params[-1], m.text


def test_failures_throttle_the_address_with_growing_delays(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"oper_free_failures": 0, "oper_delay": 2,
                                            "oper_delay_max": 300}})
    a = srv.connect("a", source=src(14, 1))
    a.register(unique("Ad"))
    waits = []
    for i, delay in enumerate([2, 4, 8]):
        sent = time.monotonic()
        a.send(f"OPER n{i} wrong")      # a new name each time: only the address counts
        assert oper_reply(a).command == "464"
        a.send(f"OPER m{i} wrong")
        m = oper_reply(a)
        # The delay runs from when the failed attempt was taken, so the
        # argon2id check (slow on a loaded machine) has used part of it.
        used = math.ceil(time.monotonic() - sent)
        assert m.command == "FAIL" and m.params[1] == "RATE_LIMITED", m.text
        assert "this address" in m.params[-1], m.text
        wait = int(re.search(r"try again in (\d+) second", m.params[-1]).group(1))
        assert delay - used <= wait <= delay, (delay, used, m.text)
        waits.append(wait)
        time.sleep(wait + 0.2)           # let the delay pass, then fail again
    assert waits[0] <= waits[1] <= waits[2] and waits[0] < waits[2], waits
    # Another address is not affected, and a success clears nothing it should not.
    b = srv.connect("b", source=src(14, 2))
    b.register(unique("Bd"))
    b.send(f"OPER admin {OPER_PASSWORD}")
    assert oper_reply(b).command == "381"


def test_operator_actions_are_logged_without_the_secret(server_factory):
    secret_wrong = "Wr0ng-s3cret-guess"
    srv = server_factory(opers={"admin": OPER_PASSWORD})
    op = srv.client(unique("Lg"))
    victim = srv.client(unique("Vi"))
    op.send(f"KILL {victim.nick} :too early")
    op.expect("481")
    op.send(f"OPER admin {secret_wrong}")
    assert oper_reply(op).command == "464"
    op.send(f"OPER admin {OPER_PASSWORD}")
    assert oper_reply(op).command == "381"
    op.send("WALLOPS :hello opers")
    op.send(f"KILL {victim.nick} :bye now")
    victim.expect_closed()
    op.send(f"MODE {op.nick} -o")
    op.expect("MODE")
    op.sync()

    def logged():
        text = srv.log()
        return all(s in text for s in (
            f"KILL by {op.nick}!", "refused: not an operator",
            "OPER admin: failed for", f"OPER admin: {op.nick}!",
            "is now an operator", f"WALLOPS by {op.nick}!", "hello opers",
            f"KILL {victim.nick}!", "bye now", "is no longer an operator"))
    assert wait_for(logged, timeout=10), srv.log()[-3000:]
    text = srv.log_path.read_text(errors="replace")
    assert OPER_PASSWORD not in text and secret_wrong not in text


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback")
def test_ipv6_failures_count_against_the_block(server_factory):
    """Over IPv6 the address key is the network block (one host easily has a
    whole /64), so the wait names "address" and the log shows the block."""
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"oper_free_failures": 1, "oper_delay": 60}},
                         extra_args=["--listen", "[::1]:0"])
    assert wait_for(lambda: re.search(r"listening on \[::1\]:(\d+)", srv.log()), timeout=5)
    port = int(re.search(r"listening on \[::1\]:(\d+)", srv.log()).group(1))
    sock = socket.create_connection(("::1", port), timeout=5)
    nick = unique("Six")
    sock.sendall(f"NICK {nick}\r\nUSER six 0 * :x\r\n".encode())
    for i in range(2):
        sock.sendall(f"OPER v6name{i} wrong\r\n".encode())
    sock.sendall(b"OPER v6name9 wrong\r\nPING end\r\n")
    data = b""
    deadline = time.monotonic() + 20
    while b"PONG" not in data and time.monotonic() < deadline:
        data += sock.recv(65536)
    sock.close()
    text = data.decode()
    assert text.count(" 464 ") == 2, text
    assert "FAIL OPER RATE_LIMITED" in text and "this address" in text, text
    # The log names the key counted: the /64, not the address.
    assert wait_for(lambda: re.search(r"too many failures from this address \([0-9a-f:]+/64\)",
                                      srv.log()), timeout=5), srv.log()[-2000:]
