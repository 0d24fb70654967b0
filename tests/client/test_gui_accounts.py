#!/usr/bin/python3
"""Accounts and TLS in the natter window, used the way a person uses it (issue 10).

natterd listens with TLS only, on a free loopback port. Through the
accessibility tree (dogtail): connect with "Use a secure connection (TLS)",
see the server's certificate with its SHA-256 fingerprint, trust it; create
an account (name, password, "Create an account"); quit; start natter again
and be logged in by itself (the password came from the keyring, which
with-keyring.sh runs privately); then the server gets a new certificate and
natter refuses it, naming both fingerprints. Screenshots go to
$NATTER_ARTIFACTS. Prints TAP.
"""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_gui import ok, log, wait_for, find_label, screenshot, text_of  # noqa: E402
from dogtail.tree import root  # noqa: E402

NATTER = os.environ['NATTER']
NATTERD = os.environ['NATTERD']


class TlsServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='natter-gui-tls-')
        self.port = 0
        self.starts = 0
        self.fingerprint = None

    def start(self):
        self.starts += 1
        logpath = os.path.join(self.dir, f'natterd-{self.starts}.log')
        with open(logpath, 'w') as logf:
            self.proc = subprocess.Popen(
                [NATTERD, '--listen', f'tls:127.0.0.1:{self.port}', '--data-dir', self.dir],
                stdout=subprocess.DEVNULL, stderr=logf)

        def listening():
            text = open(logpath).read()
            m = re.search(r'listening with TLS on 127\.0\.0\.1:(\d+)', text)
            f = re.search(r'SHA-256 fingerprint ([0-9A-F:]{95})', text)
            return m and f and (int(m.group(1)), f.group(1))
        self.port, self.fingerprint = wait_for(listening, 'natterd to listen with TLS', 15)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)

    def new_certificate(self):
        self.stop()
        subprocess.run([NATTERD, '--gen-cert', '--data-dir', self.dir], check=True,
                       stdout=subprocess.DEVNULL)
        self.start()


