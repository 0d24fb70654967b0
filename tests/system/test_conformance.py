"""Conformance regressions: places where natterd deviated from the IRC
specifications (Modern IRC, RFC 1459/2812, IRCv3). Each test names the
section it follows; most failed before the matching fix (the rest guard
behaviour that the fixes must keep)."""
from __future__ import annotations

from conftest import numerics, unique


def chan() -> str:
    return "#" + unique("conf")


def reply(client, command):
    """The first reply with @command up to a sync point (None when absent)."""
    got = client.sync()
    for m in got:
        if m.command == command:
            return m
    return None


# --------------------------------------------------------------------------
# MODE parameters (Modern "Key Channel Mode", "Client Limit Channel Mode",
# "Ban Channel Mode", ERR_INVALIDMODEPARAM 696; RFC 2812 2.3.1 "key")
# --------------------------------------------------------------------------

def test_key_with_spaces_is_refused_with_696(server):
    """RFC 2812 2.3.1: a key has no spaces. Modern (Key Channel Mode): an
    invalid key SHOULD get ERR_INVALIDMODEPARAM. Before the fix natterd set
    the key and echoed `MODE #c +k passphrase with spaces`, a broken line."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    op.send(f"MODE {ch} +k :passphrase with spaces")
    got = op.sync()
    assert not [m for m in got if m.command == "MODE"], got
    bad = [m for m in got if m.command == "696"]
    assert len(bad) == 1, got
    assert bad[0].params[:4] == [op.nick, ch, "k", "*"]
    # The channel stays open: no key was set.
    other = server.client(unique("u"))
    other.join(ch)


def test_empty_key_is_refused_with_696(server):
    """Modern (Key Channel Mode): invalid values get 696 (or are ignored);
    an empty key must never lock the channel."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    op.send(f"MODE {ch} +k :")
    assert reply(op, "696") is not None
    server.client(unique("u")).join(ch)


def test_key_starting_with_colon_is_refused(server):
    """A key that starts with ':' cannot be sent back as a middle parameter
    (Modern, "Parameters"): it would read as a different key."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    op.send(f"MODE {ch} +k ::secret")
    got = op.sync()
    assert "696" in numerics(got) and "MODE" not in [m.command for m in got]


def test_long_key_is_truncated_and_usable(server):
    """Modern (Key Channel Mode) allows the server to echo a truncated key;
    the echoed key must then be the one that opens the channel."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    op.send(f"MODE {ch} +k {'long' * 100}")
    mode = op.expect("MODE", params=[ch, "+k"])
    key = mode.params[2]
    assert key.startswith("longlong") and len(key) < 400
    other = server.client(unique("u"))
    other.send(f"JOIN {ch}")
    assert reply(other, "475") is not None
    other.send(f"JOIN {ch} {key}")
    other.expect("JOIN", params=[ch])


def test_invalid_limits_get_696(server):
    """Modern (Client Limit Channel Mode, 696): zero, negative, non-numeric
    and out-of-range limits are refused and no limit is set."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    for bad in ("0", "-1", "abc", "5abc", "99999999999999999999"):
        op.send(f"MODE {ch} +l {bad}")
        got = op.sync()
        assert "MODE" not in [m.command for m in got], (bad, got)
        err = [m for m in got if m.command == "696"]
        assert err and err[0].params[:3] == [op.nick, ch, "l"], (bad, got)
    op.send(f"MODE {ch} +l :")
    assert reply(op, "696") is not None
    op.send(f"MODE {ch}")
    modeis = op.expect("324")
    assert "l" not in modeis.params[2]


def test_ban_mask_with_space_is_refused(server):
    """Modern (Ban Channel Mode): a mask is one parameter. Before the fix
    `MODE #c +b :a b` stored `a b!*@*` and echoed a line with an extra
    parameter."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    op.send(f"MODE {ch} +b :bad mask")
    got = op.sync()
    assert "696" in numerics(got) and "MODE" not in [m.command for m in got], got
    op.send(f"MODE {ch} +b")
    got = op.collect_until("368")
    assert "367" not in numerics(got)


def test_mode_argument_missing_gets_461(server):
    """Modern (MODE): a type B/C mode or a prefix mode given without its
    argument is an error answered with a numeric, not silently dropped."""
    op = server.client(unique("op"))
    ch = chan()
    op.join(ch)
    for modes in ("+k", "+l", "+o", "-v"):
        op.send(f"MODE {ch} {modes}")
        err = reply(op, "461")
        assert err is not None and err.params[1] == "MODE", modes


# --------------------------------------------------------------------------
# MONITOR (IRCv3 monitor)
# --------------------------------------------------------------------------

