"""Channels: JOIN/PART/TOPIC/NAMES/LIST, modes, INVITE, KICK, bans.

Specs: Modern IRC "Channel Operations" and "Channel Modes", RFC 2812 3.2.
"""
import re

from conftest import numerics, privmsgs, unique


def newchan():
    return "#" + unique("ch")


def names_of(client, chan):
    client.send(f"NAMES {chan}")
    got = client.collect_until("366")
    out = []
    for m in got:
        if m.command == "353":
            out.extend(m.params[-1].split())
    return out


def test_join_sequence_and_first_joiner_is_op(server):
    chan = newchan()
    a = server.client(unique("J"))
    got = a.join(chan)
    join = got[0]
    assert join.command == "JOIN" and join.params[0] == chan and join.nick == a.nick, got
    assert re.match(r"^[^!@ ]+![^!@ ]+@[^!@ ]+$", join.source)
    n353 = [m for m in got if m.command == "353"]
    assert n353, numerics(got)
    assert n353[0].params[0] == a.nick
    assert n353[0].params[1] in ("=", "*", "@")
    assert n353[0].params[2] == chan
    assert f"@{a.nick}" in n353[0].params[-1].split()
    end = got[-1]
    assert end.command == "366" and end.params[:2] == [a.nick, chan]
    assert "331" not in numerics(got) and "332" not in numerics(got), "no topic yet"
    b = server.client(unique("J"))
    b.join(chan)
    m = a.expect("JOIN")
    assert m.nick == b.nick and m.params[0] == chan
    names = names_of(a, chan)
    assert f"@{a.nick}" in names and b.nick in names, names


def test_join_multiple_and_case_insensitive(server):
    c1, c2 = newchan(), newchan()
    a = server.client(unique("Jm"))
    a.send(f"JOIN {c1},{c2}")
    a.expect("366", params=[None, c1])
    a.expect("366", params=[None, c2])
    b = server.client(unique("Jm"))
    b.send(f"JOIN {c1.upper()}")
    b.expect("366")
    m = a.expect("JOIN", source_nick=b.nick)
    assert m.params[0].lower() == c1.lower()
    assert b.nick in names_of(a, c1)


def test_join_bad_channel_name(server):
    a = server.client(unique("Jb"))
    a.send("JOIN nochanprefix")
    m = a.expect()
    assert m.command in ("403", "476"), m.text


def test_join_zero_parts_all(server):
    c1, c2 = newchan(), newchan()
    a = server.client(unique("Jz"))
    a.join(c1)
    a.join(c2)
    a.send("JOIN 0")
    parted = {a.expect("PART").params[0], a.expect("PART").params[0]}
    assert parted == {c1, c2}


def test_part_with_reason_and_errors(server):
    chan = newchan()
    a = server.client(unique("P"))
    b = server.client(unique("P"))
    a.join(chan)
    b.join(chan)
    b.send(f"PART {chan} :see you")
    for who in (a, b):
        m = who.expect("PART")
        assert m.nick == b.nick and m.params[0] == chan and m.params[-1] == "see you"
    b.send(f"PART {chan}")
    m = b.expect("442")
    assert m.params[:2] == [b.nick, chan]
    missing = newchan()
    b.send(f"PART {missing}")
    m = b.expect("403")
    assert m.params[1] == missing


def test_topic_set_query_and_numerics(server):
    chan = newchan()
    a = server.client(unique("T"))
    b = server.client(unique("T"))
    a.join(chan)
    b.join(chan)
    a.send(f"TOPIC {chan}")
    m = a.expect("331")
    assert m.params[:2] == [a.nick, chan]
    a.send(f"TOPIC {chan} :Hello topic world")
    for who in (a, b):
        m = who.expect("TOPIC")
        assert m.nick == a.nick and m.params == [chan, "Hello topic world"]
    b.send(f"TOPIC {chan}")
    m = b.expect("332")
    assert m.params == [b.nick, chan, "Hello topic world"]
    m = b.expect("333")
    assert m.params[:2] == [b.nick, chan]
    assert m.params[2].split("!")[0] == a.nick
    assert m.params[3].isdigit()
    # A later joiner gets 332/333 in the JOIN burst.
    c = server.client(unique("T"))
    got = c.join(chan)
    assert "332" in numerics(got) and "333" in numerics(got)
    # Clearing the topic.
    a.send(f"TOPIC {chan} :")
    assert b.expect("TOPIC").params == [chan, ""]
    b.send(f"TOPIC {chan}")
    b.expect("331")


