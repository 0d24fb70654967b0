"""Connection registration, ISUPPORT, MOTD and CAP negotiation.

Specs: Modern IRC "Connection Registration", RFC 2812 3.1, IRCv3
capability-negotiation (CAP LS 302/REQ/ACK/NAK/LIST/END) and cap-notify.
"""
import re

from conftest import (MOTD_LINES, NETWORK, SERVER_NAME, ConnectionClosed, Message,
                      numerics, unique)

REQUIRED_CAPS = {"cap-notify", "message-tags", "server-time", "echo-message",
                 "multi-prefix", "away-notify"}


def test_welcome_burst_001_to_005_then_motd(server):
    c = server.connect()
    nick = unique("Wel")
    got = c.register(nick)
    nums = numerics(got)
    # 001..004 come first and in order, then 005 (one or more), then the MOTD.
    assert nums[:4] == ["001", "002", "003", "004"], nums
    assert "005" in nums
    assert nums.index("375") > max(i for i, n in enumerate(nums) if n == "005")
    for m in got:
        if m.command.isdigit():
            assert m.source == SERVER_NAME, f"numerics come from the server name: {m.text}"
            assert m.params[0] == nick, m.text
    welcome = got[nums.index("001")]
    assert nick in welcome.params[-1]
    myinfo = [m for m in got if m.command == "004"][0]
    assert myinfo.params[1] == SERVER_NAME
    assert len(myinfo.params) >= 5, myinfo.text


def test_isupport_tokens(server):
    c = server.client(unique("Isu"))
    isup = c.isupport
    for m in c.log:
        if m.command == "005":
            assert m.params[-1] == "are supported by this server" or \
                "supported" in m.params[-1], m.text
            assert 2 <= len(m.params) <= 15, m.text
    assert isup.get("CASEMAPPING") == "rfc1459"
    assert isup.get("CHANTYPES") == "#"
    assert isup.get("PREFIX") == "(ov)@+"
    assert isup.get("NICKLEN") == "30"
    assert isup.get("NETWORK") == NETWORK
    for key in ("CHANNELLEN", "TOPICLEN"):
        assert key in isup and isup[key] and isup[key].isdigit(), (key, isup)
    # CHANMODES=A,B,C,D: b is a list mode, k always takes a parameter,
    # l only when set, and i m n t never.
    groups = isup.get("CHANMODES", "").split(",")
    assert len(groups) >= 4, isup.get("CHANMODES")
    assert "b" in groups[0]
    assert "k" in groups[1]
    assert "l" in groups[2]
    for mode in "imnt":
        assert mode in groups[3], (mode, groups)


def test_motd_sent_on_registration_and_on_request(server):
    c = server.connect()
    got = c.register(unique("Motd"))
    nums = numerics(got)
    assert "375" in nums and nums[-1] == "376"
    body = [m.params[-1] for m in got if m.command == "372"]
    for line in MOTD_LINES:
        assert any(line in b for b in body), (line, body)
    c.send("MOTD")
    got = c.collect_until(("376", "422"))
    assert [m.command for m in got if m.command.isdigit()][0] == "375"
    assert any(MOTD_LINES[0] in m.params[-1] for m in got if m.command == "372")


def test_no_motd_gives_422(server_factory):
    srv = server_factory(motd=None)
    c = srv.connect()
    got = c.register(unique("NoMotd"))
    assert "422" in numerics(got)
    assert "375" not in numerics(got)


def test_nick_then_user_and_user_then_nick(server):
    a = server.connect()
    a.send("NICK " + unique("Ord"))
    a.send("USER ord 0 * :Real Name")
    a.expect("001")
    b = server.connect()
    b.send("USER ord 0 * :Real Name")
    b.send("NICK " + unique("Ord"))
    b.expect("001")


def test_commands_are_case_insensitive_and_bare_lf_accepted(server):
    c = server.connect()
    nick = unique("Lc")
    c.send_raw(f"nick {nick}\nuser lc 0 * :x\n".encode())
    c.expect("001")
    c.send_raw(b"ping :tok-lf\n")
    pong = c.expect("PONG")
    assert pong.params[-1] == "tok-lf"


