"""A real third-party client library (Debian's python3-irc, irc.client)
connects to natterd, joins a room and exchanges messages with a raw client."""
import time

import pytest

irc_client = pytest.importorskip("irc.client")

from conftest import unique


def test_python_irc_library_chats_with_raw_client(server):
    chan = "#" + unique("lib")
    lib_nick = unique("Lib")
    events = {"welcome": False, "joined": False, "pubmsg": [], "privmsg": [], "errors": []}

    # python3-irc in Debian 12 predates the Reactor rename; support both.
    reactor_cls = getattr(irc_client, "Reactor", None) or irc_client.IRC
    reactor = reactor_cls()
    conn = reactor.server().connect("127.0.0.1", server.port, lib_nick,
                                    username="libuser", ircname="Library User")

    def on_welcome(c, e):
        events["welcome"] = True
        c.join(chan)

    def on_join(c, e):
        if irc_client.NickMask(e.source).nick == lib_nick:
            events["joined"] = True

    def on_pubmsg(c, e):
        events["pubmsg"].append((irc_client.NickMask(e.source).nick, e.target, e.arguments[0]))

    def on_privmsg(c, e):
        events["privmsg"].append((irc_client.NickMask(e.source).nick, e.arguments[0]))

    def on_error(c, e):
        events["errors"].append((e.type, e.arguments))

    conn.add_global_handler("welcome", on_welcome)
    conn.add_global_handler("join", on_join)
    conn.add_global_handler("pubmsg", on_pubmsg)
    conn.add_global_handler("privmsg", on_privmsg)
    for ev in ("nicknameinuse", "erroneusnickname", "error", "cannotsendtochan"):
        conn.add_global_handler(ev, on_error)

    def run_until(pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return True
            reactor.process_once(timeout=0.1)
        return pred()

    try:
        assert run_until(lambda: events["joined"]), f"library never joined: {events}"
        raw = server.client(unique("Raw"))
        raw.join(chan)
        # The raw client sees the library in the room.
        raw.send(f"NAMES {chan}")
        names = " ".join(m.params[-1] for m in raw.collect_until("366") if m.command == "353")
        assert lib_nick in names.replace("@", " ").split(), names

        raw.send(f"PRIVMSG {chan} :hello library ✓")
        raw.send(f"PRIVMSG {lib_nick} :private hello")
        assert run_until(lambda: events["pubmsg"] and events["privmsg"]), events
        assert events["pubmsg"][0] == (raw.nick, chan, "hello library ✓")
        assert events["privmsg"][0] == (raw.nick, "private hello")

        conn.privmsg(chan, "hi from irc.client")
        conn.privmsg(raw.nick, "direct from irc.client")
        m = raw.expect("PRIVMSG", params=[chan])
        assert m.nick == lib_nick and m.params[-1] == "hi from irc.client"
        m = raw.expect("PRIVMSG", params=[raw.nick])
        assert m.nick == lib_nick and m.params[-1] == "direct from irc.client"
        assert not events["errors"], events["errors"]

        conn.quit("library done")
        q = raw.expect("QUIT")
        assert q.nick == lib_nick and "library done" in q.params[-1]
    finally:
        conn.close()
