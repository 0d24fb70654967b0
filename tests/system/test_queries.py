"""Queries and server/operator commands.

Specs: Modern IRC WHO/WHOIS/WHOWAS/ISON/USERHOST/LUSERS/VERSION/TIME/INFO/
ADMIN/LINKS/HELP/OPER/KILL/WALLOPS, IRCv3 monitor and setname.
"""
import re

import pytest

from conftest import DESCRIPTION, SERVER_NAME, numerics, unique


def test_who_channel_352_315(server):
    chan = "#" + unique("who")
    a = server.client(unique("Wa"))
    b = server.client(unique("Wb"))
    a.join(chan)
    b.join(chan)
    a.send(f"WHO {chan}")
    got = a.collect_until("315")
    rows = {m.params[5]: m for m in got if m.command == "352"}
    assert set(rows) == {a.nick, b.nick}, got
    ra = rows[a.nick]
    assert ra.params[0] == a.nick and ra.params[1] == chan
    assert ra.params[4] == SERVER_NAME
    assert ra.params[6].startswith("H") and "@" in ra.params[6]
    hop, _, real = ra.params[7].partition(" ")
    assert hop.isdigit() and real == "System Test", ra.text
    assert rows[b.nick].params[6] == "H"
    end = got[-1]
    assert end.params[:2] == [a.nick, chan]


def test_who_nick_and_away_flag(server):
    a = server.client(unique("Wn"))
    b = server.client(unique("Wn"))
    b.send("AWAY :zzz")
    b.expect("306")
    a.send(f"WHO {b.nick}")
    got = a.collect_until("315")
    rows = [m for m in got if m.command == "352"]
    assert len(rows) == 1 and rows[0].params[5] == b.nick
    assert rows[0].params[6].startswith("G"), rows[0].text
    assert got[-1].params[1] == b.nick


def test_whois_311_312_319_318(server):
    chan = "#" + unique("wi")
    a = server.client(unique("Wi"))
    b = server.client(unique("Wt"))
    b.join(chan)
    a.send(f"WHOIS {b.nick}")
    got = a.collect_until("318")
    by = {m.command: m for m in got}
    assert "311" in by and "312" in by, numerics(got)
    m = by["311"]
    assert m.params[:2] == [a.nick, b.nick] and m.params[4] == "*" and m.params[5] == "System Test"
    m = by["312"]
    assert m.params[:3] == [a.nick, b.nick, SERVER_NAME] and m.params[3] == DESCRIPTION
    m = by["319"]
    assert m.params[:2] == [a.nick, b.nick] and f"@{chan}" in m.params[2].split()
    assert by["318"].params[:2] == [a.nick, b.nick]
    # Case-insensitive target.
    a.send(f"WHOIS {b.nick.swapcase()}")
    assert "311" in numerics(a.collect_until("318"))


def test_whois_missing_401_then_318(server):
    a = server.client(unique("Wm"))
    a.send("WHOIS nobodyhere")
    got = a.collect_until("318")
    assert "401" in numerics(got)
    assert got[-1].params[1] == "nobodyhere"


def test_ison_303(server):
    a = server.client(unique("Is"))
    b = server.client(unique("Is"))
    a.send(f"ISON {b.nick.upper()} nobodyhere {a.nick}")
    m = a.expect("303")
    online = {x.lower() for x in m.params[-1].split()}
    assert online == {a.nick.lower(), b.nick.lower()}, m.text


def test_userhost_302(server):
    a = server.client(unique("Uh"))
    a.send(f"USERHOST {a.nick} nobodyhere")
    m = a.expect("302")
    entries = m.params[-1].split()
    assert len(entries) == 1, m.text
    assert re.match(re.escape(a.nick) + r"\*?=[+-][^@ ]+@\S+$", entries[0]), m.text


def test_lusers_counts(server):
    clients = [server.client(unique("Lu")) for _ in range(3)]
    a = clients[0]
    a.send("LUSERS")
    got = a.collect_until("266")
    nums = numerics(got)
    for n in ("251", "255", "265", "266"):
        assert n in nums, nums
    m251 = [m for m in got if m.command == "251"][0]
    counts = [int(x) for x in re.findall(r"\d+", m251.params[-1])]
    assert len(counts) >= 2 and counts[0] + counts[1] == 3, m251.text


def test_version_351_and_isupport(server):
    a = server.client(unique("Ve"))
    a.send("VERSION")
    got = a.collect_until("351")
    m = got[-1]
    assert m.params[0] == a.nick and m.params[2] == SERVER_NAME, m.text
    a.expect("005")


def test_time_391(server):
    a = server.client(unique("Ti"))
    a.send("TIME")
    m = a.expect("391")
    assert m.params[:2] == [a.nick, SERVER_NAME]


def test_info_371_374(server):
    a = server.client(unique("In"))
    a.send("INFO")
    got = a.collect_until("374")
    assert "371" in numerics(got)


def test_admin_256_to_259(server):
    a = server.client(unique("Ad"))
    a.send("ADMIN")
    got = a.collect_until("259")
    assert numerics(got)[-4:] == ["256", "257", "258", "259"]


def test_links_365(server):
    a = server.client(unique("Lk"))
    a.send("LINKS")
    got = a.collect_until("365")
    for m in got:
        if m.command == "364":
            assert SERVER_NAME in m.params


def test_help_704_705_706_and_524(server):
    a = server.client(unique("He"))
    for cmd in ("HELP", "HELPOP", "HELP PRIVMSG"):
        a.send(cmd)
        got = a.collect_until("706")
        assert "704" in numerics(got), (cmd, numerics(got))
    a.send("HELP nosuchsubjectzz")
    m = a.expect(("524", "704"))
    assert m.command == "524"


