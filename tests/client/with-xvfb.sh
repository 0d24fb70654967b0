#!/bin/sh
# with-xvfb.sh CMD... - runs CMD on a private Xvfb display (picked with
# -displayfd, so parallel runs never collide) inside a private D-Bus session.
# Only CMD writes to stdout (TAP): the session's daemons (dbus-daemon,
# at-spi2-registryd, ...) inherit stdout from dbus-run-session and chatter
# there, so that goes to stderr.
for tool in Xvfb dbus-run-session; do
	command -v "$tool" >/dev/null || { echo "1..0 # SKIP missing $tool"; exit 0; }
done
dfile=$(mktemp)
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$dfile" 2>/dev/null &
xpid=$!
for _ in $(seq 200); do [ -s "$dfile" ] && break; sleep 0.05; done
DISPLAY=":$(head -n1 "$dfile")"; export DISPLAY; rm -f "$dfile"
# fd 4 carries the real stdout past dbus-run-session to CMD alone.
dbus-run-session -- sh -c 'exec "$@" >&4 4>&-' sh "$@" 4>&1 >&2; rc=$?
kill "$xpid"; wait "$xpid" 2>/dev/null
exit $rc
