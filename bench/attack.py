#!/usr/bin/env python3
"""bench/attack.py - issue 8's attacks on natterd, measured from the outside.

Each scenario starts its own natterd (fresh data directory, loopback only),
puts well-behaved "canary" clients in #lobby that PING every 200 ms, lets a
newcomer try to register every 2 s, runs the attack, and prints one RESULT
line plus a summary:

  amplification  item 1: 40 clients send NAMES #big,#big,... (53 repeats) of a
                 room with --members members, within flood limits, and read
                 what comes back
  slowread       item 2: --readers clients in a flooded room never read
  slots          item 3: --idle idle connections from 25 addresses, never
                 registering (max_clients set to --max-clients)
  lusers         item 5: registration time with --users users online
  baseline       no attack: the canary on this machine as it is now

Goals (issue 8): canary p99 < 100 ms and every newcomer admitted during each
attack; under slowread, peak RSS < 256 MiB and no kernel TCP memory pressure.

  bench/attack.py amplification --natterd build/src/server/natterd
  bench/attack.py all --natterd /path/to/old/natterd --scale 0.5

The machine may be shared: the RESULT line carries the load average seen at
the start, so figures from a busy machine can be recognised.
"""
import argparse
import multiprocessing as mp
import os
import re
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"


# [limits] settings added to every scenario's (--limit key=value).
EXTRA_LIMITS = {}


# --- the server --------------------------------------------------------------

