// SPDX-License-Identifier: GPL-2.0
/* regs.bpf.c - checks bpf/arch.h's regs_interrupted_user_mode() on a running kernel, for
 * tests/vm/context.sh (loaded by tests/vm/regs.c). On every hrtimer expiry (the tick: hard
 * irq, current is whatever the CPU was running) whose current is one of two given processes,
 * the rule is applied to bpf_task_pt_regs(current) and counted: a process spinning in user
 * mode must always be "interrupted in user mode"; one that spends its time in read() of
 * /dev/zero mostly not (its ticks mostly land in the system call). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "arch.h"

const volatile __u32 spin_pid;
const volatile __u32 sys_pid;

/* [0] spinner, [1] syscall process: [.][0] interrupted in user mode, [.][1] not */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(on_tick, struct hrtimer *timer, ktime_t *now)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u32 key;
	__u64 *c;

	if (t->tgid == spin_pid)
		key = 0;
	else if (t->tgid == sys_pid)
		key = 2;
	else
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return 0;
	key += regs_interrupted_user_mode(regs) ? 0 : 1;
	c = bpf_map_lookup_elem(&counts, &key);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
