#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install what building and testing rsttrace needs, from Debian/Ubuntu packages, only when
# something is missing (so a ready machine does not touch the network).
# usage: tests/install-deps.sh [--build] [--arm64] [EXTRA-PACKAGE...]
#   --build: only what building ./rsttrace needs (make run); make bench adds wrk and tcpdump
#   --arm64: also what cross-building for arm64 on an x86_64 machine needs (make ARCH=arm64,
#            make dist) and the arm64 kernel matrix (make vmtest ARCH=arm64): Debian's cross
#            compiler, the arm64 libraries (multiarch: dpkg --add-architecture arm64) and
#            qemu-system-arm (qemu-system-aarch64)
set -eu
BUILD="make gcc clang bpftool libbpf-dev libelf-dev zlib1g-dev libmicrohttpd-dev pkg-config"
ARM64=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) ONLY_BUILD=1 ;;
	--arm64) ARM64="gcc-aarch64-linux-gnu libc6-dev-arm64-cross libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 qemu-system-arm" ;;
	*) break ;;
	esac
	shift
done
# build: clang (BPF), bpftool (skeleton), libbpf/libelf/zlib (loader), libmicrohttpd
# (--metrics' HTTP server); tests: jq (checking
# JSON), python3, iproute2 (netns), util-linux (setpriv), curl, nginx-light and golang-go
# (the incident's real servers), procps (pgrep), python3-jsonschema (every JSON line checked
# against schema/, by /usr/bin/python3), groff-base and man-db (the man page lint);
# qemu-system-x86 and busybox-static (the kernel matrix, tests/vm: Debian's 6.1 in a VM);
# libclang-rt-dev (libFuzzer and the sanitizer runtimes for clang: make fuzz, test_fuzz.sh);
# prometheus (a real server scraping --metrics, and promtool) and systemd (systemd-analyze
# verify of the unit; nothing is started); haproxy (a second real proxy: test_proxies.sh),
# nftables (packet filter resets: test_firewall.sh, test_snmp.sh)
PKGS="$BUILD jq python3 iproute2
util-linux curl nginx-light golang-go procps python3-jsonschema groff-base man-db
qemu-system-x86 busybox-static libclang-rt-dev prometheus systemd haproxy nftables $*"
[ -n "${ONLY_BUILD:-}" ] && PKGS="$BUILD $*"
PKGS="$PKGS $ARM64"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null; then
	echo "install-deps: missing:$missing, and no apt-get to install them" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing; run as root (sudo make test) to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# the arm64 libraries are another architecture's packages: apt must know it before updating
if [ -n "$ARM64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(dpkg --print-architecture)" = arm64 ] || dpkg --add-architecture arm64
fi
apt-get update -qq
# nginx's package starts a default server on port 80; keep it from starting here
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d.rsttrace
[ -e /usr/sbin/policy-rc.d ] || { cp /usr/sbin/policy-rc.d.rsttrace /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && created=1; }
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "${created:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
rm -f /usr/sbin/policy-rc.d.rsttrace
exit 0
