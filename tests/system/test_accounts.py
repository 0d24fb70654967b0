"""Accounts: REGISTER/VERIFY, SASL PLAIN and SCRAM-SHA-256, PASS
account:password, ACCOUNT (password, drop, certificates, logout), login
throttling, owned nicknames with their grace period, account-notify,
extended-join, WHOIS 330, user mode +r, and accounts surviving a restart.

Every server here hashes with a small argon2id cost so the suite stays fast;
the cost itself is a config value (see natterd.8)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

import pytest

from conftest import unique

FAST = {"argon2_ops": "1", "argon2_mem_kib": "8192"}
PASSWORD = "correct horse battery"


def accounts_config(**extra) -> dict:
    section = dict(FAST)
    section.update({k: str(v) for k, v in extra.items()})
    return {"accounts": section}


@pytest.fixture
def acc_server(server_factory):
    return server_factory(config=accounts_config())


def register_account(server, name, password=PASSWORD):
    """A connection that registers @name as nick and account, logged in."""
    c = server.client(name)
    c.send(f"REGISTER * * :{password}")
    ok = c.expect("REGISTER", params=["SUCCESS"])
    assert ok.params[1] == name
    c.expect("900")
    return c


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode() if data else "+"


def sasl_plain(c, account, password, authzid=""):
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE " + b64(f"{authzid}\0{account}\0{password}".encode()))


class ScramClient:
    """The client side of SCRAM-SHA-256 (RFC 5802/7677), for the tests."""

    def __init__(self, user, password):
        self.user = user
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = f"n={user},r={self.nonce}"

    def client_first(self) -> bytes:
        return ("n,," + self.first_bare).encode()

    def client_final(self, server_first: str) -> bytes:
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        assert attrs["r"].startswith(self.nonce)
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth = f"{self.first_bare},{server_first},{without_proof}".encode()
        sig = hmac.new(stored, auth, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        self.expected_v = base64.b64encode(hmac.new(server_key, auth, "sha256").digest()).decode()
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()


def sasl_scram(c, account, password):
    """Runs SCRAM up to the server's verdict; returns the final numeric."""
    sc = ScramClient(account, password)
    c.send("AUTHENTICATE SCRAM-SHA-256")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE " + b64(sc.client_first()))
    first = c.expect("AUTHENTICATE")
    c.send("AUTHENTICATE " + b64(sc.client_final(base64.b64decode(first.params[0]).decode())))
    m = c.expect(("AUTHENTICATE", "904"))
    if m.command == "904":
        return m
    assert base64.b64decode(m.params[0]).decode() == "v=" + sc.expected_v
    c.send("AUTHENTICATE +")
    return c.expect(("903", "904"))


def cap_sasl(c):
    c.send("CAP LS 302")
    caps = c.read_cap_ls()
    c.send("CAP REQ :sasl")
    c.expect("CAP", params=[None, "ACK"])
    return caps


# --------------------------------------------------------------------------
# registering
# --------------------------------------------------------------------------

def test_register_logs_in_and_is_advertised(acc_server):
    c = acc_server.connect()
    c.send("CAP LS 302")
    caps = c.read_cap_ls()
    assert caps.get("sasl") == "EXTERNAL,PLAIN,SCRAM-SHA-256"
    assert "before-connect" in caps.get("draft/account-registration", "")
    for cap in ("account-notify", "account-tag", "extended-join"):
        assert cap in caps
    name = unique("reg")
    c.send(f"NICK {name}")
    c.send(f"REGISTER * * :{PASSWORD}")
    ok = c.expect("REGISTER", params=["SUCCESS"])
    assert ok.params[1] == name
    logged = c.expect("900")
    assert logged.params[2] == name
    c.send("USER u 0 * :x")
    c.send("CAP END")
    c.expect("001")
    c.expect(("376", "422"))
    c.send(f"MODE {name}")
    assert "r" in c.expect("221").params[1]


def test_register_errors(acc_server):
    owner = register_account(acc_server, unique("own"))
    c = acc_server.client(unique("other"))
    c.send(f"REGISTER {owner.nick} * :{PASSWORD}")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "ACCOUNT_EXISTS"]
    c.send("REGISTER * * :short")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "WEAK_PASSWORD"]
    c.send(f"REGISTER 9bad * :{PASSWORD}")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "BAD_ACCOUNT_NAME"]
    # a name someone else online wears cannot be taken from under them
    d = acc_server.client(unique("worn"))
    c.send(f"REGISTER {d.nick} * :{PASSWORD}")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "BAD_ACCOUNT_NAME"]
    owner.send(f"REGISTER * * :{PASSWORD}")
    assert owner.expect("FAIL").params[:2] == ["REGISTER", "ALREADY_AUTHENTICATED"]
    c.send("VERIFY x 123")
    assert c.expect("FAIL").params[:2] == ["VERIFY", "INVALID_CODE"]


