#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/fetch-busybox.sh DIR ARCH - a static busybox for the guest's initramfs. For this
# machine's own architecture, /bin/busybox (package busybox-static); for another one (arm64
# on x86_64), busybox-static:ARCH's ./bin/busybox, fetched with `apt-get download` into DIR
# once (installing it would replace this machine's busybox). Prints the path; exit 1 when it
# cannot be had.
set -eu
DIR=$1
ARCH=$2
host=$(uname -m | sed -e 's/^x86_64$/x86/' -e 's/^aarch64$/arm64/')
if [ "$ARCH" = "$host" ]; then
	[ -x /bin/busybox ] || { echo "fetch-busybox: no static /bin/busybox (package busybox-static)" >&2; exit 1; }
	echo /bin/busybox
	exit 0
fi
if [ -x "$DIR/busybox" ]; then
	echo "$DIR/busybox"
	exit 0
fi
mkdir -p "$DIR"
tmp=$(mktemp -d "$DIR/deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "busybox-static:$ARCH" >apt.log 2>&1) || { cat "$tmp/apt.log" >&2; echo "fetch-busybox: apt-get download busybox-static:$ARCH failed (tests/install-deps.sh --$ARCH)" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$tmp"/busybox-static_*.deb | tar -x -C "$tmp" ./bin/busybox
mv "$tmp/bin/busybox" "$DIR/busybox"
echo "$DIR/busybox"