def test_ping_pong_format(server):
    c = server.client(unique("Png"))
    c.send("PING :hello-there")
    pong = c.expect("PONG")
    assert pong.params[-1] == "hello-there"
    assert pong.source == SERVER_NAME or pong.params[0] == SERVER_NAME, pong.text


def test_pass_before_registration_is_accepted(server):
    c = server.connect()
    c.send("PASS whatever")
    c.send("NICK " + unique("Pas"))
    c.send("USER pas 0 * :x")
    c.expect("001")


def test_431_no_nickname_given(server):
    c = server.connect()
    c.send("NICK")
    m = c.expect(("431", "461"))
    assert m.command == "431", f"Modern IRC: NICK without a nickname -> 431, got {m.text}"
    c.send("NICK :")
    c.expect("431")


def test_432_erroneous_nicknames(server):
    c = server.connect()
    bad = ["1abc", "-dash", "abc!def", "abc@def", "#chan", "a,b", "a*b", "a?b",
           "x" * 31, "a:b", "$dollar", "a.b"]
    for nick in bad:
        c.send(f"NICK {nick}")
        m = c.expect(("432", "001", "433"))
        assert m.command == "432", f"NICK {nick!r}: expected 432, got {m.text}"
    # Still able to register afterwards with a valid nick.
    c.send("NICK " + unique("Good"))
    c.send("USER good 0 * :x")
    c.expect("001")


def test_valid_nick_shapes_accepted(server):
    for nick in ["[x]`_^{|}-9", "\\back", "a" * 30, "_u", "|pipe"]:
        c = server.connect()
        c.send(f"NICK {nick}")
        c.send("USER v 0 * :x")
        m = c.expect(("001", "432", "433"))
        assert m.command == "001", f"NICK {nick!r} is valid (1-30 chars): {m.text}"
        assert m.params[0] == nick
        c.send("QUIT")
        c.expect_closed()


def test_433_nickname_in_use_case_insensitive(server):
    nick = unique("Dup")
    server.client(nick)
    for attempt in (nick, nick.upper(), nick.lower()):
        c = server.connect()
        c.send(f"NICK {attempt}")
        c.send("USER d 0 * :x")
        m = c.expect(("433", "001"))
        assert m.command == "433", f"{attempt} collides with {nick}: {m.text}"
        assert m.params[1] == attempt
        c.close()


def test_433_rfc1459_casemapping_brackets(server):
    # Under rfc1459, []\~ are the upper case of {}|^.
    base = unique("cm")
    server.client(f"{base}[a]\\")
    c = server.connect()
    c.send(f"NICK {base.upper()}{{A}}|")
    c.send("USER d 0 * :x")
    m = c.expect(("433", "001"))
    assert m.command == "433", f"rfc1459: {{}}| fold to []\\: {m.text}"


def test_433_when_changing_nick_after_registration(server):
    a = unique("Aa")
    server.client(a)
    b = server.client(unique("Bb"))
    b.send(f"NICK {a.swapcase()}")
    m = b.expect(("433", "NICK"))
    assert m.command == "433"


def test_nick_change_seen_by_self_and_channel_peers(server):
    chan = "#" + unique("nk")
    a = server.client(unique("Old"))
    b = server.client(unique("Peer"))
    a.join(chan)
    b.join(chan)
    old = a.nick
    new = unique("New")
    a.send(f"NICK {new}")
    m = a.expect("NICK")
    assert m.nick == old and m.params[0] == new
    m = b.expect("NICK")
    assert m.nick == old and m.params[0] == new
    # The old nick is free again, the new one is taken.
    c = server.connect()
    c.send(f"NICK {old}")
    c.send("USER x 0 * :x")
    c.expect("001")