def test_topic_protection_482_and_442(server):
    chan = newchan()
    op = server.client(unique("To"))
    user = server.client(unique("Tu"))
    op.join(chan)
    user.join(chan)
    # +t may already be a default mode, in which case nothing is announced.
    op.send(f"MODE {chan} +t")
    op.sync()
    user.sync()
    user.send(f"TOPIC {chan} :mine now")
    m = user.expect("482")
    assert m.params[:2] == [user.nick, chan]
    op.send(f"MODE {chan} -t")
    user.expect("MODE")
    user.send(f"TOPIC {chan} :mine now")
    assert op.expect("TOPIC").params[-1] == "mine now"
    out = server.client(unique("Tx"))
    out.send(f"TOPIC {chan} :outsider")
    m = out.expect("442")
    assert m.params[1] == chan


def test_names_end_for_missing_channel(server):
    a = server.client(unique("N"))
    missing = newchan()
    a.send(f"NAMES {missing}")
    m = a.expect(("366", "353", "403"))
    assert m.command == "366" and m.params[1] == missing, m.text


def test_list_321_322_323(server):
    chan = newchan()
    a = server.client(unique("L"))
    b = server.client(unique("L"))
    a.join(chan)
    b.join(chan)
    a.send(f"TOPIC {chan} :list me")
    a.expect("TOPIC")
    a.send("LIST")
    got = a.collect_until("323")
    nums = numerics(got)
    assert nums[0] == "321", nums
    rows = {m.params[1].lower(): m for m in got if m.command == "322"}
    assert chan.lower() in rows, rows.keys()
    assert rows[chan.lower()].params[2] == "2"
    assert rows[chan.lower()].params[-1].endswith("list me")
    assert "#lobby" in rows, "#lobby always exists"
    a.send(f"LIST {chan}")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [chan]


def test_lobby_always_exists(server):
    a = server.client(unique("Lb"))
    a.join("#lobby")
    a.send("PART #lobby")
    a.expect("PART")
    a.send("LIST #lobby")
    got = a.collect_until("323")
    assert [m.params[1].lower() for m in got if m.command == "322"] == ["#lobby"]


def test_channel_mode_query_324(server):
    chan = newchan()
    a = server.client(unique("Mq"))
    a.join(chan)
    a.send(f"MODE {chan} +nt")
    a.sync()  # no MODE line when these are already the defaults
    a.send(f"MODE {chan}")
    m = a.expect("324")
    assert m.params[:2] == [a.nick, chan]
    modes = "".join(m.params[2:])
    assert "n" in modes and "t" in modes and modes.startswith("+"), m.text


def test_mode_needs_op_482(server):
    chan = newchan()
    op = server.client(unique("Mo"))
    user = server.client(unique("Mu"))
    op.join(chan)
    user.join(chan)
    user.send(f"MODE {chan} +m")
    m = user.expect("482")
    assert m.params[:2] == [user.nick, chan]
    user.send(f"MODE {chan} +o {user.nick}")
    user.expect("482")


def test_mode_o_and_v_grant_and_revoke(server):
    chan = newchan()
    op = server.client(unique("Og"))
    user = server.client(unique("Ou"))
    op.join(chan)
    user.join(chan)
    op.send(f"MODE {chan} +o {user.nick}")
    for who in (op, user):
        m = who.expect("MODE")
        assert m.nick == op.nick and m.params[:3] == [chan, "+o", user.nick], m.text
    assert f"@{user.nick}" in names_of(op, chan)
    # The new op can now set modes.
    user.send(f"MODE {chan} +v {op.nick}")
    assert op.expect("MODE").params[:3] == [chan, "+v", op.nick]
    op.send(f"MODE {chan} -o {user.nick}")
    user.expect("MODE", params=[chan, "-o", user.nick])
    assert user.nick in names_of(op, chan)
    op.send(f"MODE {chan} +o nobodyhere")
    m = op.expect(("401", "441"))
    assert m.command in ("401", "441")


