"""ISUPPORT advertises exactly the limits natterd enforces (issue 9): each
test reads the number from 005 and checks the server cuts or refuses at that
number, not at another. Also RPL_TOPICWHOTIME (333) with nick!user@host and
the multi-target KICK and NAMES within TARGMAX."""
from __future__ import annotations

from conftest import unique


def chan() -> str:
    return "#" + unique("lim")


def targmax(client) -> dict[str, int | None]:
    out = {}
    for item in client.isupport["TARGMAX"].split(","):
        cmd, _, n = item.partition(":")
        out[cmd] = int(n) if n else None
    return out


def test_isupport_core_tokens_present(server):
    c = server.client(unique("u"))
    for key in ("AWAYLEN", "CHANMODES", "CHANNELLEN", "KICKLEN", "MONITOR", "NICKLEN",
                "PREFIX", "TARGMAX", "TOPICLEN", "USERLEN", "MODES", "MAXLIST"):
        assert key in c.isupport, (key, c.isupport)
    assert c.isupport["PREFIX"] == "(ov)@+"
    # Four comma-separated classes: list, always-param, param-when-set, flags.
    classes = c.isupport["CHANMODES"].split(",")
    assert len(classes) == 4 and "b" in classes[0] and "k" in classes[1] and "l" in classes[2]


def test_004_mode_letters_match_chanmodes(server):
    c = server.connect()
    got = c.register(unique("u"))
    myinfo = next(m for m in got if m.command == "004")
    chanmodes = "".join(server.client(unique("v")).isupport["CHANMODES"].split(","))
    letters = set(myinfo.params[4])
    assert set(chanmodes) | {"o", "v"} == letters, (myinfo.text, chanmodes)


def test_topiclen_is_what_topic_keeps(server):
    op = server.client(unique("op"))
    n = int(op.isupport["TOPICLEN"])
    ch = chan()
    op.join(ch)
    op.send(f"TOPIC {ch} :{'x' * (n + 50)}")
    t = op.expect("TOPIC")
    assert len(t.params[-1]) == n


def test_awaylen_is_what_away_keeps(server):
    a = server.client(unique("a"))
    b = server.client(unique("b"))
    n = int(a.isupport["AWAYLEN"])
    a.send(f"AWAY :{'y' * (n + 20)}")
    a.expect("306")
    b.send(f"WHOIS {a.nick}")
    away = b.expect("301")
    assert len(away.params[-1]) == n


def test_kicklen_is_what_kick_keeps(server):
    op = server.client(unique("op"))
    v = server.client(unique("v"))
    n = int(op.isupport["KICKLEN"])
    ch = chan()
    op.join(ch)
    v.join(ch)
    op.sync()
    op.send(f"KICK {ch} {v.nick} :{'z' * (n + 30)}")
    k = v.expect("KICK")
    assert len(k.params[-1]) == n


def test_monitor_limit_is_advertised_limit(server):
    c = server.client(unique("m"))
    n = int(c.isupport["MONITOR"])
    nicks = [f"mon{i}x" for i in range(n + 1)]
    for i in range(0, n, 40):
        c.send("MONITOR + " + ",".join(nicks[i:min(i + 40, n)]))
    assert not [m for m in c.sync() if m.command == "734"]
    c.send(f"MONITOR + {nicks[n]}")
    full = c.expect("734")
    assert full.params[1] == str(n)


def test_topicwhotime_gives_full_mask(server):
    """Issue 9 defect 3: 333 names the setter as nick!user@host, as Modern
    IRC's RPL_TOPICWHOTIME example shows (irssi printed 'set by bob []')."""
    op = server.client(unique("op"))
    other = server.client(unique("o"))
    ch = chan()
    op.join(ch)
    op.send(f"TOPIC {ch} :hello there")
    op.expect("TOPIC")
    got = other.join(ch)
    whotime = next(m for m in got if m.command == "333")
    setter = whotime.params[2]
    assert setter.startswith(op.nick + "!") and "@" in setter, whotime.text


def test_kick_several_nicks(server):
    op = server.client(unique("op"))
    a = server.client(unique("a"))
    b = server.client(unique("b"))
    ch = chan()
    op.join(ch)
    a.join(ch)
    b.join(ch)
    op.sync()
    op.send(f"KICK {ch} {a.nick},{b.nick} :bye")
    kicked = {m.params[1] for m in op.sync() if m.command == "KICK"}
    assert kicked == {a.nick, b.nick}


def test_kick_past_targmax_is_refused_with_407(server):
    op = server.client(unique("op"))
    n = targmax(op)["KICK"]
    ch = chan()
    op.join(ch)
    nicks = [unique("k") for _ in range(n + 1)]
    op.send(f"KICK {ch} {','.join(nicks)}")
    got = op.sync()
    assert [m for m in got if m.command == "441"].__len__() == n
    assert [m.params[1] for m in got if m.command == "407"] == [nicks[n]]


def test_names_several_channels_and_targmax(server):
    c = server.client(unique("n"))
    n = targmax(c)["NAMES"]
    rooms = [chan() for _ in range(n + 1)]
    for r in rooms[:2]:
        c.join(r)
    c.send(f"NAMES {rooms[0]},{rooms[1]}")
    ends = [m.params[1] for m in c.sync() if m.command == "366"]
    assert [e.lower() for e in ends] == [rooms[0].lower(), rooms[1].lower()]
    c.send("NAMES " + ",".join(rooms))
    got = c.sync()
    assert len([m for m in got if m.command == "366"]) == n
    assert [m.params[1] for m in got if m.command == "407"] == [rooms[n]]
