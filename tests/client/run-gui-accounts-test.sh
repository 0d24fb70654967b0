#!/bin/sh
# run-gui-accounts-test.sh NATTER NATTERD - TLS trust on first use, creating
# an account and logging in again from the keyring, in the real natter window
# (test_gui_accounts.py), under a private Xvfb + D-Bus session with a private
# GNOME Keyring (with-keyring.sh).
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$1" ] || { echo "natter binary not found: $1" >&2; exit 1; }
[ -x "$2" ] || { echo "natterd binary not found: $2" >&2; exit 1; }
for tool in Xvfb dbus-run-session gsettings import gnome-keyring-daemon; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP missing $tool"; exit 0; }
done
/usr/bin/python3 -c 'import dogtail' 2>/dev/null || { echo "1..0 # SKIP missing python3-dogtail"; exit 0; }
export NATTER="$1" NATTERD="$2"
export NATTER_ARTIFACTS="${NATTER_ARTIFACTS:-$here/../artifacts}"
mkdir -p "$NATTER_ARTIFACTS"
XDG_CONFIG_HOME=$(mktemp -d); export XDG_CONFIG_HOME
NATTER_KEYRING_DIR=$(mktemp -d); export NATTER_KEYRING_DIR
timeout --kill-after=10 170 "$here/with-xvfb.sh" "$here/with-keyring.sh" sh -c '
	gsettings set org.gnome.desktop.interface toolkit-accessibility true
	GDK_BACKEND=x11 /usr/bin/python3 "$0/test_gui_accounts.py"' "$here"
rc=$?
rm -rf "$XDG_CONFIG_HOME" "$NATTER_KEYRING_DIR"
exit $rc