def test_451_commands_before_registration(server):
    c = server.connect()
    for line in ("JOIN #lobby", "PRIVMSG #lobby :hi", "WHOIS x", "LIST"):
        c.send(line)
        m = c.expect("451")
        assert m.params[0] == "*", f"unregistered client is '*': {m.text}"


def test_461_need_more_params(server):
    c = server.connect()
    c.send("USER onlyone")
    m = c.expect("461")
    assert m.params[1] == "USER"
    c.register(unique("Nmp"))
    for line, cmd in (("JOIN", "JOIN"), ("PART", "PART"), ("KICK #x", "KICK"),
                      ("MODE", "MODE"), ("INVITE somebody", "INVITE"), ("WHOIS", None),
                      ("TOPIC", "TOPIC"), ("OPER a", "OPER"), ("KILL", "KILL")):
        c.send(line)
        m = c.expect(("461", "431"))
        if cmd:
            assert m.command == "461" and m.params[1] == cmd, f"{line}: {m.text}"


def test_462_already_registered(server):
    c = server.client(unique("Reg"))
    c.send("USER again 0 * :x")
    c.expect("462")
    c.send("PASS again")
    c.expect("462")


def test_quit_gets_error_and_peers_see_quit(server):
    chan = "#" + unique("q")
    a = server.client(unique("Quitter"))
    b = server.client(unique("Stay"))
    a.join(chan)
    b.join(chan)
    b.sync()
    a.send("QUIT :gone fishing")
    got = a.expect_closed()
    assert any(m.command == "ERROR" for m in got), got
    m = b.expect("QUIT")
    assert m.nick == a.nick and "gone fishing" in m.params[-1]


def test_quit_before_registration(server):
    c = server.connect()
    c.send("QUIT")
    got = c.expect_closed()
    assert any(m.command == "ERROR" for m in got)


# -------------------------------------------------------------------- CAP

def test_cap_ls_302_lists_required_caps(server):
    c = server.connect()
    c.send("CAP LS 302")
    m = c.expect("CAP")
    assert m.params[0] == "*" and m.params[1] == "LS", m.text
    c.pending.insert(0, m)
    caps = c.read_cap_ls()
    missing = REQUIRED_CAPS - set(caps)
    assert not missing, f"CAP LS lacks {missing}: {sorted(caps)}"


def test_cap_ls_301_has_no_values_and_is_one_line(server):
    c = server.connect()
    c.send("CAP LS")
    m = c.expect("CAP")
    assert m.params[1] == "LS" and len(m.params) == 3, m.text
    assert m.params[2] != "*"
    assert not any("=" in cap for cap in m.params[2].split()), m.text


def test_registration_held_until_cap_end(server):
    c = server.connect()
    c.send("CAP LS 302")
    c.read_cap_ls()
    c.send("NICK " + unique("Held"))
    c.send("USER held 0 * :x")
    c.send("CAP LIST")
    got = c.collect_until("CAP", params=[None, "LIST"])
    assert "001" not in numerics(got), "registration must wait for CAP END"
    c.send("CAP END")
    c.expect("001")


def test_cap_req_ack_and_list(server):
    c = server.connect()
    c.send("CAP LS 302")
    c.read_cap_ls()
    c.send("CAP REQ :multi-prefix server-time")
    m = c.expect("CAP", params=[None, ("ACK")])
    assert set(m.params[-1].split()) == {"multi-prefix", "server-time"}
    c.send("CAP LIST")
    m = c.expect("CAP", params=[None, "LIST"])
    enabled = set(m.params[-1].split()) - {"cap-notify"}
    assert enabled == {"multi-prefix", "server-time"}, m.text
    c.send("NICK " + unique("Ack"))
    c.send("USER ack 0 * :x")
    c.send("CAP END")
    c.expect("001")


