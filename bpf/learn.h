/* SPDX-License-Identifier: GPL-2.0 */
/*
 * learn.h - learning and resolving owners: a socket's owner is learnt in its owner's syscalls
 * (process context) and looked up elsewhere; the socket filters' scope, which needs the owner;
 * a socket's retirement at destroy.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_LEARN_H
#define RSTTRACE_LEARN_H

/*
 * Process context: current is the owner. Known socket and same process: one look, done.
 * Otherwise remember it in its slot (in place: the slot keeps what quiet mode holds), and if
 * it was an accepted socket nobody had touched yet (a slot without an owner), this is where
 * its process took it: report the accept (when it is wanted).
 */
static __always_inline struct owner *owner_learn(const struct sock *sk, struct rt_event *e,
						  bool wanted, const bool btf)
{
	__u8 matched = !(e->flags & RT_F_CAUSE);
	struct owner *o = owner_find(e->cookie);
	struct rt_task *stored;
	bool accepted;

	if (o && o->task.pid == e->current.pid) {
		if (!e->current.comm[0])
			__builtin_memcpy(e->current.comm, o->task.comm, RT_COMM_LEN);
		goto known;
	}
	stored = o ? NULL : sk_stored_owner(sk, btf); /* where the table had no slot */
	if (stored && stored->pid == e->current.pid) {
		if (!e->current.comm[0])
			__builtin_memcpy(e->current.comm, stored->comm, RT_COMM_LEN);
		goto known;
	}
	if (!e->current.comm[0])
		bpf_get_current_comm(e->current.comm, sizeof(e->current.comm));
	accepted = o && !o->task.pid;
	if (matched && sk_filter_on())
		pid_follow(e->current.pid);
	if (e->cookie && !o)
		o = owner_claim(e->cookie);
	if (o) {
		o->task = e->current;
		o->matched = matched;
	}
	sk_addrs(sk, e, btf);
	/* without a cookie entry the tuple is the only key (connect() reports SYN_SENT before it
	 * picks the local port: none yet); with one, the tuple is written when it is retired */
	if (!o) {
		if (e->tuple.dport && e->tuple.sport)
			tuple_owner_put(&e->tuple, &e->current);
		if (e->cookie)
			store_owner(sk, &e->current, btf);
	}
	if (accepted && wanted) {
		struct rt_event a = *e;

		a.kind = RT_ACCEPT;
		/* just before the event that revealed it (same time: it sorts first) */
		a.ts_ns = e->ts_ns ? e->ts_ns : bpf_ktime_get_ns();
		a.owner = e->current;
		a.owner_by = RT_OWNER_CURRENT;
		report_in(&a, o);
	}
known:
	e->owner = e->current;
	e->owner_by = RT_OWNER_CURRENT;
	return o;
}

/* Events outside send/recv: the owner from the maps, or current when the event ran in the
 * owner's own syscall. Pass the pid/comm filter if the owner or the task that triggered it
 * (the peer, on loopback) is wanted. */
static __always_inline bool owner_resolve(struct rt_event *e, bool current_owns,
					  const struct rt_task *stored, struct owner **entry)
{
	bool found = true;

	*entry = NULL;
	if (current_owns) {
		e->owner = e->current;
		e->owner_by = RT_OWNER_CURRENT;
	} else {
		found = owner_lookup(e, stored, entry);
	}
	if (!task_filter_on())
		return true;
	if (found && task_wanted(&e->owner))
		return true;
	return !(e->flags & RT_F_CURRENT_UNRELATED) && e->current.pid && task_wanted(&e->current);
}

/*
 * The socket filters, for an event whose cookie is known: wanted when the socket matches
 * (sk_wanted) or matched before (the kernel zeroes the tuple on a linger close or a failed
 * connect; a timewait sock has no cgroup); a possible cause (flagged) when its owner owns a
 * wanted socket; else dropped. sk may be NULL (a reset without a socket).
 */
static __always_inline bool filter_scope(struct rt_event *e, const struct sock *sk, const bool btf)
{
	struct owner *o;
	__u32 pid;

	if (!sk_filter_on() ||
	    sk_wanted(sk, e->tuple.sport, e->tuple.dport, e->tuple.netns, e->state, btf))
		return true;
	o = owner_find(e->cookie);
	if (!o || !o->task.pid)
		return false;
	if (o->matched)
		return true;
	pid = o->task.pid;
	if (!pid_followed(pid))
		return false;
	e->flags |= RT_F_CAUSE;
	return true;
}

/* Process context outside the port filter: followed only for a process that owns a wanted
 * socket (followed), and then flagged. */
static __always_inline bool cause_pid(struct rt_event *e)
{
	if (!pid_followed(e->current.pid))
		return false;
	e->flags |= RT_F_CAUSE;
	return true;
}

/*
 * The full socket is freed: its owner stays findable by tuple (a segment that comes later is
 * answered with no socket at all), its entry leaves the owner table, at once or, when this
 * end sent the first FIN, after a window for its timewait sock (the owner table, owners.h).
 * t: the socket's tuple, if o has none complete.
 */
static __always_inline void retire(struct owner *o, const struct rt_tuple *t)
{
	if (tuple_complete(&o->tuple))
		t = &o->tuple;
	if (o->task.pid && tuple_complete(t))
		tuple_owner_put(t, &o->task);
	o->retired = 1;
}

/* SYN_RECV -> ESTABLISHED: an accepted child, created in softirq; its owner is whoever
 * touches it first from process context (accept() has no socket tracepoint). Outside the
 * port filter too: a followed process may turn out to own it, and its connection still gets
 * its direction (who connected to whom). One word, no entry: most are never followed. */
static __always_inline void mark_accepted(__u64 cookie)
{
	if (cookie)
		owner_claim(cookie); /* no owner yet: the mark */
}

/* a socket whose owner is known (its slot names one) */
static __always_inline bool owner_known(__u64 cookie)
{
	struct owner *o = owner_find(cookie);

	return o && o->task.pid;
}

/* The fast path's question: is this socket's owner already known to be this process? */
static __always_inline bool owned_by(const struct sock *sk, __u64 cookie, __u32 pid,
				     const bool btf)
{
	struct owner *o = owner_find(cookie);
	struct rt_task *t;

	if (o)
		return o->task.pid == pid;
	t = sk_stored_owner(sk, btf); /* where the table had no slot */
	return t && t->pid == pid;
}

#endif /* RSTTRACE_LEARN_H */
