#!/usr/bin/python3
"""Soak: two real natter windows left alone stay connected (issue 7, blocker 1).

Starts the real natterd (ping_interval lowered to 15 s and ping_timeout to 5 s
by config: the server stays quiet longer than the old 10 s read timeout that
dropped idle windows, and 15 + 5 s is under a third of the idle time) and two real natter processes under Xvfb, each started as a person
would from the README with --server/--port/--nick/--connect (no widget is
touched, so this test does not depend on the window's layout). A raw
observer in #lobby records everything. After SOAK_SECONDS (default 70 s:
more than three times every timeout on both sides -- the server's 15 s + 5 s,
the client's 10 s connect timeout and its 20 s keep-alive) the observer
must have seen exactly one JOIN and no QUIT of each, and the natterd log no
disconnect of them. Then alice types a line (xdotool, into her window's
focused message box after Escape) and bob's natter receives it (its debug
log) and the observer sees it. Prints TAP.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import ok, log, not_ok, wait_for  # noqa: E402

NATTER = os.environ['NATTER']
NATTERD = os.environ['NATTERD']
SOAK = int(os.environ.get('SOAK_SECONDS', '70'))
SERVER_PING = (15, 5)  # ping_interval and ping_timeout given to natterd
CLIENT_TIMEOUTS = (10, 20)  # natter: connect timeout, keep-alive (natter-session.h)


class Observer:
    """A raw IRC client in #lobby that records every line and answers PING."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''
        self.lines = []
        self.send('NICK watcher')
        self.send('USER watcher 0 * :soak observer')
        self.wait_line(lambda l: ' 001 ' in l)
        self.send('JOIN #lobby')
        self.wait_line(lambda l: ' 366 ' in l)

    def send(self, line):
        self.sock.sendall((line + '\r\n').encode())

    def pump(self, seconds):
        """Reads for @seconds, recording lines."""
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return
            self.sock.settimeout(min(left, 1.0))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError('the observer was disconnected')
            self.buf += data
            while b'\n' in self.buf:
                raw, self.buf = self.buf.split(b'\n', 1)
                line = raw.decode('utf-8', 'replace').rstrip('\r')
                if line.startswith('PING '):
                    self.send('PONG ' + line[5:])
                else:
                    self.lines.append(line)

    def wait_line(self, pred, timeout=20):
        end = time.time() + timeout
        seen = 0
        while time.time() < end:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            self.pump(0.2)
        raise AssertionError('the observer timed out')

    def count(self, nick, command):
        return sum(1 for l in self.lines
                   if l.startswith(f':{nick}!') and l.split(' ')[1:2] == [command])


