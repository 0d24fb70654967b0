"""History of what is not a plain PRIVMSG/NOTICE: QUIT and NICK (one row
per room, [history] store_joins), TAGMSG (+draft/react, +draft/reply) and
draft/multiline messages (one row, replayed as a batch or as lines).

Specs: IRCv3 draft/chathistory, draft/event-playback, draft/multiline,
message-tags (TAGMSG), batch.
"""
import datetime
import sqlite3

from conftest import unique, wait_for
from test_history import ACC, login, make_account

HIST_CAPS = ["batch", "draft/chathistory", "server-time", "message-tags", "echo-message"]
EVENTS = HIST_CAPS + ["draft/event-playback"]
ML = ["draft/multiline"]


def chathistory(c, *args):
    """CHATHISTORY ...: the batch's lines, with a nested draft/multiline
    batch as one entry ("MULTILINE", opening BATCH line, inner lines)."""
    c.send("CHATHISTORY " + " ".join(args))
    first = c.expect("BATCH")
    assert first.params[1] == "chathistory", first.text
    ref = first.params[0][1:]
    out, inner = [], None
    while True:
        m = c.get()
        if m.command == "BATCH" and m.params[0] == "-" + ref:
            assert inner is None, "the multiline batch was not closed"
            return out
        if inner is not None:
            if m.command == "BATCH" and m.params[0] == "-" + inner[1].params[0][1:]:
                out.append(inner)
                inner = None
                continue
            assert m.tags.get("batch") == inner[1].params[0][1:], m.text
            inner[2].append(m)
            continue
        assert m.tags.get("batch") == ref, f"line outside the batch: {m.text}"
        if m.command == "BATCH" and m.params[0].startswith("+"):
            assert m.params[1] == "draft/multiline", m.text
            inner = ("MULTILINE", m, [])
            continue
        out.append(m)


def commands(lines):
    return [m[0] if isinstance(m, tuple) else m.command for m in lines]


def wait_stored(c, target, want, *, timeout=10):
    """Events are stored without holding anyone (natterd.8, HISTORY): waits
    until LATEST on @target gives the commands @want; returns the lines."""
    got = {}

    def ok():
        got["lines"] = chathistory(c, "LATEST", target, "*", "50")
        return commands(got["lines"]) == want
    assert wait_for(ok, timeout=timeout), commands(got["lines"])
    return got["lines"]


def send_multiline(c, target, lines, ref="ml1"):
    c.send(f"BATCH +{ref} draft/multiline {target}")
    for text, concat in lines:
        tags = f"@batch={ref}" + (";draft/multiline-concat" if concat else "")
        c.send(f"{tags} PRIVMSG {target} :{text}")
    c.send(f"BATCH -{ref}")


# --- QUIT and NICK ----------------------------------------------------------

def test_quit_and_nick_stored_once_per_room(server):
    r1, r2 = "#" + unique("q"), "#" + unique("q")
    a = server.client(unique("a"), caps=EVENTS)
    a.join(r1)
    a.join(r2)
    b = server.client(unique("b"))
    b.join(r1)
    b.join(r2)
    b.sync()
    a.sync()
    new = unique("n")
    b.send(f"NICK {new}")
    live_nick = a.expect("NICK", params=[new])
    b.send("QUIT :gone home")
    live_quit = a.expect("QUIT")
    assert live_quit.nick == new
    for room in (r1, r2):
        lines = wait_stored(a, room, ["JOIN", "JOIN", "NICK", "QUIT"])
        nick, quit_ = lines[2], lines[3]
        assert nick.params == [new] and nick.source == live_nick.source
        assert quit_.nick == new and quit_.params[-1] == "Quit: gone home"
        # One live line, one msgid: the same in every room's history.
        assert nick.tags["msgid"] == live_nick.tags["msgid"]
        assert quit_.tags["msgid"] == live_quit.tags["msgid"]
        assert quit_.tags["time"] == live_quit.tags["time"]
        # And it is a reference in each room.
        before = chathistory(a, "BEFORE", room, "msgid=" + quit_.tags["msgid"], "1")
        assert commands(before) == ["NICK"]
    # A room b was not in has none of it.
    r3 = "#" + unique("q")
    a.join(r3)
    assert commands(wait_stored(a, r3, ["JOIN"])) == ["JOIN"]
    # Without event-playback: no events at all.
    plain = server.client(unique("p"), caps=HIST_CAPS)
    plain.join(r1)
    plain.sync()
    assert chathistory(plain, "LATEST", r1, "*", "50") == []