def test_monitor_silent_on_case_only_nick_change(server):
    """IRCv3 monitor: 730/731 tell that a nick came online or went offline.
    A case change keeps the same nick, so watchers hear nothing; before the
    fix they got 731 then 730."""
    watcher = server.client(unique("w"))
    target = unique("qux")
    watcher.send(f"MONITOR + {target}")
    watcher.expect("731")
    other = server.client(unique("b"))
    watcher.sync()
    other.send(f"NICK {target}")
    other.sync()
    on = watcher.expect("730")
    assert on.params[1].split("!")[0] == target
    other.send(f"NICK {target.upper()}")
    other.sync()
    assert [m for m in watcher.sync() if m.command in ("730", "731")] == []
    other.send(f"NICK {unique('z')}")
    other.sync()
    off = watcher.expect("731")
    assert off.params[1] == target.upper()


# --------------------------------------------------------------------------
# NAMES with no argument (RFC 1459 4.2.5, RFC 2812 3.2.5)
# --------------------------------------------------------------------------

def test_names_without_argument_lists_visible_channels(server):
    """RFC 2812 3.2.5: "If no <channel> parameter is given, a list of all
    channels and their occupants is returned." Secret channels the asker is
    not in stay hidden (RFC 2812 3.2.3 +s). Before the fix natterd sent
    only `366 *`."""
    a, b = server.client(unique("a")), server.client(unique("b"))
    pub, sec = chan(), chan()
    a.join(pub)
    b.join(sec)
    b.send(f"MODE {sec} +s")
    b.sync()
    a.send("NAMES")
    got = a.collect_until("366")
    replies = {m.params[2]: m.params[3] for m in got if m.command == "353"}
    assert replies.get(pub) == "@" + a.nick, got
    assert sec not in replies, got
    assert got[-1].params[1] == "*"
    b.send("NAMES")
    got = b.collect_until("366")
    assert sec in {m.params[2] for m in got if m.command == "353"}


# --------------------------------------------------------------------------
# Server <target> parameters (RFC 2812 3.4: MOTD, LUSERS, VERSION, TIME,
# LINKS, ADMIN, INFO; 3.6.2 WHOIS) -- natterd is the only server
# --------------------------------------------------------------------------

def test_query_for_unknown_server_gets_402(server):
    """RFC 2812 3.4.x / Modern (ADMIN, INFO, MOTD, TIME, VERSION): a <target>
    that is no known server gets ERR_NOSUCHSERVER, not this server's
    answer."""
    c = server.client(unique("c"))
    for line in ("ADMIN nowhere.example", "INFO nowhere.example", "MOTD nowhere.example",
                 "TIME nowhere.example", "VERSION nowhere.example",
                 "LUSERS * nowhere.example", "WHOIS nowhere.example " + c.nick):
        c.send(line)
        got = c.sync()
        assert numerics(got) == ["402"], (line, got)
        assert got[0].params[1] == "nowhere.example"


def test_query_for_this_server_or_a_user_on_it_is_answered(server):
    """RFC 2812 3.4: <target> may be this server's name, a mask matching it,
    or a nick of a user on it."""
    from conftest import SERVER_NAME
    c = server.client(unique("c"))
    for target in (SERVER_NAME, "*.systest.*", c.nick):
        c.send(f"ADMIN {target}")
        assert "256" in numerics(c.sync()), target
    c.send(f"WHOIS {SERVER_NAME} {c.nick}")
    assert "311" in numerics(c.sync())


def test_links_with_mask(server):
    """RFC 2812 3.4.5: LINKS [[<remote server>] <server mask>] lists the
    servers matching the mask, and 365 RPL_ENDOFLINKS carries the mask."""
    from conftest import SERVER_NAME
    c = server.client(unique("c"))
    c.send("LINKS")
    got = c.collect_until("365")
    assert [m.params[1] for m in got if m.command == "364"] == [SERVER_NAME]
    assert got[-1].params[1] == "*"
    c.send("LINKS *.nomatch")
    got = c.collect_until("365")
    assert "364" not in numerics(got) and got[-1].params[1] == "*.nomatch"


# --------------------------------------------------------------------------
# PRIVMSG beyond TARGMAX (RFC 2812 3.3.1 ERR_TOOMANYTARGETS)
# --------------------------------------------------------------------------

