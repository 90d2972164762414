#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/run-vm.sh VMLINUZ INITRD LOG - boot the kernel with the matrix's initramfs under
# QEMU, serial console to LOG (\r removed), bounded by VM_TIMEOUT seconds (default 180).
# VM_ARCH x86 (default: qemu-system-x86_64) or arm64 (qemu-system-aarch64 -M virt -cpu max).
# Software emulation (TCG) unless VM_ACCEL=kvm: this machine's /dev/kvm is a nested PVM
# backend on which a stock kernel crawls; on a CI runner with real KVM (of the guest's
# architecture), VM_ACCEL=kvm is much faster. Exit: 0 the guest reached "VMTEST: done", 1 not.
K=$1
I=$2
LOG=$3
TMO=${VM_TIMEOUT:-180}
case ${VM_ARCH:-x86} in
arm64)
	QEMU=qemu-system-aarch64
	CONSOLE=ttyAMA0
	case ${VM_ACCEL:-tcg} in
	kvm) ACCEL="-M virt -enable-kvm -cpu host" ;;
	# pauth-impdef: max's pointer authentication with QEMU's own cheap hash instead of the
	# architected QARMA, which TCG emulates slowly; the guest sees the same features
	*) ACCEL="-M virt -accel tcg -cpu max,pauth-impdef=on" ;;
	esac
	;;
*)
	QEMU=qemu-system-x86_64
	CONSOLE=ttyS0
	case ${VM_ACCEL:-tcg} in
	kvm) ACCEL="-enable-kvm -cpu host,-arch-capabilities" ;; # QEMU 7.2 aborts on MSR 0x10a without it
	*) ACCEL="-accel tcg" ;;
	esac
	;;
esac
# panic=-1 and -no-reboot: a guest panic ends QEMU instead of hanging until the timeout
# shellcheck disable=SC2086
timeout -k 5 "$TMO" $QEMU $ACCEL -m 1G -smp 2 -kernel "$K" -initrd "$I" \
	-append "console=$CONSOLE panic=-1 quiet" -nographic -no-reboot -net none \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' >"$LOG"  # line by line: test_vm.sh watches it
grep -q 'VMTEST: done' "$LOG"