def test_registration_can_be_disabled(server_factory):
    srv = server_factory(config=accounts_config(registration="false"))
    c = srv.client(unique("n"))
    c.send(f"REGISTER * * :{PASSWORD}")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "TEMPORARILY_UNAVAILABLE"]


# --------------------------------------------------------------------------
# logging in
# --------------------------------------------------------------------------

def test_sasl_plain_before_registration(acc_server):
    name = unique("pl")
    register_account(acc_server, name).close()
    c = acc_server.connect()
    cap_sasl(c)
    c.send(f"NICK {name}")
    c.send("USER u 0 * :x")
    sasl_plain(c, name, PASSWORD)
    m = c.expect("900")
    assert m.params[2] == name
    c.expect("903")
    c.send("CAP END")
    welcome = c.expect("001")
    assert welcome.params[0] == name
    c.expect(("376", "422"))
    c.send("AUTHENTICATE PLAIN")
    c.expect("907")


def test_sasl_plain_wrong_password_and_unknown_account(acc_server):
    name = unique("pw")
    register_account(acc_server, name).close()
    c = acc_server.connect()
    cap_sasl(c)
    sasl_plain(c, name, "not the password")
    wrong = c.expect("904")
    sasl_plain(c, unique("nobody"), PASSWORD)
    unknown = c.expect("904")
    # the same words either way: nobody learns which accounts exist
    assert wrong.params[-1] == unknown.params[-1]
    sasl_plain(c, name, PASSWORD, authzid="someoneelse")
    c.expect("904")
    sasl_plain(c, name, PASSWORD)
    c.expect("900")
    c.expect("903")


def test_sasl_scram(acc_server):
    name = unique("sc")
    register_account(acc_server, name).close()
    c = acc_server.connect()
    cap_sasl(c)
    assert sasl_scram(c, name, "wrong password").command == "904"
    assert sasl_scram(c, unique("ghost"), PASSWORD).command == "904"
    assert sasl_scram(c, name, PASSWORD).command == "903"
    c.send(f"NICK {name}")
    c.send("USER u 0 * :x")
    c.send("CAP END")
    c.expect("001")


def test_sasl_abort_unknown_mechanism_and_too_long(acc_server):
    c = acc_server.connect()
    cap_sasl(c)
    c.send("AUTHENTICATE DIGEST-MD5")
    assert c.expect("908").params[1] == "EXTERNAL,PLAIN,SCRAM-SHA-256"
    c.expect("904")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE *")
    c.expect("906")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE " + "A" * 401)
    c.expect("905")
    # chunks of 400 that never end
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    for _ in range(30):
        c.send("AUTHENTICATE " + "A" * 400)
    c.expect("905")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE not*base64")
    c.expect("904")
    # CAP END in the middle of an exchange aborts it
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    c.send(f"NICK {unique('ab')}")
    c.send("USER u 0 * :x")
    c.send("CAP END")
    c.expect("906")
    c.expect("001")


def test_sasl_plain_in_400_byte_chunks(acc_server):
    name = unique("ch")
    password = "p" * 350
    register_account(acc_server, name, password).close()
    c = acc_server.connect()
    cap_sasl(c)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", params=["+"])
    data = base64.b64encode(f"\0{name}\0{password}".encode()).decode()
    assert len(data) > 400
    for i in range(0, len(data), 400):
        c.send("AUTHENTICATE " + data[i:i + 400])
    if len(data) % 400 == 0:
        c.send("AUTHENTICATE +")
    c.expect("900")
    c.expect("903")


def test_pass_account_password(acc_server):
    name = unique("ps")
    register_account(acc_server, name).close()
    c = acc_server.connect()
    # PASS, NICK and USER in one write: 001 waits for the password check
    c.send_raw(f"PASS :{name}:{PASSWORD}\r\nNICK {name}\r\nUSER u 0 * :x\r\n".encode())
    logged = c.expect("900")
    assert logged.params[2] == name
    c.expect("001")
    assert not any(m.command == "001" for m in c.skipped)
    d = acc_server.connect()
    d.send_raw(f"PASS {name}:wrongwrong\r\nNICK {unique('x')}\r\nUSER u 0 * :x\r\n".encode())
    d.expect("464")
    d.expect("001")
    assert not any(m.command == "900" for m in d.skipped)


