#!/usr/bin/env bash
# Installs the Debian packages natter needs, or says which are missing.
# Usage: scripts/deps.sh run|test
#   run:  what building natterd and the natter client needs
#   test: that, plus what the whole test suite needs (pytest, Xvfb, clang...)
set -euo pipefail

run_packages=(
  build-essential pkg-config meson ninja-build
  libevent-dev libglib2.0-dev libsqlite3-dev libsodium-dev libssl-dev
  libgtk-4-dev libgtk-4-bin libglib2.0-bin libadwaita-1-dev
  glib-networking libsecret-1-dev
)
test_packages=(
  python3 python3-pytest python3-irc python3-yaml
  clang libclang-rt-14-dev
  xvfb xauth dbus-daemon at-spi2-core python3-dogtail python3-gi
  gir1.2-atspi-2.0 gir1.2-gtk-3.0 python3-pyatspi dconf-service
  dconf-gsettings-backend gsettings-desktop-schemas fonts-dejavu-core
  libgl1-mesa-dri xdotool xclip imagemagick gnome-keyring
  gnutls-bin openssl
)

case "${1:-run}" in
  run) wanted=("${run_packages[@]}") ;;
  test) wanted=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "natter needs these Debian packages; install them as root and run again:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
