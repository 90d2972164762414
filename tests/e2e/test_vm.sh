#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end on other kernels: the kernel matrix (tests/vm). Boots Debian's 6.1 kernel under
# QEMU (TCG) with an initramfs holding the static rsttrace, the static scenario generator and
# busybox, runs every loopback scenario under `rsttrace --events -j` and `rsttrace -j` per
# probe family, and checks the serial log against tests/vm/expect/6.1.txt. The same run on
# this machine's kernel is checked against tests/vm/expect/<major.minor>.txt when there is
# one. Needs qemu-system-x86_64 and busybox-static (tests/install-deps.sh); without qemu it
# reports nothing and exits 0. Env: VM_ACCEL=kvm on a runner with real KVM, VM_TIMEOUT.
# VM_ARCH=arm64 (tests/e2e/test_vm_arm64.sh): Debian's arm64 6.1 under qemu-system-aarch64,
# with the cross-built binaries of .output/arm64/vm (make vmtest ARCH=arm64), checked against
# tests/vm/expect/arm64-6.1.txt, plus the busy user-mode loops test (tests/vm/context.sh);
# the host's kernel is run only when it is of that architecture.
. "$(dirname "$0")/lib.sh"
VM=$ROOT/tests/vm
HOST_ARCH=$(uname -m | sed -e 's/^x86_64$/x86/' -e 's/^aarch64$/arm64/')
export VM_ARCH=${VM_ARCH:-$HOST_ARCH}
if [ "$VM_ARCH" = "$HOST_ARCH" ]; then OUT=$ROOT/.output/vm; else OUT=$ROOT/.output/$VM_ARCH/vm; fi
# expectation files of arm64 kernels are named arm64-MAJOR.MINOR.txt
PFX=
QEMU=qemu-system-x86_64
if [ "$VM_ARCH" = arm64 ]; then
	PFX=arm64-
	QEMU=qemu-system-aarch64
	export BUSYBOX STRIP SPIN=$OUT/spin REGS=$OUT/regs
	[ "$HOST_ARCH" = arm64 ] || STRIP=aarch64-linux-gnu-strip
fi

# a base port with the next 9 free too (scenarios.sh uses one port per scenario), below the
# ephemeral range: another process's outgoing connection cannot take them as its source port
# and join the filtered trace (seen: a concurrent reset storm on this shared machine)
free_base() {
	python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(50):
    base = random.randrange(10000, lo - 10)
    try:
        for p in range(base, base + 10):
            for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                t = socket.socket(fam); t.bind((addr, p)); t.close()
    except OSError:
        continue
    print(base); break'
}

host_run() {
	local k expect base
	k=$(uname -r | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
	expect=$VM/expect/$PFX$k.txt
	if [ "$VM_ARCH" != "$HOST_ARCH" ]; then
		echo "this machine is $HOST_ARCH: its kernel's run is test_vm.sh's"
		return
	fi
	if [ ! -f "$expect" ]; then
		echo "no $expect: this kernel's run skipped (the other e2e tests cover it)"
		return
	fi
	base=$(free_base)
	# shellcheck disable=SC2046
	"$VM/scenarios.sh" "$RT" "$SCEN" "$WORK" "$base" $(sed -n 's/^families //p' "$expect") \
		>"$WORK/host.log" 2>&1
	"$VM/check.sh" "$WORK/host.log" "$expect" "host $k" || FAILED=1
}

# boot VMLINUZ LOG: run the guest (tests/vm/run-vm.sh, bounded by VM_TIMEOUT); a soft lockup
# on the console ends it at once instead of at the timeout. True when the guest finished.
boot() {
	local pid
	"$VM/run-vm.sh" "$1" "$WORK/initrd.gz" "$2" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if grep -q 'soft lockup' "$2" 2>/dev/null; then
			# run-vm.sh's timeout(1) passes the signal on to QEMU
			pkill -TERM -P "$pid" -x timeout
			break
		fi
		sleep 1
	done
	wait "$pid"
	grep -q 'VMTEST: done' "$2"
}

vm_run() {
	local k=${PFX}6.1 vmlinuz expect=$VM/expect/${PFX}6.1.txt log=$WORK/vm-${PFX}6.1.log t0
	for f in "$OUT/rsttrace" "$OUT/scen" ${SPIN:+"$SPIN"} ${REGS:+"$REGS"}; do
		[ -x "$f" ] || { fail "vm $k: static binaries" "$f missing: make vmtest ARCH=$VM_ARCH builds it"; return; }
	done
	if ! vmlinuz=$("$VM/fetch-kernel.sh" "$OUT" "$VM_ARCH" 2>"$WORK/fetch.err"); then
		fail "vm $k: kernel" "$(cat "$WORK/fetch.err")"
		return
	fi
	if ! BUSYBOX=$("$VM/fetch-busybox.sh" "$OUT" "$VM_ARCH" 2>"$WORK/fetch.err"); then
		fail "vm $k: busybox" "$(cat "$WORK/fetch.err")"
		return
	fi
	# shellcheck disable=SC2046
	if ! "$VM/mkinitramfs.sh" "$WORK/initrd.gz" "$OUT/rsttrace" "$OUT/scen" \
		$(sed -n 's/^families //p' "$expect") 2>"$WORK/initrd.err"; then
		fail "vm $k: initramfs" "$(cat "$WORK/initrd.err")"
		return
	fi
	t0=$(date +%s)
	if ! boot "$vmlinuz" "$log" && grep -q 'soft lockup' "$log"; then
		# seen twice in about ten runs under TCG: both vCPUs stuck while rsttrace attaches
		# fentry programs (code patching waiting on the other vCPU); an emulation hazard,
		# not a result: boot once more, and keep the first log
		echo "vm $k: the guest soft-locked under TCG ($(grep -m1 'soft lockup' "$log")): booting once more"
		mv "$log" "$log.lockup"
		boot "$vmlinuz" "$log"
	fi
	check "vm $k: the guest ran to the end ($(basename "$vmlinuz"), $(($(date +%s) - t0)) s)" \
		grep -q 'VMTEST: done' "$log"
	"$VM/check.sh" "$log" "$expect" "vm $k" || FAILED=1
}

if ! command -v "$QEMU" >/dev/null; then
	echo "no $QEMU (tests/install-deps.sh installs it): kernel matrix skipped"
	exit 0
fi
host_run
vm_run
exit $FAILED
