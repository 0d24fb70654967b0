"""Signals: SIGHUP reloads the config without dropping anyone; SIGTERM and
SIGINT send every client `ERROR :Server shutting down` and exit 0."""
import signal
import time

import pytest

from conftest import unique, wait_for


def motd_text(c):
    c.send("MOTD")
    got = c.collect_until(("376", "422"))
    return [m.params[-1] for m in got if m.command == "372"]


def test_sighup_reloads_motd_without_dropping_clients(server):
    chan = "#" + unique("hup")
    a = server.client(unique("Ha"))
    b = server.client(unique("Hb"))
    a.join(chan)
    b.join(chan)
    assert any("Welcome to the natter system tests." in l for l in motd_text(a))
    server.write_motd(["Fresh MOTD after reload."])
    server.signal(signal.SIGHUP)
    assert wait_for(lambda: any("Fresh MOTD" in l for l in motd_text(a)), timeout=5), \
        "MOTD not reloaded within 5 s of SIGHUP"
    # Nobody was dropped, and the room still works.
    a.send(f"PRIVMSG {chan} :still here")
    assert b.expect("PRIVMSG").params[-1] == "still here"
    c = server.connect()
    got = c.register(unique("Hc"))
    assert any("Fresh MOTD" in m.params[-1] for m in got if m.command == "372")


def test_sighup_reloads_limits(server):
    a = server.client(unique("Hl"))
    a.join("#" + unique("l1"))
    server.sections["limits"]["max_channels_per_user"] = "1"
    server.write_config()
    server.signal(signal.SIGHUP)

    def limited():
        chan = "#" + unique("l2")
        a.send(f"JOIN {chan}")
        m = a.expect(("405", "366"))
        if m.command == "366":
            a.send(f"PART {chan}")
            a.expect("PART")
            return False
        return True

    assert wait_for(limited, timeout=5), "max_channels_per_user not reloaded on SIGHUP"


def test_sighup_with_broken_config_keeps_running(server):
    a = server.client(unique("Hx"))
    server.write_config("[limits]\nmax_clients=not-a-number\n[[[broken\n")
    server.signal(signal.SIGHUP)
    time.sleep(0.3)
    assert server.alive()
    a.sync()
    server.signal(signal.SIGHUP)  # again, still alive
    b = server.client(unique("Hy"))
    a.send(f"PRIVMSG {b.nick} :ok")
    assert b.expect("PRIVMSG").params[-1] == "ok"
    assert "Welcome to the natter" in " ".join(motd_text(b)), "old config stays in force"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_signal_sends_error_and_exits_0(server, sig):
    chan = "#" + unique("bye")
    clients = [server.client(unique("Sd")) for _ in range(3)]
    for c in clients:
        c.join(chan)
    unregistered = server.connect()
    for c in clients:
        c.sync()
    server.expect_exit = True
    server.signal(sig)
    for c in clients + [unregistered]:
        got = c.expect_closed(timeout=5)
        errors = [m for m in got if m.command == "ERROR"]
        assert errors and errors[-1].params[-1] == "Server shutting down", got
    assert server.wait_exit(timeout=5) == 0
