"""IRCv3 batch and labeled-response (https://ircv3.net/specs/extensions/
labeled-response, .../batch), with raw lines. Also the msgid and server
time that every composed message carries from the moment it is made."""
from __future__ import annotations

from conftest import unique

CAPS = ["batch", "labeled-response", "message-tags"]


def chan() -> str:
    return "#" + unique("lr")


def test_caps_advertised(server):
    c = server.connect()
    c.send("CAP LS 302")
    ls = c.read_cap_ls()
    assert "batch" in ls and "labeled-response" in ls


def test_no_reply_gets_ack(server):
    """A labeled command with no reply gets ACK with the label."""
    c = server.client(unique("a"), caps=CAPS)
    c.send("@label=pong1 PONG :whatever")
    ack = c.expect("ACK")
    assert ack.tags.get("label") == "pong1"
    assert ack.source == "irc.systest.natter"


def test_one_line_reply_carries_label(server):
    c = server.client(unique("a"), caps=CAPS)
    c.send("@label=p1 PING :tok")
    pong = c.expect("PONG")
    assert pong.tags.get("label") == "p1"
    assert "batch" not in pong.tags
    # Nothing else follows for that label: no ACK, no BATCH.
    after = c.sync()
    assert not [m for m in after if m.command in ("ACK", "BATCH")], after


def test_multi_line_reply_is_wrapped_in_batch(server):
    c = server.client(unique("a"), caps=CAPS)
    ch = chan()
    c.send(f"@label=j1 JOIN {ch}")
    start = c.expect("BATCH")
    assert start.tags.get("label") == "j1"
    assert start.params[0].startswith("+") and start.params[1] == "labeled-response"
    ref = start.params[0][1:]
    inner = []
    while True:
        m = c.get()
        if m.command == "BATCH":
            assert m.params[0] == "-" + ref
            break
        inner.append(m)
    commands = [m.command for m in inner]
    assert commands[0] == "JOIN" and "353" in commands and commands[-1] == "366"
    for m in inner:
        assert m.tags.get("batch") == ref, m.text
        assert "label" not in m.tags, m.text


def test_error_reply_is_labeled(server):
    c = server.client(unique("a"), caps=CAPS)
    c.send("@label=e1 NOSUCHCOMMAND")
    err = c.expect("421")
    assert err.tags.get("label") == "e1"


def test_label_ignored_without_the_cap(server):
    c = server.client(unique("a"), caps=["message-tags"])
    c.send("@label=x PING :tok")
    pong = c.expect("PONG")
    assert "label" not in pong.tags
    c.send("@label=y PONG :x")
    assert not [m for m in c.sync() if m.command == "ACK"]


def test_without_batch_only_one_line_is_labeled(server):
    """labeled-response spec: if batch is not enabled, the tag MAY be
    included on only one of the messages in the response."""
    c = server.client(unique("a"), caps=["labeled-response", "message-tags"])
    c.send(f"@label=nb JOIN {chan()}")
    got = c.collect_until("366")
    assert not [m for m in got if m.command == "BATCH"]
    labeled = [m for m in got if "label" in m.tags]
    assert len(labeled) == 1 and labeled[0].command == "JOIN"


def test_labeled_privmsg_echo_is_the_response(server):
    """The echo-message copy is the response to a labeled PRIVMSG; other
    members get no label."""
    a = server.client(unique("a"), caps=CAPS + ["echo-message"])
    b = server.client(unique("b"), caps=CAPS)
    ch = chan()
    a.join(ch)
    b.join(ch)
    a.sync()
    a.send(f"@label=m1 PRIVMSG {ch} :hello")
    echo = a.expect("PRIVMSG")
    assert echo.tags.get("label") == "m1" and echo.params == [ch, "hello"]
    got = b.expect("PRIVMSG")
    assert "label" not in got.tags
    # The same message: one msgid for every copy.
    assert got.tags["msgid"] == echo.tags["msgid"]


def test_labeled_privmsg_without_echo_gets_ack(server):
    a = server.client(unique("a"), caps=CAPS)
    b = server.client(unique("b"))
    a.send(f"@label=m2 PRIVMSG {b.nick} :hi")
    ack = a.expect("ACK")
    assert ack.tags.get("label") == "m2"
    assert b.expect("PRIVMSG").params == [b.nick, "hi"]