def test_moderated_and_voice(server):
    chan = newchan()
    op = server.client(unique("Mm"))
    v = server.client(unique("Mv"))
    op.join(chan)
    v.join(chan)
    op.send(f"MODE {chan} +m")
    v.expect("MODE")
    v.send(f"PRIVMSG {chan} :muted")
    v.expect("404")
    op.send(f"MODE {chan} +v {v.nick}")
    v.expect("MODE")
    v.send(f"PRIVMSG {chan} :voiced now")
    assert op.expect("PRIVMSG").params[-1] == "voiced now"
    assert f"+{v.nick}" in names_of(op, chan)


def test_no_external_messages(server):
    chan = newchan()
    op = server.client(unique("Ne"))
    op.join(chan)
    out = server.client(unique("Nx"))
    op.send(f"MODE {chan} +n")
    op.sync()  # no MODE line when +n is already a default
    out.send(f"PRIVMSG {chan} :from outside")
    out.expect("404")
    op.send(f"MODE {chan} -n")
    op.expect("MODE")
    out.send(f"PRIVMSG {chan} :from outside")
    assert op.expect("PRIVMSG").params[-1] == "from outside"


def test_invite_only_473_and_invite_341(server):
    chan = newchan()
    op = server.client(unique("Io"))
    guest = server.client(unique("Ig"))
    op.join(chan)
    op.send(f"MODE {chan} +i")
    op.expect("MODE")
    guest.send(f"JOIN {chan}")
    m = guest.expect("473")
    assert m.params[:2] == [guest.nick, chan]
    op.send(f"INVITE {guest.nick} {chan}")
    m = op.expect("341")
    assert m.params[:3] == [op.nick, guest.nick, chan], m.text
    m = guest.expect("INVITE")
    assert m.nick == op.nick and m.params == [guest.nick, chan]
    guest.join(chan)
    assert guest.nick in names_of(op, chan)


def test_invite_errors_401_442_443_482(server):
    chan = newchan()
    op = server.client(unique("Ie"))
    member = server.client(unique("Im"))
    out = server.client(unique("Ix"))
    op.join(chan)
    member.join(chan)
    op.send(f"INVITE nobodyhere {chan}")
    assert op.expect("401").params[1] == "nobodyhere"
    op.send(f"INVITE {member.nick} {chan}")
    m = op.expect("443")
    assert m.params[:3] == [op.nick, member.nick, chan]
    out.send(f"INVITE {member.nick} {chan}")
    m = out.expect("442")
    assert m.params[1] == chan
    op.send(f"MODE {chan} +i")
    member.expect("MODE")
    member.send(f"INVITE {out.nick} {chan}")
    m = member.expect("482")
    assert m.params[1] == chan


def test_key_475(server):
    chan = newchan()
    op = server.client(unique("Ko"))
    u = server.client(unique("Ku"))
    op.join(chan)
    op.send(f"MODE {chan} +k sekrit")
    m = op.expect("MODE")
    assert m.params[1] == "+k"
    u.send(f"JOIN {chan}")
    assert u.expect("475").params[:2] == [u.nick, chan]
    u.send(f"JOIN {chan} wrong")
    u.expect("475")
    u.send(f"JOIN {chan} sekrit")
    u.expect("366", params=[None, chan])
    op.send(f"MODE {chan} -k sekrit")
    op.expect("MODE")
    w = server.client(unique("Kw"))
    w.join(chan)


def test_limit_471(server):
    chan = newchan()
    op = server.client(unique("Lo"))
    op.join(chan)
    op.send(f"MODE {chan} +l 2")
    m = op.expect("MODE")
    assert m.params[1:3] == ["+l", "2"]
    second = server.client(unique("Ls"))
    second.join(chan)
    third = server.client(unique("Lt"))
    third.send(f"JOIN {chan}")
    assert third.expect("471").params[:2] == [third.nick, chan]
    op.send(f"MODE {chan} -l")
    op.expect("MODE")
    third.join(chan)


