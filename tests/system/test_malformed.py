"""Malformed input: each bad line gets an error, never a crash, hang, relay of
bad bytes, or harm to other clients.

Specs: protocol.md "Framing"; Modern IRC "Message format" (512 bytes incl.
CRLF, 15 params, 417 ERR_INPUTTOOLONG); IRCv3 message-tags size limits
(client tag data at most 4094 bytes, whole tag section at most 8191 bytes).
"""
import random
import socket
import time

from conftest import ConnectionClosed, is_error_reply, privmsgs, unique


def setup_room(server, caps=None):
    chan = "#" + unique("bad")
    bad = server.client(unique("Bad"), caps=caps)
    p1 = server.client(unique("Peer"), caps=caps)
    p2 = server.client(unique("Peer"), caps=caps)
    for c in (bad, p1, p2):
        c.join(chan)
    for c in (bad, p1, p2):
        c.sync()
    return chan, bad, p1, p2


def assert_others_chat(chan, p1, p2, text=None):
    text = text or unique("still-chatting-")
    p1.send(f"PRIVMSG {chan} :{text}")
    m = p2.expect("PRIVMSG", source_nick=p1.nick)
    assert m.params == [chan, text]


def assert_nothing_relayed(*peers):
    for p in peers:
        got = p.sync()
        bad = [m for m in got if m.command in ("PRIVMSG", "NOTICE", "TAGMSG")]
        assert bad == [], f"{p.name} received {bad}"
        for m in got:
            assert b"\r" not in m.raw and b"\x00" not in m.raw, m.raw


def errors_in(msgs):
    return [m for m in msgs if is_error_reply(m)]


def test_line_of_512_bytes_is_accepted(server):
    c = server.client(unique("Max"))
    line = "PING " + "x" * (512 - 2 - 5)
    assert len(line) + 2 == 512
    c.send(line)
    m = c.expect(("PONG", "417"))
    assert m.command == "PONG", f"a 512-byte line (with CRLF) is legal: {m.text}"


