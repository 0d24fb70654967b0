"""Permanent rooms keep their settings across a crash.

Spec: issue 8 item 13: after kill -9, a permanent room (#lobby) comes back
with its modes, key, limit, ban/exception/invite lists and topic, and the
first person to join it does not become its operator.
"""
import signal
import sqlite3
import time

from conftest import unique, wait_for


def _saved(srv, sql, args=()):
    try:
        db = sqlite3.connect(f"file:{srv.data_dir / 'natterd.db'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return []


def _restart_after_kill9(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)
    for c in srv.clients:
        c.close()
    srv.clients.clear()
    srv.logf.close()
    srv.start()


def test_lobby_settings_survive_kill9(server_factory):
    srv = server_factory()
    op = srv.client(unique("Op"))
    got = op.join("#lobby")
    assert any(m.command == "353" and "@" + op.nick in m.params[-1] for m in got), got
    op.send("MODE #lobby +mstk-n s3cret")
    op.send("MODE #lobby +l 42")
    op.send("MODE #lobby +b *!*@bad.example")
    op.send("MODE #lobby +e *!*@good.example")
    op.send("MODE #lobby +I *!*@friend.example")
    op.send("TOPIC #lobby :kept across crashes")
    op.sync()
    # The writes are asynchronous: wait until they are in the file, then crash.
    assert wait_for(lambda: _saved(srv, "SELECT modes, key, user_limit, topic FROM rooms"
                                        " WHERE name = '#lobby'")
                    == [("mst", "s3cret", 42, "kept across crashes")], timeout=10), \
        _saved(srv, "SELECT * FROM rooms")
    assert wait_for(lambda: len(_saved(srv, "SELECT * FROM permanent_room_lists")) == 3,
                    timeout=10)
    _restart_after_kill9(srv)

    first = srv.client(unique("Fi"))
    first.send("JOIN #lobby")
    assert first.expect("475").params[1] == "#lobby"   # the key is still needed
    first.send("JOIN #lobby s3cret")
    got = first.collect_until("366")
    names = " ".join(m.params[-1] for m in got if m.command == "353")
    assert "@" + first.nick not in names, f"first joiner after a crash became op: {names}"
    topic = [m for m in got if m.command == "332"]
    assert topic and topic[0].params[-1] == "kept across crashes", got
    first.send("MODE #lobby")
    modes = first.expect("324")
    flags = modes.params[2]
    for letter in "mstkl":
        assert letter in flags, modes.text
    assert "n" not in flags, modes.text
    assert "s3cret" in modes.params and "42" in modes.params, modes.text
    for letter, mask in (("b", "*!*@bad.example"), ("e", "*!*@good.example"),
                         ("I", "*!*@friend.example")):
        first.send(f"MODE #lobby +{letter}")
        got = first.sync()
        assert any(mask in m.params for m in got), (letter, got)
    # Not op: cannot change the saved settings.
    first.send("MODE #lobby -k s3cret")
    assert first.expect("482").params[1] == "#lobby"


def test_removed_settings_stay_removed(server_factory):
    srv = server_factory()
    op = srv.client(unique("Op"))
    op.join("#lobby")
    op.send("MODE #lobby +b *!*@one.example")
    op.send("MODE #lobby +b *!*@two.example")
    op.send("MODE #lobby -b *!*@one.example")
    op.send("MODE #lobby +k key1")
    op.send("MODE #lobby -k key1")
    # The writer saves in order; a limit set last proves -k reached the file
    # (a key column that is still NULL from before +k would prove nothing).
    op.send("MODE #lobby +l 42")
    op.sync()
    assert wait_for(lambda: _saved(srv, "SELECT mask FROM permanent_room_lists")
                    == [("*!*@two.example",)], timeout=10)
    assert wait_for(lambda: _saved(srv, "SELECT key, user_limit FROM rooms"
                                   " WHERE name = '#lobby'") == [(None, 42)], timeout=10)
    _restart_after_kill9(srv)
    c = srv.client(unique("Ch"))
    c.join("#lobby")   # no key any more
    c.send("MODE #lobby +b")
    got = c.collect_until("368")
    masks = [m.params[2] for m in got if m.command == "367"]
    assert masks == ["*!*@two.example"], got


def test_untouched_permanent_room_still_gets_an_operator(server_factory):
    """A permanent room nobody has configured behaves as before: the first
    to join runs it (so a fresh server can be set up)."""
    srv = server_factory()
    c = srv.client(unique("Fr"))
    got = c.join("#lobby")
    assert any(m.command == "353" and "@" + c.nick in m.params[-1] for m in got), got
