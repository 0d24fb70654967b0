"""PRIVMSG/NOTICE/TAGMSG delivery and the IRCv3 message capabilities.

Specs: RFC 2812 3.3, Modern IRC PRIVMSG/NOTICE/AWAY, IRCv3 echo-message,
server-time, message-tags (+ TAGMSG, msgid), multi-prefix, away-notify.
"""
import datetime
import re

from conftest import privmsgs, unique

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def room(server, n, caps=None, prefix="M"):
    chan = "#" + unique("room")
    clients = []
    for i in range(n):
        c = server.client(unique(f"{prefix}{i}"), caps=caps[i] if caps else None)
        c.join(chan)
        clients.append(c)
    for c in clients:
        c.sync()
    return chan, clients


def test_room_broadcast_among_four_clients(server):
    chan, cs = room(server, 4)
    for i, sender in enumerate(cs):
        sender.send(f"PRIVMSG {chan} :hello from {i}")
        sender_got = sender.sync()
        assert privmsgs(sender_got) == [], "no echo without echo-message"
        for j, other in enumerate(cs):
            if j == i:
                continue
            got = privmsgs(other.sync())
            assert len(got) == 1, f"client {j} got {got} for message {i}"
            m = got[0]
            assert m.params == [chan, f"hello from {i}"]
            assert m.nick == sender.nick
            assert re.match(r"^[^!@ ]+![^!@ ]+@[^!@ ]+$", m.source), m.source


def test_privmsg_and_notice_to_nick(server):
    a = server.client(unique("Pa"))
    b = server.client(unique("Pb"))
    a.send(f"PRIVMSG {b.nick} :psst")
    m = b.expect("PRIVMSG")
    assert m.params == [b.nick, "psst"] and m.nick == a.nick
    a.send(f"NOTICE {b.nick} :notice text")
    m = b.expect("NOTICE", source_nick=a.nick)
    assert m.params == [b.nick, "notice text"]
    # Targets are case-insensitive.
    a.send(f"PRIVMSG {b.nick.swapcase()} :case")
    m = b.expect("PRIVMSG")
    assert m.params[-1] == "case"


def test_notice_to_channel(server):
    chan, (a, b, c) = room(server, 3)
    a.send(f"NOTICE {chan} :channel notice")
    for other in (b, c):
        m = other.expect("NOTICE", source_nick=a.nick)
        assert m.params == [chan, "channel notice"]


def test_utf8_and_ctcp_relayed_verbatim(server):
    chan, (a, b) = room(server, 2)
    for text in ("héllo ✓ 日本語 🎉", "\x01ACTION waves\x01", "x :with colon", " leading space"):
        a.send(f"PRIVMSG {chan} :{text}")
        m = b.expect("PRIVMSG")
        assert m.params == [chan, text]


def test_client_prefix_is_ignored(server):
    chan, (a, b) = room(server, 2)
    a.send(f":spoofed!x@y PRIVMSG {chan} :real sender")
    m = b.expect("PRIVMSG")
    assert m.nick == a.nick, f"server must use the real source, got {m.source}"


def test_401_no_such_nick(server):
    a = server.client(unique("E401"))
    a.send("PRIVMSG nobodyhere :hi")
    m = a.expect("401")
    assert m.params[:2] == [a.nick, "nobodyhere"]


def test_privmsg_to_missing_channel_401_or_403(server):
    a = server.client(unique("E403"))
    chan = "#" + unique("missing")
    a.send(f"PRIVMSG {chan} :hi")
    m = a.expect()
    assert m.command in ("401", "403"), m.text
    assert m.params[1] == chan


def test_404_outsider_on_no_external_channel(server):
    chan, (op,) = room(server, 1)
    op.send(f"MODE {chan} +n")
    op.sync()
    out = server.client(unique("Out"))
    out.send(f"PRIVMSG {chan} :let me in")
    m = out.expect("404")
    assert m.params[:2] == [out.nick, chan]
    assert privmsgs(op.sync()) == []


