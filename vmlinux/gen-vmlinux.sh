#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# usage: vmlinux/gen-vmlinux.sh [BTF_FILE] [ARCH]   (defaults: /sys/kernel/btf/vmlinux, x86)
# The BTF must come from a kernel built with networking (a tinyconfig header lacks struct
# tcp_sock and enum sk_rst_reason). CO-RE relocates field offsets at load time, so one header
# serves every kernel; the committed one was generated on Linux 6.18 (x86_64).
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-x86}
dir=$(dirname "$0")/$arch
mkdir -p "$dir"
bpftool btf dump file "$btf" format c > "$dir/vmlinux.h.tmp"
grep -q 'enum sk_rst_reason {' "$dir/vmlinux.h.tmp" || { echo "$btf: no enum sk_rst_reason (kernel < 6.10?)" >&2; exit 1; }
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "wrote $dir/vmlinux.h from $btf ($(uname -r))"