class Natterd:
    def __init__(self, binary, limits, tmp):
        self.tmp = tmp
        conf = os.path.join(tmp, "natterd.conf")
        limits = dict(limits, **EXTRA_LIMITS)
        with open(conf, "w") as f:
            f.write("[server]\nname=irc.bench.natter\n[channels]\ndefault=#lobby\n[limits]\n")
            for k, v in limits.items():
                f.write(f"{k}={v}\n")
        self.log = os.path.join(tmp, "natterd.log")
        self.proc = subprocess.Popen(
            [binary, "--listen", f"{HOST}:0", "--data-dir", os.path.join(tmp, "data"),
             "--config", conf, "--log-level", os.environ.get("ATTACK_LOG_LEVEL", "warn")],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"))
        # With --log-level warn the port is not logged: find it from /proc.
        deadline = time.monotonic() + 15
        self.port = None
        while time.monotonic() < deadline and self.port is None:
            time.sleep(0.05)
            self.port = self._listening_port()
        if self.port is None:
            raise SystemExit(f"natterd did not start: {open(self.log).read()[-2000:]}")

    def _listening_port(self):
        inodes = set()
        try:
            for fd in os.listdir(f"/proc/{self.proc.pid}/fd"):
                link = os.readlink(f"/proc/{self.proc.pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            return None
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes:
                return int(f[1].split(":")[1], 16)
        return None

    def status(self, key):
        try:
            for line in open(f"/proc/{self.proc.pid}/status"):
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def cpu_seconds(self):
        """natterd's CPU time so far (user + system, all threads)."""
        try:
            f = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0

    def write_calls(self):
        """natterd's write system calls so far (/proc/PID/io syscw)."""
        try:
            for line in open(f"/proc/{self.proc.pid}/io"):
                if line.startswith("syscw:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        keep = os.environ.get("ATTACK_KEEP_LOG")
        if keep:
            import shutil
            shutil.copy(self.log, keep)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tcp_mem_pages():
    for line in open("/proc/net/sockstat"):
        if line.startswith("TCP:"):
            return int(line.split("mem")[1].split()[0])
    return 0


def softnet_drops():
    """Packets the kernel dropped from its per-CPU input backlog
    (net.core.netdev_max_backlog). On loopback, a burst of writes to
    thousands of sockets overflows it; every drop costs the sender a
    retransmission timeout (200 ms, then doubling), which shows up as canary
    latency while natterd itself is idle."""
    return sum(int(line.split()[1], 16) for line in open("/proc/net/softnet_stat"))


def tcp_pressure_pages():
    return int(open("/proc/sys/net/ipv4/tcp_mem").read().split()[1])


# --- raw connections -----------------------------------------------------------

class Conn:
    def __init__(self, port, source=None, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source:
            self.sock.bind((source, 0))
        self.sock.setblocking(False)
        try:
            self.sock.connect((HOST, port))
        except BlockingIOError:
            pass
        self.out = b""
        self.buf = b""
        self.closed = False
        self.lines = 0

    def send(self, data: bytes):
        self.out += data
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.closed = True
                self.out = b""
                return
            self.out = self.out[n:]

    def read(self, keep=False):
        """Reads what is there; returns complete lines when @keep."""
        got = []
        while True:
            try:
                data = self.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            if keep:
                self.buf += data
                *lines, self.buf = self.buf.split(b"\n")
                got.extend(lines)
            else:
                self.lines += data.count(b"\n")
        return got


def pump(conns, seconds, keep=None):
    """Reads and writes @conns for @seconds (reading and discarding)."""
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            key.data.read()
        for c in conns:
            if c.out:
                c.flush()
    sel.close()


def register_many(port, n, prefix, sources, channel=None, rcvbuf=None, read=True,
                  timeout=120):
    """@n registered clients (joined to @channel), from addresses in @sources."""
    conns = []
    sel = selectors.DefaultSelector()
    pending = {}
    for i in range(n):
        c = Conn(port, source=sources[i % len(sources)], rcvbuf=rcvbuf)
        nick = f"{prefix}{i}"
        c.send(f"NICK {nick}\r\nUSER b 0 * :bench\r\n".encode()
               + (f"JOIN {channel}\r\n".encode() if channel else b""))
        conns.append(c)
        pending[c] = (b" 366 ",) if channel else (b" 376 ", b" 422 ")
        sel.register(c.sock, selectors.EVENT_READ, c)
        if i % 200 == 199:
            _wait_some(sel, pending, 0.01)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        _wait_some(sel, pending, 0.2)
    sel.close()
    if pending:
        raise SystemExit(f"{len(pending)} of {n} clients did not register")
    if not read:
        return conns
    return conns


def _wait_some(sel, pending, t):
    for key, _ in sel.select(timeout=t):
        c = key.data
        want = pending.get(c)
        for line in c.read(keep=True):
            if want is not None and any(w in line for w in want):
                pending.pop(c, None)
                want = None
        c.buf = c.buf[-4096:]
        if c.closed:
            pending.pop(c, None)
    for c in list(pending):
        if c.out:
            c.flush()


# --- canary and newcomers (their own process, so the attack's work in this
# process does not show up as server latency) -----------------------------------

def canary_main(port, seconds, out_q, canaries=5):
    rtts = []
    worst = []
    admitted = attempted = 0
    newcomer_times = []
    sel = selectors.DefaultSelector()
    cs = []
    for i in range(canaries):
        c = Conn(port, source=f"127.99.{i}.1")
        c.send(f"NICK canary{i}\r\nUSER c 0 * :canary\r\nJOIN #lobby\r\n".encode())
        c.sent = None
        c.ready = False
        cs.append(c)
        sel.register(c.sock, selectors.EVENT_READ, ("canary", c))
    newcomers = {}
    start = time.monotonic()
    next_ping = start + 1.0
    next_new = start + 1.0
    n_new = 0
    last_iter = start
    stalls = []
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now - last_iter > 0.25:
            stalls.append((round(last_iter - start, 1), round((now - last_iter) * 1000)))
        last_iter = now
        if now >= next_ping:
            next_ping = now + 0.2
            for c in cs:
                if c.ready and c.sent is None:
                    c.sent = time.monotonic()
                    c.send(b"PING :canary\r\n")
        if now >= next_new:
            next_new = now + 2.0
            n_new += 1
            attempted += 1
            nc = Conn(port, source=f"127.98.{n_new % 250}.1")
            nc.send(f"NICK newcomer{n_new}\r\nUSER n 0 * :newcomer\r\n".encode())
            newcomers[nc] = time.monotonic()
            sel.register(nc.sock, selectors.EVENT_READ, ("new", nc))
        for key, _ in sel.select(timeout=0.02):
            kind, c = key.data
            lines = c.read(keep=True)
            if kind == "canary":
                for line in lines:
                    if b" 366 " in line:
                        c.ready = True
                    elif b"PONG" in line and c.sent is not None:
                        rtts.append((time.monotonic() - c.sent) * 1000)
                        worst.append((rtts[-1], c.sent - start, cs.index(c)))
                        c.sent = None
            else:
                for line in lines:
                    if b" 001 " in line and c in newcomers:
                        admitted += 1
                        newcomer_times.append((time.monotonic() - newcomers.pop(c)) * 1000)
                        sel.unregister(c.sock)
                        c.sock.close()
                        break
                if c.closed and c in newcomers:
                    newcomers.pop(c)
                    sel.unregister(c.sock)
                    c.sock.close()
        for c in cs:
            if c.out:
                c.flush()
    # A PING still unanswered counts as its wait so far.
    for c in cs:
        if c.sent is not None:
            rtts.append((time.monotonic() - c.sent) * 1000)
            worst.append((rtts[-1], c.sent - start, cs.index(c)))
    if os.environ.get("ATTACK_DEBUG"):
        print("canary process stalls (at s, ms):", stalls, flush=True)
        print("worst canary waits (ms, sent at s, canary):",
              [(round(a), round(b, 1), k) for a, b, k in sorted(worst)[-8:]], flush=True)
    # Newcomers still waiting (up to 10 s) after the attack count as refused.
    out_q.put({"rtts": rtts, "admitted": admitted, "attempted": attempted,
               "newcomer_ms": newcomer_times})


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


class Measure:
    def __init__(self, srv, seconds):
        self.srv = srv
        ctx = mp.get_context("spawn")   # no copy of this process's sockets
        self.q = ctx.Queue()
        self.proc = ctx.Process(target=canary_main, args=(srv.port, seconds, self.q))
        self.proc.start()
        self.peak_tcp = 0
        self.start = time.monotonic()
        self.drops = softnet_drops()
        self.cpu = srv.cpu_seconds()
        self.writes = srv.write_calls()

    def sample(self):
        self.peak_tcp = max(self.peak_tcp, tcp_mem_pages())

    def finish(self):
        r = self.q.get(timeout=300)
        self.proc.join()
        r["p50"] = pct(r["rtts"], 50)
        r["p99"] = pct(r["rtts"], 99)
        r["rss_peak_mib"] = self.srv.status("VmHWM") / 1024
        r["tcp_peak_mib"] = self.peak_tcp * 4096 / 2**20
        r["tcp_pressure_mib"] = tcp_pressure_pages() * 4096 / 2**20
        r["drops"] = softnet_drops() - self.drops
        r["cpu_s"] = self.srv.cpu_seconds() - self.cpu
        r["writes"] = self.srv.write_calls() - self.writes
        return r


def report(name, args, r, extra=""):
    load = open("/proc/loadavg").read().split()[0]
    print(f"RESULT scenario={name} binary={args.natterd} canary_p50_ms={r['p50']:.1f} "
          f"canary_p99_ms={r['p99']:.1f} newcomers={r['admitted']}/{r['attempted']} "
          f"rss_peak_mib={r['rss_peak_mib']:.0f} tcp_peak_mib={r['tcp_peak_mib']:.0f} "
          f"backlog_drops={r['drops']} natterd_cpu_s={r['cpu_s']:.1f} "
          f"natterd_write_calls={r['writes']} "
          f"load_before={args.load_before} load_after={load} {extra}".strip())
    ok = r["p99"] < 100 and r["admitted"] == r["attempted"]
    print(f"{name}: canary p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; newcomers admitted "
          f"{r['admitted']}/{r['attempted']}; peak RSS {r['rss_peak_mib']:.0f} MiB; peak kernel "
          f"TCP memory {r['tcp_peak_mib']:.0f} MiB (pressure at {r['tcp_pressure_mib']:.0f}); "
          f"{r['drops']} loopback packets dropped by the kernel "
          f"{extra} -> {'goal met' if ok else 'GOAL MISSED'}")
    sys.stdout.flush()


def spread(prefix, n):
    """@n loopback addresses in different /24s: 127.P.x.y."""
    return [f"127.{prefix}.{i // 250}.{1 + i % 250}" for i in range(n)]


# Generous per-address and per-block limits for the set-up clients: the
# scenarios measure the attack, not these limits.
BASE_LIMITS = {"max_clients": 19000, "max_per_address": 5000, "flood_burst": 20,
               "flood_rate": 5, "connect_burst": 1000000, "connect_rate": 1000000}


# --- scenarios -----------------------------------------------------------------

def amplification(args):
    members = int(args.members * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        srv = Natterd(args.natterd, dict(BASE_LIMITS, max_per_block=20000), tmp)
        try:
            room = register_many(srv.port, members, "m", spread(10, 64), "#big")
            pump(room, 3)
            attackers = register_many(srv.port, 40, "atk", spread(11, 40))
            m = Measure(srv, args.seconds)
            time.sleep(2)
            line = ("NAMES " + ",".join(["#big"] * 53) + "\r\n").encode()
            end = time.monotonic() + args.seconds - 4
            sel = selectors.DefaultSelector()
            for c in room + attackers:
                sel.register(c.sock, selectors.EVENT_READ, c)
            next_send = 0
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_send:
                    next_send = now + 0.5   # 2 lines/s: within 5 lines/s
                    for a in attackers:
                        if not a.closed:
                            a.send(line)
                for key, _ in sel.select(timeout=0.05):
                    key.data.read()
                m.sample()
            r = m.finish()
            closed = sum(a.closed for a in attackers)
            report("amplification", args, r, f"members={members} attackers_closed={closed}")
        finally:
            srv.stop()


def slowread(args):
    readers = int(args.readers * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        srv = Natterd(args.natterd, dict(BASE_LIMITS, max_per_block=20000), tmp)
        try:
            slow = register_many(srv.port, readers, "s", spread(20, 64), "#flood", rcvbuf=4096)
            pump(slow, 2)
            writers = register_many(srv.port, 40, "w", spread(21, 40), "#flood")
            m = Measure(srv, args.seconds)
            body = "x" * 400
            end = time.monotonic() + args.seconds - 3
            i = 0
            while time.monotonic() < end:
                for w in writers:
                    w.send(f"PRIVMSG #flood :{i} {body}\r\n".encode())
                    w.read()
                    i += 1
                m.sample()
                time.sleep(0.2)   # 5 lines/s per writer (40): within flood limits
            r = m.finish()
            report("slowread", args, r, f"readers={readers} lines_sent={i}")
        finally:
            srv.stop()


def slots(args):
    idle_n = int(args.idle * args.scale)
    max_clients = int(args.max_clients * args.scale)
    sources = [f"127.30.0.{i + 1}" for i in range(25)]
    with tempfile.TemporaryDirectory() as tmp:
        # natterd's own connect_burst/connect_rate here: the attack is
        # about the cost of connections cycled as fast as they are closed.
        limits = dict(BASE_LIMITS, max_clients=max_clients, max_per_address=1000)
        del limits["connect_burst"], limits["connect_rate"]
        srv = Natterd(args.natterd, limits, tmp)
        try:
            idle = []
            for i in range(idle_n):
                c = Conn(srv.port, source=sources[i % 25])
                idle.append(c)
                if i % 500 == 499:
                    time.sleep(0.05)
            m = Measure(srv, args.seconds)
            # Keep them idle but open (they never register; a refused or
            # evicted one reconnects, as an attacker would).
            end = time.monotonic() + args.seconds - 2
            reopened = 0
            while time.monotonic() < end:
                for k, c in enumerate(idle):
                    c.read()
                    if c.closed:
                        c.sock.close()
                        idle[k] = Conn(srv.port, source=sources[k % 25])
                        reopened += 1
                m.sample()
                time.sleep(0.5)
            r = m.finish()
            # natterd's CPU per attacker reconnect: what a refusal costs.
            per = r["cpu_s"] * 1e6 / reopened if reopened else float("nan")
            report("slots", args, r, f"idle={idle_n} max_clients={max_clients} "
                                     f"attacker_reconnects={reopened} "
                                     f"cpu_us_per_reconnect={per:.1f}")
        finally:
            srv.stop()


def lusers(args):
    users = int(args.users * args.scale)
    with tempfile.TemporaryDirectory() as tmp:
        srv = Natterd(args.natterd, dict(BASE_LIMITS, max_per_block=20000), tmp)
        try:
            def burst_ms(n=200):
                times = []
                for i in range(n):
                    c = Conn(srv.port, source="127.41.0.1")
                    t = time.monotonic()
                    c.sock.setblocking(True)
                    c.sock.settimeout(10)
                    c.sock.sendall(f"NICK reg{i}x{len(times)}\r\nUSER r 0 * :r\r\n".encode())
                    buf = b""
                    while b" 376 " not in buf and b" 422 " not in buf:
                        data = c.sock.recv(65536)
                        if not data:
                            break
                        buf += data
                    times.append((time.monotonic() - t) * 1000)
                    c.sock.close()
                return statistics.median(times)
            empty = burst_ms()
            online = register_many(srv.port, users, "u", spread(40, 64))
            pump(online, 1)
            full = burst_ms()
            m = Measure(srv, 4)
            r = m.finish()
            r["attempted"] = r["attempted"]
            report("lusers", args, r, f"users={users} register_ms_empty={empty:.2f} "
                                      f"register_ms_full={full:.2f} ratio={full / empty:.2f}")
        finally:
            srv.stop()


def baseline(args):
    """No attack: what the canary sees on this machine right now (the
    machine may be shared; compare the attack figures with this)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = Natterd(args.natterd, dict(BASE_LIMITS), tmp)
        try:
            m = Measure(srv, args.seconds)
            end = time.monotonic() + args.seconds
            while time.monotonic() < end:
                m.sample()
                time.sleep(0.5)
            report("baseline", args, m.finish())
        finally:
            srv.stop()


SCENARIOS = {"baseline": baseline, "amplification": amplification, "slowread": slowread, "slots": slots,
             "lusers": lusers}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", choices=list(SCENARIOS) + ["all"])
    ap.add_argument("--natterd", default="build/src/server/natterd")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies every size (use < 1 on a busy machine)")
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--readers", type=int, default=2000)
    ap.add_argument("--idle", type=int, default=19500)
    ap.add_argument("--max-clients", type=int, default=19000)
    ap.add_argument("--users", type=int, default=15000)
    ap.add_argument("--limit", action="append", default=[], metavar="KEY=VALUE",
                    help="an extra [limits] setting for natterd (repeatable), "
                         "e.g. --limit accept_per_turn=16")
    args = ap.parse_args()
    for item in args.limit:
        key, eq, value = item.partition("=")
        if not eq:
            ap.error(f"--limit wants KEY=VALUE, not '{item}'")
        EXTRA_LIMITS[key] = value
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.load_before = open("/proc/loadavg").read().split()[0]
    for name in (SCENARIOS if args.scenario == "all" else [args.scenario]):
        SCENARIOS[name](args)


if __name__ == "__main__":
    main()
