"""IRCv3 capabilities userhost-in-names, extended-monitor, invite-notify
and chghost, and STATUSMSG (`PRIVMSG @#room`), with raw lines."""
from __future__ import annotations

from conftest import unique


def chan() -> str:
    return "#" + unique("x")


def test_caps_listed(server):
    c = server.connect()
    c.send("CAP LS 302")
    ls = c.read_cap_ls()
    for cap in ("userhost-in-names", "extended-monitor", "invite-notify", "chghost"):
        assert cap in ls, ls


def test_userhost_in_names(server):
    a = server.client(unique("a"))
    b = server.client(unique("b"), caps=["userhost-in-names", "multi-prefix"])
    ch = chan()
    a.join(ch)
    got = b.join(ch)
    names = " ".join(m.params[-1] for m in got if m.command == "353").split()
    assert any(n.startswith("@" + a.nick + "!") and "@127.0.0.1" in n for n in names), names
    assert any(n.startswith(b.nick + "!") for n in names), names
    # Without the cap: plain nicks.
    c = server.client(unique("c"))
    got = c.join(ch)
    names = " ".join(m.params[-1] for m in got if m.command == "353").split()
    assert "@" + a.nick in names and "!" not in " ".join(names)


def test_userhost_in_names_lines_stay_under_512(server):
    ch = chan()
    members = [server.client(unique("member_with_long_nick_")) for _ in range(14)]
    for m in members:
        m.join(ch)
    viewer = server.client(unique("v"), caps=["userhost-in-names"])
    got = viewer.join(ch)
    lines = [m for m in got if m.command == "353"]
    assert len(lines) >= 2
    assert all(len(m.raw) + 2 <= 512 for m in lines)
    names = " ".join(m.params[-1] for m in lines).split()
    assert len(names) == 15


def test_extended_monitor_gets_away_without_shared_room(server):
    watched = server.client(unique("w"))
    ext = server.client(unique("e"), caps=["extended-monitor", "away-notify"])
    plain = server.client(unique("p"), caps=["away-notify"])
    for c in (ext, plain):
        c.send(f"MONITOR + {watched.nick}")
        c.expect("730")
    watched.send("AWAY :lunch")
    watched.expect("306")
    away = ext.expect("AWAY")
    assert away.nick == watched.nick and away.params == ["lunch"]
    assert not [m for m in plain.sync() if m.command == "AWAY"]


def test_extended_monitor_once_when_also_sharing_a_room(server):
    watched = server.client(unique("w"))
    ext = server.client(unique("e"), caps=["extended-monitor", "setname"])
    ch = chan()
    watched.join(ch)
    ext.join(ch)
    ext.send(f"MONITOR + {watched.nick}")
    ext.expect("730")
    watched.send("SETNAME :New Name")
    watched.sync()
    got = [m for m in ext.sync() if m.command == "SETNAME"]
    assert len(got) == 1


def test_invite_notify(server):
    op = server.client(unique("op"))
    member = server.client(unique("m"), caps=["invite-notify"])
    deaf = server.client(unique("d"))
    guest = server.client(unique("g"))
    ch = chan()
    op.join(ch)
    member.join(ch)
    deaf.join(ch)
    op.sync()
    op.send(f"INVITE {guest.nick} {ch}")
    op.expect("341")
    note = member.expect("INVITE")
    assert note.nick == op.nick and note.params == [guest.nick, ch]
    assert not [m for m in deaf.sync() if m.command == "INVITE"]
    # In a +i room only operators hear of invitations.
    op.send(f"MODE {ch} +i")
    member.expect("MODE")
    other = server.client(unique("o"))
    op.send(f"INVITE {other.nick} {ch}")
    op.expect("341")
    assert not [m for m in member.sync() if m.command == "INVITE"]


def test_statusmsg_reaches_ops_only(server):
    op = server.client(unique("op"))
    voiced = server.client(unique("v"))
    plain = server.client(unique("p"))
    ch = chan()
    op.join(ch)
    voiced.join(ch)
    plain.join(ch)
    assert op.isupport.get("STATUSMSG") == "@+"
    op.send(f"MODE {ch} +v {voiced.nick}")
    voiced.expect("MODE")
    plain.send(f"PRIVMSG @{ch} :for the ops")
    got = op.expect("PRIVMSG")
    assert got.params == ["@" + ch, "for the ops"]
    assert not [m for m in voiced.sync() if m.command == "PRIVMSG"]
    op.send(f"PRIVMSG +{ch} :voice and up")
    assert voiced.expect("PRIVMSG").params == ["+" + ch, "voice and up"]
    assert not [m for m in plain.sync() if m.command == "PRIVMSG"]


def test_statusmsg_to_unknown_room_is_403(server):
    c = server.client(unique("c"))
    c.send("PRIVMSG @#nosuchroomhere :x")
    assert c.expect("403").params[1] == "#nosuchroomhere"
