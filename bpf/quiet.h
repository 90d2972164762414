/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quiet.h - holding a healthy connection's records in the kernel. In the default timeline
 * output without filters or recording, only connections with an incident are printed: their
 * lifecycle records are held in the socket's owner slot and sent just before its first
 * incident; a connection that ends well costs no record.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_QUIET_H
#define RSTTRACE_QUIET_H

/* Hold a healthy connection's lifecycle records in the kernel (see report()): set for the
 * timeline output without filters or recording, where only connections with an incident are
 * printed. */
const volatile bool quiet_healthy;

/* what a held record keeps of e, and back (the owner itself is the entry's, see flush_held) */
static __always_inline void held_from(struct held *h, const struct rt_event *e)
{
	h->ts_ns = e->ts_ns;
	h->current = e->current;
	h->kind = e->kind;
	h->state = e->state;
	h->old_state = e->old_state;
	h->ctx = e->ctx;
	h->flags = e->flags;
	h->owner_by = e->owner_by;
	h->ret = e->ret;
}

static __always_inline void held_into(struct rt_event *e, const struct held *h)
{
	e->ts_ns = h->ts_ns;
	e->current = h->current;
	e->kind = h->kind;
	e->state = h->state;
	e->old_state = h->old_state;
	e->ctx = h->ctx;
	e->flags = h->flags;
	e->owner_by = h->owner_by;
	e->ret = h->ret;
}

/* Send the socket's held records, each rebuilt from the incident's record e (same socket,
 * tuple and owner), in place to keep the stack small; e is restored after. */
static __always_inline void flush_held(struct owner *o, struct rt_event *e)
{
	struct held saved;
	struct rt_task owner = e->owner;
	__u16 reason = e->reason;

	held_from(&saved, e);
	/* the kernel zeroes a tuple on a linger close or a failed connect: the held one is the
	 * same socket's */
	if (!tuple_complete(&e->tuple) && tuple_complete(&o->tuple)) {
		e->tuple = o->tuple;
		e->family = o->family;
	}
	for (int i = 0; i < HELD_MAX; i++) {
		struct held *h = &o->held[i];

		if (i >= o->nheld)
			break;
		held_into(e, h);
		e->reason = RT_REASON_NONE;
		e->owner = h->owner_by == RT_OWNER_CURRENT ? h->current : o->task;
		emit(e);
	}
	o->nheld = 0;
	held_into(e, &saved);
	e->reason = reason;
	e->owner = owner;
}

/* Keep e in the socket's owner entry; false when it is full (then it must go out). */
static __always_inline bool hold(struct owner *o, const struct rt_event *e)
{
	__u8 n = o->nheld;

	if (n >= HELD_MAX)
		return false;
	held_from(&o->held[n], e);
	o->nheld = n + 1;
	if (tuple_complete(&e->tuple) && !tuple_complete(&o->tuple)) {
		o->tuple = e->tuple;
		o->family = e->family;
	}
	return true;
}

/*
 * Every socket record goes out through here. In quiet mode a socket's lifecycle records
 * (connect, accept, peer's FIN, write, close, destroy) are held in its owner entry, which
 * exists anyway, until it has an incident: then they go out before it, and every later one
 * at once (loud). A connection that ends well costs no record, only the copies cause linking
 * needs. Where the entry is missing or full, records go out at once: never lost. o: the
 * socket's owner entry if the caller has it, else NULL (looked up here).
 */
static __always_inline void report_in(struct rt_event *e, struct owner *o)
{
	__u8 opened;

	if (!quiet_healthy || !e->cookie)
		goto out;
	if (!o)
		o = owner_find(e->cookie);
	if (!o || o->loud)
		goto out;
	opened = o->nheld ? o->held[0].kind : 0;
	if (!rt_kind_is_incident(e->kind) && hold(o, e)) {
		if (rt_needs_quiet_copy(e->kind, opened)) {
			e->flags |= RT_F_QUIET;
			emit(e);
			e->flags &= ~RT_F_QUIET;
		}
		return;
	}
	flush_held(o, e);
	o->loud = 1;
out:
	emit(e);
}

static __always_inline void report(struct rt_event *e)
{
	report_in(e, NULL);
}

#endif /* RSTTRACE_QUIET_H */
