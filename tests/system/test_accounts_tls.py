"""Accounts over TLS: PLAIN allowed on TLS where plain-text connections
refuse it, SASL EXTERNAL with a client certificate the account added, and
python3-irc logging in with SASL over TLS."""
from __future__ import annotations

import base64
import socket

import pytest

from conftest import unique
from test_accounts import PASSWORD, accounts_config, cap_sasl, register_account, sasl_plain
from test_python_irc_sasl import run_until
from test_tls import TLS_LISTEN, client_context, gen_cert, tls_client, tls_port

irc_client = pytest.importorskip("irc.client")


@pytest.fixture
def tls_acc_server(server_factory):
    # loopback counts as remote, so only TLS makes PLAIN and PASS acceptable
    return server_factory(config=accounts_config(loopback_is_secure="false"),
                          extra_args=TLS_LISTEN)


def test_plain_and_pass_work_over_tls_only(tls_acc_server):
    srv = tls_acc_server
    name = unique("tl")
    register_account(srv, name).close()
    plain = srv.connect()
    cap_sasl(plain)
    plain.send("AUTHENTICATE PLAIN")
    assert "TLS" in plain.expect("904").params[-1]
    secure = tls_client(srv)
    cap_sasl(secure)
    sasl_plain(secure, name, PASSWORD)
    assert secure.expect("900").params[2] == name
    secure.expect("903")
    other = tls_client(srv)
    other.send(f"PASS :{name}:{PASSWORD}")
    other.send(f"NICK {unique('p')}")
    other.send("USER u 0 * :x")
    assert other.expect("900").params[2] == name
    other.expect("001")


def test_sasl_external_with_a_client_certificate(tls_acc_server, tmp_path):
    srv = tls_acc_server
    certdir = tmp_path / "client-cert"
    fingerprint = gen_cert(certdir)
    ctx = client_context(srv.data_dir / "tls-cert.pem", certdir / "tls-cert.pem",
                         certdir / "tls-key.pem")
    name = unique("ex")
    # register over TLS with the certificate, and add it to the account
    c = tls_client(srv, name, ctx=ctx)
    c.send(f"REGISTER * * :{PASSWORD}")
    c.expect("900")
    c.send("ACCOUNT CERT ADD")
    added = c.expect("NOTE")
    assert added.params[:2] == ["ACCOUNT", "CERTFP_ADDED"]
    assert added.params[2] == fingerprint.replace(":", "").lower()
    c.close()
    # log in again with nothing but the certificate
    d = tls_client(srv, ctx=ctx)
    cap_sasl(d)
    d.send("AUTHENTICATE EXTERNAL")
    d.expect("AUTHENTICATE", params=["+"])
    d.send("AUTHENTICATE +")
    assert d.expect("900").params[2] == name
    d.expect("903")
    # naming the account as authzid works too; naming another does not
    e = tls_client(srv, ctx=ctx)
    cap_sasl(e)
    e.send("AUTHENTICATE EXTERNAL")
    e.expect("AUTHENTICATE", params=["+"])
    e.send("AUTHENTICATE " + base64.b64encode(b"someoneelse").decode())
    assert "another account" in e.expect("904").params[-1]
    # a TLS client without a certificate, or with an unknown one, is refused
    f = tls_client(srv)
    cap_sasl(f)
    f.send("AUTHENTICATE EXTERNAL")
    f.expect("AUTHENTICATE", params=["+"])
    f.send("AUTHENTICATE +")
    assert "certificate" in f.expect("904").params[-1]


def test_python_irc_logs_in_with_sasl_over_tls(tls_acc_server):
    srv = tls_acc_server
    name = unique("Lt")
    register_account(srv, name).close()
    ctx = client_context(srv.data_dir / "tls-cert.pem")
    events = {"logged_in": None, "welcome": False, "failed": []}

    def tls_factory(address):
        sock = ctx.wrap_socket(socket.create_connection(address), server_hostname="localhost")
        sock.sendall(b"CAP LS 302\r\nCAP REQ :sasl\r\n")
        return sock

    reactor = (getattr(irc_client, "Reactor", None) or irc_client.IRC)()
    conn = reactor.server().connect("127.0.0.1", tls_port(srv), name, username="lib",
                                    connect_factory=tls_factory)

    def on_cap(c, e):
        if "ACK" in e.arguments:
            c.send_raw("AUTHENTICATE PLAIN")

    def on_authenticate(c, e):
        c.send_raw("AUTHENTICATE " + base64.b64encode(f"\0{name}\0{PASSWORD}".encode()).decode())

    conn.add_global_handler("cap", on_cap)
    conn.add_global_handler("authenticate", on_authenticate)
    conn.add_global_handler("900", lambda c, e: events.update(logged_in=e.arguments[1]))
    conn.add_global_handler("903", lambda c, e: c.cap("END"))
    conn.add_global_handler("904", lambda c, e: (events["failed"].append(e.arguments),
                                                 c.cap("END")))
    conn.add_global_handler("welcome", lambda c, e: events.update(welcome=True))
    try:
        assert run_until(reactor, lambda: events["welcome"] or events["failed"]), events
        assert not events["failed"], events
        assert events["logged_in"] == name
    finally:
        conn.close()
