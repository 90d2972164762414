/* SPDX-License-Identifier: GPL-2.0 */
/*
 * context.h - who is running, and does it own the socket? A tracepoint in softirq runs with
 * whatever process was interrupted as `current`: run_context() tells process context (current
 * is the caller, maybe the owner) from softirq (current is only the trigger, or nobody).
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_CONTEXT_H
#define RSTTRACE_CONTEXT_H

/*
 * Interrupted in user mode: an interrupt that arrives while a process runs in user mode is
 * handled, softirqs at its exit included, on that process's own stack (x86: irq exit runs on
 * the interrupted stack when it came from user mode), so a stack test takes it for process
 * context. The process's saved registers tell: user mode, and no system call (the entry code
 * sets orig_ax to -1 for interrupts and exceptions). One process-context path shares that
 * picture: a process killed by a signal in user mode closes its sockets on its way out, in
 * do_exit, with PF_EXITING set; an interrupt cannot come from user mode then.
 */
static __always_inline bool interrupted_in_user_mode(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	return regs && regs_interrupted_user_mode(regs) && !(t->flags & PF_EXITING);
}

/*
 * Is this running in process context? `current` is only the socket's owner there.
 * - softirq run from local_bh_enable() in a syscall (loopback transmit) is on the per-CPU
 *   irq stack (CONFIG_SOFTIRQ_ON_OWN_STACK): compare the address of ctx, which the
 *   tracepoint/trampoline built on the traced context's stack, with current's task stack
 *   (not a BPF local's address: since 6.13 BPF may run on a private stack). There current is
 *   the process whose transmit caused the event: a meaningful trigger.
 * - on the task stack, an interrupt from user mode (above): current is any process at all.
 * The __preempt_count ksym would answer both but does not resolve without KALLSYMS_ALL;
 * softirq_entry/exit hooks keeping a flag would too, at two programs per softirq.
 */
static __always_inline __u8 run_context(void *ctx, __u32 *flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 base = (__u64)t->stack, sp = 0, p = (__u64)ctx;

	bpf_probe_read_kernel(&sp, sizeof(sp), &p); /* pointer -> plain scalar */
	if (sp - base >= THREAD_SIZE) {
		/* arm64 runs even the softirqs of an interrupt from user mode on the irq stack:
		 * current is then whatever process was interrupted, no trigger */
		if (!(t->flags & PF_KTHREAD) && interrupted_in_user_mode(t))
			*flags |= RT_F_CURRENT_UNRELATED;
		return RT_CTX_IRQ;
	}
	if (t->flags & PF_KTHREAD) {
		*flags |= RT_F_CURRENT_UNRELATED;
		return RT_CTX_KTHREAD;
	}
	if (interrupted_in_user_mode(t)) {
		*flags |= RT_F_CURRENT_UNRELATED;
		return RT_CTX_IRQ;
	}
	return RT_CTX_TASK;
}

static __always_inline void current_task(struct rt_task *t)
{
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = id >> 32;
	t->tid = (__u32)id;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/* when, and who was running */
static __always_inline void stamp(struct rt_event *e)
{
	e->ts_ns = bpf_ktime_get_ns();
	current_task(&e->current);
}

/* The same without the comm, for a state change in its owner's syscall: the owner's slot has
 * the comm when current is its owner (the common case), so it is fetched only when not
 * (owner_learn(); an empty comm means "not fetched yet"). */
static __always_inline void stamp_ids(struct rt_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->ts_ns = bpf_ktime_get_ns();
	e->current.pid = id >> 32;
	e->current.tid = (__u32)id;
}

static __always_inline void fill_current(struct rt_event *e, void *ctx)
{
	e->ctx = run_context(ctx, &e->flags);
	stamp(e);
}

#endif /* RSTTRACE_CONTEXT_H */
