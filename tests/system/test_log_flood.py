"""Log flood (issue 8, item 6): repeated log lines are rate-limited, with a
"suppressed N similar lines" summary (log.h: LOG_BURST lines of one kind at
once, then LOG_RATE a second)."""
import re
import socket
import time

from conftest import wait_for

LOG_BURST = 50
LOG_RATE = 10


def test_refused_connections_log_a_bounded_number_of_lines(server_factory):
    srv = server_factory(config={"limits": {"max_per_address": 1}})
    addr = "127.0.21.1"
    keep = srv.connect("keep", source=addr)
    keep.send("PING hold")
    keep.expect("PONG")
    attempts = 600
    start = time.monotonic()
    for _ in range(attempts):
        s = socket.socket()
        s.bind((addr, 0))
        s.connect(("127.0.0.1", srv.port))
        s.recv(200)          # the ERROR line, then EOF
        s.close()
    elapsed = time.monotonic() - start
    pattern = re.compile(rf"refused {re.escape(addr)}: Too many connections from your address")

    def summed():
        text = srv.log()
        lines = len(pattern.findall(text))
        suppressed = sum(int(n) for n in re.findall(
            r"suppressed (\d+) similar lines? like: refused %s: %s", text))
        return lines, suppressed

    assert wait_for(lambda: sum(summed()) == attempts, timeout=10), \
        f"{summed()} of {attempts}:\n{srv.log()[-2000:]}"
    lines, suppressed = summed()
    print(f"\n{attempts} refused connections in {elapsed:.1f} s: {lines} log lines, "
          f"{suppressed} summed up")
    # The burst, the rate over the time it took, and a little slack.
    assert lines <= LOG_BURST + LOG_RATE * (elapsed + 3) + 5, (lines, elapsed)
    assert suppressed > 0
    # Other kinds of line are not held back by this one.
    c = srv.connect("other", source="127.0.22.1")
    c.register("Other")
    assert wait_for(lambda: "connect from 127.0.22.1" in srv.log(), timeout=5)