def test_plain_and_pass_refused_without_tls(server_factory):
    srv = server_factory(config=accounts_config(loopback_is_secure="false"))
    name = unique("ins")
    register_account(srv, name).close()
    c = srv.connect()
    cap_sasl(c)
    c.send("AUTHENTICATE PLAIN")
    refused = c.expect("904")
    assert "TLS" in refused.params[-1]
    c.send(f"PASS :{name}:{PASSWORD}")
    fail = c.expect("FAIL")
    assert fail.params[:2] == ["PASS", "INSECURE_CONNECTION"]
    # SCRAM never sends the password, so it is allowed
    assert sasl_scram(c, name, PASSWORD).command == "903"


# --------------------------------------------------------------------------
# guessing is expensive
# --------------------------------------------------------------------------

def test_failed_logins_are_throttled(server_factory):
    srv = server_factory(config=accounts_config(login_free_failures=2, login_delay=2,
                                                login_delay_max=8))
    name = unique("th")
    register_account(srv, name).close()
    c = srv.connect()
    cap_sasl(c)
    for _ in range(3):
        sasl_plain(c, name, "guess guess")
        assert "wrong" in c.expect("904").params[-1]
    # now even the right password is refused at once, with the reason
    started = time.monotonic()
    sasl_plain(c, name, PASSWORD)
    m = c.expect("904")
    assert "Too many failed logins" in m.params[-1]
    assert "try again in" in m.params[-1]
    # another address would still be throttled by the account; this address
    # is throttled for other accounts too
    other = unique("th2")
    register_account(srv, other).close()
    sasl_plain(c, other, PASSWORD)
    assert "Too many failed logins for this address" in c.expect("904").params[-1]
    # once the delay is over, the right password works
    while time.monotonic() - started < 2.5:
        time.sleep(0.25)
    sasl_plain(c, name, PASSWORD)
    c.expect("903", timeout=10)


def test_pass_is_throttled_too(server_factory):
    srv = server_factory(config=accounts_config(login_free_failures=0, login_delay=30))
    name = unique("tp")
    register_account(srv, name).close()
    c = srv.connect()
    c.send(f"PASS {name}:badbadbad")
    c.expect("464")
    d = srv.connect()
    d.send(f"PASS :{name}:{PASSWORD}")
    m = d.expect("FAIL")
    assert m.params[:2] == ["PASS", "RATE_LIMITED"]
    assert "try again in" in m.params[-1]


# --------------------------------------------------------------------------
# who is logged in: account-notify, account-tag, extended-join, 330, +r
# --------------------------------------------------------------------------

def test_account_visible_to_others(acc_server):
    room = "#" + unique("acc")
    name = unique("vis")
    watcher = acc_server.client(unique("w"), caps=["account-notify", "extended-join",
                                                    "account-tag", "message-tags"])
    plain = acc_server.client(unique("p"))
    watcher.join(room)
    plain.join(room)
    user = acc_server.client(name)
    user.join(room)
    join = watcher.expect("JOIN", source_nick=name)
    assert join.params == [room, "*", "System Test"]
    assert plain.expect("JOIN", source_nick=name).params == [room]
    user.send(f"REGISTER * * :{PASSWORD}")
    user.expect("900")
    assert user.expect("MODE").params[-1] == "+r"
    assert watcher.expect("ACCOUNT", source_nick=name).params == [name]
    user.send(f"PRIVMSG {room} :hello")
    msg = watcher.expect("PRIVMSG", source_nick=name)
    assert msg.tags.get("account") == name
    got = plain.expect("PRIVMSG", source_nick=name)
    assert "account" not in got.tags
    # extended-join carries the account once logged in
    user.send(f"PART {room}")
    user.join(room)
    assert watcher.expect("JOIN", source_nick=name).params == [room, name, "System Test"]
    watcher.send(f"WHOIS {name}")
    whois = watcher.collect_until("318")
    assert any(m.command == "330" and m.params[1:3] == [name, name] for m in whois)
    user.send("ACCOUNT LOGOUT")
    user.expect("901")
    assert watcher.expect("ACCOUNT", source_nick=name).params == ["*"]
    watcher.send(f"WHOIS {name}")
    assert not any(m.command == "330" for m in watcher.collect_until("318"))
    plain.sync()
    assert not any(m.command == "ACCOUNT" for m in plain.log)


# --------------------------------------------------------------------------
# names are owned
# --------------------------------------------------------------------------

