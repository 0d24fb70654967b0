"""Many clients leaving a big room in the same loop turn (issue 8, item 2
follow-up).

Each departure queues a QUIT to every member of its rooms. The end-of-turn
pass used to write every member's socket after each single departure, so K
departures in one turn cost K x members write() calls: under
bench/attack.py slowread the sendq_total shedding closes hundreds of slow
readers of a 2,000-member room at once, and one turn took 2 s of CPU while
every other client waited. Now the pass lets every departing client leave
first and then writes each member once.

The proof counts natterd's write system calls (/proc/PID/io syscw) over a
turn in which 150 of 300 members leave, with natterd stopped (SIGSTOP) while
they send QUIT so that it reads them together: no timing is asserted.
"""
import signal
import time
from pathlib import Path

from conftest import unique


def _write_calls(srv):
    for line in Path(f"/proc/{srv.proc.pid}/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise AssertionError("no syscw in /proc/PID/io")


def test_many_leaving_at_once_cost_one_write_per_member(server_factory):
    members, leaving = 300, 150
    stayed = members - leaving
    srv = server_factory()
    chan = "#" + unique("big")
    clients = []
    for i in range(members):
        c = srv.client(unique("m"), source=f"127.11.{i // 200}.{1 + i % 200}")
        c.send(f"JOIN {chan}")
        clients.append(c)
    for c in clients:
        c.expect("366", timeout=30)
    watcher = clients[-1]
    for c in clients:
        c.sync(timeout=30)   # every JOIN burst read: nothing left queued
    before = _write_calls(srv)
    srv.signal(signal.SIGSTOP)
    try:
        for c in clients[:leaving]:
            c.send("QUIT :bye")
        time.sleep(0.3)   # let the lines arrive; not an assertion
    finally:
        srv.signal(signal.SIGCONT)
    for _ in range(leaving):
        watcher.expect("QUIT", timeout=30)
    watcher.sync(timeout=30)
    writes = _write_calls(srv) - before
    print(f"{writes} write calls for {leaving} departures seen by {stayed} members")
    # One write per remaining member per turn in which QUITs arrive (the
    # QUITs are read over a few turns: libevent reports at most 32, 64, ...
    # sockets per turn), one ERROR line per leaver, and the PONG: about 950.
    # Before the change: 30,060 (one write per member per departure).
    assert writes < 20 * stayed + 2 * leaving, \
        f"{writes} write calls for {leaving} departures seen by {stayed} members"
    for c in clients[leaving:]:
        c.sync(timeout=30)
