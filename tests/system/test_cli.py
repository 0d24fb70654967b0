"""Command line, config errors, logging and listening (issue 2, "Options and
config" and "Logs to stderr")."""
import re
import socket
import subprocess
import time

import pytest

from conftest import NATTERD, hash_password, unique, wait_for


def run(*args, input=None, timeout=20):
    return subprocess.run([NATTERD, *args], input=input, capture_output=True,
                          text=True, timeout=timeout)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0, out.stderr
    assert re.search(r"\d+\.\d+", out.stdout + out.stderr)
    out = run("--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for opt in ("--listen", "--config", "--data-dir", "--motd", "--log-level"):
        assert opt in text, f"--help does not mention {opt}"


def test_unknown_option_fails():
    out = run("--no-such-option")
    assert out.returncode != 0
    assert out.stderr.strip(), "a clear error message is expected"


def test_bad_config_fails_with_message(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[limits]\nmax_clients=lots\n")
    out = run("--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
              "--config", str(conf), timeout=20)
    assert out.returncode != 0
    assert "max_clients" in out.stderr, out.stderr
    out = run("--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
              "--config", str(tmp_path / "missing.conf"), timeout=20)
    assert out.returncode != 0 and out.stderr.strip()


def test_hash_password_is_argon2id_and_salted():
    h1 = hash_password("hunter2")
    h2 = hash_password("hunter2")
    assert h1.startswith("$argon2id$"), h1
    assert h1 != h2, "each hash has its own salt"
    assert "hunter2" not in h1


def test_data_dir_created_if_absent(server_factory, tmp_path):
    srv = server_factory(start=False)
    nested = tmp_path / "deep" / "er" / "data"
    srv.data_dir = nested
    srv.start()
    assert nested.is_dir()
    srv.client(unique("Dd"))


def test_motd_option(server_factory, tmp_path):
    motd = tmp_path / "cli-motd.txt"
    motd.write_text("MOTD from the command line\n")
    srv = server_factory(motd=None, extra_args=["--motd", str(motd)])
    c = srv.connect()
    got = c.register(unique("Mo"))
    assert any("MOTD from the command line" in m.params[-1] for m in got if m.command == "372")


def test_log_lines_for_connect_and_disconnect(server):
    c = server.client(unique("Log"))
    c.send("QUIT :log me out")
    c.expect_closed()
    assert wait_for(lambda: "log me out" in server.log(), timeout=5), \
        f"no disconnect line with the reason in the log:\n{server.log()[-1500:]}"
    assert "127.0.0.1" in server.log()


def _ipv6_loopback_available():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback")
def test_second_listener_on_ipv6(server_factory):
    srv = server_factory(extra_args=["--listen", "[::1]:0"])
    assert wait_for(lambda: re.search(r"listening on \[::1\]:(\d+)", srv.log()), timeout=5), \
        srv.log()
    port = int(re.search(r"listening on \[::1\]:(\d+)", srv.log()).group(1))
    s = socket.create_connection(("::1", port), timeout=5)
    nick = unique("Six")
    s.sendall(f"NICK {nick}\r\nUSER six 0 * :x\r\n".encode())
    data = b""
    deadline = time.monotonic() + 5
    while b" 001 " not in data and time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert b" 001 " + nick.encode() in data, data[:300]
    # ...and the IPv4 listener still works.
    srv.client(unique("Four"))