def test_quit_and_nick_not_stored_without_store_joins(server_factory):
    s = server_factory(config={"history": {"store_joins": "false"}})
    room = "#" + unique("q")
    a = s.client(unique("a"), caps=EVENTS)
    a.join(room)
    b = s.client(unique("b"))
    b.join(room)
    b.sync()
    new = unique("n")
    b.send(f"NICK {new}")
    a.expect("NICK", params=[new])
    b.send(f"PRIVMSG {room} :still here")
    b.send("QUIT :bye")
    a.expect("QUIT")
    a.sync()
    # The PRIVMSG is held until stored, so it is there; nothing else is.
    lines = chathistory(a, "LATEST", room, "*", "50")
    assert commands(lines) == ["PRIVMSG"]


# --- TAGMSG -----------------------------------------------------------------

def test_tagmsg_in_a_room_replayed_with_event_playback_only(server):
    room = "#" + unique("t")
    a = server.client(unique("a"), caps=EVENTS)
    a.join(room)
    a.sync()
    a.send(f"PRIVMSG {room} :nice")
    target_id = a.expect("PRIVMSG").tags["msgid"]
    a.send(f"@+draft/react=❤;+draft/reply={target_id} TAGMSG {room}")
    live = a.expect("TAGMSG")  # the echo
    a.send(f"@+typing=active TAGMSG {room}")  # over once shown: not kept
    a.expect("TAGMSG")
    a.send(f"TAGMSG {room}")  # no tags at all: nothing to keep
    a.sync()
    lines = wait_stored(a, room, ["JOIN", "PRIVMSG", "TAGMSG"])
    tm = lines[2]
    assert tm.tags["+draft/react"] == live.tags["+draft/react"]
    assert tm.tags["+draft/reply"] == target_id
    assert tm.tags["msgid"] == live.tags["msgid"]
    assert tm.params == [room] and tm.nick == a.nick
    # Without event-playback TAGMSG is an event: not sent.
    plain = server.client(unique("p"), caps=HIST_CAPS)
    plain.join(room)
    plain.sync()
    assert commands(chathistory(plain, "LATEST", room, "*", "50")) == ["PRIVMSG"]
    # event-playback without message-tags: a TAGMSG is never sent to it.
    notags = server.client(unique("n"), caps=["batch", "draft/chathistory",
                                                "draft/event-playback"])
    notags.join(room)
    notags.sync()
    got = chathistory(notags, "LATEST", room, "*", "50")
    assert "TAGMSG" not in commands(got) and "PRIVMSG" in commands(got)


def test_private_tagmsg_stored(server):
    a = server.client(unique("a"), caps=EVENTS)
    b = server.client(unique("b"), caps=EVENTS)
    a.send(f"PRIVMSG {b.nick} :hello")
    mid = b.expect("PRIVMSG").tags["msgid"]
    b.send(f"@+draft/react=ok;+draft/reply={mid} TAGMSG {a.nick}")
    a.expect("TAGMSG")
    lines = wait_stored(a, b.nick, ["PRIVMSG", "TAGMSG"])
    assert lines[1].nick == b.nick and lines[1].tags["+draft/reply"] == mid
    lines = chathistory(b, "LATEST", a.nick, "*", "10")
    assert commands(lines) == ["PRIVMSG", "TAGMSG"]
    # A third party sees nothing of their conversation.
    c = server.client(unique("c"), caps=EVENTS)
    assert chathistory(c, "LATEST", a.nick, "*", "10") == []


