"""Channel modes +e (ban exceptions), +I (invite exceptions, and bare INVITE
listing one's invitations), +C (no CTCP), the mute extban (m:mask, ISUPPORT
EXTBAN=,m) and LIST conditions (ISUPPORT ELIST=CMNTU)."""
from __future__ import annotations

from conftest import unique


def chan() -> str:
    return "#" + unique("cm")


def room_with_op(server):
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    return op, ch


def test_isupport_tokens(server):
    c = server.client(unique("c"))
    assert c.isupport.get("EXCEPTS") == "e"
    assert c.isupport.get("INVEX") == "I"
    assert c.isupport.get("EXTBAN") == ",m"
    assert c.isupport.get("ELIST") == "CMNTU"
    classes = c.isupport["CHANMODES"].split(",")
    assert set("beI") <= set(classes[0]) and "C" in classes[3]


def test_ban_exception_lets_user_in(server):
    op, ch = room_with_op(server)
    user = server.client(unique("u"))
    op.send(f"MODE {ch} +b *!*@*")
    op.expect("MODE")
    user.send(f"JOIN {ch}")
    assert user.expect("474").params[1] == ch
    op.send(f"MODE {ch} +e {user.nick}!*@*")
    assert op.expect("MODE").params[1:] == ["+e", f"{user.nick}!*@*"]
    user.join(ch)
    op.send(f"MODE {ch} e")
    got = op.collect_until("349")
    assert [m.params[2] for m in got if m.command == "348"] == [f"{user.nick}!*@*"]


def test_invite_exception_passes_invite_only(server):
    op, ch = room_with_op(server)
    user = server.client(unique("u"))
    op.send(f"MODE {ch} +i")
    op.expect("MODE")
    user.send(f"JOIN {ch}")
    user.expect("473")
    op.send(f"MODE {ch} +I *!*@127.0.0.1")
    op.expect("MODE")
    user.join(ch)
    op.send(f"MODE {ch} I")
    got = op.collect_until("347")
    assert [m.params[2] for m in got if m.command == "346"] == ["*!*@127.0.0.1"]


def test_bare_invite_lists_invitations(server):
    op, ch = room_with_op(server)
    guest = server.client(unique("g"))
    guest.send("INVITE")
    got = guest.collect_until("337")
    assert not [m for m in got if m.command == "336"]
    op.send(f"INVITE {guest.nick} {ch}")
    guest.expect("INVITE")
    guest.send("INVITE")
    got = guest.collect_until("337")
    assert [m.params[1] for m in got if m.command == "336"] == [ch]
    # One argument is not enough.
    guest.send(f"INVITE {op.nick}")
    assert guest.expect("461").params[1] == "INVITE"


def test_no_ctcp_mode(server):
    op, ch = room_with_op(server)
    user = server.client(unique("u"))
    user.join(ch)
    op.send(f"MODE {ch} +C")
    user.expect("MODE")
    user.send(f"PRIVMSG {ch} :\x01VERSION\x01")
    err = user.expect("404")
    assert "CTCP" in err.params[-1]
    assert not [m for m in op.sync() if m.command == "PRIVMSG"]
    # ACTION is allowed.
    user.send(f"PRIVMSG {ch} :\x01ACTION waves\x01")
    assert op.expect("PRIVMSG").params[1] == "\x01ACTION waves\x01"


def test_mute_extban_reads_but_cannot_speak(server):
    op, ch = room_with_op(server)
    muted = server.client(unique("m"))
    op.send(f"MODE {ch} +b m:{muted.nick}")
    assert op.expect("MODE").params[1:] == ["+b", f"m:{muted.nick}!*@*"]
    got = muted.join(ch)  # still joins
    assert [m for m in got if m.command == "JOIN"]
    op.send(f"PRIVMSG {ch} :can you hear me")
    assert muted.expect("PRIVMSG").params[1] == "can you hear me"
    muted.send(f"PRIVMSG {ch} :yes")
    assert muted.expect("404").params[1] == ch
    assert not [m for m in op.sync() if m.command == "PRIVMSG"]
    # Removing the extban lifts the mute.
    op.send(f"MODE {ch} -b m:{muted.nick}!*@*")
    op.expect("MODE")
    muted.send(f"PRIVMSG {ch} :now yes")
    assert op.expect("PRIVMSG").params[1] == "now yes"


def test_unknown_extban_is_refused(server):
    op, ch = room_with_op(server)
    op.send(f"MODE {ch} +b q:someone")
    assert op.expect("696").params[2] == "b"


def test_elist_user_count_and_masks(server):
    a = server.client(unique("a"))
    b = server.client(unique("b"))
    tag = unique("el")
    big, small = f"#{tag}big", f"#{tag}small"
    a.join(big)
    b.join(big)
    a.join(small)
    a.send(f"LIST >1,#{tag}*")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [big]
    a.send(f"LIST <2,#{tag}*")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [small]
    a.send(f"LIST #{tag}*,!*big")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [small]


def test_elist_creation_and_topic_time(server):
    a = server.client(unique("a"))
    tag = unique("et")
    ch = f"#{tag}"
    a.join(ch)
    a.send(f"LIST C<5,{ch}*")   # created less than 5 minutes ago
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [ch]
    a.send(f"LIST C>5,{ch}*")   # created more than 5 minutes ago
    got = a.collect_until("323")
    assert not [m for m in got if m.command == "322"]
    a.send(f"LIST T<5,{ch}*")   # no topic yet
    assert not [m for m in a.collect_until("323") if m.command == "322"]
    a.send(f"TOPIC {ch} :now")
    a.expect("TOPIC")
    a.send(f"LIST T<5,{ch}*")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [ch]


def test_elist_malformed_condition_fails(server):
    a = server.client(unique("a"))
    a.send("LIST >abc")
    fail = a.expect("FAIL")
    assert fail.params[:2] == ["LIST", "INVALID_PARAMS"]


def test_elist_huge_minutes_do_not_overflow(server):
    """Found by fuzz_dispatch: C<9223372036854775807 overflowed minutes * 60."""
    a = server.client(unique("a"))
    ch = "#" + unique("big")
    a.join(ch)
    a.send(f"LIST C<99999999999999999999999,{ch}")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [ch]
    a.send(f"LIST T>99999999999999999999999,{ch}")
    assert not [m for m in a.collect_until("323") if m.command == "322"]


def test_elist_huge_user_counts_do_not_overflow(server):
    """Found by the 15-minute fuzz_dispatch run: >9223372036854775807 overflowed
    n + 1 (the ASan+UBSan pass of ./check catches a regression here)."""
    a = server.client(unique("a"))
    ch = "#" + unique("big")
    a.join(ch)
    a.send(f"LIST >9223372036854775807,{ch}")
    assert not [m for m in a.collect_until("323") if m.command == "322"]
    a.send(f"LIST <99999999999999999999999,{ch}")
    got = a.collect_until("323")
    assert [m.params[1] for m in got if m.command == "322"] == [ch]