def test_overlong_line_417_dropped_connection_stays(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send(f"PRIVMSG {chan} :" + "y" * 600)
    m = bad.expect(("417", "PRIVMSG"))
    assert m.command == "417" and m.params[0] == bad.nick, m.text
    assert_nothing_relayed(p1, p2)
    # The connection is still fine and usable.
    bad.send(f"PRIVMSG {chan} :after the long one")
    assert p1.expect("PRIVMSG").params[-1] == "after the long one"
    assert_others_chat(chan, p1, p2)


def test_many_overlong_lines_in_a_row(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send_raw((f"PRIVMSG {chan} :" + "z" * 3000 + "\r\n").encode() * 20)
    got = bad.sync()
    assert sum(1 for m in got if m.command == "417") >= 1, got
    assert_nothing_relayed(p1, p2)
    assert_others_chat(chan, p1, p2)


def test_tags_do_not_count_toward_512(server):
    caps = ["message-tags"]
    chan, bad, p1, p2 = setup_room(server, caps=caps)
    tag = "+example/big=" + "t" * 1000
    body = "b" * 400
    bad.send(f"@{tag} PRIVMSG {chan} :{body}")
    m = p1.expect(("PRIVMSG",))
    assert m.params[-1] == body and m.tags.get("+example/big") == "t" * 1000


def test_client_tags_over_4094_bytes_417(server):
    caps = ["message-tags"]
    chan, bad, p1, p2 = setup_room(server, caps=caps)
    bad.send(f"@+example/huge={'h' * 4200} PRIVMSG {chan} :hi")
    m = bad.expect(("417", "PRIVMSG"))
    assert m.command == "417", m.text
    assert_nothing_relayed(p1, p2)
    assert_others_chat(chan, p1, p2)


def test_tag_section_over_8191_bytes_417(server):
    caps = ["message-tags"]
    chan, bad, p1, p2 = setup_room(server, caps=caps)
    bad.send(f"@+a={'a' * 4000};+b={'b' * 4000};+c={'c' * 4000} PRIVMSG {chan} :hi")
    got = bad.sync()
    assert "417" in [m.command for m in got], got
    assert_nothing_relayed(p1, p2)


def test_invalid_utf8_refused_never_forwarded(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send_raw(f"PRIVMSG {chan} :bad \xff\xfe bytes\r\n".encode("latin-1"))
    got = bad.sync()
    errs = [m for m in got if m.command in ("FAIL", "NOTICE") or
            (m.command.isdigit() and m.command[0] == "4")]
    assert errs, f"invalid UTF-8 must be answered with FAIL or NOTICE, got {got}"
    assert_nothing_relayed(p1, p2)
    # Truncated multi-byte sequence and overlong encoding, to a nick this time.
    for payload in (b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80"):
        bad.send_raw(f"PRIVMSG {p1.nick} :x".encode() + payload + b"\r\n")
        assert errors_in(bad.sync()), payload
    assert_nothing_relayed(p1, p2)
    assert_others_chat(chan, p1, p2)


def test_invalid_utf8_nick_432(server):
    c = server.connect()
    c.send_raw(b"NICK ab\xffcd\r\n")
    m = c.expect()
    assert m.command in ("432", "FAIL"), m.text


def test_nul_byte_refused(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send_raw(f"PRIVMSG {chan} :before\x00after\r\n".encode())
    got = bad.sync()
    assert errors_in(got), f"a line with NUL must get an error: {got}"
    assert_nothing_relayed(p1, p2)
    assert_others_chat(chan, p1, p2)


def test_bare_cr_never_forwarded(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send_raw(f"PRIVMSG {chan} :one\rQUIT :injected\r\n".encode())
    got = bad.sync()
    assert errors_in(got), f"a bare CR must get an error: {got}"
    for p in (p1, p2):
        for m in p.sync():
            assert b"\r" not in m.raw, m.raw
            assert m.command != "QUIT", f"CR must not split into a second command: {m.text}"
    assert_others_chat(chan, p1, p2)
    # The sender is still connected.
    bad.send(f"PRIVMSG {chan} :fine again")
    assert p1.expect("PRIVMSG").params[-1] == "fine again"


def test_sixteen_or_more_params(server):
    chan, bad, p1, p2 = setup_room(server)
    params = " ".join(f"p{i}" for i in range(1, 18))
    bad.send(f"PRIVMSG {chan} {params} :trailing")
    got = bad.sync()
    assert errors_in(got), f"more than 15 parameters must get an error: {got}"
    for p in (p1, p2):
        for m in p.sync():
            assert len(m.params) <= 15
    assert_others_chat(chan, p1, p2)


def test_empty_lines_are_ignored(server):
    c = server.client(unique("Empty"))
    c.send_raw(b"\r\n\n\r\n")
    assert c.sync() == [], "empty lines are silently ignored (Modern IRC)"


def test_odd_but_short_lines_no_crash(server):
    chan, bad, p1, p2 = setup_room(server)
    for raw in (b":onlyprefix", b"@a=b", b"@a=b :pfx", b"   ", b":", b"@", b"@;;; PING x",
                b"PRIVMSG", b"PRIVMSG  ", b"MODE " + chan.encode() + b" +kkkkkkkkk",
                b"MODE " + chan.encode() + b" +l notanumber", b"JOIN ,,,,,",
                b"PRIVMSG ,,,, :x", b"KICK , ,", b"\x01\x02\x03", b"NICK :",
                b"TOPIC " + chan.encode() + b" :" + "\u00e9".encode() * 200):
        try:
            bad.send_raw(raw + b"\r\n")
            bad.sync()
        except ConnectionClosed:
            raise AssertionError(f"server closed the connection after {raw!r}")
        assert server.alive(), f"natterd died after {raw!r}"
    assert_others_chat(chan, p1, p2)


def test_garbage_bytes(server):
    chan, bad, p1, p2 = setup_room(server)
    rng = random.Random(20240611)
    closed = False
    for round_ in range(16):
        blob = bytes(rng.randrange(256) for _ in range(4096))
        blob = blob.replace(b"\n", b"\r\n")
        try:
            bad.send_raw(blob + b"\r\n")
        except OSError:
            closed = True
            break
        assert_others_chat(chan, p1, p2)
        assert server.alive()
    if not closed:
        try:
            bad.sync(timeout=10)
        except ConnectionClosed:
            closed = True
    for p in (p1, p2):
        for m in p.sync():
            assert b"\r" not in m.raw and b"\x00" not in m.raw
            if m.command in ("PRIVMSG", "NOTICE"):
                m.raw.decode("utf-8")  # only valid UTF-8 is ever relayed
    assert_others_chat(chan, p1, p2)


def test_one_megabyte_without_newline(server):
    chan, bad, p1, p2 = setup_room(server)
    chunk = b"A" * 65536
    sent = 0
    closed = False
    bad.sock.settimeout(10)
    for _ in range(16):
        try:
            bad.sock.sendall(chunk)
        except socket.timeout:
            raise AssertionError("natterd stopped reading: the sender is stuck (hang)")
        except OSError:
            closed = True
            break
        sent += len(chunk)
        assert_others_chat(chan, p1, p2)
    assert server.alive()
    if not closed:
        try:
            bad.sock.sendall(b"\r\nPING :after-the-megabyte\r\n")
        except OSError:
            closed = True
    # Either 417 and the connection stays usable, or ERROR and close.
    got = []
    try:
        while True:
            m = bad.get(timeout=10)
            got.append(m)
            if m.command == "PONG" and m.params[-1] == "after-the-megabyte":
                break
    except ConnectionClosed:
        closed = True
    if closed:
        assert any(m.command == "ERROR" for m in got), \
            f"closing must be preceded by an ERROR line: {got}"
    else:
        assert "417" in [m.command for m in got], f"expected 417, got {got}"
    assert_nothing_relayed(p1, p2)
    assert_others_chat(chan, p1, p2)


def test_server_never_forwards_control_chars_in_nick_or_topic(server):
    chan, bad, p1, p2 = setup_room(server)
    bad.send_raw(f"TOPIC {chan} :a\x00b\r\n".encode())
    bad.sync()
    p1.send(f"TOPIC {chan}")
    m = p1.expect(("331", "332"))
    assert "\x00" not in m.text
    assert_others_chat(chan, p1, p2)
