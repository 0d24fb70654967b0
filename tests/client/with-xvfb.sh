#!/bin/sh
# with-xvfb.sh CMD... - runs CMD on a private Xvfb display (picked with
# -displayfd, so parallel runs never collide) inside a private D-Bus session.
dfile=$(mktemp)
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$dfile" 2>/dev/null &
xpid=$!
for _ in $(seq 200); do [ -s "$dfile" ] && break; sleep 0.05; done
DISPLAY=":$(head -n1 "$dfile")"; export DISPLAY; rm -f "$dfile"
dbus-run-session -- "$@"; rc=$?
kill "$xpid"; wait "$xpid" 2>/dev/null
exit $rc
