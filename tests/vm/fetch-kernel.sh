#!/bin/sh
# tests/vm/fetch-kernel.sh DIR - the Debian kernel the VM matrix boots, cached in DIR.
# Downloads the package linux-image-amd64 depends on (bookworm: linux-image-6.1.0-NN-amd64)
# with `apt-get download` only when DIR holds no vmlinuz yet, and extracts only its
# ./boot/vmlinuz-* (modules are not needed: loopback, TCP, IPv6, BPF, kprobes and ftrace
# are built in). Prints the vmlinuz path. Exit 1 when it cannot be had.
set -eu
DIR=$1
mkdir -p "$DIR"
have=$(ls "$DIR"/vmlinuz-* 2>/dev/null | tail -1)
if [ -n "$have" ]; then
	echo "$have"
	exit 0
fi
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$PKG" ] || { echo "fetch-kernel: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2; exit 1; }
tmp=$(mktemp -d "$DIR/deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "$PKG" >apt.log 2>&1) || { cat "$tmp/apt.log" >&2; echo "fetch-kernel: apt-get download $PKG failed" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$tmp"/"${PKG}"_*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
# the .deb (70 MB) is not kept: the 8 MB vmlinuz is all the matrix needs
mv "$tmp"/boot/vmlinuz-* "$DIR"/
ls "$DIR"/vmlinuz-* | tail -1
