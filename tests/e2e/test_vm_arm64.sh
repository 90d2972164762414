#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end on arm64: the kernel matrix of tests/e2e/test_vm.sh with Debian's arm64 6.1
# kernel under qemu-system-aarch64 -M virt -cpu max (TCG), the cross-built static binaries
# of .output/arm64/vm (make vmtest ARCH=arm64), tests/vm/expect/arm64-6.1.txt, and the busy
# user-mode loops test (tests/vm/context.sh). docs/arm64.md.
VM_ARCH=arm64 exec "$(dirname "$0")/test_vm.sh"