def test_a_reaction_alone_is_no_news_for_targets(server):
    room = "#" + unique("t")
    a = server.client(unique("a"), caps=EVENTS)
    b = server.client(unique("b"), caps=EVENTS)
    a.join(room)
    b.join(room)
    b.sync()
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    a.send(f"@+draft/react=ok TAGMSG {b.nick}")
    a.send(f"@+draft/react=ok TAGMSG {room}")
    b.expect("TAGMSG")
    b.expect("TAGMSG")
    wait_stored(b, a.nick, ["TAGMSG"])
    wait_stored(b, room, ["JOIN", "JOIN", "TAGMSG"])
    end = start + datetime.timedelta(seconds=60)

    def fmt(dt):
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    b.send(f"CHATHISTORY TARGETS timestamp={fmt(start)} timestamp={fmt(end)} 10")
    batch = b.expect("BATCH")
    got = b.collect_until("BATCH", params=["-" + batch.params[0][1:]])[:-1]
    assert [m for m in got if m.command == "CHATHISTORY"] == []
    # A message makes it news.
    a.send(f"PRIVMSG {b.nick} :and words")
    b.expect("PRIVMSG")
    b.send(f"CHATHISTORY TARGETS timestamp={fmt(start)} timestamp={fmt(end)} 10")
    batch = b.expect("BATCH")
    got = b.collect_until("BATCH", params=["-" + batch.params[0][1:]])[:-1]
    assert [m.params[1] for m in got if m.command == "CHATHISTORY"] == [a.nick]


# --- draft/multiline -----------------------------------------------------------

PARTS = [("first line", False), ("second", False), (" continued", True), ("", False),
         ("last", False)]


def test_multiline_room_message_replayed_as_a_batch_or_as_lines(server):
    room = "#" + unique("m")
    a = server.client(unique("a"), caps=HIST_CAPS + ML)
    old = server.client(unique("o"), caps=HIST_CAPS)  # live, without multiline
    for c in (a, old):
        c.join(room)
        c.sync()
    a.send(f"PRIVMSG {room} :before")
    a.expect("PRIVMSG")
    send_multiline(a, room, PARTS)
    echo = a.expect("BATCH")
    assert echo.params[1:] == ["draft/multiline", room]
    a.collect_until("BATCH", params=["-" + echo.params[0][1:]])
    a.send(f"PRIVMSG {room} :after")
    a.expect("PRIVMSG", params=[room, "after"])
    whole_id = echo.tags["msgid"]
    # Live, without the cap: the lines, the first under the message's msgid.
    live = [old.expect("PRIVMSG") for _ in range(5)]
    assert [m.params[1] for m in live] == ["before", "first line", "second", " continued", "last"]
    assert live[1].tags["msgid"] == whole_id
    assert all("msgid" not in m.tags for m in live[2:5])
    assert {m.tags["time"] for m in live[1:5]} == {echo.tags["time"]}

    # Acknowledged means stored: the echo came, so CHATHISTORY has it now.
    b = server.client(unique("b"), caps=HIST_CAPS + ML)
    b.join(room)
    b.sync()
    lines = chathistory(b, "LATEST", room, "*", "10")
    assert commands(lines) == ["PRIVMSG", "MULTILINE", "PRIVMSG"]
    _, start, inner = lines[1]
    assert start.nick == a.nick and start.params[1:] == ["draft/multiline", room]
    assert start.tags["msgid"] == whole_id and start.tags["time"] == echo.tags["time"]
    assert [(m.params[1], "draft/multiline-concat" in m.tags) for m in inner] == PARTS
    assert all(m.command == "PRIVMSG" and m.params[0] == room and m.nick == a.nick
               for m in inner)
    # The batch's msgid is a reference like any message's.
    after = chathistory(b, "AFTER", room, "msgid=" + whole_id, "10")
    assert [m.params[1] for m in after] == ["after"]

    # Without draft/multiline: its non-blank lines, the first with the msgid.
    lines = chathistory(old, "LATEST", room, "*", "10")
    assert [m.params[1] for m in lines] == ["before", "first line", "second", " continued",
                                            "last", "after"]
    assert lines[1].tags["msgid"] == whole_id
    assert all("msgid" not in m.tags for m in lines[2:5])
    assert all(m.tags["time"] == echo.tags["time"] for m in lines[1:5])
    assert all("draft/multiline-concat" not in m.tags for m in lines)


