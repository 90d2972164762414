#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/mkinitramfs.sh OUT.cpio.gz RSTTRACE SCEN FAMILY... - the VM's initramfs: static
# busybox with its applet links, tests/vm/init as /init, scenarios.sh, the static rsttrace
# and scen (stripped), and /families (the probe families the guest runs).
# Env: BUSYBOX, the guest's static busybox (default /bin/busybox: this machine's, which also
# lists the applets and writes the cpio archive); STRIP (default strip; the cross binutils'
# for another architecture); SPIN, a static tests/vm/spin.c for the guest: with it the guest
# also runs tests/vm/context.sh (busy user-mode loops while resets happen); REGS, a static
# tests/vm/regs.c for the guest, which context.sh runs too.
set -eu
OUT=$1
RT=$2
SCEN=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
HOST_BB=/bin/busybox
BB=${BUSYBOX:-$HOST_BB}
STRIP=${STRIP:-strip}
[ -x "$HOST_BB" ] || { echo "mkinitramfs: no static $HOST_BB (package busybox-static)" >&2; exit 1; }
[ -f "$BB" ] || { echo "mkinitramfs: no $BB" >&2; exit 1; }
R=$(mktemp -d "${TMPDIR:-/tmp}/rt-initramfs.XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp "$BB" "$R/bin/busybox"
# the applet list of this machine's busybox: the same Debian version as the guest's
for a in $("$HOST_BB" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
cp "$HERE/init" "$R/init"
cp "$HERE/scenarios.sh" "$R/scenarios.sh"
"$STRIP" -o "$R/rsttrace" "$RT"
"$STRIP" -o "$R/scen" "$SCEN"
if [ -n "${SPIN:-}" ]; then
	"$STRIP" -o "$R/spin" "$SPIN"
	cp "$HERE/context.sh" "$R/context.sh"
	[ -z "${REGS:-}" ] || "$STRIP" -o "$R/regs" "$REGS"
fi
echo "$*" >"$R/families"
(cd "$R" && find . | "$HOST_BB" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