def test_404_moderated_channel(server):
    chan, (op, b) = room(server, 2)
    op.send(f"MODE {chan} +m")
    b.expect("MODE")
    b.send(f"PRIVMSG {chan} :silenced?")
    m = b.expect("404")
    assert m.params[1] == chan
    assert privmsgs(op.sync()) == []


def test_411_no_recipient(server):
    a = server.client(unique("E411"))
    a.send("PRIVMSG")
    m = a.expect(("411", "461"))
    assert m.command == "411", f"RFC 2812 3.3.1: PRIVMSG without target -> 411, got {m.text}"


def test_412_no_text(server):
    chan, (a, b) = room(server, 2)
    a.send(f"PRIVMSG {b.nick}")
    m = a.expect(("412", "461"))
    assert m.command == "412", f"PRIVMSG without text -> 412, got {m.text}"
    a.send(f"PRIVMSG {chan} :")
    a.expect("412")
    assert privmsgs(b.sync()) == []


def test_notice_never_gets_error_replies(server):
    a = server.client(unique("Nerr"))
    a.send("NOTICE nobodyhere :hi")
    a.send("NOTICE #" + unique("nochan") + " :hi")
    got = a.sync()
    assert got == [], f"RFC 2812 3.3.2: no automatic reply to NOTICE: {got}"


def test_multiple_targets(server):
    a = server.client(unique("Mt"))
    b = server.client(unique("Mt"))
    c = server.client(unique("Mt"))
    a.send(f"PRIVMSG {b.nick},{c.nick} :to both")
    assert b.expect("PRIVMSG").params[-1] == "to both"
    assert c.expect("PRIVMSG").params[-1] == "to both"


# ------------------------------------------------------------ echo-message

def test_echo_message_channel_and_private(server):
    chan = "#" + unique("echo")
    a = server.client(unique("Echo"), caps=["echo-message", "message-tags"])
    b = server.client(unique("Recv"), caps=["message-tags"])
    a.join(chan)
    b.join(chan)
    b.sync()
    a.send(f"PRIVMSG {chan} :echo me")
    mine = a.expect("PRIVMSG")
    theirs = b.expect("PRIVMSG")
    assert mine.params == [chan, "echo me"] and mine.nick == a.nick
    assert "msgid" in mine.tags and mine.tags["msgid"] == theirs.tags.get("msgid"), \
        (mine.text, theirs.text)
    a.send(f"NOTICE {b.nick} :private echo")
    mine = a.expect("NOTICE", source_nick=a.nick)
    assert mine.params == [b.nick, "private echo"]
    # Exactly once: nothing else pending.
    assert [m for m in a.sync() if m.command in ("PRIVMSG", "NOTICE")] == []


def test_no_echo_without_cap(server):
    chan, (a, b) = room(server, 2)
    a.send(f"PRIVMSG {chan} :x")
    assert privmsgs(a.sync()) == []


# ------------------------------------------------------------- server-time

def test_server_time_tag_format(server):
    chan = "#" + unique("time")
    a = server.client(unique("Ts"))
    b = server.client(unique("Tr"), caps=["server-time"])
    a.join(chan)
    b.join(chan)
    b.sync()
    a.send(f"PRIVMSG {chan} :what time")
    m = b.expect("PRIVMSG")
    t = m.tags.get("time")
    assert t and TIME_RE.match(t), f"time must be YYYY-MM-DDThh:mm:ss.sssZ: {m.text}"
    when = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - when).total_seconds()) < 60
    # Tags are only sent to clients that asked: a never sees any.
    b.send(f"PRIVMSG {chan} :back")
    m = a.expect("PRIVMSG")
    assert m.tags == {} and not m.raw.startswith(b"@"), m.text


# ------------------------------------------------------------ message-tags