def test_cap_req_nak_is_atomic_and_echoes_request(server):
    c = server.connect()
    c.send("CAP LS 302")
    c.read_cap_ls()
    c.send("CAP REQ :foo multi-prefix bar")
    m = c.expect("CAP")
    assert m.params[1] == "NAK" and m.params[2] == "foo multi-prefix bar", m.text
    c.send("CAP LIST")
    m = c.expect("CAP", params=[None, "LIST"])
    assert "multi-prefix" not in m.params[-1].split(), "a NAKed set enables nothing"
    c.send("CAP REQ :multi-prefix")
    m = c.expect("CAP")
    assert m.params[1] == "ACK" and m.params[2].strip() == "multi-prefix"


def test_cap_list_empty_before_anything(server):
    c = server.connect()
    c.send("CAP LIST")
    m = c.expect("CAP")
    assert m.params == ["*", "LIST", ""], m.text


def test_cap_req_after_registration_and_removal(server):
    c = server.client(unique("Late"))
    c.send("CAP REQ :server-time")
    m = c.expect("CAP")
    assert m.params[0] == c.nick and m.params[1] == "ACK", m.text
    c.send("CAP REQ :-server-time")
    m = c.expect("CAP")
    assert m.params[1] == "ACK" and m.params[2].strip() == "-server-time", m.text
    c.send("CAP LIST")
    m = c.expect("CAP", params=[None, "LIST"])
    assert "server-time" not in m.params[-1].split()


def test_cap_invalid_subcommand_410(server):
    c = server.connect()
    c.send("CAP FROBNICATE")
    m = c.expect("410")
    assert m.params[1].upper() == "FROBNICATE", m.text


def test_cap_notify_can_be_requested(server):
    c = server.connect()
    c.send("CAP LS 302")
    caps = c.read_cap_ls()
    assert "cap-notify" in caps
    c.send("CAP REQ :cap-notify")
    m = c.expect("CAP")
    assert m.params[1] == "ACK" and m.params[2].strip() == "cap-notify"
    c.send("CAP END")
    c.send("NICK " + unique("Cn"))
    c.send("USER cn 0 * :x")
    c.expect("001")


def test_cap_end_without_negotiation_and_cap_ls_mid_registration(server):
    c = server.connect()
    c.send("NICK " + unique("Mid"))
    c.send("CAP LS 302")
    c.read_cap_ls()
    c.send("USER mid 0 * :x")
    c.send("CAP END")
    c.expect("001")


def test_cap_before_nick_uses_star_after_uses_nick(server):
    c = server.connect()
    c.send("CAP LS 302")
    m = c.expect("CAP")
    assert m.params[0] == "*"
    c.read_cap_ls() if len(m.params) >= 4 and m.params[2] == "*" else None
    c.send("CAP END")
    nick = unique("Cs")
    c.send(f"NICK {nick}")
    c.send("USER cs 0 * :x")
    c.expect("001")
    c.send("CAP LS 302")
    m = c.expect("CAP")
    assert m.params[0] == nick


def test_empty_realname_461(server):
    c = server.connect()
    c.send("NICK " + unique("Er"))
    c.send("USER username * * :")
    m = c.expect(("461", "001"))
    assert m.command == "461" and m.params[1] == "USER", m.text


def test_simultaneous_registration_same_nick(server):
    nick = unique("Race")
    a = server.connect(name="a")
    b = server.connect(name="b")
    a.send(f"NICK {nick}")
    b.send(f"NICK {nick}")
    a.send("USER a 0 * :x")
    b.send("USER b 0 * :x")
    results = []
    for c in (a, b):
        try:
            results.append(c.expect(("001", "433")).command)
        except ConnectionClosed:
            results.append(None)
    assert sorted(r or "" for r in results) == ["001", "433"], results


def test_nick_case_change_of_own_nick(server):
    c = server.client(unique("case"))
    new = c.nick.upper()
    c.send(f"NICK {new}")
    m = c.expect(("NICK", "433"))
    assert m.command == "NICK" and m.params[0] == new, m.text


def test_ping_without_token(server):
    c = server.client(unique("Pn"))
    c.send("PING")
    m = c.expect(("409", "461", "PONG"))
    assert m.command in ("409", "461"), m.text
