"""Message history: the store, draft/chathistory, replay on join, read
markers, redaction and retention.

Specs: IRCv3 draft/chathistory, batch, server-time, message-tags,
draft/event-playback, draft/read-marker, draft/message-redaction.
"""
import datetime
import re
import sqlite3
import time

from conftest import unique, wait_for

HIST_CAPS = ["batch", "draft/chathistory", "server-time", "message-tags", "echo-message"]
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def ts(dt: datetime.datetime) -> str:
    return "timestamp=" + dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def history(c, *args):
    """Sends CHATHISTORY and returns (batch lines, fail or None)."""
    c.send("CHATHISTORY " + " ".join(args))
    first = c.expect(("BATCH", "FAIL"))
    if first.command == "FAIL":
        return [], first
    assert first.params[0].startswith("+"), first.text
    ref = first.params[0][1:]
    lines = []
    while True:
        m = c.get()
        if m.command == "BATCH" and m.params[0] == "-" + ref:
            return lines, None
        assert m.tags.get("batch") == ref, f"line outside the batch: {m.text}"
        lines.append(m)


def texts(lines):
    return [m.params[-1] for m in lines if m.command in ("PRIVMSG", "NOTICE")]


def talk(sender, target, words):
    """Sends each word; returns the echoes (msgid, time) in order."""
    echoes = []
    for w in words:
        sender.send(f"PRIVMSG {target} :{w}")
        e = sender.expect("PRIVMSG", params=[None, w])
        echoes.append(e)
    sender.sync()
    return echoes


def test_isupport_and_caps(server):
    c = server.client(unique("h"), caps=HIST_CAPS)
    assert c.isupport.get("CHATHISTORY") == "100"
    assert c.isupport.get("MSGREFTYPES") == "msgid,timestamp"
    c2 = server.connect()
    c2.send("CAP LS 302")
    ls = c2.read_cap_ls()
    for cap in ("batch", "draft/chathistory", "draft/event-playback",
                "draft/read-marker", "draft/message-redaction"):
        assert cap in ls


