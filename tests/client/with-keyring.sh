#!/bin/sh
# with-keyring.sh CMD... - inside a private D-Bus session (run it under
# with-xvfb.sh or dbus-run-session), starts a private GNOME Keyring so that
# libsecret has a Secret Service: its login keyring has the password natter-test
# and lives in a fresh $XDG_DATA_HOME (or $NATTER_KEYRING_DIR to keep one
# across runs). The daemon ends with the D-Bus session. Without
# gnome-keyring-daemon, CMD runs anyway and the tests that need a keyring
# skip (they say so).
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
	XDG_DATA_HOME=${NATTER_KEYRING_DIR:-$(mktemp -d)}; export XDG_DATA_HOME
	# "login" is the default keyring, as on a GNOME desktop (no prompt).
	mkdir -p "$XDG_DATA_HOME/keyrings"
	printf login >"$XDG_DATA_HOME/keyrings/default"
	eval "$(printf natter-test | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" >&2
	export GNOME_KEYRING_CONTROL
	# Wait until it owns org.freedesktop.secrets: asked any sooner, D-Bus
	# would start a second, locked daemon that prompts (and the test hangs).
	for _ in $(seq 100); do
		gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
			--method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null |
			grep -q true && break
		sleep 0.1
	done
fi
exec "$@"