def whois_account(port, nick):
    """The account a raw TLS client sees in WHOIS (330), or None."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=15)) as s:
        s.sendall(b'NICK watcher\r\nUSER w 0 * :w\r\n')
        buf = b''
        sent = False
        end = time.time() + 15
        while time.time() < end:
            buf += s.recv(4096)
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                line = line.decode('utf-8', 'replace').rstrip('\r')
                if line.startswith('PING '):
                    s.sendall(('PONG ' + line[5:] + '\r\n').encode())
                parts = line.split(' ')
                if len(parts) > 1 and parts[1] == '001' and not sent:
                    s.sendall(f'WHOIS {nick}\r\n'.encode())
                    sent = True
                elif len(parts) > 4 and parts[1] == '330':
                    return parts[4]
                elif len(parts) > 1 and parts[1] == '318':
                    return None
    raise AssertionError('no WHOIS answer')


def start_natter(args, env, logf):
    proc = subprocess.Popen([NATTER] + args, env=env, stdout=logf, stderr=logf)
    app = wait_for(lambda: root.application('natter'), 'the natter application')
    win = wait_for(lambda: app.window('Natter'), 'the Natter window')
    return proc, app, win


def quit_natter(proc, win):
    win.keyCombo('<Control>q')
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(10)
    wait_for(lambda: not [a for a in root.applications() if a.name == 'natter'],
             'natter to leave the accessibility tree', 15)


def button(app, name):
    # libadwaita 1.2 names a dialog's response buttons "_Label Label".
    return app.findChild(lambda n: n.roleName == 'push button' and (n.name or '').endswith(name),
                         retry=False, requireResult=False)


def main():
    print('1..6', flush=True)
    server = TlsServer()
    server.start()
    known = os.path.join(server.dir, 'known-hosts')
    env = dict(os.environ, G_MESSAGES_DEBUG='natter', G_DEBUG='fatal-criticals',
               NATTER_KNOWN_HOSTS=known)
    logf = open(os.path.join(server.dir, 'natter.log'), 'w')
    natter = None
    try:
        natter, app, win = start_natter(
            ['--server', '127.0.0.1', '--port', str(server.port), '--tls'], env, logf)
        tls = win.findChild(lambda n: n.name == 'Use a secure connection (TLS)', retry=False)
        assert tls.checked, 'TLS should be ticked by --tls'
        user = win.textentry('Username')
        user.text = 'carol'
        password = win.findChild(lambda n: n.name == 'Password' and n.roleName in
                                 ('password text', 'text', 'entry'), retry=False)
        password.click()
        password.typeText('correct horse')
        create = win.findChild(lambda n: n.name == 'Create an account with this name and password',
                               retry=False)
        create.click()
        wait_for(lambda: create.checked, '"Create an account" ticked')
        screenshot('natter-connect-account.png')
        win.button('Connect').doActionNamed('click')

        # First use: the certificate and its fingerprint, trust or cancel.
        wait_for(lambda: button(app, 'Trust and Connect'), 'the "Trust This Server?" dialog')
        wait_for(lambda: app.findChild(lambda n: server.fingerprint in (n.name or ''),
                                       retry=False, requireResult=False),
                 'the fingerprint in the dialog')
        screenshot('natter-trust.png')
        ok('a new certificate is shown with its SHA-256 fingerprint')
        button(app, 'Trust and Connect').doActionNamed('click')
        wait_for(lambda: find_label(win, lambda s: s == 'You are carol'), 'the chat screen')
        wait_for(lambda: find_label(win, lambda s: s.endswith('You joined #lobby')), 'joining #lobby')
        assert server.fingerprint in open(known).read()
        ok('trusted: remembered in the known-hosts file, connected over TLS')
        assert whois_account(server.port, 'carol') == 'carol'
        screenshot('natter-account-created.png')
        ok('"Create an account" made the account carol and logged in (WHOIS 330)')
        config = open(os.path.join(os.environ['XDG_CONFIG_HOME'], 'natter', 'natter.ini')).read()
        assert 'correct horse' not in config and 'tls=true' in config, config
        quit_natter(natter, win)

        # Start again: everything remembered, the password from the keyring.
        natter, app, win = start_natter([], env, logf)
        assert text_of(win.textentry('Username')) == 'carol'
        assert text_of(win.textentry('Port')) == str(server.port)
        win.button('Connect').doActionNamed('click')
        wait_for(lambda: find_label(win, lambda s: s == 'You are carol'), 'the chat screen again')
        assert whois_account(server.port, 'carol') == 'carol'
        wait_for(lambda: find_label(win, lambda s: s.endswith('You are logged in to the account carol')),
                 'the line saying who we are logged in as')
        members = win.child('Members', roleName='list')
        wait_for(lambda: members.findChild(lambda n: n.roleName == 'label' and n.name and
                                           n.name.startswith('carol, ') and
                                           'logged in as carol' in n.name,
                                           retry=False, requireResult=False),
                 'carol marked as logged in in the member list')
        screenshot('natter-logged-in.png')
        ok('started again: logged in by itself (password from the keyring)')
        quit_natter(natter, win)

        # The server shows another certificate: refused, both named.
        old = server.fingerprint
        server.new_certificate()
        assert server.fingerprint != old
        natter, app, win = start_natter([], env, logf)
        win.button('Connect').doActionNamed('click')
        wait_for(lambda: app.findChild(lambda n: n.name == 'Certificate Changed: Not Connected',
                                       retry=False, requireResult=False),
                 'the "Certificate Changed" warning')
        wait_for(lambda: app.findChild(lambda n: old in (n.name or '') and
                                       server.fingerprint in (n.name or ''),
                                       retry=False, requireResult=False),
                 'both fingerprints named')
        screenshot('natter-cert-changed.png')
        ok('a changed certificate is refused with both fingerprints')
        dialog = app.findChild(lambda n: n.roleName == 'dialog', retry=False)
        button(dialog, 'Close').doActionNamed('click')  # not the window's own Close
        wait_for(lambda: not app.findChild(lambda n: n.roleName == 'dialog', retry=False,
                                           requireResult=False), 'the warning to close')
        assert old in open(known).read() and server.fingerprint not in open(known).read()
        wait_for(lambda: find_label(win, lambda s: 'different certificate' in s),
                 'the reason on the connect screen')
        ok('still not connected; the remembered certificate is kept')
        quit_natter(natter, win)
        natter = None
    finally:
        if natter is not None and natter.poll() is None:
            natter.terminate()
        server.stop()
        logf.close()


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is a TAP failure
        import traceback
        for line in traceback.format_exc().splitlines():
            log(line)
        print(f'not ok - {type(e).__name__}: {e}', flush=True)
        print(f'Bail out! {e}', flush=True)
        sys.exit(1)
