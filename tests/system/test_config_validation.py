"""Configuration is checked the same way at start and on SIGHUP.

Spec: issue 8 item 12: a reload must refuse what start-up refuses (bad
listen addresses, NaN/inf/denormal flood rates, out-of-range numbers) and
keep the running config, saying why; unknown groups and keys are warned
about; "key = value   # comment" does not keep the comment in the value.
"""
import signal
import time

import pytest

from conftest import SERVER_NAME, unique, wait_for

BAD_VALUES = [
    ("server", "listen", "999.1.1.1:99999", "listen address"),
    ("server", "listen", "127.0.0.1:70000", "listen address"),
    ("server", "listen", "localhost", "listen address"),
    ("limits", "flood_rate", "nan", "flood_rate"),
    ("limits", "flood_rate", "inf", "flood_rate"),
    ("limits", "flood_rate", "-inf", "flood_rate"),
    ("limits", "flood_rate", "1e-300", "flood_rate"),
    ("limits", "flood_rate", "0", "flood_rate"),
    ("limits", "connect_rate", "nan", "connect_rate"),
    ("limits", "connect_rate", "0", "connect_rate"),
    ("limits", "connect_burst", "0", "connect_burst"),
    ("limits", "max_clients", "0", "max_clients"),
    ("limits", "max_clients", "99999999999", "max_clients"),
    ("limits", "sendq", "12abc", "sendq"),
    ("limits", "ipv4_block", "33", "ipv4_block"),
    ("tls", "sts_port", "70000", "sts_port"),
    ("tls", "sts_duration", "-5", "sts_duration"),
    ("tls", "sts_preload", "maybe", "sts_preload"),
    ("accounts", "password_min", "0", "password_min"),
    ("history", "enabled", "yes", "enabled"),
    ("server", "name", "two words", "name"),
]


def _ids(v):
    return f"{v[0]}.{v[1]}={v[2]}"


@pytest.mark.parametrize("group,key,value,word", BAD_VALUES, ids=[_ids(v) for v in BAD_VALUES])
def test_start_refuses_bad_value(server_factory, group, key, value, word):
    srv = server_factory(config={group: {key: value}}, start=False)
    srv.expect_exit = True
    with pytest.raises(AssertionError) as err:
        srv.start()
    assert "exited" in str(err.value), str(err.value)
    srv.proc.wait(timeout=10)
    assert srv.proc.returncode != 0
    assert word in srv.log(), srv.log()


@pytest.mark.parametrize("group,key,value,word", BAD_VALUES, ids=[_ids(v) for v in BAD_VALUES])
def test_reload_refuses_bad_value_and_keeps_config(server_factory, group, key, value, word):
    srv = server_factory(config={"limits": {"flood_burst": 10000}})
    c = srv.client(unique("Rl"))
    srv.sections.setdefault(group, {})[key] = value
    srv.sections["server"]["name"] = "irc.changed.natter" if key != "name" else value
    srv.write_config()
    srv.signal(signal.SIGHUP)
    assert wait_for(lambda: "reload failed" in srv.log(), timeout=10), srv.log()
    assert word in srv.log().split("reload failed", 1)[1], srv.log()
    assert srv.alive()
    # The old config is still the one in force: same server name.
    d = srv.client(unique("Rn"))
    assert d.log[0].source == SERVER_NAME, d.log[0].text
    c.sync()


def test_reload_applies_good_values(server_factory):
    srv = server_factory()
    srv.sections["server"]["name"] = "irc.reloaded.natter"
    srv.write_config()
    srv.signal(signal.SIGHUP)
    assert wait_for(lambda: "config reloaded" in srv.log(), timeout=10), srv.log()
    c = srv.client(unique("Ok"))
    assert c.log[0].source == "irc.reloaded.natter"


def test_unknown_groups_and_keys_are_warned_about(server_factory):
    srv = server_factory(config={"limits": {"max_clinets": "5"}, "lmits": {"sendq": "1"}})
    log = srv.log()
    assert "unknown key max_clinets in [limits]" in log, log
    assert "unknown group [lmits]" in log, log
    srv.client(unique("Uw")).sync()


def test_trailing_comments_are_not_part_of_values(server_factory):
    srv = server_factory(start=False)
    srv.sections["server"]["name"] = "irc.example.org          # shown as the source"
    srv.sections["limits"]["flood_burst"] = "10000   # lines at once"
    srv.sections["channels"]["default"] = "#lobby;#help   # permanent rooms"
    srv.sections.setdefault("tls", {})["sts_preload"] = "false   # every key, [tls] too"
    srv.write_config()
    srv.start()
    c = srv.client(unique("Cm"))
    assert c.log[0].source == "irc.example.org", c.log[0].text
    got = c.join("#help")
    assert any(m.command == "JOIN" for m in got)
    # '#' inside a value is kept: "#lobby" is still a room.
    c.join("#lobby")
