#!/bin/sh
# run-gui-test.sh NATTER NATTERD - drives the real natter window against the
# real natterd, as a person would, under a private Xvfb + D-Bus session.
# Screenshots go to $NATTER_ARTIFACTS (default: tests/artifacts).
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$1" ] || { echo "natter binary not found: $1" >&2; exit 1; }
[ -x "$2" ] || { echo "natterd binary not found: $2" >&2; exit 1; }
# Without the tools, skip (TAP) rather than fail: see tests/client/README.md.
for tool in Xvfb dbus-run-session gsettings import; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP missing $tool"; exit 0; }
done
/usr/bin/python3 -c 'import dogtail' 2>/dev/null || { echo "1..0 # SKIP missing python3-dogtail"; exit 0; }
export NATTER="$1" NATTERD="$2"
export NATTER_ARTIFACTS="${NATTER_ARTIFACTS:-$here/../artifacts}"
mkdir -p "$NATTER_ARTIFACTS"
# A private config dir, set before the session bus starts so that dconf-service
# (activated by the bus) writes the accessibility key where gsettings reads it.
XDG_CONFIG_HOME=$(mktemp -d); export XDG_CONFIG_HOME
timeout --kill-after=10 170 "$here/with-xvfb.sh" sh -c '
	gsettings set org.gnome.desktop.interface toolkit-accessibility true
	GDK_BACKEND=x11 /usr/bin/python3 "$0/test_gui.py"' "$here"
rc=$?
rm -rf "$XDG_CONFIG_HOME"
exit $rc