def test_overlong_label_is_ignored(server):
    c = server.client(unique("a"), caps=CAPS)
    c.send("@label=" + "x" * 65 + " PING :tok")
    pong = c.expect("PONG")
    assert "label" not in pong.tags


def test_msgid_and_time_same_for_every_recipient(server):
    """msgid and time are fixed when a message is composed: recipients with
    different capabilities see the same values."""
    a = server.client(unique("a"))
    tags = server.client(unique("t"), caps=["message-tags", "server-time"])
    both = server.client(unique("u"), caps=["message-tags", "server-time", "batch"])
    ch = chan()
    for c in (a, tags, both):
        c.join(ch)
    for c in (a, tags, both):
        c.sync()
    a.send(f"PRIVMSG {ch} :one message")
    m1 = tags.expect("PRIVMSG")
    m2 = both.expect("PRIVMSG")
    assert m1.tags["msgid"] == m2.tags["msgid"]
    assert m1.tags["time"] == m2.tags["time"]
    # A second message gets a new id.
    a.send(f"PRIVMSG {ch} :another")
    assert tags.expect("PRIVMSG").tags["msgid"] != m1.tags["msgid"]


def test_labeled_oper_answered_after_async_check(server_factory):
    """OPER checks its password on a worker thread: the label goes with the
    late answer (381 + MODE, in a batch), never an early ACK."""
    srv = server_factory(opers={"admin": "s3cret-pass"})
    c = srv.client(unique("o"), caps=CAPS)
    c.send("@label=op1 OPER admin s3cret-pass")
    c.send("@label=pg PING :after")
    start = c.expect("BATCH")
    assert start.tags.get("label") == "op1", c.skipped
    assert not [m for m in c.skipped if m.command == "ACK"], c.skipped
    ref = start.params[0][1:]
    got = c.collect_until("BATCH", params=["-" + ref])
    assert [m.command for m in got[:-1]][0] == "381"
    assert all(m.tags.get("batch") == ref for m in got[:-1])
    pong = c.expect("PONG")
    assert pong.tags.get("label") == "pg"


def test_labeled_wrong_oper_password(server_factory):
    srv = server_factory(opers={"admin": "s3cret-pass"})
    c = srv.client(unique("o"), caps=CAPS)
    c.send("@label=op2 OPER admin wrong")
    err = c.expect("464")
    assert err.tags.get("label") == "op2"
    assert not [m for m in c.skipped if m.command == "ACK"]


def test_message_to_self_is_not_the_response(server):
    """labeled-response: a message a client sends itself without
    echo-message is a side effect; the label goes on an ACK."""
    c = server.client(unique("s"), caps=CAPS)
    c.send(f"@label=me1 PRIVMSG {c.nick} :note to self")
    got = c.collect_until("ACK")
    assert got[-1].tags.get("label") == "me1"
    pm = [m for m in got if m.command == "PRIVMSG"]
    assert len(pm) == 1 and "label" not in pm[0].tags


def test_standard_replies_cap_and_fail_for_new_errors(server):
    """standard-replies is offered; the new errors use FAIL (LIST, RENAME)."""
    c = server.client(unique("f"), caps=["standard-replies"])
    c.send("LIST >x")
    fail = c.expect("FAIL")
    assert fail.params[:2] == ["LIST", "INVALID_PARAMS"]


def test_caps_are_independent(server):
    """Each capability has its own bit: requesting one never enables
    another (two caps once shared a bit after parallel merges)."""
    c = server.connect()
    c.send("CAP LS 302")
    ls = sorted(c.read_cap_ls())
    requestable = [cap for cap in ls if cap not in ("sts",)]
    for cap in requestable:
        probe = server.connect()
        probe.send("CAP LS 302")
        probe.read_cap_ls()
        probe.send(f"CAP REQ :{cap}")
        ack = probe.expect("CAP", params=[None, lambda s: s in ("ACK", "NAK")])
        if ack.params[1] != "ACK":
            continue
        probe.send("CAP LIST")
        listed = set(probe.expect("CAP", params=[None, "LIST"]).params[-1].split())
        # cap-notify is implied by CAP LS 302.
        assert listed - {"cap-notify"} == {cap} - {"cap-notify"}, (cap, listed)
        probe.close()