def test_multiline_replay_on_join_without_chathistory(server_factory):
    s = server_factory(config={"history": {"replay_on_join": 5}})
    room = "#" + unique("m")
    a = s.client(unique("a"), caps=["batch", "message-tags", "echo-message"] + ML)
    a.join(room)
    a.sync()
    send_multiline(a, room, [("one", False), ("two", False)])
    a.expect("BATCH")
    a.sync()
    late = s.client(unique("l"))
    got = late.join(room) + late.sync()
    assert [m.params[1] for m in got if m.command == "PRIVMSG"] == ["one", "two"]
    # With the cap (and batch): the batch itself.
    late2 = s.client(unique("l"), caps=["batch", "server-time", "message-tags"] + ML)
    got = late2.join(room) + late2.sync()
    opening = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")
               and m.params[1] == "draft/multiline"]
    assert len(opening) == 1 and opening[0].nick == a.nick
    inner = [m for m in got if m.tags.get("batch") == opening[0].params[0][1:]]
    assert [m.params[1] for m in inner] == ["one", "two"]


def test_private_multiline_stored(server):
    a = server.client(unique("a"), caps=HIST_CAPS + ML)
    b = server.client(unique("b"), caps=HIST_CAPS)
    send_multiline(a, b.nick, [("hi", False), ("there", False)])
    echo = a.expect("BATCH")
    a.collect_until("BATCH", params=["-" + echo.params[0][1:]])
    first = b.expect("PRIVMSG", params=[b.nick, "hi"])
    b.expect("PRIVMSG", params=[b.nick, "there"])
    lines = chathistory(b, "LATEST", a.nick, "*", "10")
    assert [m.params[1] for m in lines] == ["hi", "there"]
    assert lines[0].tags["msgid"] == first.tags["msgid"]
    lines = chathistory(a, "LATEST", b.nick, "*", "10")
    assert commands(lines) == ["MULTILINE"]
    assert [m.params[1] for m in lines[0][2]] == ["hi", "there"]


def test_multiline_to_an_offline_account_delivered_at_login(server_factory):
    s = server_factory(config=ACC)
    bob = unique("bob")
    make_account(s, bob).close()
    alice = s.client(unique("al"), caps=["echo-message", "server-time", "message-tags",
                                         "batch"] + ML)
    wait_for(lambda: alice.sync() is not None)
    send_multiline(alice, bob, [("while", False), (" away", True)])
    echo = alice.expect("BATCH")
    assert echo.params[1:] == ["draft/multiline", bob]
    inner = alice.collect_until("BATCH", params=["-" + echo.params[0][1:]])[:-1]
    assert [m.params[1] for m in inner] == ["while", " away"]
    assert [m for m in alice.sync() if m.command == "401"] == []
    # Nobody of that name: no such nick, as for one line.
    send_multiline(alice, unique("nobody"), [("lost", False)], ref="ml2")
    alice.expect("401")
    # With the cap: the batch, with the original msgid and time.
    c, got = login(s, bob, ["server-time", "message-tags", "batch"] + ML)
    got += c.sync()
    opening = [m for m in got if m.command == "BATCH" and m.params[0].startswith("+")]
    assert len(opening) == 1 and opening[0].params[1:] == ["draft/multiline", bob]
    assert opening[0].tags["msgid"] == echo.tags["msgid"]
    assert opening[0].tags["time"] == echo.tags["time"] and opening[0].nick == alice.nick
    lines = [m for m in got if m.tags.get("batch") == opening[0].params[0][1:]]
    assert [(m.params[1], "draft/multiline-concat" in m.tags) for m in lines] == \
        [("while", False), (" away", True)]


# --- after a restart ----------------------------------------------------------