def test_squatter_renamed_after_short_grace(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=1))
    name = unique("own")
    register_account(srv, name).close()
    friend = srv.client(unique("fr"))
    room = "#" + unique("g")
    friend.join(room)
    squatter = srv.client(name)
    note = squatter.expect("NOTICE")
    assert "registered to an account" in note.params[-1]
    assert "1 seconds" in note.params[-1]
    squatter.join(room)
    started = time.monotonic()
    nick = squatter.expect("NICK", timeout=10)
    assert time.monotonic() - started >= 0.5
    assert nick.params[0].startswith("Guest")
    assert friend.expect("NICK", source_nick=name).params[0] == nick.params[0]
    squatter.send(f"MODE {nick.params[0]}")
    squatter.expect("221")


def test_squatter_waits_the_real_grace_then_is_renamed(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=4))
    name = unique("own")
    register_account(srv, name).close()
    squatter = srv.client(name)
    started = time.monotonic()
    squatter.expect("NOTICE")
    # still holding the name well inside the grace period
    time.sleep(2)
    squatter.sync()
    assert not any(m.command == "NICK" for m in squatter.log)
    nick = squatter.expect("NICK", timeout=15)
    assert time.monotonic() - started >= 3.5
    assert nick.params[0].startswith("Guest")


def test_squatter_renamed_at_once_when_owner_logs_in(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=600))
    name = unique("own")
    register_account(srv, name).close()
    squatter = srv.client(name)
    squatter.expect("NOTICE")
    owner = srv.connect()
    cap_sasl(owner)
    sasl_plain(owner, name, PASSWORD)
    owner.expect("903")
    squatter.expect("NICK", timeout=5)
    owner.send(f"NICK {name}")
    owner.send("USER u 0 * :x")
    owner.send("CAP END")
    assert owner.expect("001").params[0] == name


def test_logging_in_keeps_the_nick_and_owner_may_take_it(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=1))
    name = unique("own")
    register_account(srv, name).close()
    c = srv.client(name)
    c.expect("NOTICE")
    c.send(f"PASS :{name}:{PASSWORD}")  # too late for PASS: already registered
    c.expect("462")
    sasl_plain(c, name, PASSWORD)
    c.expect("903")
    time.sleep(1.5)
    c.sync()
    assert not any(m.command == "NICK" for m in c.log)
    # a second connection of the same account uses another nick, unharmed
    d = srv.connect()
    cap_sasl(d)
    sasl_plain(d, name, PASSWORD)
    d.expect("903")
    d.send(f"NICK {name}")
    d.expect("433")
    d.send(f"NICK {name}_phone")
    d.send("USER u 0 * :x")
    d.send("CAP END")
    d.expect("001")
    c.sync()
    assert not any(m.command == "NICK" for m in c.log)


def test_changing_to_an_owned_nick_is_warned(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=1))
    name = unique("own")
    register_account(srv, name).close()
    c = srv.client(unique("free"))
    c.send(f"NICK {name}")
    c.expect("NICK")
    c.expect("NOTICE")
    # moving off the owned nick in time stops the countdown
    c.send(f"NICK {unique('away')}")
    c.expect("NICK")
    time.sleep(1.5)
    c.sync()
    assert not any(m.command == "NICK" and m.params[0].startswith("Guest") for m in c.log)


# --------------------------------------------------------------------------
# ACCOUNT: password, certificates, drop; persistence
# --------------------------------------------------------------------------

def test_account_password_change(acc_server):
    name = unique("cp")
    c = register_account(acc_server, name)
    c.send(f"ACCOUNT PASSWORD wrongwrong :new password here")
    assert c.expect("FAIL").params[:2] == ["ACCOUNT", "WRONG_PASSWORD"]
    c.send(f"ACCOUNT PASSWORD :{PASSWORD}")
    c.expect("461")
    c.send("ACCOUNT PASSWORD whatever :short")
    assert c.expect("FAIL").params[:2] == ["ACCOUNT", "WEAK_PASSWORD"]
    # the current password goes in a middle parameter, so it has no spaces
    d = register_account(acc_server, unique("cp2"), "nospacepass")
    d.send("ACCOUNT PASSWORD nospacepass :brand new secret")
    assert d.expect("NOTE").params[:2] == ["ACCOUNT", "PASSWORD_CHANGED"]
    e = acc_server.connect()
    cap_sasl(e)
    sasl_plain(e, d.nick, "nospacepass")
    e.expect("904")
    sasl_plain(e, d.nick, "brand new secret")
    e.expect("903")
    f = acc_server.connect()
    cap_sasl(f)
    assert sasl_scram(f, d.nick, "brand new secret").command == "903"