def test_ban_474_masks_and_list(server):
    chan = newchan()
    op = server.client(unique("Bo"))
    op.join(chan)
    victim_nick = unique("Bad")
    victim = server.client(victim_nick)
    op.send(f"MODE {chan} +b {victim_nick.upper()}!*@*")
    m = op.expect("MODE")
    assert m.params[1] == "+b"
    victim.send(f"JOIN {chan}")
    m = victim.expect("474")
    assert m.params[:2] == [victim.nick, chan]
    # Wildcards: another nick matching Bad* with ? and *.
    other = server.client(unique("Bad"))
    op.send(f"MODE {chan} +b B?d*!*@*")
    op.expect("MODE")
    other.send(f"JOIN {chan}")
    other.expect("474")
    # Unrelated nick is fine.
    fine = server.client(unique("Good"))
    fine.join(chan)
    # Ban list.
    op.send(f"MODE {chan} +b")
    got = op.collect_until("368")
    masks = [m.params[2] for m in got if m.command == "367"]
    assert any(x.lower() == f"{victim_nick.lower()}!*@*" for x in masks), masks
    assert "B?d*!*@*" in masks, masks
    # Unban.
    op.send(f"MODE {chan} -b B?d*!*@*")
    op.expect("MODE")
    op.send(f"MODE {chan} -b {victim_nick}!*@*")
    op.expect("MODE")
    victim.join(chan)


def test_banned_member_cannot_speak(server):
    chan = newchan()
    op = server.client(unique("Bs"))
    u = server.client(unique("Bu"))
    op.join(chan)
    u.join(chan)
    op.send(f"MODE {chan} +b {u.nick}!*@*")
    u.expect("MODE")
    u.send(f"PRIVMSG {chan} :can I talk?")
    u.expect("404")
    assert privmsgs(op.sync()) == []


def test_kick_and_errors(server):
    chan = newchan()
    op = server.client(unique("Ko"))
    u = server.client(unique("Ku"))
    w = server.client(unique("Kw"))
    for c in (op, u, w):
        c.join(chan)
    u.send(f"KICK {chan} {w.nick} :no power")
    m = u.expect("482")
    assert m.params[:2] == [u.nick, chan]
    op.send(f"KICK {chan} {u.nick} :behave")
    for c in (op, u, w):
        m = c.expect("KICK")
        assert m.nick == op.nick and m.params == [chan, u.nick, "behave"], m.text
    assert u.nick not in names_of(op, chan)
    u.send(f"PRIVMSG {chan} :still here?")
    u.expect(("404", "442"))
    op.send(f"KICK {chan} {u.nick}")
    m = op.expect("441")
    assert m.params[:3] == [op.nick, u.nick, chan]
    other = newchan()
    u.join(other)
    op.send(f"KICK {other} {u.nick}")
    assert op.expect("442").params[1] == other
    missing = newchan()
    op.send(f"KICK {missing} {u.nick}")
    assert op.expect("403").params[1] == missing


def test_user_mode_invisible_and_502(server):
    a = server.client(unique("Um"))
    b = server.client(unique("Um"))
    a.send(f"MODE {a.nick} +i")
    m = a.expect("MODE")
    assert m.params[0] == a.nick and "+i" in "".join(m.params[1:])
    a.send(f"MODE {a.nick}")
    m = a.expect("221")
    assert "i" in m.params[1]
    a.send(f"MODE {b.nick} +i")
    a.expect("502")


def test_too_many_channels_405(server_factory):
    srv = server_factory(config={"limits": {"max_channels_per_user": 2}})
    a = srv.client(unique("Tm"))
    a.join(newchan())
    a.join(newchan())
    third = newchan()
    a.send(f"JOIN {third}")
    m = a.expect("405")
    assert m.params[:2] == [a.nick, third]


def test_channel_name_longer_than_channellen(server):
    a = server.client(unique("Cl"))
    limit = int(a.isupport.get("CHANNELLEN", "50"))
    name = "#" + "c" * limit
    a.send(f"JOIN {name}")
    m = a.expect()
    assert m.command != "JOIN" and m.command.isdigit() and m.command[0] == "4", m.text


def test_join_twice_is_harmless(server):
    chan = newchan()
    a = server.client(unique("Jt"))
    b = server.client(unique("Jt"))
    a.join(chan)
    b.join(chan)
    a.sync()
    b.send(f"JOIN {chan}")
    b.sync()
    assert [m for m in a.sync() if m.command == "JOIN"] == [], "no second JOIN broadcast"
    assert names_of(a, chan).count(b.nick) == 1