def test_events_and_multiline_survive_restart(server_factory):
    s = server_factory()
    room = "#" + unique("r")
    w = s.client(unique("w"), caps=EVENTS + ML)  # watches; its own end is racy
    w.join(room)
    a = s.client(unique("a"), caps=EVENTS + ML)
    a.join(room)
    b = s.client(unique("b"))
    b.join(room)
    room2 = "#" + unique("r")  # b's QUIT and NICK are in both rooms
    b.join(room2)
    b.sync()
    send_multiline(a, room, [("kept", False), ("together", True)])
    a.expect("BATCH")
    a.send(f"@+draft/react=yes TAGMSG {room}")
    a.expect("TAGMSG")
    new = unique("n")
    b.send(f"NICK {new}")
    a.expect("NICK")
    b.send("QUIT :later")
    a.expect("QUIT")
    a.send("QUIT :me too")
    w.expect("QUIT", source_nick=a.nick)
    want = ["JOIN", "JOIN", "JOIN", "MULTILINE", "TAGMSG", "NICK", "QUIT", "QUIT"]
    before = wait_stored(w, room, want)
    s.stop()
    db = sqlite3.connect(s.data_dir / "natterd.db")
    cols = [r[2] for r in db.execute("PRAGMA index_info(history_msgid)")]
    assert cols == ["msgid", "target"]
    # A clean stop moves every row into the indexed table.
    assert db.execute("SELECT count(*) FROM history_log").fetchone()[0] == 0
    kinds = [r[0] for r in db.execute(
        "SELECT kind FROM history WHERE target = ? ORDER BY time, id", (room.lower(),))]
    assert kinds[:8] == [11, 11, 11, 3, 16, 15, 14, 14]
    # The same QUIT and NICK (one msgid each) in room2 too: rows are moved
    # into it in bulk (INSERT OR IGNORE), which the per-target index allows.
    rows2 = db.execute(
        "SELECT kind, msgid FROM history WHERE target = ? AND kind IN (14, 15) "
        "ORDER BY time, id", (room2.lower(),)).fetchall()
    assert rows2 == [(15, before[5].tags["msgid"]), (14, before[6].tags["msgid"])]
    db.close()
    s.start()
    c = s.client(unique("c"), caps=EVENTS + ML)
    c.join(room)
    c.sync()
    after = chathistory(c, "BETWEEN", room, "msgid=" + before[0].tags["msgid"],
                        "msgid=" + before[-1].tags["msgid"], "50")
    assert commands(after) == want[1:-1]
    # Moved into the indexed table at stop, both rooms' rows are there.
    c.join(room2)
    c.sync()
    in2 = chathistory(c, "LATEST", room2, "*", "50")
    assert commands(in2)[:3] == ["JOIN", "NICK", "QUIT"]
    assert [m.tags["msgid"] for m in in2[1:3]] == [m.tags["msgid"] for m in before[5:7]]
    for x, y in zip(before[1:-1], after):
        if isinstance(x, tuple):
            assert x[1].tags["msgid"] == y[1].tags["msgid"]
            assert [(m.params[1], "draft/multiline-concat" in m.tags) for m in y[2]] == \
                [("kept", False), ("together", True)]
        else:
            assert x.tags["msgid"] == y.tags["msgid"] and x.params == y.params


def test_long_multiline_lines_replayed_within_the_line_limit(server):
    """A line that fitted the sender's 512 bytes gets the sender's
    nick!user@host in front when replayed: cut to the limit, never over."""
    room = "#" + unique("m")
    a = server.client(unique("a"), caps=HIST_CAPS + ML)
    a.join(room)
    a.sync()
    long = "x" * (510 - len(f"@batch=ml1 PRIVMSG {room} :"))
    send_multiline(a, room, [("short", False), (long, False)])
    echo = a.expect("BATCH")
    a.collect_until("BATCH", params=["-" + echo.params[0][1:]])
    for caps in (HIST_CAPS, HIST_CAPS + ML):
        c = server.client(unique("c"), caps=caps)
        lines = chathistory(c, "LATEST", room, "*", "10")
        inner = lines[0][2] if caps != HIST_CAPS else lines
        text = inner[1].params[1]
        assert long.startswith(text) and len(text) > 400
        for m in inner:
            body = m.text.split(" ", 1)[1] if m.text.startswith("@") else m.text
            assert len(body.encode()) <= 510, body