def test_account_certfp_commands(acc_server):
    c = register_account(acc_server, unique("cf"))
    fp = "AB:" * 31 + "AB"
    c.send(f"ACCOUNT CERT ADD {fp}")
    assert c.expect("NOTE").params[:2] == ["ACCOUNT", "CERTFP_ADDED"]
    c.send("ACCOUNT CERT LIST")
    listed = c.collect_until("NOTE", params=["ACCOUNT", "CERTFP_END"])
    assert ["ACCOUNT", "CERTFP", c.nick, "ab" * 32] in [m.params for m in listed]
    d = register_account(acc_server, unique("cf2"))
    d.send(f"ACCOUNT CERT ADD {'ab' * 32}")
    assert d.expect("FAIL").params[:2] == ["ACCOUNT", "CERTFP_IN_USE"]
    c.send("ACCOUNT CERT ADD nothex")
    assert c.expect("FAIL").params[:2] == ["ACCOUNT", "INVALID_CERTFP"]
    c.send(f"ACCOUNT CERT DEL {'ab' * 32}")
    assert c.expect("NOTE").params[:2] == ["ACCOUNT", "CERTFP_REMOVED"]
    c.send(f"ACCOUNT CERT DEL {'ab' * 32}")
    assert c.expect("FAIL").params[:2] == ["ACCOUNT", "NO_SUCH_CERTFP"]
    anon = acc_server.client(unique("an"))
    anon.send("ACCOUNT CERT LIST")
    assert anon.expect("FAIL").params[:2] == ["ACCOUNT", "NOT_LOGGED_IN"]


def test_account_drop(acc_server):
    name = unique("dr")
    c = register_account(acc_server, name, "dropdrop1")
    other = acc_server.connect()
    cap_sasl(other)
    sasl_plain(other, name, "dropdrop1")
    other.expect("903")
    c.send("ACCOUNT DROP wrongpass")
    assert c.expect("FAIL").params[:2] == ["ACCOUNT", "WRONG_PASSWORD"]
    c.send("ACCOUNT DROP dropdrop1")
    c.expect("901")
    assert c.expect("NOTE").params[:2] == ["ACCOUNT", "DROPPED"]
    other.expect("901")
    d = acc_server.connect()
    cap_sasl(d)
    sasl_plain(d, name, "dropdrop1")
    d.expect("904")
    # the name is free to register again
    c.send("REGISTER * * :another password")
    c.expect("REGISTER", params=["SUCCESS"])


def test_accounts_survive_a_restart(server_factory):
    srv = server_factory(config=accounts_config())
    name = unique("rs")
    c = register_account(srv, name)
    c.send(f"ACCOUNT CERT ADD {'cd' * 32}")
    c.expect("NOTE")
    srv.stop()
    srv.start()
    d = srv.connect()
    cap_sasl(d)
    sasl_plain(d, name, PASSWORD)
    d.expect("903")
    e = srv.connect()
    cap_sasl(e)
    assert sasl_scram(e, name, PASSWORD).command == "903"
    e.send("ACCOUNT CERT LIST")  # not registered yet: 451
    e.expect("451")
    d.send(f"NICK {name}")
    d.send("USER u 0 * :x")
    d.send("CAP END")
    d.expect("001")
    d.send("ACCOUNT CERT LIST")
    listed = d.collect_until("NOTE", params=["ACCOUNT", "CERTFP_END"])
    assert ["ACCOUNT", "CERTFP", name, "cd" * 32] in [m.params for m in listed]


def test_whox_shows_the_account(acc_server):
    name = unique("wx")
    register_account(acc_server, name)
    anon = acc_server.client(unique("an"))
    anon.send(f"WHO {name} %tna,42")
    reply = anon.expect("354")
    assert reply.params[1:] == ["42", name, name]
    anon.send(f"WHO {anon.nick} %na")
    assert anon.expect("354").params[1:] == [anon.nick, "0"]


def test_external_needs_a_client_certificate(acc_server):
    c = acc_server.connect()
    cap_sasl(c)
    c.send("AUTHENTICATE EXTERNAL")
    c.expect("AUTHENTICATE", params=["+"])
    c.send("AUTHENTICATE +")
    assert "TLS client certificate" in c.expect("904").params[-1]


# --------------------------------------------------------------------------
# registered rooms, +R and +M
# --------------------------------------------------------------------------