def test_latest_room_in_a_batch_with_time_and_msgid(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    a.sync()
    echoes = talk(a, chan, [f"m{i}" for i in range(5)])
    b = server.client(unique("b"), caps=HIST_CAPS)
    b.join(chan)
    b.sync()
    a.send(f"CHATHISTORY LATEST {chan} * 10")
    batch = a.expect("BATCH")
    assert batch.params[1:] == ["chathistory", chan]
    lines, fail = history(b, "LATEST", chan, "*", "3")
    assert fail is None
    assert texts(lines) == ["m2", "m3", "m4"]
    for line, echo in zip(lines, echoes[2:]):
        assert line.tags["msgid"] == echo.tags["msgid"]
        assert TIME_RE.match(line.tags["time"])
        assert line.tags["time"] == echo.tags["time"]
        assert line.nick == a.nick


def test_before_after_around_between_by_msgid(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    a.sync()
    words = [f"w{i}" for i in range(10)]
    echoes = talk(a, chan, words)
    mid = echoes[5].tags["msgid"]
    lines, _ = history(a, "BEFORE", chan, f"msgid={mid}", "3")
    assert texts(lines) == ["w2", "w3", "w4"]
    lines, _ = history(a, "AFTER", chan, f"msgid={mid}", "3")
    assert texts(lines) == ["w6", "w7", "w8"]
    lines, _ = history(a, "AROUND", chan, f"msgid={mid}", "4")
    assert texts(lines) == ["w3", "w4", "w5", "w6"]
    lo, hi = echoes[1].tags["msgid"], echoes[7].tags["msgid"]
    lines, _ = history(a, "BETWEEN", chan, f"msgid={lo}", f"msgid={hi}", "100")
    assert texts(lines) == words[2:7]
    lines, _ = history(a, "BETWEEN", chan, f"msgid={lo}", f"msgid={hi}", "2")
    assert texts(lines) == ["w2", "w3"], "forwards: the limit counts from the first ref"
    lines, _ = history(a, "BETWEEN", chan, f"msgid={hi}", f"msgid={lo}", "2")
    assert texts(lines) == ["w5", "w6"], "backwards: from the first ref, still oldest first"
    lines, _ = history(a, "LATEST", chan, f"msgid={mid}", "100")
    assert texts(lines) == words[6:]


def test_timestamps(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    a.sync()
    talk(a, chan, ["old1", "old2"])
    time.sleep(0.05)
    cut = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.05)
    talk(a, chan, ["new1", "new2"])
    lines, _ = history(a, "AFTER", chan, ts(cut), "10")
    assert texts(lines) == ["new1", "new2"]
    lines, _ = history(a, "BEFORE", chan, ts(cut), "10")
    assert texts(lines) == ["old1", "old2"]
    lines, _ = history(a, "LATEST", chan, ts(cut), "10")
    assert texts(lines) == ["new1", "new2"]
    start = cut - datetime.timedelta(hours=1)
    lines, _ = history(a, "BETWEEN", chan, ts(start), ts(cut), "10")
    assert texts(lines) == ["old1", "old2"]
    lines, _ = history(a, "AROUND", chan, ts(cut), "2")
    assert texts(lines) == ["old2", "new1"]


def test_limits_and_bad_parameters(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    a.sync()
    talk(a, chan, [f"x{i}" for i in range(3)])
    for args, code in [
        (("LATEST", chan, "*", "0"), "INVALID_PARAMS"),
        (("LATEST", chan, "*", "abc"), "INVALID_PARAMS"),
        (("BEFORE", chan, "*", "5"), "INVALID_PARAMS"),
        (("BEFORE", chan, "timestamp=yesterday", "5"), "INVALID_PARAMS"),
        (("BEFORE", chan, "nonsense", "5"), "INVALID_PARAMS"),
        (("SIDEWAYS", chan, "*", "5"), "INVALID_PARAMS"),
        (("BETWEEN", chan, "*", "5"), "NEED_MORE_PARAMS"),
        (("LATEST", "#" + unique("nosuch"), "*", "5"), "INVALID_TARGET"),
        (("LATEST", "bad,nick", "*", "5"), "INVALID_TARGET"),
    ]:
        lines, fail = history(a, *args)
        assert fail is not None and fail.params[:2] == ["CHATHISTORY", code], (args, fail)
    # An unknown msgid is an empty batch; the limit is capped at CHATHISTORY=.
    lines, fail = history(a, "BEFORE", chan, "msgid=nope", "5")
    assert fail is None and lines == []
    lines, fail = history(a, "LATEST", chan, "*", "100000")
    assert fail is None and texts(lines) == ["x0", "x1", "x2"]


def test_query_limit_config(server_factory):
    s = server_factory(config={"history": {"query_limit": 4}})
    chan = "#" + unique("r")
    a = s.client(unique("a"), caps=HIST_CAPS)
    assert a.isupport.get("CHATHISTORY") == "4"
    a.join(chan)
    talk(a, chan, [f"q{i}" for i in range(10)])
    lines, _ = history(a, "LATEST", chan, "*", "50")
    assert texts(lines) == ["q6", "q7", "q8", "q9"]


def test_private_history_only_for_its_two_parties(server):
    a = server.client(unique("a"), caps=HIST_CAPS)
    b = server.client(unique("b"), caps=HIST_CAPS)
    eve = server.client(unique("e"), caps=HIST_CAPS)
    talk(a, b.nick, ["secret one", "secret two"])
    b.sync()
    b.send(f"PRIVMSG {a.nick} :reply")
    b.expect("PRIVMSG", params=[None, "reply"])
    a.sync()
    lines, _ = history(a, "LATEST", b.nick, "*", "10")
    assert texts(lines) == ["secret one", "secret two", "reply"]
    lines, _ = history(b, "LATEST", a.nick.upper(), "*", "10")
    assert texts(lines) == ["secret one", "secret two", "reply"]
    lines, _ = history(eve, "LATEST", a.nick, "*", "10")
    assert lines == [], "a third party sees nothing of a private conversation"
    lines, _ = history(eve, "LATEST", b.nick, "*", "10")
    assert lines == []


def test_room_permissions(server):
    chan = "#" + unique("r")
    op = server.client(unique("op"), caps=HIST_CAPS)
    op.join(chan)
    talk(op, chan, ["public words"])
    outsider = server.client(unique("out"), caps=HIST_CAPS)
    lines, fail = history(outsider, "LATEST", chan, "*", "10")
    assert fail is None and texts(lines) == ["public words"], "a public room is readable"
    for mode in ("+s", "+i", "+k key"):
        op.send(f"MODE {chan} {mode}")
        op.sync()
        lines, fail = history(outsider, "LATEST", chan, "*", "10")
        assert fail is not None and fail.params[1] == "INVALID_TARGET", mode
        lines, fail = history(op, "LATEST", chan, "*", "10")
        assert fail is None and texts(lines) == ["public words"], "members still can"
        op.send(f"MODE {chan} -{mode[1:]}")
        op.sync()
    op.send(f"MODE {chan} +b {outsider.nick}!*@*")
    op.sync()
    lines, fail = history(outsider, "LATEST", chan, "*", "10")
    assert fail is not None, "a banned person may not read"


def test_room_config_hides_history_from_before_join(server_factory):
    chan = "#" + unique("r")
    s = server_factory(config={f"room {chan}": {"history_before_join": "false"}})
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, ["before you came"])
    b = s.client(unique("b"), caps=HIST_CAPS)
    lines, fail = history(b, "LATEST", chan, "*", "10")
    assert fail is not None, "non-members see nothing of such a room"
    time.sleep(0.01)
    b.join(chan)
    b.sync()
    talk(a, chan, ["after you came"])
    b.sync()
    lines, fail = history(b, "LATEST", chan, "*", "10")
    assert texts(lines) == ["after you came"]
    lines, _ = history(a, "LATEST", chan, "*", "10")
    assert texts(lines) == ["before you came", "after you came"]


def test_event_playback(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS + ["draft/event-playback"])
    a.join(chan)
    b = server.client(unique("b"))
    b.join(chan)
    b.sync()
    a.send(f"TOPIC {chan} :new topic")
    a.sync()
    b.send(f"PRIVMSG {chan} :hi")
    b.send(f"PART {chan} :bye")
    b.sync()
    a.sync()
    # JOIN/PART are stored but never held until commit (see natterd.8,
    # HISTORY), so the PART may reach the file a moment after b saw it.
    got = {}
    def all_events_stored():
        got["lines"], _ = history(a, "LATEST", chan, "*", "10")
        return [m.command for m in got["lines"]] == ["JOIN", "JOIN", "TOPIC", "PRIVMSG", "PART"]
    assert wait_for(all_events_stored, timeout=10), got["lines"]
    lines = got["lines"]
    for m in lines:
        assert "msgid" in m.tags and TIME_RE.match(m.tags["time"])
    plain = server.client(unique("p"), caps=HIST_CAPS)
    lines, _ = history(plain, "LATEST", chan, "*", "10")
    assert [m.command for m in lines] == ["PRIVMSG"], "no events without event-playback"


def test_labeled_chathistory_is_one_labeled_batch(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS + ["labeled-response"])
    a.join(chan)
    talk(a, chan, ["one", "two"])
    a.send(f"@label=hist1 CHATHISTORY LATEST {chan} * 10")
    outer = a.expect("BATCH")
    assert outer.tags.get("label") == "hist1" and outer.params[1] == "labeled-response"
    inner = a.expect("BATCH")
    assert inner.params[1:] == ["chathistory", chan]
    assert inner.tags.get("batch") == outer.params[0][1:], "chathistory nests in the label's"
    lines = a.collect_until("BATCH", params=["-" + inner.params[0][1:]])[:-1]
    assert texts(lines) == ["one", "two"]
    a.expect("BATCH", params=["-" + outer.params[0][1:]])


def test_notice_is_stored(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    a.send(f"NOTICE {chan} :a notice")
    a.expect("NOTICE", params=[chan, "a notice"])
    lines, _ = history(a, "LATEST", chan, "*", "10")
    assert [(m.command, m.params[-1]) for m in lines] == [("NOTICE", "a notice")]


def test_targets(server):
    chan = "#" + unique("r")
    a = server.client(unique("a"), caps=HIST_CAPS)
    b = server.client(unique("b"), caps=HIST_CAPS)
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    a.join(chan)
    talk(a, chan, ["room line"])
    talk(a, b.nick, ["pm line"])
    end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
    a.send(f"CHATHISTORY TARGETS {ts(start)} {ts(end)} 10")
    batch = a.expect("BATCH")
    assert batch.params[1] == "draft/chathistory-targets"
    got = a.collect_until("BATCH", params=["-" + batch.params[0][1:]])[:-1]
    names = [m.params[1].lower() for m in got if m.command == "CHATHISTORY"]
    assert names == [chan.lower(), b.nick.lower()]
    for m in got:
        assert m.params[0] == "TARGETS" and TIME_RE.match(m.params[2])


def test_replay_on_join_without_the_capability(server_factory):
    s = server_factory(config={"history": {"replay_on_join": 3}})
    chan = "#" + unique("r")
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, [f"r{i}" for i in range(5)])
    plain = s.client(unique("p"))
    got = plain.join(chan) + plain.sync()
    assert [m.params[-1] for m in got if m.command == "PRIVMSG"] == ["r2", "r3", "r4"]
    assert all(not m.tags for m in got if m.command == "PRIVMSG"), "no tags unasked"
    timed = s.client(unique("t"), caps=["server-time"])
    got = timed.join(chan) + timed.sync()
    replay = [m for m in got if m.command == "PRIVMSG"]
    assert [m.params[-1] for m in replay] == ["r2", "r3", "r4"]
    assert all(TIME_RE.match(m.tags["time"]) for m in replay)
    hist = s.client(unique("h"), caps=HIST_CAPS)
    got = hist.join(chan) + hist.sync()
    assert [m for m in got if m.command == "PRIVMSG"] == [], "chathistory clients ask"


def test_replay_on_join_disabled(server_factory):
    s = server_factory(config={"history": {"replay_on_join": 0}})
    chan = "#" + unique("r")
    a = s.client(unique("a"))
    a.join(chan)
    a.send(f"PRIVMSG {chan} :quiet")
    a.sync()
    b = s.client(unique("b"))
    got = b.join(chan) + b.sync()
    assert [m for m in got if m.command == "PRIVMSG"] == []


def test_history_survives_restart(server_factory):
    s = server_factory()
    chan = "#lobby"
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, ["kept 1", "kept 2"])
    s.stop()
    s.start()
    b = s.client(unique("b"), caps=HIST_CAPS)
    b.join(chan)
    lines, _ = history(b, "LATEST", chan, "*", "10")
    assert texts(lines) == ["kept 1", "kept 2"]


def test_redaction(server):
    chan = "#" + unique("r")
    caps = HIST_CAPS + ["draft/message-redaction"]
    op = server.client(unique("op"), caps=caps)
    op.join(chan)
    a = server.client(unique("a"), caps=caps)
    a.join(chan)
    b = server.client(unique("b"), caps=HIST_CAPS)
    b.join(chan)
    op.sync()
    e1, e2, e3 = talk(a, chan, ["keep", "oops", "rude"])
    # b is not the sender nor an operator
    b.send(f"REDACT {chan} {e2.tags['msgid']}")
    fail = b.expect("FAIL")
    assert fail.params[:2] == ["REDACT", "REDACT_FORBIDDEN"]
    # the sender redacts their own
    a.send(f"REDACT {chan} {e2.tags['msgid']} :typo")
    got = a.expect("REDACT")
    assert got.params == [chan, e2.tags["msgid"], "typo"]
    r = op.expect("REDACT")
    assert r.params[1] == e2.tags["msgid"] and r.nick == a.nick
    # an operator redacts someone else's
    op.send(f"REDACT {chan} {e3.tags['msgid']}")
    a.expect("REDACT", params=[chan, e3.tags["msgid"]])
    assert [m for m in b.sync() if m.command == "REDACT"] == [], "only with the capability"
    lines, _ = history(b, "LATEST", chan, "*", "10")
    assert texts(lines) == ["keep"]
    a.send(f"REDACT {chan} msgid-that-is-not")
    assert a.expect("FAIL").params[:2] == ["REDACT", "UNKNOWN_MSGID"]
    a.send(f"REDACT #{unique('x')} {e1.tags['msgid']}")
    assert a.expect("FAIL").params[:2] == ["REDACT", "INVALID_TARGET"]


def test_read_markers(server):
    caps = HIST_CAPS + ["draft/read-marker"]
    chan = "#" + unique("r")
    nick = unique("rm")
    a = server.client(nick, caps=caps)
    got = a.join(chan)
    marks = [m for m in got if m.command == "MARKREAD"]
    assert [m.params for m in marks] == [[chan, "*"]]
    assert got.index(marks[0]) < [m.command for m in got].index("366")
    a.send(f"MARKREAD {chan} timestamp=2026-01-02T03:04:05.678Z")
    assert a.expect("MARKREAD").params == [chan, "timestamp=2026-01-02T03:04:05.678Z"]
    # An older marker does not move it back.
    a.send(f"MARKREAD {chan} timestamp=2025-01-01T00:00:00.000Z")
    assert a.expect("MARKREAD").params == [chan, "timestamp=2026-01-02T03:04:05.678Z"]
    a.send(f"MARKREAD {chan}")
    assert a.expect("MARKREAD").params == [chan, "timestamp=2026-01-02T03:04:05.678Z"]
    a.send(f"MARKREAD {chan} yesterday")
    assert a.expect("FAIL").params[:2] == ["MARKREAD", "INVALID_PARAMS"]
    a.send("QUIT")
    a.expect_closed()
    # The same person, back later, gets it on join.
    def stored():
        b = server.client(nick, caps=caps)
        got = b.join(chan)
        b.send("QUIT")
        b.expect_closed()
        return [m.params for m in got if m.command == "MARKREAD"] == \
            [[chan, "timestamp=2026-01-02T03:04:05.678Z"]]
    assert wait_for(stored, timeout=5)


def test_retention_by_count(server_factory):
    chan = "#" + unique("r")
    s = server_factory(config={"history": {"retention_interval": 1, "max_lines_per_target": 3,
                                           "store_joins": "false"}})
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(chan)
    talk(a, chan, [f"n{i}" for i in range(8)])

    def trimmed():
        lines, _ = history(a, "LATEST", chan, "*", "100")
        return texts(lines) == ["n5", "n6", "n7"]
    assert wait_for(trimmed, timeout=10, interval=0.2)


def test_retention_per_room_and_by_age(server_factory):
    keep = "#" + unique("keep")
    short = "#" + unique("short")
    s = server_factory(config={"history": {"retention_interval": 1, "max_age": 1},
                               f"room {keep}": {"history_max_age": 0}})
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(keep)
    a.join(short)
    talk(a, keep, ["stays"])
    talk(a, short, ["goes"])

    def aged():
        lines, _ = history(a, "LATEST", short, "*", "100")
        return texts(lines) == []
    assert wait_for(aged, timeout=10, interval=0.2)
    lines, _ = history(a, "LATEST", keep, "*", "100")
    assert texts(lines) == ["stays"]
    assert "unknown" not in s.log(), "[history] and [room #x] are known to the config check"


def test_store_schema(server_factory):
    s = server_factory()
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join("#lobby")
    talk(a, "#lobby", ["row"])
    s.stop()
    db = sqlite3.connect(s.data_dir / "natterd.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    idx = {r[1] for r in db.execute("PRAGMA index_list(history)")}
    assert {"history_target_time", "history_msgid"} <= idx
    assert db.execute("SELECT version FROM schema_version").fetchone()[0] >= 2
    rows = db.execute("SELECT target, kind, line FROM history WHERE kind = 1").fetchall()
    assert rows == [("#lobby", 1, f":{a.nick}!{rows[0][2].split('!')[1].split(' ')[0]} "
                     "PRIVMSG #lobby :row")]
    db.close()
    s.start()


def test_history_disabled(server_factory):
    s = server_factory(config={"history": {"enabled": "false"}})
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.send("CHATHISTORY LATEST #lobby * 10")
    assert a.expect("FAIL").params[:2] == ["CHATHISTORY", "UNKNOWN_COMMAND"]


def test_bad_history_config_is_refused(server_factory):
    s = server_factory(config={"history": {"batch_max": "0"}}, start=False)
    try:
        s.start()
        raise AssertionError("natterd started with batch_max=0")
    except AssertionError as e:
        assert "batch_max" in str(e)
    s.expect_exit = True


# ------------------------------------------------------- accounts

ACC = {"accounts": {"argon2_ops": "1", "argon2_mem_kib": "8192"}}
PASSWORD = "correct horse battery"


def make_account(srv, name, caps=None):
    """Registers @name as nick and account; returns the logged-in client."""
    c = srv.client(name, caps=caps)
    c.send(f"REGISTER * * :{PASSWORD}")
    c.expect("REGISTER", params=["SUCCESS"])
    c.expect("900")
    return c


def login(srv, name, caps, nick=None):
    """A new connection logged in to @name with PASS (nick @nick)."""
    c = srv.connect(name=nick or name)
    if caps:
        c.send("CAP LS 302")
        c.read_cap_ls()
        c.send("CAP REQ :" + " ".join(caps))
        c.expect("CAP", params=[None, "ACK"])
    c.send(f"PASS :{name}:{PASSWORD}")
    c.send(f"NICK {nick or name}")
    c.send("USER u 0 * :x")
    if caps:
        c.send("CAP END")
    got = c.collect_until(("376", "422"), timeout=20)
    c.nick = nick or name
    return c, got


def test_offline_private_messages_delivered_at_login(server_factory):
    s = server_factory(config=ACC)
    bob = unique("bob")
    make_account(s, bob).close()
    alice = s.client(unique("al"), caps=["echo-message", "server-time", "message-tags"])
    wait_for(lambda: alice.sync() is not None)  # bob's QUIT has gone through
    alice.send(f"PRIVMSG {bob} :while you were out")
    echo = alice.expect("PRIVMSG", params=[bob, "while you were out"])
    time.sleep(0.02)
    alice.send(f"PRIVMSG {bob} :second")
    alice.expect("PRIVMSG", params=[bob, "second"])
    assert [m for m in alice.sync() if m.command == "401"] == []
    stranger = unique("nobody")
    alice.send(f"PRIVMSG {stranger} :lost")
    assert alice.expect("401").params[1] == stranger, "no account: no such nick, as before"
    time.sleep(0.05)
    c, got = login(s, bob, ["server-time", "message-tags"])
    pms = [m for m in got + c.sync() if m.command == "PRIVMSG"]
    assert [m.params for m in pms] == [[bob, "while you were out"], [bob, "second"]]
    assert pms[0].tags["time"] == echo.tags["time"], "the original time"
    assert pms[0].tags["msgid"] == echo.tags["msgid"]
    assert pms[0].nick == alice.nick
    c.send("QUIT")
    c.expect_closed()
    # Delivered once: not again at the next login.
    def delivered_once():
        d, got = login(s, bob, ["server-time"])
        d.send("QUIT")
        d.expect_closed()
        return [m for m in got if m.command == "PRIVMSG"] == []
    assert wait_for(delivered_once, timeout=10, interval=0.2)


def test_private_history_follows_the_account(server_factory):
    s = server_factory(config=ACC)
    name = unique("acc")
    a = make_account(s, name, caps=HIST_CAPS)
    friend = s.client(unique("fr"), caps=HIST_CAPS)
    talk(friend, name, ["for the account"])
    a.sync()
    a.send("QUIT")
    a.expect_closed()
    # The same account under another nick reads its conversation.
    other_nick = unique("alt")
    c, _ = login(s, name, HIST_CAPS, nick=other_nick)
    lines, _ = history(c, "LATEST", friend.nick, "*", "10")
    assert texts(lines) == ["for the account"]
    # The friend finds it by the account's name or its current nick.
    for target in (name, other_nick):
        lines, _ = history(friend, "LATEST", target, "*", "10")
        assert texts(lines) == ["for the account"], target
    # A third person finds nothing of it.
    third = s.client(unique("th"), caps=HIST_CAPS)
    for target in (name, friend.nick):
        lines, _ = history(third, "LATEST", target, "*", "10")
        assert lines == [], target


def test_read_marker_synced_across_an_accounts_connections(server_factory):
    s = server_factory(config=ACC)
    name = unique("rm")
    caps = HIST_CAPS + ["draft/read-marker"]
    first = make_account(s, name, caps=caps)
    second, _ = login(s, name, caps, nick=unique("rm2"))
    chan = "#" + unique("r")
    first.send(f"MARKREAD {chan} timestamp=2026-03-04T05:06:07.089Z")
    assert first.expect("MARKREAD").params == [chan, "timestamp=2026-03-04T05:06:07.089Z"]
    got = second.expect("MARKREAD")
    assert got.params == [chan, "timestamp=2026-03-04T05:06:07.089Z"]
    stranger = s.client(unique("st"), caps=caps)
    assert [m for m in stranger.sync() if m.command == "MARKREAD"] == []


def test_retention_overall_count(server_factory):
    s = server_factory(config={"history": {"retention_interval": 1, "max_lines": 4,
                                           "store_joins": "false"}})
    one, two = "#" + unique("one"), "#" + unique("two")
    a = s.client(unique("a"), caps=HIST_CAPS)
    a.join(one)
    a.join(two)
    talk(a, one, ["o1", "o2", "o3"])
    talk(a, two, ["t1", "t2", "t3"])

    def trimmed():
        l1, _ = history(a, "LATEST", one, "*", "100")
        l2, _ = history(a, "LATEST", two, "*", "100")
        return texts(l1) == ["o3"] and texts(l2) == ["t1", "t2", "t3"]
    assert wait_for(trimmed, timeout=10, interval=0.2), "the newest 4 lines in all are kept"
