"""Names that deceive, and replies that must stay well-formed.

Spec: issue 8 items 8 (control and bidi characters in room names, nicks and
tag keys), 9 (list replies split at the 512-byte limit) and 10 (472 with a
whole UTF-8 character; no space, colon or empty middle parameter).
"""
import re

import pytest

from conftest import unique


DECEPTIVE = [
    "\x1b[31mred", "\x01ACTION", "\x02bold", "\x7fdel", "tab\there",
    "\u202egnp.exe", "\u202aembed", "\u2066isolate", "\u2069pdi", "c1\u0085",
]


def _deceptive(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069


@pytest.mark.parametrize("bad", DECEPTIVE)
def test_room_names_refuse_control_and_bidi(server, bad):
    c = server.client(unique("Dn"))
    c.send(f"JOIN #{bad}x")
    got = c.sync()
    assert not any(m.command == "JOIN" for m in got), f"joined #{bad!r}: {got}"
    errors = [m for m in got if m.command in ("403", "476", "479")]
    assert errors, f"no error for #{bad!r}: {got}"
    # The refusal does not echo the character back either.
    assert not any(_deceptive(ch) and ch in errors[0].text for ch in bad), errors[0].text


@pytest.mark.parametrize("bad", ["a\x1bb", "a\u202eb", "a\x01", "a\u0085"])
def test_nicks_refuse_control_and_bidi(server, bad):
    c = server.client(unique("Nk"))
    c.send(f"NICK {bad}")
    got = c.sync()
    assert any(m.command == "432" for m in got), got
    assert not any(m.command == "NICK" for m in got), got


def test_unicode_room_names_still_work(server):
    c = server.client(unique("Uc"))
    name = "#caf\u00e9-" + unique("u")
    got = c.join(name)
    assert any(m.command == "JOIN" for m in got)


@pytest.mark.parametrize("key", ["a\x1bb", "+a\x01b", "\u202ex", "a_b", "+", "x/"])
def test_bad_client_tag_keys_are_refused(server, key):
    chan = "#" + unique("tg")
    a = server.client(unique("Ta"), caps=["message-tags"])
    b = server.client(unique("Tb"), caps=["message-tags"])
    a.join(chan)
    b.join(chan)
    b.sync()
    # Tag keys are sent raw (no escaping exists for keys).
    a.send_raw(f"@{key}=1 PRIVMSG {chan} :tagged\r\n".encode())
    got = a.sync()
    assert any(m.command == "FAIL" and "INVALID_TAG" in m.params for m in got), got
    a.send(f"@+good-key=1 PRIVMSG {chan} :plain")
    m = b.expect("PRIVMSG")
    assert m.params[-1] == "plain", f"the bad-tag line was relayed: {m.text}"
    assert m.tags.get("+good-key") == "1"


# --- item 9: every list reply splits -----------------------------------------

def _items(msgs, numeric, sep=","):
    out = []
    for m in msgs:
        if m.command == numeric:
            out.extend(x for x in m.params[-1].split(sep) if x)
    return out


def test_monitor_lists_split_across_lines(server):
    c = server.client(unique("Mo"))
    limit = int(c.isupport.get("MONITOR") or 100)
    nicks = [f"N{i:03d}" + "q" * 26 for i in range(limit)]
    for start in range(0, limit, 10):
        c.send("MONITOR + " + ",".join(nicks[start:start + 10]))
    got = c.sync()
    assert sorted(n.lower() for n in _items(got, "731")) == sorted(n.lower() for n in nicks)
    c.send("MONITOR L")
    got = c.collect_until("733")
    listed = _items(got, "732")
    assert sorted(listed) == sorted(n.lower() for n in nicks), \
        f"MONITOR L listed {len(listed)} of {limit}"
    assert len([m for m in got if m.command == "732"]) > 1
    c.send("MONITOR S")
    got = c.sync()
    assert len(_items(got, "731")) == limit
    for m in got:
        assert len(m.raw) + 2 <= 512


def test_monitor_add_reply_splits(server):
    """730 carries nick!user@host of each online nick: 15 of them at 30
    characters do not fit one line."""
    online = [server.client(f"A{i:02d}" + "z" * 27) for i in range(15)]
    c = server.client(unique("Ma"))
    c.send("MONITOR + " + ",".join(o.nick for o in online))
    got = c.sync()
    replies = [m for m in got if m.command == "730"]
    assert len(replies) >= 2, got
    assert sorted(x.split("!")[0] for x in _items(got, "730")) == sorted(o.nick for o in online)


def test_whois_channel_list_splits(server):
    a = server.client(unique("Wa"))
    b = server.client(unique("Wb"))
    rooms = [f"#{unique('w')}" + "r" * 40 for _ in range(30)]
    for r in rooms:
        a.send(f"JOIN {r}")
    a.sync()
    b.send(f"WHOIS {a.nick}")
    got = b.collect_until("318")
    listed = _items(got, "319", sep=" ")
    assert sorted(x.lstrip("@+") for x in listed) == sorted(r.lower() for r in rooms) or \
        sorted(x.lstrip("@+").lower() for x in listed) == sorted(r.lower() for r in rooms), listed
    assert len([m for m in got if m.command == "319"]) > 1


# --- item 10: 472 and middle parameters ---------------------------------------

def test_mode_unknown_utf8_char_one_472(server):
    c = server.client(unique("Md"))
    chan = "#" + unique("md")
    c.join(chan)
    c.send(f"MODE {chan} +\u00e9")
    got = c.sync()
    errs = [m for m in got if m.command == "472"]
    assert len(errs) == 1, got
    assert errs[0].params[1] == "\u00e9", errs[0].text


@pytest.mark.parametrize("line", ["MODE {chan} :+ :", "MODE {chan} :+ ", "MODE {chan} :+:"])
def test_mode_reply_never_has_odd_middle_param(server, line):
    c = server.client(unique("Mc"))
    chan = "#" + unique("mc")
    c.join(chan)
    c.send(line.format(chan=chan))
    got = c.sync()
    errs = [m for m in got if m.command == "472"]
    assert errs, got
    for m in errs:
        assert re.fullmatch(r":\S+ 472 \S+ [^\s:]\S* :is unknown mode char to me",
                            m.text), m.text


def test_unknown_command_with_colon_is_not_echoed_raw(server):
    c = server.client(unique("Uk"))
    c.send(":x :FOO")
    got = c.sync()
    errs = [m for m in got if m.command == "421"]
    assert errs, got
    assert " :FOO :" not in errs[0].text, errs[0].text
    assert errs[0].params[-1] == "Unknown command", errs[0].text
