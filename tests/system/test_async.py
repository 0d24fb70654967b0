"""Async work (a password check on a worker thread) keeps replies in order.

While a client waits for a password check, its next lines wait in its input
buffer and are handled after the answer (issue 9, defect 1; async.h).
"""
import pytest

from conftest import privmsgs, unique

OPER_PASSWORD = "c0rrect-horse-battery"


@pytest.fixture
def oper_server(server_factory):
    return server_factory(opers={"admin": OPER_PASSWORD})


def replies_until_pong(client, token):
    """Every message up to and including PONG @token."""
    return client.collect_until("PONG", params=[None, token], timeout=20)


def test_failed_oper_then_ping_in_one_write_answers_464_first(oper_server):
    a = oper_server.client(unique("Ord"))
    a.send_raw(b"OPER admin wrong\r\nPING first-token\r\n")
    got = [m.command for m in replies_until_pong(a, "first-token")]
    assert "464" in got, got
    assert got.index("464") < got.index("PONG"), got


def test_good_oper_then_ping_in_one_write_answers_381_first(oper_server):
    a = oper_server.client(unique("Ord"))
    a.send_raw(f"OPER admin {OPER_PASSWORD}\r\nPING tok\r\n".encode())
    got = [m.command for m in replies_until_pong(a, "tok")]
    assert "381" in got, got
    assert got.index("381") < got.index("PONG"), got


def test_second_oper_while_first_pending_gets_its_own_reply(oper_server):
    a = oper_server.client(unique("Two"))
    a.send_raw(f"OPER admin wrong\r\nOPER admin {OPER_PASSWORD}\r\nPING end\r\n".encode())
    got = [m.command for m in replies_until_pong(a, "end")
           if m.command in ("464", "381", "PONG")]
    assert got == ["464", "381", "PONG"], got


def test_three_checks_in_a_row_answer_in_command_order(oper_server):
    a = oper_server.client(unique("Row"))
    a.send_raw(b"OPER admin no1\r\nPING p1\r\nOPER nobody no2\r\nPING p2\r\n"
               b"OPER admin no3\r\nPING p3\r\n")
    got = []
    while "p3" not in got:
        m = a.get(timeout=20)
        if m.command == "464":
            got.append("464")
        elif m.command == "PONG":
            got.append(m.params[-1])
    assert got == ["464", "p1", "464", "p2", "464", "p3"], got


def test_lines_held_during_a_check_are_all_delivered_in_order(oper_server):
    a = oper_server.client(unique("Held"))
    b = oper_server.client(unique("Recv"))
    chan = "#" + unique("held")
    a.join(chan)
    b.join(chan)
    b.sync()
    # ~60 KB behind the OPER: more than the server holds (16 KiB), so it
    # must stop reading and go on after the answer without losing a line.
    lines = [f"PRIVMSG {chan} :held {i} " + "x" * 300 for i in range(200)]
    a.send_raw(("OPER admin wrong\r\n" + "".join(l + "\r\n" for l in lines)
                + "PING done\r\n").encode())
    got = replies_until_pong(a, "done")
    cmds = [m.command for m in got]
    assert cmds.index("464") < cmds.index("PONG")
    seen = []
    while len(seen) < len(lines):
        m = b.expect("PRIVMSG", timeout=20)
        seen.append(m.params[-1])
    assert seen == [l.split(" :", 1)[1] for l in lines]


def test_client_gone_during_a_check_leaves_server_serving(oper_server):
    a = oper_server.client(unique("Gone"))
    a.send_raw(b"OPER admin wrong\r\nPRIVMSG nobody :x\r\n")
    a.close()
    b = oper_server.client(unique("Still"))
    b.send(f"OPER admin {OPER_PASSWORD}")
    b.expect("381", timeout=20)
    b.sync()


def test_quit_behind_a_check_is_handled_after_it(oper_server):
    a = oper_server.client(unique("Qb"))
    w = oper_server.client(unique("Qw"))
    chan = "#" + unique("qb")
    a.join(chan)
    w.join(chan)
    w.sync()
    a.send_raw(b"OPER admin wrong\r\nQUIT :after the check\r\n")
    got = a.expect_closed(timeout=20)
    cmds = [m.command for m in got]
    assert "464" in cmds and cmds.index("464") < cmds.index("ERROR"), cmds
    m = w.expect("QUIT", timeout=20)
    assert m.params[-1] == "Quit: after the check"