def test_registered_room_survives_a_restart(server_factory):
    srv = server_factory(config=accounts_config())
    founder_name, op_name, voice_name = unique("fo"), unique("op"), unique("vo")
    room = "#" + unique("reg")
    founder = register_account(srv, founder_name)
    register_account(srv, op_name).close()
    register_account(srv, voice_name).close()
    founder.join(room)
    founder.send(f"ROOM REGISTER {room}")
    assert founder.expect("NOTE").params[:2] == ["ROOM", "REGISTERED"]
    founder.send(f"ROOM ACCESS {room} ADD {op_name} op")
    assert founder.expect("NOTE").params[:2] == ["ROOM", "ACCESS_ADDED"]
    founder.send(f"ROOM ACCESS {room} ADD {voice_name} voice")
    founder.expect("NOTE")
    founder.send(f"TOPIC {room} :kept across restarts")
    founder.expect("TOPIC")
    founder.send(f"MODE {room} +ntRk sesame")
    founder.expect("MODE")
    founder.send(f"MODE {room} +b bad!*@*")
    founder.expect("MODE")
    ban_time = int(time.time())
    founder.send(f"MODE {room} +l 42")
    founder.expect("MODE")
    founder.send(f"MODE {room} +b worse!*@*")
    founder.expect("MODE")
    founder.send(f"MODE {room} -b worse!*@*")
    founder.expect("MODE")
    founder.sync()
    time.sleep(3)  # so that a ban restored as "set now" would show a later time
    srv.stop()
    srv.start()

    # nobody is in the room, yet it is there with everything it had
    anon = srv.client(unique("an"))
    anon.send(f"JOIN {room} sesame")
    assert anon.expect("477").params[1] == room  # +R: log in first
    anon.send(f"MODE {room}")
    modes = anon.expect("324")
    assert set("ntRlk") <= set(modes.params[2].lstrip("+"))
    anon.send(f"TOPIC {room}")
    assert anon.expect("332").params[-1] == "kept across restarts"

    def login(name):
        c = srv.connect()
        cap_sasl(c)
        sasl_plain(c, name, PASSWORD)
        c.expect("903")
        c.send(f"NICK {name}")
        c.send("USER u 0 * :x")
        c.send("CAP END")
        c.expect("001")
        c.expect(("376", "422"))
        return c

    def join_with_key(c):
        c.send(f"JOIN {room} sesame")
        return c.collect_until("366")

    voice = login(voice_name)
    got = join_with_key(voice)
    names = [m for m in got if m.command == "353"][0].params[-1].split()
    assert "+" + voice_name in names  # voice, and no @ for being the first in
    op = login(op_name)
    got = join_with_key(op)
    names = [m for m in got if m.command == "353"][0].params[-1].split()
    assert "@" + op_name in names
    op.send(f"MODE {room} b")
    bans = [m for m in op.collect_until("368") if m.command == "367"]
    assert [m.params[2] for m in bans] == ["bad!*@*"]
    # who set it and when come back too
    assert bans[0].params[3].startswith(founder_name + "!")
    assert abs(int(bans[0].params[4]) - ban_time) <= 2
    op.send(f"ROOM ACCESS {room} ADD {voice_name} op")
    assert op.expect("FAIL").params[:2] == ["ROOM", "NOT_FOUNDER"]
    founder = login(founder_name)
    join_with_key(founder)
    founder.send(f"ROOM ACCESS {room}")
    listed = founder.collect_until("NOTE", params=["ROOM", "ACCESS_END"])
    entries = [m.params[-1] for m in listed if m.params[:2] == ["ROOM", "ACCESS"]]
    assert f"{founder_name} founder" in entries
    assert f"{op_name} op" in entries and f"{voice_name} voice" in entries
    assert len(entries) == 3


def test_room_register_rules(acc_server):
    room = "#" + unique("rr")
    anon = acc_server.client(unique("an"))
    anon.join(room)
    anon.send(f"ROOM REGISTER {room}")
    assert anon.expect("FAIL").params[:2] == ["ROOM", "NOT_LOGGED_IN"]
    member = register_account(acc_server, unique("me"))
    member.join(room)  # not an operator: anon came first
    member.send(f"ROOM REGISTER {room}")
    assert member.expect("FAIL").params[:2] == ["ROOM", "NEED_OPERATOR"]
    member.send("ROOM REGISTER #nosuchroomhere")
    member.expect("403")
    member.send(f"ROOM ACCESS {room}")
    assert member.expect("FAIL").params[:2] == ["ROOM", "NOT_REGISTERED"]


