/* SPDX-License-Identifier: GPL-2.0 */
/*
 * owners.h - where the owners of sockets are kept: the owner table (by socket cookie), the
 * last owner of each 4-tuple, and the socket storage that takes what the table cannot.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_OWNERS_H
#define RSTTRACE_OWNERS_H

/* A lifecycle record held in quiet mode: what differs from the incident's record that
 * sends it (the socket, its tuple and owner are the same). */
struct held {
	__u64 ts_ns;
	struct rt_task current;
	__u8 kind, state, old_state, ctx;
	__u16 flags;               /* RT_F_* (all below bit 16) */
	__u8 owner_by;             /* how its owner was known then (later: the entry's) */
	__s32 ret;                 /* a write's bytes */
};

/* connect or accept, peer's FIN, a write after it, close, destroy: a healthy lifecycle */
#define HELD_MAX 5

/*
 * One slot of the owner table. A socket's slot is claimed at its first event in its owner's
 * syscall (owners are learnt in process context only: softirq's current is the peer, not the
 * owner) or at its accept, and retired at its destroy; a retired slot keeps answering for its
 * cookie until a newer socket claims it: a socket that sent the first FIN lives on as a
 * timewait sock with the same cookie, which may answer a late segment with a reset (a proxy's
 * kernel resetting its upstream's late write), and that timeline needs what quiet mode held.
 */
struct owner {
	__u64 cookie;              /* the socket this slot is about; 0: free (first: cmpxchg) */
	__u8 retired;              /* its full socket is gone: the slot may be claimed again */
	__u8 matched;              /* its ports passed the port filter (its tuple may be zeroed later) */
	__u8 loud;                 /* quiet mode: had an incident, its records go out at once */
	__u8 nheld;
	__u8 family;               /* of the fullest tuple seen, for held records */
	__u8 closed_first;         /* this end sent the first FIN: a timewait sock may follow */
	struct rt_task task;       /* pid 0: not known yet (an accepted socket no process touched) */
	struct rt_tuple tuple;
	struct held held[HELD_MAX];
};

/*
 * The owner table: an array whose slots a socket cookie indexes directly, two candidates per
 * cookie (its low bits, and a hash of it), so that finding a socket's owner is one or two
 * cache lines, and claiming or retiring a slot is a compare-and-swap or a store: no hash
 * walk, no lock, no allocation, no eviction (a hash map's were most of the cost of a short
 * connection). Cookies come in sequence, so a slot is claimed again about OWNER_SLOTS
 * sockets later: that is also the window in which a timewait sock still finds its owner.
 * Where both slots hold live sockets (many long-lived ones), the owner goes to the socket's
 * own storage instead (sk_owner), counted (RT_CNT_OWNERS_FULL). 64k slots of 304 bytes:
 * 19 MiB of kernel memory.
 */
#define OWNER_SLOTS (1u << 16)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OWNER_SLOTS);
	__type(key, __u32);
	__type(value, struct owner);
} owners SEC(".maps");

static __always_inline struct owner *owner_slot(__u64 cookie, int which)
{
	__u32 i = which ? (__u32)((cookie * 0x9E3779B97F4A7C15ull) >> 32) : (__u32)cookie;

	i &= OWNER_SLOTS - 1;
	return bpf_map_lookup_elem(&owners, &i);
}

/* the socket's slot, live or retired; NULL: none */
static __always_inline struct owner *owner_find(__u64 cookie)
{
	struct owner *o;

	if (!cookie)
		return NULL;
	o = owner_slot(cookie, 0);
	if (o && o->cookie == cookie)
		return o;
	o = owner_slot(cookie, 1);
	return o && o->cookie == cookie ? o : NULL;
}

/* Take slot o for cookie if it is free, retired, or only marks an accepted socket no process
 * has touched (a hint: that socket, still queued some 64k sockets later, loses its accept
 * record, and a socket outside the filters that is never looked at again leaks nothing).
 * Another CPU may take it first: for this same socket (then it is ours all the same) or for
 * another. */
