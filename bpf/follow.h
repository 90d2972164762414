/* SPDX-License-Identifier: GPL-2.0 */
/*
 * follow.h - what the kernel keeps so that a filter does not hide a cause: peers' FINs on
 * sockets whose owner is not known yet, and the processes whose SIGPIPEs are TCP's.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_FOLLOW_H
#define RSTTRACE_FOLLOW_H

/* Under a port filter: peers' FINs on sockets whose owner was not known then (see
 * remember_fin). LRU: bounded, the oldest forgotten first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct rt_fin);
} fin_seen SEC(".maps");

/* tgids that had a TCP write fail or an error pending: only their SIGPIPEs are TCP's. The
 * value keeps RT_F_CAUSE: the SIGPIPE of a write outside the filter is a cause only too. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} sigpipe_armed SEC(".maps");

static __always_inline void sigpipe_arm(__u32 pid, __u32 flags)
{
	__u32 cause = flags & RT_F_CAUSE;

	if (pid)
		bpf_map_update_elem(&sigpipe_armed, &pid, &cause, BPF_ANY);
}

/* A peer's FIN on a socket whose owner is not known yet: kept, in case the owner turns out
 * to be followed (a proxy learns of a client's FIN from epoll and never reads the socket). */
static __always_inline void remember_fin(struct rt_event *e)
{
	struct rt_fin f = { .ts_ns = e->ts_ns };

	if (!sk_filter_on() || !e->cookie)
		return;
	if (!(e->flags & RT_F_CURRENT_UNRELATED) && e->current.pid)
		f.trigger = e->current;
	bpf_map_update_elem(&fin_seen, &e->cookie, &f, BPF_ANY);
}

/* A followed process closes a socket its peer had closed: report the FIN it missed, at its
 * own time and with its own trigger, before the close (the record is reused in place to keep
 * the stack small). */
static __always_inline void emit_missed_fin(struct rt_event *e)
{
	struct rt_fin *f = bpf_map_lookup_elem(&fin_seen, &e->cookie);
	struct rt_event saved;

	if (!f)
		return;
	saved = *e;
	e->kind = RT_PEER_FIN;
	e->ts_ns = f->ts_ns;
	e->state = RT_TCP_CLOSE_WAIT;
	e->ctx = RT_CTX_IRQ;
	e->current = f->trigger;
	if (!f->trigger.pid)
		e->flags |= RT_F_CURRENT_UNRELATED;
	report(e);
	*e = saved;
	bpf_map_delete_elem(&fin_seen, &e->cookie);
}

#endif /* RSTTRACE_FOLLOW_H */
