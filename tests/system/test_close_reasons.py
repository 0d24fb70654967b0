"""Close reasons: one enum, the text derived from it, counted per reason and
shown to operators by STATS c (issue 9, "Close reasons are an enum")."""
import re
import select
import time

from conftest import ConnectionClosed, unique

OPER_PASSWORD = "c0rrect-horse-battery"


def stats(client, letter):
    client.send(f"STATS {letter}")
    got = client.collect_until(("219", "481"), timeout=10)
    return [m for m in got if m.command in ("249", "242", "481")]


def close_counts(oper):
    counts = {}
    for m in stats(oper, "c"):
        assert m.command == "249" and m.params[1] == "c", m.text
        name, count = m.params[-1].split()
        counts[name] = int(count)
    return counts


def become_oper(client):
    client.send(f"OPER admin {OPER_PASSWORD}")
    client.expect("381", timeout=20)


def wait_closed_keeping_alive(victim, keeper, timeout=15):
    """Reads @victim until the server closes it, while @keeper keeps talking
    (so that a short ping_interval does not close the keeper too)."""
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        keeper.sync()
        if select.select([victim.sock], [], [], 0.3)[0]:
            try:
                got.append(victim.get(timeout=1))
            except ConnectionClosed:
                return got
            except TimeoutError:
                pass
    raise AssertionError(f"{victim.name} not closed; got {got}")


def test_each_close_reason_has_its_text_and_is_counted(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD},
                         config={"limits": {"registration_timeout": 2,
                                            "ping_interval": 3, "ping_timeout": 2}})
    op = srv.client(unique("Op"))
    become_oper(op)
    before = close_counts(op)
    assert set(before) >= {"quit", "eof", "ping_timeout", "registration_timeout",
                           "sendq", "killed", "shutdown", "read_error", "write_error",
                           "excess_flood", "error"}, before
    chan = "#" + unique("cr")
    op.join(chan)

    quitter = srv.client(unique("Q"))
    quitter.join(chan)
    quitter.send("QUIT :see you")
    assert quitter.expect_closed()[-1].params[-1] == "Quit: see you"
    assert op.expect("QUIT").params[-1] == "Quit: see you"

    bare = srv.client(unique("Qb"))
    bare.join(chan)
    bare.send("QUIT")
    assert op.expect("QUIT").params[-1] == "Quit"

    hangup = srv.client(unique("H"))
    hangup.join(chan)
    hangup.close()
    assert op.expect("QUIT").params[-1] == "Connection closed"

    victim = srv.client(unique("V"))
    victim.join(chan)
    op.send(f"KILL {victim.nick} :enough")
    assert victim.expect_closed()[-1].params[-1] == f"Killed ({op.nick} (enough))"

    silent = srv.client(unique("S"), auto_pong=False)
    got = wait_closed_keeping_alive(silent, op)
    assert re.fullmatch(r"Ping timeout: \d+ seconds", got[-1].params[-1]), got[-1].text

    unreg = srv.connect("unreg")
    got = wait_closed_keeping_alive(unreg, op)
    assert got[-1].command == "ERROR" and got[-1].params[-1] == "Registration timed out"

    op.sync()
    after = close_counts(op)
    delta = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert delta == {"quit": 2, "eof": 1, "killed": 1, "ping_timeout": 1,
                     "registration_timeout": 1}, delta


def test_stats_close_reasons_are_for_operators(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD})
    a = srv.client(unique("No"))
    assert [m.command for m in stats(a, "c")] == ["481"]
    assert [m.command for m in stats(a, "a")] == ["481"]
    up = stats(a, "u")
    assert len(up) == 1 and up[0].command == "242", up
    assert re.fullmatch(r"Server Up \d+ days \d+:\d\d:\d\d", up[0].params[-1]), up[0].text
    a.send("STATS")
    a.expect("461")
    a.send("STATS x")
    assert a.expect("219").params[1] == "x"
    a.send("STATS é")                   # never half a UTF-8 character back
    assert a.expect("219").params[1] == "*"


def test_stats_a_counts_password_checks(server_factory):
    srv = server_factory(opers={"admin": OPER_PASSWORD})
    op = srv.client(unique("Op"))
    op.send("OPER admin wrong")
    op.expect("464", timeout=20)
    become_oper(op)
    lines = {m.params[-1].split()[0]: m.params[-1] for m in stats(op, "a")}
    assert set(lines) == {"password", "lookup"}, lines
    fields = dict(f.split("=") for f in lines["password"].split()[1:])
    assert fields["submitted"] == "2" and fields["completed"] == "2", lines
    assert fields["pending"] == "0" and fields["limit"] == "64", lines
