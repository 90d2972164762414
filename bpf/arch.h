/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arch.h - what the BPF side needs to know about the CPU architecture: the size of a task's
 * kernel stack and how the saved user registers show an interrupt taken in user mode.
 * Everything else in the BPF object is architecture-neutral (CO-RE). Included once, by
 * bpf/rsttrace.bpf.c, after vmlinux.h; __TARGET_ARCH_* comes from the Makefile's ARCH.
 */
#ifndef RSTTRACE_ARCH_H
#define RSTTRACE_ARCH_H

#if defined(__TARGET_ARCH_x86)

/* x86_64 THREAD_SIZE without KASAN (16 KiB); a KASAN kernel has 32 KiB stacks and would
 * classify deep process-context events as irq: never owners, so never misattributed. */
#define THREAD_SIZE 16384

/* The saved registers are those of an interrupt or exception taken in user mode: the code
 * segment's privilege level is 3 and the entry code set orig_ax to -1 (no system call). */
static __always_inline bool regs_interrupted_user_mode(const struct pt_regs *regs)
{
	return (long)regs->orig_ax == -1 && (regs->cs & 3) == 3;
}

#elif defined(__TARGET_ARCH_arm64)

/* arm64 THREAD_SIZE is 1 << THREAD_SHIFT, MIN_THREAD_SHIFT = 14 (16 KiB; 15 with KASAN), but
 * with VMAP_STACK never less than a page (arch/arm64/include/asm/memory.h): 16 KiB on 4K and
 * 16K-page kernels, 64 KiB on 64K-page ones (RHEL/Ubuntu "-64k" kernels). A fixed 16 KiB
 * would put every shallow process-context event of a 64K-page kernel outside the stack (no
 * owner ever), so user space sets it before load: max(16 KiB, page size)
 * (user/tracer.c, set_kernel_shape). KASAN kernels: as on x86 (deep events taken for irq). */
const volatile __u64 arch_thread_size = 16384;
#define THREAD_SIZE arch_thread_size

/* AArch64 pstate M[3:0] is 0 (EL0t) for user mode, AArch64 and AArch32 tasks alike
 * (user_mode() in arch/arm64/include/asm/ptrace.h). kernel_entry for el == 0 (entry.S)
 * stores NO_SYSCALL (-1) in syscallno on every entry from user mode, and only el0_svc
 * (el0_svc_common, syscall.c) overwrites it with the syscall number: so at the top of the
 * task stack, EL0 + syscallno -1 is an interrupt or exception taken in user mode. An
 * interrupt taken in the kernel saves its registers lower on the stack and leaves these
 * alone. How this was checked on a booted kernel: docs/arm64.md. */
#define ARM64_PSR_MODE_MASK 0x0000000fULL
#define ARM64_PSR_MODE_EL0t 0x00000000ULL

static __always_inline bool regs_interrupted_user_mode(const struct pt_regs *regs)
{
	return regs->syscallno == -1 && (regs->pstate & ARM64_PSR_MODE_MASK) == ARM64_PSR_MODE_EL0t;
}

#else
#error "rsttrace: no arch.h support for this target architecture (ARCH=x86 and ARCH=arm64 are supported)"
#endif

#endif /* RSTTRACE_ARCH_H */
