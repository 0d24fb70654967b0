"""A third-party client library (Debian's python3-irc, irc.client) logs in
to an account with SASL PLAIN, and with PASS account:password.

python3-irc 8.5 has no SASL of its own, so the test plays the part its
caller would: a connect factory sends CAP LS/REQ before the library's
NICK/USER (so registration waits), and handlers on the library's own
events answer AUTHENTICATE and end CAP on 903. Everything else (the
socket, the parsing, the events, registration) is the library's."""
import base64
import socket
import time

import pytest

irc_client = pytest.importorskip("irc.client")

from conftest import unique
from test_accounts import PASSWORD, accounts_config, register_account


def run_until(reactor, pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        reactor.process_once(timeout=0.1)
    return pred()


def capped_factory(address):
    """Like irc.connection.Factory: a connected socket, which first asks for
    the sasl capability so that registration waits for CAP END."""
    sock = socket.create_connection(address)
    sock.sendall(b"CAP LS 302\r\nCAP REQ :sasl\r\n")
    return sock


def test_python_irc_logs_in_with_sasl_plain(server_factory):
    srv = server_factory(config=accounts_config())
    name = unique("Lib")
    register_account(srv, name).close()
    events = {"logged_in": None, "welcome": False, "failed": [], "whois_account": None}
    reactor = (getattr(irc_client, "Reactor", None) or irc_client.IRC)()
    conn = reactor.server().connect("127.0.0.1", srv.port, name, username="lib",
                                    ircname="SASL library", connect_factory=capped_factory)

    def on_cap(c, e):
        if "ACK" in e.arguments:
            c.send_raw("AUTHENTICATE PLAIN")

    def on_authenticate(c, e):
        if e.target == "+" or (e.arguments and e.arguments[0] == "+"):
            c.send_raw("AUTHENTICATE " + base64.b64encode(
                f"\0{name}\0{PASSWORD}".encode()).decode())

    def on_900(c, e):
        events["logged_in"] = e.arguments[1]

    def on_903(c, e):
        c.cap("END")

    def on_fail(c, e):
        events["failed"].append(e.arguments)
        c.cap("END")

    def on_welcome(c, e):
        events["welcome"] = True

    conn.add_global_handler("cap", on_cap)
    conn.add_global_handler("authenticate", on_authenticate)
    conn.add_global_handler("900", on_900)
    conn.add_global_handler("903", on_903)
    conn.add_global_handler("904", on_fail)
    conn.add_global_handler("welcome", on_welcome)
    try:
        assert run_until(reactor, lambda: events["welcome"] or events["failed"]), events
        assert not events["failed"], events
        assert events["logged_in"] == name
        # another client sees the library's session as logged in
        raw = srv.client(unique("raw"))
        raw.send(f"WHOIS {name}")
        whois = raw.collect_until("318")
        assert any(m.command == "330" and m.params[2] == name for m in whois), whois
    finally:
        conn.close()


def test_python_irc_logs_in_with_pass(server_factory):
    srv = server_factory(config=accounts_config())
    name = unique("Pw")
    register_account(srv, name).close()
    events = {"logged_in": None, "welcome": False}
    reactor = (getattr(irc_client, "Reactor", None) or irc_client.IRC)()
    # the password has spaces, so give PASS its trailing form
    conn = reactor.server().connect("127.0.0.1", srv.port, name,
                                    password=f":{name}:{PASSWORD}", username="lib")
    conn.add_global_handler("900", lambda c, e: events.update(logged_in=e.arguments[1]))
    conn.add_global_handler("welcome", lambda c, e: events.update(welcome=True))
    try:
        assert run_until(reactor, lambda: events["welcome"]), events
        assert events["logged_in"] == name
    finally:
        conn.close()
