"""WHO for an exact nickname (issue 9 defect 2), WHOX (IRCv3 WHOX:
`WHO <mask> %fields,token` answered with 354) and the bot mode (+B, ISUPPORT
BOT, 335 in WHOIS, B in WHO flags, the bot message tag)."""
from __future__ import annotations

from conftest import unique


def test_who_exact_nick_finds_invisible_user(server):
    """Modern IRC (WHO): invisibility hides a user from masks, not from an
    exact nickname. Before the fix natterd answered only 315."""
    hidden = server.client(unique("h"))
    hidden.send(f"MODE {hidden.nick} +i")
    hidden.expect("MODE")
    asker = server.client(unique("a"))
    asker.send(f"WHO {hidden.nick}")
    got = asker.collect_until("315")
    replies = [m for m in got if m.command == "352"]
    assert len(replies) == 1 and replies[0].params[5] == hidden.nick, got
    # A mask still hides the invisible user.
    asker.send(f"WHO {hidden.nick[:-1]}*")
    got = asker.collect_until("315")
    assert not [m for m in got if m.command == "352"], got


def test_whox_isupport_and_fields(server):
    t = server.client(unique("t"), )
    assert "WHOX" in t.isupport
    asker = server.client(unique("a"))
    asker.send(f"WHO {t.nick} %tcuihsnfdlaor,42")
    r = asker.expect("354")
    # Fixed order: token channel user ip host server nick flags hops idle
    # account oplevel :realname.
    p = r.params[1:]
    assert p[0] == "42" and p[1] == "*" and p[2] == t.nick.lower()[:10].strip("[]`^{}|_-")
    assert p[3] == "127.0.0.1" and p[4] == "127.0.0.1"
    assert p[5] == "irc.systest.natter" and p[6] == t.nick and p[7] == "H"
    assert p[8] == "0" and p[9].isdigit() and p[10] == "0"
    assert p[-1] == "System Test"
    asker.expect("315")


def test_whox_field_order_is_fixed_and_subset(server):
    t = server.client(unique("t"))
    asker = server.client(unique("a"))
    asker.send(f"WHO {t.nick} %nat,7")
    r = asker.expect("354")
    assert r.params[1:] == ["7", t.nick, "0"]


def test_whox_on_channel_gives_prefix_in_flags(server):
    op = server.client(unique("op"))
    ch = "#" + unique("wx")
    op.join(ch)
    op.send(f"WHO {ch} %cnf")
    r = op.expect("354")
    assert r.params[1:] == [ch, op.nick, "H@"]
    op.expect("315")


def test_bot_mode(server):
    bot = server.client(unique("bot"), caps=["message-tags"])
    assert bot.isupport.get("BOT") == "B"
    bot.send(f"MODE {bot.nick} +B")
    m = bot.expect("MODE")
    assert "B" in m.params[-1]
    other = server.client(unique("o"), caps=["message-tags"])
    other.send(f"WHOIS {bot.nick}")
    got = other.collect_until("318")
    assert [m for m in got if m.command == "335"], got
    other.send(f"WHO {bot.nick}")
    who = other.expect("352")
    assert "B" in who.params[6]
    bot.send(f"PRIVMSG {other.nick} :beep")
    pm = other.expect("PRIVMSG")
    assert "bot" in pm.tags
    plain = server.client(unique("p"))
    bot.send(f"PRIVMSG {plain.nick} :beep")
    assert not plain.expect("PRIVMSG").tags
