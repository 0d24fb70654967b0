#!/usr/bin/python3
"""The natter window, used the way a person uses it.

Starts the real natterd on a free loopback port and the real natter binary,
then through the accessibility tree (dogtail): types a name, clicks Connect,
talks in #lobby with "bob" (a raw socket client), sends "@bob hi" and sees the
private conversation open, stops the server and sees the reconnect banner,
starts it again and sees natter come back. Screenshots go to $NATTER_ARTIFACTS.
Prints TAP.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

from dogtail.config import config
config.logDebugToFile = False
config.logDebugToStdOut = False
config.actionDelay = config.defaultDelay = 0.1
config.typingDelay = 0.02
config.searchBackoffDuration = 0.1
config.searchCutoffCount = 100
from dogtail.tree import root  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import ok, log  # noqa: E402,F401 - test_gui_accounts.py imports them from here

NATTER = os.environ['NATTER']
NATTERD = os.environ['NATTERD']
ARTIFACTS = os.environ['NATTER_ARTIFACTS']


def wait_for(fn, what, timeout=15):
    """tap.wait_for, retrying while the tree changes, with a screenshot on timeout."""
    return tap.wait_for(fn, what, timeout, retry_errors=True,
                        on_timeout=lambda: screenshot('natter-failed.png'))


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='natter-gui-')
        self.port = 0
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        logpath = os.path.join(self.dir, f'natterd-{self.starts}.log')
        with open(logpath, 'w') as logf:
            self.proc = subprocess.Popen(
                [NATTERD, '--listen', f'127.0.0.1:{self.port}',
                 '--data-dir', os.path.join(self.dir, 'data')],
                stdout=subprocess.DEVNULL, stderr=logf)

        def listening():
            m = re.search(r'listening on 127\.0\.0\.1:(\d+)', open(logpath).read())
            return m and int(m.group(1))
        self.port = wait_for(listening, 'natterd to listen', 10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        log(f'natterd exited with {rc}')


class Raw:
    """A second person, as a bare IRC connection."""

    def __init__(self, port, nick):
        self.nick = nick
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = b''
        self.send(f'NICK {nick}')
        self.send(f'USER {nick} 0 * :raw')
        self.expect(' 001 ')

    def send(self, line):
        self.sock.sendall(line.encode() + b'\r\n')

    def expect(self, needle, timeout=15):
        end = time.time() + timeout
        while True:
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                line = line.decode('utf-8', 'replace').rstrip('\r')
                if line.startswith('PING '):
                    self.send('PONG ' + line[5:])
                elif needle in line:
                    return line
            left = end - time.time()
            if left <= 0:
                raise AssertionError(f'{self.nick}: timed out waiting for {needle!r}')
            self.sock.settimeout(left)
            data = self.sock.recv(4096)
            if not data:
                raise AssertionError(f'{self.nick}: connection closed')
            self.buf += data

    def close(self):
        self.sock.close()


def text_of(node):
    t = node.queryText()
    return t.getText(0, t.characterCount)


def find_label(win, pred):
    return win.findChild(lambda n: n.roleName == 'label' and pred(n.name or ''),
                         retry=False, requireResult=False)


def screenshot(name):
    path = os.path.join(ARTIFACTS, name)
    subprocess.run(['import', '-window', 'root', '-crop', '900x600+0+0', '+repage', path],
                   check=True, stdout=sys.stderr)
    log(f'screenshot: {path}')


def main():
    print('1..19', flush=True)
    server = Server()
    server.start()
    bob = Raw(server.port, 'bob')
    bob.send('JOIN #lobby')
    bob.expect(' 366 ')

    env = dict(os.environ, G_MESSAGES_DEBUG='natter', G_DEBUG='fatal-criticals')
    app_log = open(os.path.join(server.dir, 'natter.log'), 'w')
    natter = subprocess.Popen([NATTER, '--server', '127.0.0.1', '--port', str(server.port)],
                              env=env, stdout=app_log, stderr=app_log)
    try:
        app = wait_for(lambda: root.application('natter'), 'the natter application')
        win = wait_for(lambda: app.window('Natter'), 'the Natter window')
        ok('natter window appears')

        # The connect screen: type a name, click Connect.
        user = win.textentry('Username')
        port = win.textentry('Port')
        assert text_of(port) == str(server.port), text_of(port)
        # A name that is not valid: the reason shows next to the field.
        user.click()
        user.typeText('9lives')
        wait_for(lambda: find_label(win, lambda s: s.startswith('Start with a letter')),
                 'the reason the name is not valid')
        ok('an invalid name shows the reason next to the field')

        # A taken name: a clear message and another name offered.
        user.text = 'bob'
        win.button('Connect').doActionNamed('click')
        wait_for(lambda: find_label(win, lambda s: 'already in use' in s), 'the "in use" message')
        wait_for(lambda: win.findChild(lambda n: n.roleName == 'push button'
                                       and n.name == 'Try “bob_”', retry=False,
                                       requireResult=False), 'another name offered')
        ok('a taken name says so and offers another')

        # Keyboard only: Enter in the name field connects.
        user.text = ''
        user.click()
        user.typeText('alice')
        user.keyCombo('Return')
        msg = win.textentry('Message')
        wait_for(lambda: find_label(win, lambda s: s == 'You are alice'), 'the chat screen')
        wait_for(lambda: find_label(win, lambda s: s.endswith('You joined #lobby')), 'joining #lobby')
        bob.expect('JOIN')
        ok('typed a name, pressed Enter, joined #lobby')

        # A room message reaches the other person.
        msg.click()
        msg.typeText('hello from alice')
        msg.keyCombo('Return')
        wait_for(lambda: text_of(msg) == '', 'the entry to empty')
        line = bob.expect('PRIVMSG #lobby')
        assert 'hello from alice' in line and line.startswith(':alice!'), line
        ok('room message arrives at the second client')

        # Their reply shows up.
        bob.send('PRIVMSG #lobby :hi alice, bob here')
        wait_for(lambda: find_label(win, lambda s: 'bob: hi alice, bob here' in s), 'the reply')
        ok('reply from the second client is shown')

        # Real keys: Tab completes a nickname, Up brings the line back.
        msg.click()
        msg.typeText('bo')
        msg.keyCombo('Tab')
        wait_for(lambda: text_of(msg) == 'bob: ', 'Tab to complete "bo" to "bob: "')
        msg.typeText('tab works')
        msg.keyCombo('Return')
        wait_for(lambda: text_of(msg) == '', 'the entry to empty')
        line = bob.expect('PRIVMSG #lobby')
        assert line.endswith(':bob: tab works'), line
        ok('Tab completes a nickname (real key press)')
        msg.keyCombo('Up')
        wait_for(lambda: text_of(msg) == 'bob: tab works', 'Up to bring the last line back')
        msg.keyCombo('Down')
        wait_for(lambda: text_of(msg) == '', 'Down to return to the empty line')
        ok('Up/Down walk the input history (real key presses)')

        members = win.child('Members', roleName='list')
        wait_for(lambda: any('bob' in (c.name or '') for c in members.findChildren(
            lambda n: n.roleName == 'label')), 'bob in the member list')
        ok('member list shows bob')

        # @bob hi: a private message, and the private conversation opens.
        msg.click()
        msg.typeText('@bob hi')
        msg.keyCombo('Return')
        wait_for(lambda: text_of(msg) == '', 'the entry to empty')
        line = bob.expect('PRIVMSG bob')
        assert line.endswith('PRIVMSG bob :hi') or line.endswith('PRIVMSG bob hi'), line
        convs = win.child('Conversations', roleName='list')
        wait_for(lambda: convs.findChild(lambda n: n.roleName == 'label' and n.name == 'bob',
                                         retry=False, requireResult=False),
                 'a "bob" conversation in the sidebar')
        wait_for(lambda: find_label(win, lambda s: s.endswith('alice: hi')), 'own private message')
        bob.send('PRIVMSG alice :psst, just between us')
        wait_for(lambda: find_label(win, lambda s: 'bob: psst, just between us' in s),
                 'the private reply')
        ok('@bob hi opens the private conversation; replies arrive there')

        # Unread count: a room line while the private chat is shown.
        bob.send('PRIVMSG #lobby :anyone here?')
        wait_for(lambda: convs.findChild(lambda n: n.name == '1 unread', retry=False,
                                         requireResult=False), 'an unread count on #lobby')
        ok('unread count on #lobby')
        screenshot('natter-chat.png')

        # Keyboard only, real key presses from here to the private chat and back.
        def title():
            return win.name or ''
        win.keyCombo('<Alt>1')
        wait_for(lambda: title() == '#lobby — alice', 'Alt+1 to show #lobby (title "#lobby — alice")')
        wait_for(lambda: text_of(msg) == '' and msg.focused, 'the message box focused after Alt+1')
        # Tab: Send, then the member list; Home and Down to bob's row, Enter opens a chat.
        rows = [n.name for n in members.findChildren(lambda n: n.roleName == 'label')]
        log(f'member rows: {rows}')
        bob_row = [r.split(',')[0].lstrip('@+') for r in rows].index('bob')
        msg.keyCombo('Tab')
        msg.keyCombo('Tab')
        msg.keyCombo('Home')
        for _ in range(bob_row):
            msg.keyCombo('Down')
        msg.keyCombo('Return')
        wait_for(lambda: title() == 'bob — alice', 'Enter on bob in the member list to open the private chat')
        msg.typeText('hello by keyboard')
        msg.keyCombo('Return')
        line = bob.expect('PRIVMSG bob')
        assert line.endswith(':hello by keyboard'), line
        ok('keyboard: Alt+1, Tab to the member list, Enter on a member opens a private chat')
        # Ctrl+K, a few letters, Enter: back to the room; Ctrl+Page Down/Up go round.
        msg.keyCombo('<Control>k')
        try:
            switcher = wait_for(lambda: [c for c in app.children
                                         if c.name == 'Jump to a Conversation'][0], 'the Ctrl+K switcher')
        except AssertionError:
            log(f'top-level windows: {[(c.name, c.roleName) for c in app.children]}')
            raise
        # No window manager here gives the new window the keyboard: X sends
        # keys to the window under the pointer, so move it there (no click).
        subprocess.run(['xdotool', 'mousemove', '150', '250'], check=True, stdout=sys.stderr)
        subprocess.run(['xdotool', 'type', '--delay', '30', 'lob'], check=True, stdout=sys.stderr)
        subprocess.run(['xdotool', 'key', 'Return'], check=True, stdout=sys.stderr)
        wait_for(lambda: title() == '#lobby — alice', 'Ctrl+K "lob" Enter to show #lobby')
        msg.keyCombo('<Control>Page_Down')
        wait_for(lambda: title() == 'bob — alice', 'Ctrl+Page Down to the next conversation')
        msg.keyCombo('<Control>Page_Up')
        wait_for(lambda: title() == '#lobby — alice', 'Ctrl+Page Up to the previous one')
        # Focus away (Shift+Tab to the header), Escape back, and typing reaches the room.
        msg.keyCombo('<Shift>Tab')
        wait_for(lambda: not msg.focused, 'Shift+Tab to leave the message box')
        msg.keyCombo('Escape')
        wait_for(lambda: msg.focused, 'Escape back to the message box')
        msg.typeText('back in the room')
        msg.keyCombo('Return')
        line = bob.expect('PRIVMSG #lobby')
        assert line.endswith(':back in the room'), line
        ok('keyboard: Ctrl+K switcher, Ctrl+Page Down/Up, Escape back to the message box')
        # Ctrl+? lists the keys; Escape closes it.
        def visible_windows():
            out = subprocess.run(['xdotool', 'search', '--onlyvisible', '--pid', str(natter.pid)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            return len(out.split())
        main_windows = visible_windows()

        def shortcuts_shown():  # a second window of natter's
            return visible_windows() > main_windows
        subprocess.run(['xdotool', 'key', 'ctrl+question'], check=True, stdout=sys.stderr)  # Shift too
        wait_for(shortcuts_shown, 'the Keyboard Shortcuts window')
        screenshot('natter-shortcuts.png')
        subprocess.run(['xdotool', 'mousemove', '200', '200', 'key', 'Escape'], check=True, stdout=sys.stderr)
        wait_for(lambda: not shortcuts_shown(), 'Escape to close it')
        ok('Ctrl+? shows the keyboard shortcuts; Escape closes them')

        # The server goes away: the banner says so; typed text is kept.
        bob.close()
        server.stop()
        wait_for(lambda: find_label(win, lambda s: s.startswith('Disconnected — reconnecting')),
                 'the "Disconnected — reconnecting" banner')
        ok('server stopped: "Disconnected — reconnecting" banner')
        msg.click()
        msg.typeText('typed while offline')
        msg.keyCombo('Return')
        wait_for(lambda: find_label(win, lambda s: s.startswith('Not connected')), 'the not-connected hint')
        assert text_of(msg) == 'typed while offline', text_of(msg)
        screenshot('natter-disconnected.png')
        ok('text typed while disconnected stays in the input box')

        # The server comes back: natter reconnects and rejoins by itself.
        server.start()
        bob = Raw(server.port, 'bob')
        wait_for(lambda: not find_label(win, lambda s: s.startswith('Disconnected')),
                 'the banner to go', 40)
        bob.send('JOIN #lobby')
        names = bob.expect(' 353 ')
        if 'alice' not in names:
            bob.expect('JOIN')  # alice may rejoin just after us
        ok('server back: natter reconnects and rejoins #lobby')

        # The kept text can now be sent (to #lobby, the shown conversation).
        msg.click()
        msg.keyCombo('Return')
        wait_for(lambda: text_of(msg) == '', 'the entry to empty')
        # (the server may first replay #lobby's history to the new bob)
        line = bob.expect('typed while offline')
        assert 'PRIVMSG #lobby' in line, line
        ok('kept text is sent after the reconnect')
        bob.close()

        # 360 px wide: the side panels collapse behind the header buttons.
        subprocess.run(['xdotool', 'search', '--name', ' — alice$', 'windowsize', '%@', '360', '600'],
                       check=False, stdout=sys.stderr)
        time.sleep(0.5)
        subprocess.run(['import', '-window', 'root', '-crop', '360x600+0+0', '+repage',
                        os.path.join(ARTIFACTS, 'natter-narrow.png')], check=False, stdout=sys.stderr)
    finally:
        natter.terminate()
        try:
            natter.wait(10)
        except subprocess.TimeoutExpired:
            natter.kill()
        if server.proc and server.proc.poll() is None:
            server.stop()
        app_log.close()
        with open(app_log.name) as f:
            app_output = f.read()
        if os.environ.get('NATTER_KEEP_TEST_DIR'):
            log(f'logs kept in {server.dir}')
        else:
            subprocess.run(['rm', '-rf', server.dir], stdout=sys.stderr)

    # No GTK criticals or warnings, except the one GTK 4.8 logs whenever an
    # AT-SPI client (dogtail's click) asks for screen coordinates.
    # Nor GIO's note that the private test session has no notification
    # daemon (a mention raises a GNotification while the window is unfocused).
    bad = [line for line in app_output.splitlines()
           if re.search(r'-(CRITICAL|WARNING) \*\*', line)
           and 'Screen coordinates not supported' not in line
           and 'org.freedesktop.Notifications was not provided' not in line]
    assert not bad, 'natter logged: ' + ' | '.join(bad[:5])
    ok('natter logged no GTK criticals or warnings')


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is a TAP failure
        tap.not_ok(f'{type(e).__name__}: {e}')
        sys.exit(1)
