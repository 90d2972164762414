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

#else
#error "rsttrace: no arch.h support for this target architecture (ARCH=x86 is supported)"
#endif

#endif /* RSTTRACE_ARCH_H */
