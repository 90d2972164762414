/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - the one way out: the ring buffer and the kernel's counters. Every record goes through
 * emit(), which sheds lifecycle records when the ring is more than half full (counted by kind)
 * and counts what it could not queue: nothing is lost silently.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_OUTPUT_H
#define RSTTRACE_OUTPUT_H

/* 2 MiB: 16k records, 50 ms of a two-process reset storm; the reader is woken only once a
 * quarter of it is filled (it polls every 100 ms anyway), so a storm costs a wakeup per
 * few thousand records instead of one per record. User space maps it twice: 4 MiB of RSS. */
#define RINGBUF_BYTES (2 << 20)

#define WAKEUP_BYTES (RINGBUF_BYTES / 4)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* enum rt_counter, per CPU: every record lost or shed is counted, never silent */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &counter);

	if (n)
		(*n)++;
}

/* Past half the ring (a storm the reader cannot keep up with), lifecycle records are shed,
 * counted by kind, so that the other half stays for resets, errors and SIGPIPEs. */
#define SHED_BYTES (RINGBUF_BYTES / 2)

static __always_inline void emit(struct rt_event *e)
{
	__u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 wake = queued >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (queued >= SHED_BYTES && rt_kind_sheddable(e->kind)) {
		if (e->kind < RT_KIND_MAX)
			count(RT_CNT_SHED + e->kind);
		return;
	}
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wake))
		count(RT_CNT_LOST);
}

#endif /* RSTTRACE_OUTPUT_H */
