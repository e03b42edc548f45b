#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs every Debian 12 package Outpost needs to build and test.
# Idempotent: when everything is present it only runs dpkg-query and exits.
# Usage: packaging/install-deps.sh [build|test|all]   (default: all)
set -eu

BUILD_PKGS="build-essential cmake pkg-config git
libuv1-dev libsodium-dev libprotobuf-c-dev protobuf-c-compiler
libyaml-dev libsystemd-dev libsqlite3-dev libzstd-dev libmbedtls-dev nettle-dev
libseccomp-dev
libxcb1-dev libxcb-shm0-dev libxcb-damage0-dev libxcb-xfixes0-dev
libxcb-randr0-dev libxcb-xtest0-dev libvpx-dev libyuv-dev xvfb
libopus-dev libpipewire-0.3-dev libpulse-dev
libwayland-dev libxkbcommon-dev wayland-protocols"

TEST_PKGS="clang libclang-rt-14-dev gdb python3 python3-nacl python3-protobuf
protobuf-compiler python3-yaml python3-jsonschema
dpkg-dev rpm file ansible-core python3-apt
tinyproxy microsocks stunnel4 openssl sqlite3
xvfb xdotool x11-utils x11-apps x11-xserver-utils xterm ffmpeg
xserver-xorg-core xserver-xorg-video-dummy
python3-xlib xclip python3-zstandard python3-numpy xfonts-base fonts-dejavu-core
dbus-daemon dbus-bin
pipewire pipewire-bin wireplumber pipewire-pulse
sway swaybg grim wev wtype wl-clipboard
mutter python3-gi gir1.2-gtk-3.0 python3-gi-cairo
xdg-desktop-portal xdg-desktop-portal-wlr gstreamer1.0-tools
gstreamer1.0-pipewire gstreamer1.0-plugins-base gstreamer1.0-plugins-good"

what=${1:-all}
case "$what" in
build) pkgs=$BUILD_PKGS ;;
test | all) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
*)
	echo "usage: $0 [build|test|all]" >&2
	exit 64
	;;
esac

# The accounts of the network process and the virtual display
# (service/systemd/outpost.sysusers; the packages create them on install).
# Tests and `make run` as root need them.
ensure_accounts() {
	[ "$(id -u)" -eq 0 ] || return 0
	for acct in "outpost:Outpost network process" \
		"outpost-display:Outpost virtual display"; do
		name=${acct%%:*}
		getent passwd "$name" >/dev/null && continue
		if command -v systemd-sysusers >/dev/null 2>&1; then
			systemd-sysusers "$(dirname "$0")/../service/systemd/outpost.sysusers" \
				>/dev/null 2>&1 || true
		fi
		getent passwd "$name" >/dev/null ||
			useradd --system --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --comment "${acct#*:}" "$name"
	done
}

missing=""
for p in $pkgs; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	ensure_accounts
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run this script as root (it uses apt-get)" >&2
	exit 77
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
ensure_accounts