def test_msgid_on_relayed_messages_same_for_all_recipients(server):
    chan, (a, b, c) = room(server, 3, caps=[[], ["message-tags"], ["message-tags"]])
    ids = set()
    for i in range(3):
        a.send(f"PRIVMSG {chan} :m{i}")
        mb = b.expect("PRIVMSG")
        mc = c.expect("PRIVMSG")
        assert mb.tags.get("msgid"), mb.text
        assert mb.tags["msgid"] == mc.tags.get("msgid")
        ids.add(mb.tags["msgid"])
    assert len(ids) == 3, "each message has its own msgid"
    a.send(f"PRIVMSG {b.nick} :private")
    assert b.expect("PRIVMSG").tags.get("msgid")


def test_tagmsg_relays_client_tags_only_to_message_tags_clients(server):
    chan, (a, b, c) = room(server, 3, caps=[["message-tags"], ["message-tags"], []])
    a.send(f"@+typing=active;+example.com/x=a\\sb\\:c TAGMSG {chan}")
    m = b.expect("TAGMSG")
    assert m.params == [chan] and m.nick == a.nick
    assert m.tags.get("+typing") == "active", m.text
    assert m.tags.get("+example.com/x") == "a b;c", m.text
    assert m.tags.get("msgid")
    a.sync()
    assert [x for x in c.sync() if x.command == "TAGMSG"] == [], \
        "TAGMSG must not reach clients without message-tags"
    # TAGMSG to a nick.
    a.send(f"@+typing=paused TAGMSG {b.nick}")
    m = b.expect("TAGMSG")
    assert m.params == [b.nick] and m.tags.get("+typing") == "paused"


def test_client_tags_on_privmsg_relayed_and_stripped(server):
    chan, (a, b, c) = room(server, 3, caps=[["message-tags"], ["message-tags"], []])
    a.send(f"@+draft/reply=abc;notclient=1 PRIVMSG {chan} :tagged")
    m = b.expect("PRIVMSG")
    assert m.tags.get("+draft/reply") == "abc", m.text
    assert "notclient" not in m.tags, "non-client tags from a client must not be relayed"
    m = c.expect("PRIVMSG")
    assert m.params == [chan, "tagged"] and m.tags == {}, m.text


def test_client_cannot_spoof_server_tags(server):
    chan, (a, b) = room(server, 2, caps=[["message-tags"], ["message-tags", "server-time"]])
    a.send(f"@time=2001-01-01T00:00:00.000Z;msgid=fake PRIVMSG {chan} :spoof")
    m = b.expect("PRIVMSG")
    assert m.tags.get("time") != "2001-01-01T00:00:00.000Z", m.text
    assert m.tags.get("msgid") != "fake", m.text


# ------------------------------------------------------------ multi-prefix

def test_multi_prefix_names_and_who(server):
    chan = "#" + unique("mp")
    op = server.client(unique("Op"), caps=["multi-prefix"])
    plain = server.client(unique("Pl"))
    op.join(chan)
    plain.join(chan)
    op.send(f"MODE {chan} +v {op.nick}")
    op.expect("MODE")
    op.send(f"NAMES {chan}")
    names = " ".join(m.params[-1] for m in op.collect_until("366") if m.command == "353")
    assert f"@+{op.nick}" in names.split(), names
    plain.sync()
    plain.send(f"NAMES {chan}")
    names = " ".join(m.params[-1] for m in plain.collect_until("366") if m.command == "353")
    assert f"@{op.nick}" in names.split(), names
    op.send(f"WHO {chan}")
    who = [m for m in op.collect_until("315") if m.command == "352" and m.params[5] == op.nick]
    assert who and "@+" in who[0].params[6], who
    plain.send(f"WHO {chan}")
    who = [m for m in plain.collect_until("315") if m.command == "352" and m.params[5] == op.nick]
    assert who and "@" in who[0].params[6] and "+" not in who[0].params[6], who


# ------------------------------------------------------------ AWAY