def test_privmsg_past_targmax_gets_407(server):
    """TARGMAX=PRIVMSG:4 (Modern, TARGMAX): extra targets are refused with a
    numeric (RFC 2812 3.3.1 lists ERR_TOOMANYTARGETS) instead of being
    dropped without a word; the first four are still delivered. NOTICE
    stays silent (RFC 2812 3.3.2)."""
    sender = server.client(unique("s"))
    peers = [server.client(unique("p")) for _ in range(5)]
    sender.send("PRIVMSG " + ",".join(p.nick for p in peers) + " :hi")
    got = sender.sync()
    err = [m for m in got if m.command == "407"]
    assert len(err) == 1 and err[0].params[1] == peers[4].nick, got
    for p in peers[:4]:
        p.expect("PRIVMSG", params=[p.nick, "hi"])
    assert not [m for m in peers[4].sync() if m.command == "PRIVMSG"]
    sender.send("NOTICE " + ",".join(p.nick for p in peers) + " :hi")
    assert numerics(sender.sync()) == []


# --------------------------------------------------------------------------
# Echoed parameters keep the reply's shape (Modern "Parameters"; RFC 2812
# 2.3.1: a middle parameter has no space and does not start with ':')
# --------------------------------------------------------------------------

def test_replies_never_echo_a_trailing_parameter_as_a_middle_one(server):
    """A client's last parameter may contain spaces or be empty; echoing it
    raw into a numeric (`366 nick a b :End`) shifted every later parameter.
    Such values are now shown as `*`."""
    c = server.client(unique("c"))
    cases = {
        "NICK :a b": "432", "NAMES :a b": "366", "WHO :a b": "315",
        "JOIN :#a b": "403", "MODE :a b": "401", "WHOWAS :a b": "406",
        "WHOIS :a b": "401", "HELP :a b": "524", "LINKS :a b": "365",
        "ADMIN :a b": "402", "TAGMSG :a b": "401", "WHO ::x": "315",
    }
    for line, numeric in cases.items():
        c.send(line)
        got = [m for m in c.sync() if m.command.isdigit()]
        assert got, line
        for m in got:
            assert m.params[1] == "*", (line, m.text)
            assert m.params[-1].startswith(("End", "No ", "Erroneous", "There")), (line, m.text)
        assert numeric in numerics(got), (line, got)


# --------------------------------------------------------------------------
# WHO and WHOWAS (RFC 2812 3.6.1, 3.6.3)
# --------------------------------------------------------------------------

def test_who_zero_and_realname_and_oper_flag(server_factory):
    """RFC 2812 3.6.1: WHO "0" lists all visible users; the mask is also
    matched against the real name; "WHO <mask> o" lists only operators."""
    srv = server_factory(opers={"boss": "hunter2"})
    a = srv.client(unique("a"))
    b = srv.connect(name="b")
    b.register(unique("b"), realname="Unique Realname Here")
    a.send("WHO 0")
    got = a.collect_until("315")
    assert {a.nick, b.nick} <= {m.params[5] for m in got if m.command == "352"}
    a.send("WHO :*Realname*")
    got = a.collect_until("315")
    assert [m.params[5] for m in got if m.command == "352"] == [b.nick]
    a.send("OPER boss hunter2")
    a.expect("381")
    a.send("WHO * o")
    got = a.collect_until("315")
    assert [m.params[5] for m in got if m.command == "352"] == [a.nick]


def test_whowas_wildcard_and_end_after_error(server):
    """RFC 2812 3.6.3: "Wildcards are allowed in the <target> parameter",
    and RPL_ENDOFWHOWAS ends every reply, even a lone error."""
    a = server.client(unique("a"))
    gone = unique("gone")
    b = server.client(gone)
    b.send("QUIT :bye")
    b.expect_closed()
    a.send(f"WHOWAS {gone[:4]}*")
    got = a.collect_until("369")
    assert [m.params[1] for m in got if m.command == "314"] == [gone]
    a.send("WHOWAS")
    got = a.sync()
    assert numerics(got) == ["431", "369"]


def test_cap_notify_cannot_be_disabled_after_ls_302(server):
    """IRCv3 cap-notify: it is implied by CAP LS 302 and cannot be disabled."""
    c = server.connect()
    c.send("CAP LS 302")
    c.expect("CAP")
    c.send("CAP REQ :-cap-notify")
    m = c.expect("CAP")
    assert m.params[1] == "NAK", m.text
    c.send("CAP LIST")
    assert "cap-notify" in c.expect("CAP").params[-1].split()


def test_echo_message_to_self_arrives_once(server):
    """IRCv3 echo-message: the echo is the message itself, so a message to
    oneself is delivered once, not twice."""
    a = server.client(unique("Self"), caps=["echo-message"])
    a.send(f"PRIVMSG {a.nick} :just me")
    a.send("PING :after")
    got = []
    while True:
        m = a.expect(("PRIVMSG", "PONG"))
        if m.command == "PONG":
            break
        got.append(m)
    assert len(got) == 1, [m.text for m in got]