static __always_inline struct owner *owner_take(struct owner *o, __u64 cookie)
{
	__u64 old = o->cookie, prev;

	if (old == cookie)
		return o;
	if (old && !o->retired && o->task.pid)
		return NULL;
	prev = __sync_val_compare_and_swap(&o->cookie, old, cookie);
	if (prev != old)
		return prev == cookie ? o : NULL;
	o->retired = 0;
	o->matched = 0;
	o->loud = 0;
	o->nheld = 0;
	o->family = 0;
	o->closed_first = 0;
	o->task.pid = 0;
	__builtin_memset(&o->tuple, 0, sizeof(o->tuple));
	return o;
}

/* a slot for a socket that has none (owner_find() said so); NULL when both of its slots hold
 * live sockets (counted) */
static __always_inline struct owner *owner_claim(__u64 cookie)
{
	struct owner *o = owner_slot(cookie, 0);

	if (o && (o = owner_take(o, cookie)))
		return o;
	o = owner_slot(cookie, 1);
	if (o && (o = owner_take(o, cookie)))
		return o;
	count(RT_CNT_OWNERS_FULL);
	return NULL;
}

/* The last owner of each 4-tuple, for a reset answered after the socket is gone (no socket
 * at all) and for the hooks that cannot read cookies: a direct-mapped table (slot: a hash of
 * the tuple, rt_tuple_slot(); the tuple is kept to check a hit), written when a socket is
 * retired (at learn where there is no cookie). A newer tuple on the same slot replaces an
 * older one: bounded, no lock, no eviction work. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RT_TUPLE_SLOTS);
	__type(key, __u32);
	__type(value, struct rt_tuple_owner);
} owner_by_tuple SEC(".maps");

/* The owner of a socket that found the owner table full, stored in the socket itself
 * (tp_btf/fentry only; freed with the socket). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct rt_task);
} sk_owner SEC(".maps");

static __always_inline struct rt_task *sk_stored_owner(const struct sock *sk, const bool btf)
{
	return btf && sk ? bpf_sk_storage_get(&sk_owner, (struct sock *)sk, 0, 0) : NULL;
}

static __always_inline bool tuple_equal(const struct rt_tuple *a, const struct rt_tuple *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	for (int i = 0; i < sizeof(*a) / 4; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* the last owner of this tuple, if its slot still holds it */
static __always_inline bool tuple_owner_get(const struct rt_tuple *t, struct rt_task *out)
{
	__u32 slot = rt_tuple_slot(t);
	struct rt_tuple_owner *v = bpf_map_lookup_elem(&owner_by_tuple, &slot);

	if (!v || !v->task.pid || !tuple_equal(&v->tuple, t))
		return false;
	*out = v->task;
	return true;
}

static __always_inline void tuple_owner_put(const struct rt_tuple *t, const struct rt_task *task)
{
	__u32 slot = rt_tuple_slot(t);
	struct rt_tuple_owner *v = bpf_map_lookup_elem(&owner_by_tuple, &slot);

	if (!v)
		return;
	v->tuple = *t;
	v->task = *task;
}

/* The owner into e; *entry: the socket's owner entry when there is one (report() uses it) */
static __always_inline bool owner_lookup(struct rt_event *e, const struct rt_task *stored,
					 struct owner **entry)
{
	struct owner *o;

	if (e->cookie) {
		o = owner_find(e->cookie);
		*entry = o;
		if (o && o->task.pid) {
			e->owner = o->task;
			e->owner_by = RT_OWNER_COOKIE;
			return true;
		}
	}
	if (stored) {
		e->owner = *stored;
		e->owner_by = RT_OWNER_COOKIE;
		return true;
	}
	if (!tuple_owner_get(&e->tuple, &e->owner))
		return false;
	e->owner_by = RT_OWNER_TUPLE;
	return true;
}

/* process context only: current owns sk. Where the owner table had no room for it. */
static __always_inline void store_owner(const struct sock *sk, const struct rt_task *t,
					const bool btf)
{
	struct rt_task *s;

	if (!btf)
		return;
	s = bpf_sk_storage_get(&sk_owner, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (s)
		*s = *t;
}

#endif /* RSTTRACE_OWNERS_H */
