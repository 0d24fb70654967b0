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