def main():
    tmp = tempfile.mkdtemp(prefix='natter-soak-')
    conf = os.path.join(tmp, 'natterd.conf')
    with open(conf, 'w') as f:
        f.write(f'[limits]\nping_interval={SERVER_PING[0]}\nping_timeout={SERVER_PING[1]}\n')
    server_log = os.path.join(tmp, 'natterd.log')
    server = subprocess.Popen([NATTERD, '--config', conf, '--listen', '127.0.0.1:0',
                               '--data-dir', os.path.join(tmp, 'data')],
                              stdout=subprocess.DEVNULL, stderr=open(server_log, 'w'))
    apps = {}
    try:
        def listening():
            m = re.search(r'listening on 127\.0\.0\.1:(\d+)', open(server_log).read())
            return m and int(m.group(1))
        port = wait_for(listening, 'natterd to listen', 10)
        longest = max(sum(SERVER_PING), *CLIENT_TIMEOUTS)
        assert SOAK > 3 * longest and SOAK >= 60, (SOAK, longest)
        print('1..5', flush=True)

        watcher = Observer(port)
        env = dict(os.environ, GDK_BACKEND='x11', G_MESSAGES_DEBUG='natter',
                   G_DEBUG='fatal-criticals', XDG_CONFIG_HOME=tmp, NO_AT_BRIDGE='1')
        for nick in ('alice', 'bob'):
            logf = open(os.path.join(tmp, f'natter-{nick}.log'), 'w')
            apps[nick] = (subprocess.Popen([NATTER, '--server', '127.0.0.1', '--port', str(port),
                                            '--nick', nick, '--connect'],
                                           env=env, stdout=logf, stderr=logf),
                          os.path.join(tmp, f'natter-{nick}.log'))
        for nick in ('alice', 'bob'):
            watcher.wait_line(lambda l, n=nick: l.startswith(f':{n}!') and ' JOIN ' in l, 30)
        ok('two natter windows connected and joined #lobby')

        log(f'idle for {SOAK} s (server ping {SERVER_PING[0]}+{SERVER_PING[1]} s, '
            f'client connect {CLIENT_TIMEOUTS[0]} s, keep-alive {CLIENT_TIMEOUTS[1]} s)')
        start = time.time()
        watcher.pump(SOAK)
        # A barrier: everything relayed before it has been read.
        watcher.send('PING :soak-barrier')
        watcher.wait_line(lambda l: 'soak-barrier' in l)
        log(f'idle for {time.time() - start:.0f} s')
        for nick, (proc, _) in apps.items():
            assert proc.poll() is None, f'natter {nick} exited with {proc.returncode}'
        ok(f'both natter processes still running after {SOAK} s')

        for nick in ('alice', 'bob'):
            joins, quits = watcher.count(nick, 'JOIN'), watcher.count(nick, 'QUIT')
            assert joins == 1 and quits == 0, f'{nick}: {joins} JOIN, {quits} QUIT: {watcher.lines}'
        slog = open(server_log).read()
        for needle in ('Ping timeout', 'timed out'):
            assert needle not in slog, f'natterd logged "{needle}"'
        ok('the observer saw exactly one JOIN and no QUIT of each; natterd logged no timeout')

        for nick, (_, path) in apps.items():
            text = open(path).read()
            assert 'connection lost' not in text, f'{nick} logged a lost connection'
            assert 'Socket I/O timed out' not in text, f'{nick} logged a socket timeout'
            assert '-CRITICAL' not in text and '-WARNING' not in text, f'{nick} logged a warning'
        ok('neither natter logged a lost connection or a warning')

        # alice talks: her window's message box (Escape returns focus to it).
        win = wait_for(lambda: subprocess.run(
            ['xdotool', 'search', '--onlyvisible', '--pid', str(apps['alice'][0].pid)],
            capture_output=True, text=True).stdout.split(), 'alice\'s window', 10)[0]
        text = 'still here after the quiet'
        subprocess.run(['xdotool', 'windowfocus', '--sync', win], check=False, stdout=sys.stderr)
        subprocess.run(['xdotool', 'key', '--window', win, 'Escape'], check=False, stdout=sys.stderr)
        time.sleep(0.3)
        subprocess.run(['xdotool', 'type', '--delay', '20', text], check=True, stdout=sys.stderr)
        subprocess.run(['xdotool', 'key', 'Return'], check=True, stdout=sys.stderr)
        line = watcher.wait_line(lambda l: l.startswith(':alice!') and 'PRIVMSG #lobby' in l)
        assert line.endswith(text), line
        bob_log = apps['bob'][1]
        wait_for(lambda: re.search(r'<< .*:alice!\S* PRIVMSG #lobby :' + re.escape(text),
                                   open(bob_log).read()), 'bob\'s natter to receive it', 10)
        ok('alice talks and bob\'s natter receives it')
    finally:
        for nick, (proc, _) in apps.items():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        if os.environ.get('NATTER_KEEP_TEST_DIR'):
            log(f'kept {tmp}')
        else:
            subprocess.run(['rm', '-rf', tmp])


if __name__ == '__main__':
    try:
        main()
    except AssertionError as e:
        not_ok(str(e))
        sys.exit(1)
