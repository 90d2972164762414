#!/bin/sh
# tests/vm/mkinitramfs.sh OUT.cpio.gz RSTTRACE SCEN FAMILY... - the VM's initramfs: static
# busybox with its applet links, tests/vm/init as /init, scenarios.sh, the static rsttrace
# and scen (stripped), and /families (the probe families the guest runs).
set -eu
OUT=$1
RT=$2
SCEN=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
BB=/bin/busybox
[ -x "$BB" ] || { echo "mkinitramfs: no static $BB (package busybox-static)" >&2; exit 1; }
R=$(mktemp -d "${TMPDIR:-/tmp}/rt-initramfs.XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
cp "$HERE/init" "$R/init"
cp "$HERE/scenarios.sh" "$R/scenarios.sh"
strip -o "$R/rsttrace" "$RT"
strip -o "$R/scen" "$SCEN"
echo "$*" >"$R/families"
(cd "$R" && find . | "$BB" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
