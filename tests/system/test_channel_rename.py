"""IRCv3 draft/channel-rename: RENAME <old> <new> [:reason], with the
PART/JOIN fallback for members without the capability."""
from __future__ import annotations

from conftest import unique

CAP = "draft/channel-rename"


def test_rename_seen_by_cap_and_fallback(server):
    op = server.client(unique("op"), caps=[CAP])
    old_school = server.client(unique("os"))
    ch, new = "#" + unique("old"), "#" + unique("new")
    op.join(ch)
    old_school.join(ch)
    op.send(f"TOPIC {ch} :kept topic")
    old_school.expect("TOPIC")
    op.send(f"RENAME {ch} {new} :tidy up")
    r = op.expect("RENAME")
    assert r.nick == op.nick and r.params == [ch, new, "tidy up"]
    part = old_school.expect("PART")
    assert part.nick == old_school.nick and part.params[0] == ch
    join = old_school.expect("JOIN")
    assert join.params[0] == new
    assert old_school.expect("332").params[1:] == [new, "kept topic"]
    names = old_school.collect_until("366")
    assert op.nick in " ".join(m.params[-1] for m in names if m.command == "353")
    # The room lives on under its new name only.
    op.send(f"PRIVMSG {new} :still here")
    assert old_school.expect("PRIVMSG").params == [new, "still here"]
    op.send(f"PRIVMSG {ch} :gone?")
    assert op.expect("403").params[1] == ch


def test_rename_errors(server):
    op = server.client(unique("op"), caps=[CAP])
    member = server.client(unique("m"), caps=[CAP])
    a, b = "#" + unique("a"), "#" + unique("b")
    op.join(a)
    op.join(b)
    member.join(a)
    member.send(f"RENAME {a} #{unique('x')}")
    assert member.expect("482").params[1] == a
    op.send(f"RENAME {a} {b}")
    fail = op.expect("FAIL")
    assert fail.params[:4] == ["RENAME", "CHANNEL_NAME_IN_USE", a, b]
    op.send(f"RENAME {a} nochannel")
    assert op.expect("FAIL").params[:2] == ["RENAME", "CANNOT_RENAME"]
    op.send("RENAME #lobby #lobby2")
    assert op.expect(("442", "FAIL")).command == "442"
    op.join("#lobby")
    op.send("RENAME #lobby #lobby2")
    f = op.expect("FAIL")
    assert f.params[:2] == ["RENAME", "CANNOT_RENAME"]
    op.send(f"RENAME {a}")
    assert op.expect("461").params[1] == "RENAME"


def test_rename_case_only(server):
    op = server.client(unique("op"), caps=[CAP])
    ch = "#" + unique("case")
    op.join(ch)
    op.send(f"RENAME {ch} {ch.upper()}")
    assert op.expect("RENAME").params[:2] == [ch, ch.upper()]
