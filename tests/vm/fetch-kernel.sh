#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/fetch-kernel.sh DIR [ARCH] - the Debian kernel the VM matrix boots, cached in DIR.
# ARCH x86 (default) or arm64. Downloads the package linux-image-amd64 (linux-image-arm64)
# depends on (bookworm: linux-image-6.1.0-NN-amd64, -arm64) with `apt-get download` only when
# DIR holds no vmlinuz yet, and extracts only its ./boot/vmlinuz-* (modules are not needed:
# loopback, TCP, IPv6, BPF, kprobes and ftrace are built in; arm64's vmlinuz is an
# uncompressed Image that QEMU boots as it is). The arm64 package is another architecture's:
# apt must know arm64 (tests/install-deps.sh --arm64). Prints the vmlinuz path. Exit 1 when
# it cannot be had.
set -eu
DIR=$1
ARCH=${2:-x86}
case $ARCH in
x86) META=linux-image-amd64 ;;
arm64) META=linux-image-arm64:arm64 ;;
*) echo "fetch-kernel: ARCH $ARCH: x86 or arm64" >&2; exit 1 ;;
esac
mkdir -p "$DIR"
have=$(ls "$DIR"/vmlinuz-* 2>/dev/null | tail -1)
if [ -n "$have" ]; then
	echo "$have"
	exit 0
fi
PKG=$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$PKG" ] || { echo "fetch-kernel: apt-cache knows no $META (run apt-get update; for arm64 tests/install-deps.sh --arm64)" >&2; exit 1; }
tmp=$(mktemp -d "$DIR/deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$PKG" >apt.log 2>&1) || { cat "$tmp/apt.log" >&2; echo "fetch-kernel: apt-get download $PKG failed" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$tmp"/"${PKG%:*}"_*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
# the .deb (60-70 MB) is not kept: the vmlinuz is all the matrix needs
mv "$tmp"/boot/vmlinuz-* "$DIR"/
ls "$DIR"/vmlinuz-* | tail -1