def test_access_given_when_logging_in_inside_the_room(acc_server):
    room = "#" + unique("li")
    founder = register_account(acc_server, unique("fo"))
    vname = unique("vo")
    register_account(acc_server, vname).close()
    founder.join(room)
    founder.send(f"ROOM REGISTER {room}")
    founder.expect("NOTE")
    founder.send(f"ROOM ACCESS {room} ADD {vname} voice")
    founder.expect("NOTE")
    c = acc_server.client(unique("x"), caps=["sasl"])
    c.join(room)
    sasl_plain(c, vname, PASSWORD)
    c.expect("903")
    mode = founder.expect("MODE")
    assert mode.params == [room, "+v", c.nick]


def test_plus_r_and_plus_m(acc_server):
    room = "#" + unique("rm")
    op = register_account(acc_server, unique("op"))
    op.join(room)
    op.send(f"MODE {room} +M")
    op.expect("MODE")
    anon = acc_server.client(unique("an"))
    anon.join(room)
    anon.send(f"PRIVMSG {room} :hello?")
    anon.expect("404")
    member = register_account(acc_server, unique("me"))
    member.join(room)
    member.send(f"PRIVMSG {room} :logged in, so I may speak")
    assert op.expect("PRIVMSG").params[-1] == "logged in, so I may speak"
    op.send(f"MODE {room} +v {anon.nick}")
    op.expect("MODE")
    anon.send(f"PRIVMSG {room} :voiced now")
    assert op.expect("PRIVMSG").params[-1] == "voiced now"
    op.send(f"MODE {room} +R")
    op.expect("MODE")
    late = acc_server.client(unique("late"))
    late.send(f"JOIN {room}")
    assert "log in" in late.expect("477").params[-1]


def test_owned_nick_taken_while_owner_is_online(server_factory):
    srv = server_factory(config=accounts_config(nick_grace=600))
    name = unique("on")
    owner = register_account(srv, name)
    owner.send(f"NICK {name}_away")
    owner.expect("NICK")
    other = srv.client(unique("ot"))
    other.send(f"NICK {name}")
    other.expect("NICK")  # the change itself, then the rename at once
    renamed = other.expect("NICK")
    assert renamed.params[0].startswith("Guest")
    notice = [m for m in other.skipped if m.command == "NOTICE"]
    assert notice and "belongs to the account" in notice[-1].params[-1]
    other.send("ACCOUNT CERT ADD")
    other.expect("FAIL")  # not logged in
    owner.send("ACCOUNT CERT ADD")
    fail = owner.expect("FAIL")
    assert fail.params[:2] == ["ACCOUNT", "INVALID_CERTFP"] and "no TLS" in fail.params[-1]


def test_throttle_delays_grow(server_factory):
    srv = server_factory(config=accounts_config(login_free_failures=0, login_delay=1,
                                                login_delay_max=8))
    name = unique("gr")
    register_account(srv, name).close()
    c = srv.connect()
    cap_sasl(c)
    waits = []
    for _ in range(3):
        sasl_plain(c, name, "wrong guess")
        assert "wrong" in c.expect("904").params[-1]
        sasl_plain(c, name, PASSWORD)
        text = c.expect("904").params[-1]
        wait = int(text.split("try again in ")[1].split()[0])
        waits.append(wait)
        time.sleep(wait + 0.2)
    assert waits == [1, 2, 4], waits
    sasl_plain(c, name, PASSWORD)
    c.expect("903")


def test_secrets_never_reach_the_log(acc_server):
    secret = "Sup3r-Secret-" + unique("pw")
    name = unique("sl")
    register_account(acc_server, name, secret).close()
    c = acc_server.connect()
    cap_sasl(c)
    sasl_plain(c, name, "wrong-" + secret)
    c.expect("904")
    sasl_plain(c, name, secret)
    c.expect("903")
    d = acc_server.connect()
    d.send(f"PASS :{name}:{secret}")
    d.send(f"NICK {unique('x')}")
    d.send("USER u 0 * :x")
    d.expect("001")
    e = acc_server.connect()
    cap_sasl(e)
    assert sasl_scram(e, name, secret).command == "903"
    d.send(f"ACCOUNT PASSWORD {secret} :{secret}-new")
    d.expect("NOTE")
    d.sync()
    log = acc_server.log_path.read_text(errors="replace")  # all of it, at debug level
    assert name in log  # the log does talk about the account...
    assert secret not in log  # ...but never its password
    assert base64.b64encode(f"\0{name}\0{secret}".encode()).decode()[:40] not in log