def test_whowas_314_369_and_406(server):
    gone_nick = unique("Gone")
    gone = server.client(gone_nick)
    gone.send("QUIT :bye")
    gone.expect_closed()
    a = server.client(unique("Ww"))
    a.send(f"WHOWAS {gone_nick}")
    got = a.collect_until("369")
    rows = [m for m in got if m.command == "314"]
    assert rows, numerics(got)
    assert rows[0].params[1] == gone_nick and rows[0].params[4] == "*"
    assert rows[0].params[5] == "System Test"
    a.send("WHOWAS neverexisted")
    got = a.collect_until("369")
    assert "406" in numerics(got)


def test_unknown_command_421(server):
    a = server.client(unique("Uk"))
    a.send("FROBNICATE x y")
    m = a.expect("421")
    assert m.params[:2] == [a.nick, "FROBNICATE"]


# ------------------------------------------------------------ MONITOR

def test_monitor_online_offline(server):
    a = server.client(unique("Mon"))
    assert "MONITOR" in a.isupport, "ISUPPORT must advertise MONITOR"
    target = unique("Tgt")
    a.send(f"MONITOR + {target}")
    m = a.expect(("730", "731"))
    assert m.command == "731" and m.params[-1].split(",") == [target], m.text
    t = server.client(target)
    m = a.expect("730")
    assert m.params[-1].split("!")[0] == target, m.text
    a.send("MONITOR L")
    got = a.collect_until("733")
    listed = ",".join(m.params[-1] for m in got if m.command == "732").lower().split(",")
    assert target.lower() in listed
    a.send("MONITOR S")
    got = a.collect_until(("730", "731"))
    assert got[-1].command == "730"
    t.send("QUIT")
    m = a.expect("731")
    assert m.params[-1].split(",") == [target]
    a.send(f"MONITOR - {target}")
    a.send("MONITOR L")
    got = a.collect_until("733")
    assert "732" not in numerics(got)


def test_monitor_list_full_734(server):
    a = server.client(unique("Mf"))
    limit = a.isupport.get("MONITOR")
    if not limit:
        pytest.skip("MONITOR without a limit")
    names = [unique("m") for _ in range(int(limit) + 1)]
    for i in range(0, len(names), 20):
        a.send("MONITOR + " + ",".join(names[i:i + 20]))
    a.expect("734")


# ------------------------------------------------------------ SETNAME

def test_setname(server):
    chan = "#" + unique("sn")
    a = server.client(unique("Sn"), caps=["setname"])
    b = server.client(unique("Sb"), caps=["setname"])
    c = server.client(unique("Sc"))
    for x in (a, b, c):
        x.join(chan)
    c.sync()
    a.send("SETNAME :New Real Name")
    m = a.expect("SETNAME")
    assert m.params == ["New Real Name"] and m.nick == a.nick
    m = b.expect("SETNAME")
    assert m.params == ["New Real Name"] and m.nick == a.nick
    assert [x for x in c.sync() if x.command == "SETNAME"] == []
    c.send(f"WHOIS {a.nick}")
    m = c.expect("311")
    assert m.params[-1] == "New Real Name"


# ------------------------------------------------------------ operators

OPER_PASSWORD = "c0rrect-horse-battery"


@pytest.fixture
def oper_server(server_factory):
    return server_factory(opers={"admin": OPER_PASSWORD})


def test_oper_wrong_password_464(oper_server):
    a = oper_server.client(unique("Op"))
    a.send("OPER admin wrong")
    a.expect("464")
    a.send(f"OPER nosuchoper {OPER_PASSWORD}")
    m = a.expect(("464", "491"))
    assert m.command in ("464", "491")


def test_oper_success_381_and_umode(oper_server):
    a = oper_server.client(unique("Op"))
    a.send(f"OPER admin :{OPER_PASSWORD}")
    got = a.collect_until("381")
    a.send(f"MODE {a.nick}")
    m = a.expect("221")
    assert "o" in m.params[1], m.text


def test_kill_requires_oper_481_and_works(oper_server):
    a = oper_server.client(unique("Ko"))
    victim = oper_server.client(unique("Kv"))
    watcher = oper_server.client(unique("Kw"))
    chan = "#" + unique("kill")
    victim.join(chan)
    watcher.join(chan)
    a.send(f"KILL {victim.nick} :nope")
    a.expect("481")
    a.send(f"OPER admin :{OPER_PASSWORD}")
    a.expect("381")
    a.send("KILL nobodyhere :x")
    a.expect("401")
    a.send(f"KILL {victim.nick} :spamming")
    got = victim.expect_closed()
    assert any(m.command == "ERROR" for m in got), got
    m = watcher.expect("QUIT")
    assert m.nick == victim.nick and "spamming" in m.params[-1]


def test_wallops(oper_server):
    a = oper_server.client(unique("Wo"))
    listener = oper_server.client(unique("Wl"))
    deaf = oper_server.client(unique("Wd"))
    listener.send(f"MODE {listener.nick} +w")
    listener.expect("MODE")
    a.send("WALLOPS :not yet")
    a.expect("481")
    a.send(f"OPER admin :{OPER_PASSWORD}")
    a.expect("381")
    a.send("WALLOPS :hear ye")
    m = listener.expect("WALLOPS")
    assert m.params == ["hear ye"] and m.nick == a.nick
    assert [x for x in deaf.sync() if x.command == "WALLOPS"] == []
