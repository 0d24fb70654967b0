"""Issue 9 features through a real third-party client library (Debian's
python3-irc, irc.client): it reads natterd's ISUPPORT (PREFIX, CHANMODES,
TARGMAX, STATUSMSG, BOT, EXTBAN), sets the mute extban, sends a STATUSMSG,
asks WHOX and lists its invitations, beside a raw client."""
import time

import pytest

irc_client = pytest.importorskip("irc.client")

from conftest import unique


def test_python_irc_library_uses_issue9_features(server):
    chan = "#" + unique("libx")
    lib_nick = unique("Lib")
    seen = {"welcome": False, "joined": False, "whox": [], "invites": [], "end_invites": 0,
            "errors": []}

    reactor_cls = getattr(irc_client, "Reactor", None) or irc_client.IRC
    reactor = reactor_cls()
    conn = reactor.server().connect("127.0.0.1", server.port, lib_nick,
                                    username="libuser", ircname="Library User")

    def on_welcome(c, e):
        seen["welcome"] = True
        c.join(chan)

    def on_join(c, e):
        if irc_client.NickMask(e.source).nick == lib_nick:
            seen["joined"] = True

    def on_raw(c, e):
        parts = e.arguments[0].split(" ")
        if len(parts) > 1 and parts[1] == "354":
            seen["whox"].append(parts[3:])
        elif len(parts) > 1 and parts[1] == "336":
            seen["invites"].append(parts[3])
        elif len(parts) > 1 and parts[1] == "337":
            seen["end_invites"] += 1

    def on_error(c, e):
        seen["errors"].append((e.type, e.arguments))

    conn.add_global_handler("welcome", on_welcome)
    conn.add_global_handler("join", on_join)
    conn.add_global_handler("all_raw_messages", on_raw)
    for ev in ("nicknameinuse", "error", "cannotsendtochan", "unknownmode"):
        conn.add_global_handler(ev, on_error)

    def run_until(pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return True
            reactor.process_once(timeout=0.1)
        return pred()

    try:
        assert run_until(lambda: seen["joined"]), seen
        f = conn.features
        assert f.prefix == {"@": "o", "+": "v"}
        assert "b" in f.chanmodes[0] and "e" in f.chanmodes[0] and "I" in f.chanmodes[0]
        assert f.targmax["KICK"] == 4 and f.targmax["PRIVMSG"] == 4
        assert f.statusmsg == "@+" and f.bot == "B" and f.extban == ",m"

        raw = server.client(unique("Raw"))
        raw.join(chan)
        # The library mutes the raw client with the m: extban.
        conn.mode(chan, f"+b m:{raw.nick}")
        mode = raw.expect("MODE")
        assert mode.params[1:] == ["+b", f"m:{raw.nick}!*@*"]
        raw.send(f"PRIVMSG {chan} :am I heard?")
        assert raw.expect("404").params[1] == chan
        # It makes the raw client an operator and writes to the ops only.
        conn.mode(chan, f"+o {raw.nick}")
        raw.expect("MODE", params=[chan, "+o"])
        conn.privmsg("@" + chan, "ops only")
        m = raw.expect("PRIVMSG")
        assert m.nick == lib_nick and m.params == ["@" + chan, "ops only"]

        # WHOX (this library's who() knows only the "o" flag: send it raw).
        conn.send_raw(f"WHO {raw.nick} %tnf,77")
        assert run_until(lambda: seen["whox"]), seen
        assert seen["whox"][0] == ["77", raw.nick, "H"]

        # Bare INVITE lists its invitations.
        room2 = "#" + unique("inv")
        raw.join(room2)
        raw.send(f"INVITE {lib_nick} {room2}")
        raw.expect("341")
        conn.send_raw("INVITE")
        assert run_until(lambda: seen["end_invites"]), seen
        assert seen["invites"] == [room2]
        assert not seen["errors"], seen["errors"]
    finally:
        conn.close()
