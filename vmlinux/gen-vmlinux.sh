#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# usage: vmlinux/gen-vmlinux.sh [BTF_OR_KERNEL] [ARCH]   (defaults: /sys/kernel/btf/vmlinux, x86)
# BTF_OR_KERNEL: raw BTF (/sys/kernel/btf/vmlinux), an ELF vmlinux with .BTF, or a kernel
# image as a distribution ships it (an arm64 Image, gzip'd or not: Debian's
# /boot/vmlinuz-*-arm64), whose BTF is found by its header in the image: no ELF section table
# survives in an Image, and this way no foreign kernel has to be booted to read it.
# The BTF must come from a kernel built with networking (a tinyconfig header lacks struct
# tcp_sock). CO-RE relocates field offsets at load time, so one header serves every kernel of
# an architecture; the committed ones: x86 from Linux 6.18 (x86_64), arm64 from Debian
# bookworm's linux-image-6.1.0-57-arm64 (the newest arm64 kernel Debian 12 ships; no enum
# sk_rst_reason before 6.10, which the BPF code does not use: the reasons' names are read
# from the running kernel's BTF).
set -eu
src=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-x86}
dir=$(dirname "$0")/$arch
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-vmlinux.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

btf=$src
magic=$(od -An -tx1 -N4 "$src" | tr -d ' ')
case $magic in
9feb0100 | 7f454c46) ;; # raw BTF, ELF
*)
	img=$src
	if [ "${magic%????}" = 1f8b ]; then
		gzip -dc "$src" >"$tmp/Image"
		img=$tmp/Image
	fi
	# the BTF header: magic 0xeB9F, version 1, flags 0, hdr_len 24, then type_off,
	# type_len, str_off, str_len; the blob is 24 + str_off + str_len bytes and its string
	# section starts with a NUL
	python3 - "$img" "$tmp/btf" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
found = []
i = d.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00")
while i >= 0:
    to, tl, so, sl = struct.unpack_from("<4I", d, i + 8)
    end = i + 24 + so + sl
    if to == 0 and so == tl and end <= len(d) and d[i + 24 + so] == 0:
        found.append((i, end))
    i = d.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", i + 1)
if len(found) != 1:
    sys.exit("%s: %d BTF blobs found (want exactly one)" % (sys.argv[1], len(found)))
open(sys.argv[2], "wb").write(d[found[0][0]:found[0][1]])
EOF
	btf=$tmp/btf
	;;
esac
bpftool btf dump file "$btf" format c >"$dir/vmlinux.h.tmp"
grep -q '^struct tcp_sock {' "$dir/vmlinux.h.tmp" || { echo "$src: no struct tcp_sock (a kernel without networking?)" >&2; rm -f "$dir/vmlinux.h.tmp"; exit 1; }
grep -q 'enum sk_rst_reason {' "$dir/vmlinux.h.tmp" || echo "$src: no enum sk_rst_reason (kernel < 6.10): fine for the BPF code as it is" >&2
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "wrote $dir/vmlinux.h from $src ($(sha256sum "$btf" | cut -c1-16), BTF sha256 prefix)"