def test_away_numerics_301_305_306(server):
    a = server.client(unique("Aw"))
    b = server.client(unique("Aq"))
    a.send("AWAY :out to lunch")
    m = a.expect("306")
    assert m.params[0] == a.nick
    b.send(f"PRIVMSG {a.nick} :are you there")
    m = b.expect("301")
    assert m.params[:2] == [b.nick, a.nick] and m.params[-1] == "out to lunch"
    assert a.expect("PRIVMSG").params[-1] == "are you there", "away users still get messages"
    b.send(f"USERHOST {a.nick}")
    m = b.expect("302")
    assert f"{a.nick}=-" in m.params[-1] or f"{a.nick}*=-" in m.params[-1], m.text
    a.send("AWAY")
    a.expect("305")
    b.send(f"PRIVMSG {a.nick} :back?")
    got = b.sync()
    assert "301" not in [m.command for m in got]


def test_away_notify(server):
    chan = "#" + unique("an")
    a = server.client(unique("Away"))
    b = server.client(unique("Watch"), caps=["away-notify"])
    c = server.client(unique("Nocap"))
    for x in (a, b, c):
        x.join(chan)
    b.sync()
    c.sync()
    a.send("AWAY :brb")
    a.expect("306")
    m = b.expect("AWAY")
    assert m.nick == a.nick and m.params == ["brb"]
    assert [x for x in c.sync() if x.command == "AWAY"] == []
    a.send("AWAY")
    a.expect("305")
    m = b.expect("AWAY")
    assert m.nick == a.nick and m.params == []
    # A user who is away when joining is announced to away-notify clients.
    a.send("AWAY :later")
    b.expect("AWAY")
    chan2 = "#" + unique("an2")
    b.join(chan2)
    a.send(f"JOIN {chan2}")
    b.expect("JOIN", source_nick=a.nick)
    m = b.expect("AWAY")
    assert m.nick == a.nick and m.params == ["later"]


def test_relayed_long_message_fits_512(server):
    chan, (a, b) = room(server, 2)
    # The longest legal line: the relay adds a nick!user@host source, so the
    # server must keep the relayed line within 512 bytes (truncating the text).
    prefix = f"PRIVMSG {chan} :"
    text = "L" * (510 - len(prefix))
    a.send(prefix + text)
    m = b.expect("PRIVMSG")
    assert len(m.raw) + 2 <= 512, len(m.raw)
    assert text.startswith(m.params[-1]) and len(m.params[-1]) > 300


def test_whois_shows_away_301(server):
    a = server.client(unique("Wa"))
    b = server.client(unique("Wb"))
    b.send("AWAY :on holiday")
    b.expect("306")
    a.send(f"WHOIS {b.nick}")
    got = a.collect_until("318")
    away = [m for m in got if m.command == "301"]
    assert away and away[0].params[-1] == "on holiday", [m.text for m in got]


def test_echo_of_tagmsg_and_server_time_on_echo(server):
    chan, (a, b) = room(server, 2, caps=[["echo-message", "message-tags", "server-time"],
                                         ["message-tags"]])
    a.send(f"@+react=\U0001F44D TAGMSG {chan}")
    mine = a.expect("TAGMSG")
    theirs = b.expect("TAGMSG")
    assert mine.tags.get("+react") == "\U0001F44D" and mine.tags.get("msgid") == theirs.tags.get("msgid")
    assert TIME_RE.match(mine.tags.get("time") or ""), mine.text


def test_nick_and_quit_sent_once_to_peers_sharing_channels(server):
    c1, c2 = "#" + unique("sh"), "#" + unique("sh")
    a = server.client(unique("Sa"))
    b = server.client(unique("Sb"))
    for ch in (c1, c2):
        a.join(ch)
        b.join(ch)
    b.sync()
    a.send("NICK " + unique("Sn"))
    a.expect("NICK")
    a.sync()
    assert len([m for m in b.sync() if m.command == "NICK"]) == 1
    a.send("QUIT :bye")
    a.expect_closed()
    b.expect("QUIT")
    assert [m for m in b.sync() if m.command == "QUIT"] == [], "QUIT must be sent once"


def test_privmsg_to_self(server):
    a = server.client(unique("Self"))
    a.send(f"PRIVMSG {a.nick} :note to self")
    m = a.expect("PRIVMSG")
    assert m.params == [a.nick, "note to self"]
