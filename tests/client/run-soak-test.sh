#!/bin/sh
# run-soak-test.sh NATTER NATTERD - two real natter windows left idle under a
# private Xvfb against the real natterd must stay connected (test_soak.py).
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$1" ] || { echo "natter binary not found: $1" >&2; exit 1; }
[ -x "$2" ] || { echo "natterd binary not found: $2" >&2; exit 1; }
for tool in Xvfb dbus-run-session xdotool; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP missing $tool"; exit 0; }
done
export NATTER="$1" NATTERD="$2"
timeout --kill-after=10 220 "$here/with-xvfb.sh" /usr/bin/python3 "$here/test_soak.py"
