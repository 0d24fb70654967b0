"""Running out of file descriptors: natterd pauses accepting (no busy loop on
EMFILE), keeps serving the clients it has, and takes the waiting connection
once a descriptor is free again.

Spec: issue 2, "running out of file descriptors (stop accepting, retry on a
timer; never spin)"; style.md lesson 9.
"""
import time

import conftest
from conftest import unique

FD_LIMIT = 40


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / 100.0


def start_with_fd_limit(server_factory, monkeypatch, tmp_path, limit: int):
    """Starts natterd with soft = hard = @limit open files (natterd raises
    its soft limit to the hard one, so both must be low)."""
    wrapper = tmp_path / "natterd-limited"
    wrapper.write_text(f'#!/bin/sh\nexec prlimit --nofile={limit}:{limit} -- '
                       f'"{conftest.NATTERD}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(conftest, "NATTERD", str(wrapper))
    return server_factory()


def test_out_of_fds_pauses_accept_and_recovers(server_factory, monkeypatch, tmp_path):
    srv = start_with_fd_limit(server_factory, monkeypatch, tmp_path, FD_LIMIT)
    registered = []
    waiting = None
    for i in range(FD_LIMIT + 20):
        c = srv.connect(name=f"fd{i}")
        c.send(f"NICK {unique('Fd')}")
        c.send("USER fd 0 * :fd test")
        try:
            c.expect("001", timeout=1.5)
        except AssertionError:
            waiting = c  # accepted by the kernel, not yet by natterd
            break
        registered.append(c)
    assert waiting is not None, f"natterd never ran out of descriptors at limit {FD_LIMIT}"
    assert len(registered) >= 5, "too few clients fit; natterd uses too many descriptors"

    # Out of descriptors with a connection waiting: natterd must idle, not spin.
    before = cpu_seconds(srv.proc.pid)
    time.sleep(2.0)
    used = cpu_seconds(srv.proc.pid) - before
    assert used < 0.5, f"natterd used {used:.2f} s of CPU in 2 s while out of descriptors"
    assert "pausing" in srv.log(), "no log line says accepting is paused"

    # The clients it has keep chatting meanwhile.
    a, b = registered[-1], registered[-2]
    b_nick = [m for m in b.log if m.command == "001"][0].params[0]
    a.send(f"PRIVMSG {b_nick} :still here")
    assert b.expect("PRIVMSG").params[-1] == "still here"

    # Free descriptors: the waiting connection is taken and registered.
    for c in registered[:3]:
        c.sock.close()
    waiting.expect("001", timeout=5)