def test_registration_switched_on_sighup_is_announced(acc_server):
    import signal
    c = acc_server.connect()
    c.send("CAP LS 302")
    assert "draft/account-registration" in c.read_cap_ls()
    c.send("CAP REQ :draft/account-registration")
    c.expect("CAP", params=[None, "ACK"])
    c.send(f"NICK {unique('cn')}")
    c.send("USER u 0 * :x")
    c.send("CAP END")
    c.expect("001")
    acc_server.sections["accounts"]["registration"] = "false"
    acc_server.write_config()
    acc_server.signal(signal.SIGHUP)
    gone = c.expect("CAP", params=[None, "DEL"], timeout=10)
    assert gone.params[-1] == "draft/account-registration"
    c.send("REGISTER * * :long enough password")
    assert c.expect("FAIL").params[:2] == ["REGISTER", "TEMPORARILY_UNAVAILABLE"]
    d = acc_server.connect()
    d.send("CAP LS 302")
    assert "draft/account-registration" not in d.read_cap_ls()
    d.send("CAP REQ :draft/account-registration")
    d.expect("CAP", params=[None, "NAK"])
    acc_server.sections["accounts"]["registration"] = "true"
    acc_server.write_config()
    acc_server.signal(signal.SIGHUP)
    back = c.expect("CAP", params=[None, "NEW"], timeout=10)
    assert back.params[-1] == "draft/account-registration=before-connect,custom-account-name"


def test_replies_come_in_order_while_hashing(acc_server):
    """A password check runs on a worker thread, yet the replies to the
    lines sent after it come after its own (async.h holds the input)."""
    name = unique("io")
    c = acc_server.connect()
    c.send_raw(f"NICK {name}\r\nUSER u 0 * :x\r\nREGISTER * * :{PASSWORD}\r\nPING one\r\n"
               .encode())
    got = c.collect_until("PONG")
    order = [m.command for m in got]
    assert order.index("REGISTER") < order.index("PONG")
    assert order.index("900") < order.index("PONG")
    d = acc_server.connect()
    cap_sasl(d)
    d.send("AUTHENTICATE PLAIN")
    d.expect("AUTHENTICATE", params=["+"])
    blob = base64.b64encode(f"\0{name}\0{PASSWORD}".encode()).decode()
    d.send_raw(f"AUTHENTICATE {blob}\r\nPING two\r\n".encode())
    got = [m.command for m in d.collect_until("PONG")]
    assert got.index("903") < got.index("PONG"), got


def test_help_explains_the_account_commands(acc_server):
    c = acc_server.client(unique("hp"))
    c.send("HELP")
    index = " ".join(m.params[-1] for m in c.collect_until("706"))
    for command in ("REGISTER", "AUTHENTICATE", "ACCOUNT", "ROOM"):
        assert command in index
        c.send(f"HELP {command}")
        lines = c.collect_until("706")
        assert lines[0].command == "704" and lines[0].params[2].startswith(command)


def test_dropped_room_is_ordinary_again(acc_server):
    room = "#" + unique("dp")
    founder = register_account(acc_server, unique("fo"))
    founder.join(room)
    founder.send(f"ROOM REGISTER {room}")
    founder.expect("NOTE")
    founder.send(f"PART {room}")
    founder.expect("PART")
    other = acc_server.client(unique("ot"))
    other.send(f"LIST {room}")
    assert any(m.command == "322" for m in other.collect_until("323"))  # kept while empty
    other.send(f"ROOM DROP {room}")
    assert other.expect("FAIL").params[:2] == ["ROOM", "NOT_LOGGED_IN"]
    founder.send(f"ROOM DROP {room}")
    assert founder.expect("NOTE").params[:2] == ["ROOM", "DROPPED"]
    other.send(f"LIST {room}")
    assert not any(m.command == "322" for m in other.collect_until("323"))  # gone
    founder.send("ROOM DROP #lobby")
    assert founder.expect("FAIL").params[:2] == ["ROOM", "NOT_REGISTERED"]


def test_account_notify_reaches_extended_monitor_watchers(acc_server):
    name = unique("mw")
    watcher = acc_server.client(unique("wa"), caps=["account-notify", "extended-monitor"])
    plain_watcher = acc_server.client(unique("pw"), caps=["account-notify"])
    for w in (watcher, plain_watcher):
        w.send(f"MONITOR + {name}")
        w.expect("731")
    user = acc_server.client(name)
    watcher.expect("730")
    user.send(f"REGISTER * * :{PASSWORD}")
    user.expect("900")
    # no room in common: only the extended-monitor watcher hears of it
    assert watcher.expect("ACCOUNT", source_nick=name).params == [name]
    plain_watcher.sync()
    assert not any(m.command == "ACCOUNT" for m in plain_watcher.log)
