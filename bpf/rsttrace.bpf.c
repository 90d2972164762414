// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace.bpf.c - the kernel side: small, fast, no policy.
 *
 * Every hook decodes its arguments into one rt_event (bpf/rsttrace.h) and hands it to user
 * space, which joins, explains and prints. What runs here on every send and receive of the
 * machine is: a protocol check, the port filter, the pid/comm filter, and owner learning that
 * is a single map lookup once a socket is known. Ground truth for every rule below:
 * notes/kernel-events.md.
 *
 * Each hook has variants per mechanism (tp_btf, raw_tp, fentry/fexit, kprobe); user/probes.c
 * enables one per hook. The logic lives in one __always_inline function per hook taking a
 * constant `btf`: true where arguments are BTF-typed pointers (tp_btf, fentry) and can be read
 * directly and the socket cookie generated; false where they are plain addresses (raw_tp,
 * kprobe) read with bpf_probe_read_kernel. The constant folds away the other branch.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rsttrace.h"
#include "arch.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define SIGPIPE 13
#define EAGAIN 11
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

/* Set by user space between open and load (user/bpf_config.c). */
const volatile bool filter_ports_on;
const volatile __u8 filter_port_bitmap[RT_PORT_BITMAP_BYTES];
/* up to RT_PORT_LIST ports are also listed: compared directly, no cache line of the 8 KiB
 * bitmap to fetch for every socket outside the filter */
const volatile __u32 filter_nlisted;
const volatile __u16 filter_port_list[RT_PORT_LIST];
const volatile __u32 filter_npids;
const volatile __u32 filter_pids[RT_MAX_PIDS];
const volatile bool filter_comm_on;
const volatile char filter_comm[RT_COMM_LEN];
/* --netns: the network namespace's inode; --cgroup: a cgroup v2 id and its level (depth) */
const volatile bool filter_netns_on;
const volatile __u32 filter_netns;
const volatile bool filter_cgroup_on;
const volatile __u64 filter_cgroup_id;
const volatile __u32 filter_cgroup_level;
/* The reset reason is an extra hook argument since 6.10; reading it where it does not exist
 * is refused by the verifier, so user space says from the kernel's BTF whether it is there. */
const volatile bool send_reset_has_reason;
const volatile bool v4_send_reset_has_reason;
const volatile bool active_reset_has_reason;
/* Hold a healthy connection's lifecycle records in the kernel (see report()): set for the
 * timeline output without filters or recording, where only connections with an incident are
 * printed. */
const volatile bool quiet_healthy;

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

/* Under a socket filter: the processes that own a wanted socket. Their other connections are
 * still followed, flagged RT_F_CAUSE, because losing one of them (a client that went away)
 * is what makes a proxy close the wanted one (a filter must not hide the cause). Direct-mapped
 * by pid (a slot holds the pid it is about): one cache line a look, bounded; two followed
 * processes whose pids share a slot take turns. Nothing is looked up until some process is
 * followed (followed_any): a filter that matches nothing costs other sockets nothing here. */
#define FOLLOWED_SLOTS 32768

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FOLLOWED_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} followed SEC(".maps");

bool followed_any;

static __always_inline bool pid_followed(__u32 pid)
{
	__u32 slot = pid & (FOLLOWED_SLOTS - 1);
	__u32 *v;

	if (!followed_any)
		return false;
	v = bpf_map_lookup_elem(&followed, &slot);
	return v && *v == pid;
}

static __always_inline void pid_follow(__u32 pid)
{
	__u32 slot = pid & (FOLLOWED_SLOTS - 1);
	__u32 *v = bpf_map_lookup_elem(&followed, &slot);

	if (!v)
		return;
	*v = pid;
	if (!followed_any)
		followed_any = true;
}

/* Under a port filter: peers' FINs on sockets whose owner was not known then (see
 * remember_fin). LRU: bounded, the oldest forgotten first. */
struct fin {
	__u64 ts_ns;
	struct rt_task trigger;    /* the task whose syscall ran it; pid 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fin);
} fin_seen SEC(".maps");

/* tgids that had a TCP write fail or an error pending: only their SIGPIPEs are TCP's. The
 * value keeps RT_F_CAUSE: the SIGPIPE of a write outside the filter is a cause only too. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} sigpipe_armed SEC(".maps");

/* kprobe fallback for tcp_sendmsg/tcp_recvmsg: the sock at entry, by thread (LRU: an entry
 * whose kretprobe was missed must not stay forever) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} sk_by_tid SEC(".maps");

/* Read a field directly (BTF pointer) or through bpf_probe_read_kernel (plain address). */
#define RD(btf, p, ...) ((btf) ? (p)->__VA_ARGS__ : BPF_CORE_READ(p, __VA_ARGS__))

/* ------------------------------------------------------------------------------------ */
/* context and tasks                                                                      */

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

static __always_inline bool pid_wanted(__u32 pid)
{
	for (int i = 0; i < RT_MAX_PIDS; i++) {
		if (i >= filter_npids)
			return false;
		if (filter_pids[i] == pid)
			return true;
	}
	return false;
}

static __always_inline bool comm_wanted(const char *comm)
{
	for (int i = 0; i < RT_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

static __always_inline bool task_wanted(const struct rt_task *t)
{
	if (filter_npids && !pid_wanted(t->pid))
		return false;
	return !filter_comm_on || comm_wanted(t->comm);
}

static __always_inline bool task_filter_on(void)
{
	return filter_npids || filter_comm_on;
}

static __always_inline bool port_wanted(__u16 port)
{
	__u32 byte = port >> 3;

	/* 6.1's verifier does not bound the result of a byte swap (bpf_ntohs: "R3 unbounded
	 * memory access"); clang drops a plain mask as redundant, so hide the value from it */
	barrier_var(byte);
	return filter_port_bitmap[byte & (RT_PORT_BITMAP_BYTES - 1)] & (1 << (port & 7));
}

static __always_inline bool ports_listed(__u16 sport, __u16 dport)
{
	for (int i = 0; i < RT_PORT_LIST; i++) {
		if (i >= filter_nlisted)
			return false;
		if (filter_port_list[i] == sport || filter_port_list[i] == dport)
			return true;
	}
	return false;
}

static __always_inline bool ports_wanted(__u16 sport, __u16 dport)
{
	if (!filter_ports_on)
		return true;
	if (filter_nlisted)
		return ports_listed(sport, dport);
	return port_wanted(sport) || port_wanted(dport);
}

/* ------------------------------------------------------------------------------------ */
/* sockets                                                                                */

static __always_inline void addr4(__u8 *dst, __be32 a)
{
	/* IPv4 as IPv4-mapped IPv6: ::ffff:a.b.c.d */
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

/* This socket's local port. skc_num is zeroed by inet_put_port() when a full socket goes to
 * CLOSE (on 6.18 already when inet_sock_set_state reports the change); inet_sport survives
 * (the classic tracepoints use it) but lies outside struct sock, where direct BTF access is
 * refused, so it costs a probe read: paid only when skc_num is 0. Timewait and request
 * socks have no inet_sock. */
static __always_inline __u16 sk_sport(const struct sock *sk, __u8 state, const bool btf)
{
	__u16 num = RD(btf, sk, __sk_common.skc_num);

	if (num || state == RT_TCP_TIME_WAIT || state == RT_TCP_NEW_SYN_RECV)
		return num;
	return bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

static __always_inline __u32 sk_netns(const struct sock *sk, const bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Addresses and netns: read only for events that passed the filters. */
static __always_inline void sk_addrs(const struct sock *sk, struct rt_event *e, const bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	if (family == AF_INET6) {
		e->family = RT_FAMILY_IPV6;
		if (btf) {
			__builtin_memcpy(e->tuple.saddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
			__builtin_memcpy(e->tuple.daddr, &sk->__sk_common.skc_v6_daddr, 16);
		} else {
			BPF_CORE_READ_INTO(&e->tuple.saddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&e->tuple.daddr, sk, __sk_common.skc_v6_daddr);
		}
	} else {
		e->family = RT_FAMILY_IPV4;
		addr4(e->tuple.saddr, RD(btf, sk, __sk_common.skc_rcv_saddr));
		addr4(e->tuple.daddr, RD(btf, sk, __sk_common.skc_daddr));
	}
	e->tuple.netns = sk_netns(sk, btf);
}

/* SO_LINGER {1, 0}: close() then aborts with an RST whose reason reads TCP_STATE (it goes
 * through tcp_disconnect), so the linger setting is what tells a deliberate abort apart. */
static __always_inline bool sk_linger0(const struct sock *sk, const bool btf)
{
	unsigned long flags = RD(btf, sk, __sk_common.skc_flags);
	int bit = bpf_core_enum_value(enum sock_flags, SOCK_LINGER);

	return (flags & (1UL << bit)) && RD(btf, sk, sk_lingertime) == 0;
}

/* Cheap part of a socket: is it TCP over IP, its state and ports. False: not ours. */
static __always_inline bool sk_basics(const struct sock *sk, struct rt_event *e, const bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return false;
	e->state = RD(btf, sk, __sk_common.skc_state);
	e->tuple.sport = sk_sport(sk, e->state, btf);
	e->tuple.dport = bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
	return true;
}

static __always_inline bool sk_is_tcp(const struct sock *sk, const bool btf)
{
	return RD(btf, sk, sk_protocol) == IPPROTO_TCP && RD(btf, sk, sk_type) == 1 /* STREAM */;
}

/* The cookie is generated at the first event of every tracked socket so that the timewait
 * sock that replaces an orphan inherits it (notes §3). raw_tp and kprobe programs may not
 * call the helper: they read a cookie someone else generated, or 0. */
static __always_inline __u64 sk_cookie(const struct sock *sk, const bool btf)
{
	if (btf)
		return bpf_get_socket_cookie((void *)sk);
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

/* Before 6.1 (commit 7f203bc89eb6) a cgroup kept its ancestors' ids, not pointers. */
struct cgroup___ids {
	int level;
	u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/* Before 5.15 (commit 8520e224f547) sock_cgroup_data was a u64: the cgroup pointer when
 * its low bit (is_data: cgroup v1 net_cls/net_prio values in use instead) is clear. */
struct sock_cgroup_data___val {
	u64 val;
} __attribute__((preserve_access_index));

/* The cgroup v2 a full socket was created in (an accepted one inherits its listener's): set
 * once in process context, so it holds in softirq too, where current is someone else. */
static __always_inline struct cgroup *sk_cgroup(const struct sock *sk)
{
	struct sock_cgroup_data___val *old = (void *)&sk->sk_cgrp_data;
	u64 val;

	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	val = BPF_CORE_READ(old, val);
	return val & 1 ? NULL : (struct cgroup *)val;
}

/* --cgroup: the socket's cgroup is the one given or below it: its ancestor at the given
 * level is the one given. Costs five probe reads, only under --cgroup. */
static __always_inline bool sk_cgroup_wanted(const struct sock *sk)
{
	struct cgroup *cg = sk_cgroup(sk), *anc = NULL;
	__u32 lvl = filter_cgroup_level;
	__u64 id = 0;

	if (!cg || BPF_CORE_READ(cg, level) < (int)lvl)
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		__u64 off = bpf_core_field_offset(struct cgroup, ancestors);

		bpf_probe_read_kernel(&anc, sizeof(anc), (void *)cg + off + lvl * sizeof(anc));
		id = anc ? BPF_CORE_READ(anc, kn, id) : 0;
	} else {
		__u64 off = bpf_core_field_offset(struct cgroup___ids, ancestor_ids);

		bpf_probe_read_kernel(&id, sizeof(id), (void *)cg + off + lvl * sizeof(id));
	}
	return id == filter_cgroup_id;
}

static __always_inline bool sk_filter_on(void)
{
	return filter_ports_on || filter_netns_on || filter_cgroup_on;
}

/*
 * The socket filters (-P, --netns, --cgroup): does this socket match all of them? netns: the
 * packet's when the tuple came from one (pass it), else the socket's (pass 0). A timewait or
 * request sock has no cgroup, nor has a reset without a socket: not wanted here, and
 * filter_scope() then asks whether the full socket was.
 */
static __always_inline bool sk_wanted(const struct sock *sk, __u16 sport, __u16 dport,
				      __u32 netns, __u8 state, const bool btf)
{
	if (!ports_wanted(sport, dport))
		return false;
	if (filter_netns_on) {
		if (!netns && sk)
			netns = sk_netns(sk, btf);
		if (netns != filter_netns)
			return false;
	}
	if (filter_cgroup_on)
		return sk && state != RT_TCP_TIME_WAIT && state != RT_TCP_NEW_SYN_RECV &&
		       sk_cgroup_wanted(sk);
	return true;
}

/* ------------------------------------------------------------------------------------ */
/* owners                                                                                 */

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

static __always_inline bool is_incident(__u8 kind)
{
	return kind == RT_RST_SENT || kind == RT_RST_RECV || kind == RT_ERROR_PENDING ||
	       kind == RT_WRITE_ERROR || kind == RT_READ_ERROR;
}

/* Past half the ring (a storm the reader cannot keep up with), lifecycle records are shed,
 * counted by kind, so that the other half stays for resets, errors and SIGPIPEs. */
#define SHED_BYTES (RINGBUF_BYTES / 2)

static __always_inline void emit(struct rt_event *e)
{
	__u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 wake = queued >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (queued >= SHED_BYTES && !is_incident(e->kind) && e->kind != RT_SIGPIPE) {
		if (e->kind < RT_KIND_MAX)
			count(RT_CNT_SHED + e->kind);
		return;
	}
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wake))
		count(RT_CNT_LOST);
}

/* ------------------------------------------------------------------------------------ */
/* quiet mode: a healthy connection's records stay in the kernel                          */

static __always_inline bool tuple_complete(const struct rt_tuple *t)
{
	return t->sport && t->dport;
}

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

/* What cause linking needs at once (user/causes.c): the loss of a connection this end did
 * not open (a client that went away), the close of one it did not accept (an upstream). */
static __always_inline bool needs_quiet_copy(__u8 kind, __u8 opened)
{
	return (kind == RT_PEER_FIN && opened != RT_CONNECT) ||
	       (kind == RT_CLOSE && opened != RT_ACCEPT);
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
	if (!is_incident(e->kind) && hold(o, e)) {
		if (needs_quiet_copy(e->kind, opened)) {
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

static __always_inline void sigpipe_arm(__u32 pid, __u32 flags)
{
	__u32 cause = flags & RT_F_CAUSE;

	if (pid)
		bpf_map_update_elem(&sigpipe_armed, &pid, &cause, BPF_ANY);
}

/* ------------------------------------------------------------------------------------ */
/* hooks                                                                                  */

/* Read the RST's tuple from the segment it answers: RST src = segment dst. Needed for
 * NULL, timewait and listener socks (a listener's own tuple is useless, notes §1f). */
static __always_inline bool skb_rst_tuple(const struct sk_buff *skb, struct rt_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	struct tcphdr th;
	__u8 ver;

	if (bpf_probe_read_kernel(&ver, 1, head + nh) ||
	    bpf_probe_read_kernel(&th, sizeof(th), head + th_off))
		return false;
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ih;

		if (bpf_probe_read_kernel(&ih, sizeof(ih), head + nh))
			return false;
		e->family = RT_FAMILY_IPV4;
		addr4(e->tuple.saddr, ih.daddr);
		addr4(e->tuple.daddr, ih.saddr);
	} else if (ver == 6) {
		struct ipv6hdr ih;

		if (bpf_probe_read_kernel(&ih, sizeof(ih), head + nh))
			return false;
		e->family = RT_FAMILY_IPV6;
		__builtin_memcpy(e->tuple.saddr, &ih.daddr, 16);
		__builtin_memcpy(e->tuple.daddr, &ih.saddr, 16);
	} else {
		return false;
	}
	e->tuple.sport = bpf_ntohs(th.dest);
	e->tuple.dport = bpf_ntohs(th.source);
	e->tuple.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	e->flags |= RT_F_TUPLE_FROM_SKB;
	return true;
}

static __always_inline int on_send_reset(void *ctx, const struct sock *sk,
					 const struct sk_buff *skb, __u16 reason, const bool btf)
{
	struct rt_event e = { .kind = RT_RST_SENT, .reason = reason };
	struct owner *o;

	if (sk) {
		e.state = RD(btf, sk, __sk_common.skc_state);
		e.cookie = sk_cookie(sk, btf);
		if (!skb && e.state != RT_TCP_TIME_WAIT && sk_linger0(sk, btf))
			e.flags |= RT_F_LINGER0;
	}
	if (skb) {
		if (!skb_rst_tuple(skb, &e))
			return 0;
	} else if (!sk || !sk_basics(sk, &e, btf)) {
		return 0;
	} else {
		sk_addrs(sk, &e, btf);
	}
	if (!filter_scope(&e, sk, btf))
		return 0;
	fill_current(&e, ctx);
	/* an active reset (no skb) in process context runs in its owner's close(); a reply
	 * reset runs in softirq, where current is whoever sent the segment */
	if (!owner_resolve(&e, !skb && e.ctx == RT_CTX_TASK, NULL, &o))
		return 0;
	report_in(&e, o);
	return 0;
}

/* An event about one socket outside send/recv (RST received, error pending, destroy) in e,
 * which has its kind and result: reported if wanted. e keeps the socket's tuple. */
static __always_inline void sk_event_report(void *ctx, const struct sock *sk, struct rt_event *e,
					    const bool btf)
{
	struct owner *o;

	if (!sk || !sk_basics(sk, e, btf))
		return;
	e->cookie = sk_cookie(sk, btf);
	if (!filter_scope(e, sk, btf))
		return;
	sk_addrs(sk, e, btf);
	fill_current(e, ctx);
	/* in process context this runs in the owner's syscall on this socket: a close, or an
	 * RST queued on the owned socket's backlog and processed by release_sock() (notes §2) */
	if (!owner_resolve(e, e->ctx == RT_CTX_TASK, sk_stored_owner(sk, btf), &o))
		return;
	if (e->kind == RT_ERROR_PENDING && e->owner_by)
		sigpipe_arm(e->owner.pid, e->flags);
	report_in(e, o);
}

static __always_inline int on_sk_event(void *ctx, const struct sock *sk, __u8 kind, __s32 ret,
				       const bool btf)
{
	struct rt_event e = { .kind = kind, .ret = ret, .reason = RT_REASON_NONE };

	sk_event_report(ctx, sk, &e, btf);
	return 0;
}

static __always_inline int on_receive_reset(void *ctx, const struct sock *sk, const bool btf)
{
	return on_sk_event(ctx, sk, RT_RST_RECV, 0, btf);
}

/* tcp_disconnect() reports even when it set no error (a failed connect's cleanup): only a
 * set sk_err is an error pending */
static __always_inline int on_error_report(void *ctx, const struct sock *sk, const bool btf)
{
	int err;

	if (!sk || !sk_is_tcp(sk, btf))
		return 0;
	err = RD(btf, sk, sk_err);
	return err ? on_sk_event(ctx, sk, RT_ERROR_PENDING, err, btf) : 0;
}

/*
 * The full socket is freed: its owner stays findable by tuple (a segment that comes later is
 * answered with no socket at all), its entry leaves the owner table, at once or, when this
 * end sent the first FIN, after a window for its timewait sock (see owner_by_cookie). t: the
 * socket's tuple, if o has none complete.
 */
static __always_inline void retire(struct owner *o, const struct rt_tuple *t)
{
	if (tuple_complete(&o->tuple))
		t = &o->tuple;
	if (o->task.pid && tuple_complete(t))
		tuple_owner_put(t, &o->task);
	o->retired = 1;
}

/* Quiet mode, a socket with no incident: its destroy is held like its other lifecycle records
 * when a timewait sock follows (a late reset would need them); otherwise nothing can come
 * after, so it is worth no record. False: it could not be held (full). */
static __always_inline bool destroy_quietly(void *ctx, const struct sock *sk, struct owner *o,
					    struct rt_event *e, const bool btf)
{
	if (!o->closed_first)
		return true;
	e->state = RD(btf, sk, __sk_common.skc_state);
	e->owner_by = RT_OWNER_COOKIE;
	fill_current(e, ctx);
	return hold(o, e);
}

static __always_inline int on_destroy(void *ctx, const struct sock *sk, const bool btf)
{
	struct rt_event e = { .kind = RT_DESTROY, .reason = RT_REASON_NONE };
	struct owner *o;

	if (!sk)
		return 0;
	/* outside the socket filters with no process followed: no owner to report or retire */
	if (sk_filter_on() && !followed_any &&
	    (!sk_basics(sk, &e, btf) ||
	     !sk_wanted(sk, e.tuple.sport, e.tuple.dport, 0, e.state, btf)))
		return 0;
	e.cookie = sk_cookie(sk, btf);
	o = owner_find(e.cookie);
	if (o && quiet_healthy && !o->loud && tuple_complete(&o->tuple) &&
	    destroy_quietly(ctx, sk, o, &e, btf)) {
		retire(o, &o->tuple);
		return 0;
	}
	sk_event_report(ctx, sk, &e, btf);
	/* o is still the entry: nothing above deletes one */
	if (o)
		retire(o, &e.tuple);
	return 0;
}

/* Can this state change be a lifecycle record (state_kind below), judged from the two states
 * alone? Most changes of a connection (SYN_SENT -> ESTABLISHED, FIN_WAIT1 -> FIN_WAIT2,
 * -> TIME_WAIT, LAST_ACK -> CLOSE, ...) cannot: they return before the socket is read. */
static __always_inline bool state_may_matter(int old, int new)
{
	switch (new) {
	case RT_TCP_SYN_SENT:
		return old == RT_TCP_CLOSE;
	case RT_TCP_LISTEN:
		return true; /* no record, but listen() names the listener's owner (its resets) */
	case RT_TCP_CLOSE_WAIT:
	case RT_TCP_FIN_WAIT1:
	case RT_TCP_LAST_ACK:
		return true;
	case RT_TCP_CLOSING:
		return old == RT_TCP_FIN_WAIT1;
	case RT_TCP_CLOSE:
		return old == RT_TCP_ESTABLISHED || old == RT_TCP_CLOSE_WAIT ||
		       old == RT_TCP_SYN_SENT || old == RT_TCP_SYN_RECV;
	}
	return false;
}

/* Which lifecycle kind a state change is; 0: none worth a record. */
static __always_inline __u8 state_kind(const struct sock *sk, int old, int new, __u8 rctx,
				       const bool btf)
{
	if (old == RT_TCP_CLOSE && new == RT_TCP_SYN_SENT)
		return RT_CONNECT;
	if (new == RT_TCP_CLOSE_WAIT || (old == RT_TCP_FIN_WAIT1 && new == RT_TCP_CLOSING))
		return RT_PEER_FIN;
	if (rctx != RT_CTX_TASK)
		return 0;
	if (new == RT_TCP_FIN_WAIT1 || new == RT_TCP_LAST_ACK)
		return RT_CLOSE;
	/* -> CLOSE in process context from an open state is the owner's abortive close, unless
	 * an RST or a refusal processed in its syscall (backlog) did it: those set sk_err first */
	if (new == RT_TCP_CLOSE && !RD(btf, sk, sk_err) &&
	    (old == RT_TCP_ESTABLISHED || old == RT_TCP_CLOSE_WAIT || old == RT_TCP_SYN_SENT ||
	     old == RT_TCP_SYN_RECV))
		return RT_CLOSE; /* from LAST_ACK, FIN_WAIT or CLOSING it is the normal end */
	return 0;
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

/* A peer's FIN on a socket whose owner is not known yet: kept, in case the owner turns out
 * to be followed (a proxy learns of a client's FIN from epoll and never reads the socket). */
static __always_inline void remember_fin(struct rt_event *e)
{
	struct fin f = { .ts_ns = e->ts_ns };

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
	struct fin *f = bpf_map_lookup_elem(&fin_seen, &e->cookie);
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

static __always_inline int state_in_process(const struct sock *sk, struct rt_event *e, bool match,
					    const bool btf)
{
	bool wanted = !task_filter_on() || task_wanted(&e->current);
	struct owner *o;

	if (!match && !cause_pid(e))
		return 0;
	/* learn every owner, wanted or not, so that the peer of a wanted process is named:
	 * once per socket change, not on the send/recv path */
	o = owner_learn(sk, e, wanted, btf);
	/* it sent the first FIN: a timewait sock may outlive it (retire()) */
	if (o && e->kind == RT_CLOSE && e->state == RT_TCP_FIN_WAIT1)
		o->closed_first = 1;
	if (!wanted || !e->kind)
		return 0;
	sk_addrs(sk, e, btf);
	if (e->kind == RT_CLOSE && sk_linger0(sk, btf))
		e->flags |= RT_F_LINGER0;
	if ((e->flags & RT_F_CAUSE) && e->old_state == RT_TCP_CLOSE_WAIT)
		emit_missed_fin(e);
	report_in(e, o);
	return 0;
}

static __always_inline int state_in_softirq(const struct sock *sk, struct rt_event *e, bool match,
					    const bool btf)
{
	struct owner *o;

	if (!e->kind)
		return 0;
	if (!match && !filter_scope(e, sk, btf)) {
		if (e->kind == RT_PEER_FIN)
			remember_fin(e);
		return 0;
	}
	sk_addrs(sk, e, btf);
	if (owner_resolve(e, false, NULL, &o))
		report_in(e, o);
	return 0;
}

/* A state change outside the port filter matters only for a socket or a process followed as
 * a possible cause, or as a peer's FIN kept for later (remember_fin). */
/* a socket whose owner is known (its slot names one) */
static __always_inline bool owner_known(__u64 cookie)
{
	struct owner *o = owner_find(cookie);

	return o && o->task.pid;
}

static __always_inline bool maybe_followed(__u64 cookie, int new)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	/* with no process followed, no socket outside the filter has an owner known as one */
	if (!followed_any)
		return false;
	return new == RT_TCP_CLOSE_WAIT || pid_followed(pid) || owner_known(cookie);
}

static __always_inline int on_set_state(void *ctx, const struct sock *sk, int old, int new,
					const bool btf)
{
	struct rt_event e = { .reason = RT_REASON_NONE, .old_state = old };
	bool accepted = old == RT_TCP_SYN_RECV && new == RT_TCP_ESTABLISHED;
	bool match;

	if (!state_may_matter(old, new) && !accepted)
		return 0;
	/* family, state and ports first: the socket's first cache line */
	if (!sk || !sk_basics(sk, &e, btf))
		return 0;
	match = sk_wanted(sk, e.tuple.sport, e.tuple.dport, 0, e.state, btf);
	/* outside the filters with no process followed, only an accept is worth a mark */
	if (!match && !followed_any && !accepted)
		return 0;
	if (!sk_is_tcp(sk, btf))
		return 0;
	e.cookie = sk_cookie(sk, btf); /* early: the timewait sock inherits it */
	if (accepted) {
		mark_accepted(e.cookie);
		return 0;
	}
	if (!match && !maybe_followed(e.cookie, new))
		return 0; /* outside the filter and nothing to keep: before any other work */
	e.ctx = run_context(ctx, &e.flags);
	e.state = new;
	e.kind = state_kind(sk, old, new, e.ctx, btf);
	/* a close is a record in its owner's syscall only: done before the clock and the comm */
	if (e.ctx != RT_CTX_TASK && !e.kind)
		return 0;
	if (e.ctx != RT_CTX_TASK || filter_comm_on) {
		stamp(&e);
		if (e.ctx != RT_CTX_TASK)
			return state_in_softirq(sk, &e, match, btf);
	} else {
		stamp_ids(&e); /* the comm: owner_learn() */
	}
	return state_in_process(sk, &e, match, btf);
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

/* What a send/recv result reports; 0 (nothing) is the common case. */
static __always_inline __u8 send_recv_kind(int ret, bool send, __u8 state, bool cause)
{
	/* a followed process read EOF on another connection: it lost it (the softirq peer_fin
	 * was dropped when that socket's owner was not known yet) */
	if (ret == 0 && !send && cause)
		return RT_PEER_FIN;
	if (ret == -EAGAIN || ret == 0)
		return 0;
	if (ret < 0)
		return send ? RT_WRITE_ERROR : RT_READ_ERROR;
	/* the write that provokes a reset succeeds (notes §1d): worth a record once the
	 * socket is no longer ESTABLISHED */
	return send && state != RT_TCP_ESTABLISHED ? RT_WRITE : 0;
}


/* A socket to learn, or something to report: the whole record. */
static __always_inline int send_recv_slow(const struct sock *sk, int ret, __u8 kind, bool cause,
					  __u64 cookie, const bool btf)
{
	struct rt_event e = { .ret = ret, .reason = RT_REASON_NONE, .kind = kind,
			      .cookie = cookie, .ctx = RT_CTX_TASK };
	struct owner *o;

	if (!sk_basics(sk, &e, btf))
		return 0;
	current_task(&e.current);
	if (task_filter_on() && !task_wanted(&e.current))
		return 0;
	if (cause)
		e.flags |= RT_F_CAUSE;
	o = owner_learn(sk, &e, true, btf);
	if (!kind)
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	sk_addrs(sk, &e, btf);
	if (kind != RT_READ_ERROR)
		sigpipe_arm(e.current.pid, e.flags);
	report_in(&e, o);
	return 0;
}

/*
 * Every send and receive of the machine comes here, always in process context: keep it
 * short. Filters first, then, for a socket whose owner is known and a result worth no
 * record (a healthy connection), one map lookup and return: no record, no comm, no copy.
 */
static __always_inline int on_send_recv(void *ctx, const struct sock *sk, int ret, bool send,
					const bool btf)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	bool cause = false;
	__u16 family;
	__u64 cookie;
	__u8 state, kind;

	if (!sk)
		return 0;
	/* family, state and ports share the socket's first cache line: checked before the
	 * protocol, which lies further in (unix sockets come here too) */
	family = RD(btf, sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	state = RD(btf, sk, __sk_common.skc_state);
	if (sk_filter_on() && !sk_wanted(sk, sk_sport(sk, state, btf),
					 bpf_ntohs(RD(btf, sk, __sk_common.skc_dport)), 0, state, btf)) {
		if (!pid_followed(pid))
			return 0;
		cause = true;
	}
	if (!sk_is_tcp(sk, btf))
		return 0;
	if (filter_npids && !pid_wanted(pid))
		return 0;
	kind = send_recv_kind(ret, send, state, cause);
	cookie = sk_cookie(sk, btf);
	if (!kind && !filter_comm_on && owned_by(sk, cookie, pid, btf))
		return 0;
	return send_recv_slow(sk, ret, kind, cause, cookie, btf);
}

static __always_inline int on_signal(void *ctx, int sig, struct task_struct *task, int result,
				     const bool btf)
{
	struct rt_event e = { .kind = RT_SIGPIPE, .ret = result, .reason = RT_REASON_NONE };
	__u32 *armed;

	if (sig != SIGPIPE)
		return 0;
	e.owner.pid = RD(btf, task, tgid);
	armed = bpf_map_lookup_elem(&sigpipe_armed, &e.owner.pid);
	if (!armed)
		return 0;
	e.flags = *armed;
	e.owner.tid = RD(btf, task, pid);
	BPF_CORE_READ_STR_INTO(&e.owner.comm, task, comm);
	e.owner_by = RT_OWNER_CURRENT;
	if (task_filter_on() && !task_wanted(&e.owner))
		return 0;
	fill_current(&e, ctx);
	emit(&e);
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* program variants: one line each. Names: <hook>_<mechanism>, used by user/probes.c.    */

static __always_inline __u16 reason_arg(__u64 *ctx, int i, bool has)
{
	return has ? (__u16)ctx[i] : RT_REASON_NONE;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf, const struct sock *sk, const struct sk_buff *skb)
{
	return on_send_reset(ctx, sk, skb, reason_arg(ctx, 2, send_reset_has_reason), true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw, const struct sock *sk, const struct sk_buff *skb)
{
	return on_send_reset(ctx, sk, skb, reason_arg(ctx, 2, send_reset_has_reason), false);
}

SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(v4_send_reset_fentry, const struct sock *sk, struct sk_buff *skb)
{
	return on_send_reset(ctx, sk, skb, reason_arg(ctx, 2, v4_send_reset_has_reason), true);
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(v6_send_reset_fentry, const struct sock *sk, struct sk_buff *skb)
{
	return on_send_reset(ctx, sk, skb, reason_arg(ctx, 2, v4_send_reset_has_reason), true);
}

SEC("fentry/tcp_send_active_reset")
int BPF_PROG(active_reset_fentry, struct sock *sk)
{
	return on_send_reset(ctx, sk, NULL, reason_arg(ctx, 2, active_reset_has_reason), true);
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(v4_send_reset_kprobe, const struct sock *sk, struct sk_buff *skb, long reason)
{
	return on_send_reset(ctx, sk, skb, v4_send_reset_has_reason ? reason : RT_REASON_NONE,
			     false);
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(v6_send_reset_kprobe, const struct sock *sk, struct sk_buff *skb, long reason)
{
	return on_send_reset(ctx, sk, skb, v4_send_reset_has_reason ? reason : RT_REASON_NONE,
			     false);
}

SEC("kprobe/tcp_send_active_reset")
int BPF_KPROBE(active_reset_kprobe, struct sock *sk, long prio, long reason)
{
	return on_send_reset(ctx, sk, NULL, active_reset_has_reason ? reason : RT_REASON_NONE,
			     false);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset_btf, struct sock *sk) { return on_receive_reset(ctx, sk, true); }

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(receive_reset_raw, struct sock *sk) { return on_receive_reset(ctx, sk, false); }

SEC("fentry/tcp_reset")
int BPF_PROG(receive_reset_fentry, struct sock *sk) { return on_receive_reset(ctx, sk, true); }

SEC("kprobe/tcp_reset")
int BPF_KPROBE(receive_reset_kprobe, struct sock *sk) { return on_receive_reset(ctx, sk, false); }

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(error_report_btf, const struct sock *sk) { return on_error_report(ctx, sk, true); }

SEC("raw_tp/inet_sk_error_report")
int BPF_PROG(error_report_raw, const struct sock *sk) { return on_error_report(ctx, sk, false); }

SEC("fentry/sk_error_report")
int BPF_PROG(error_report_fentry, struct sock *sk) { return on_error_report(ctx, sk, true); }

SEC("kprobe/sk_error_report")
int BPF_KPROBE(error_report_kprobe, struct sock *sk) { return on_error_report(ctx, sk, false); }

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_btf, const struct sock *sk, int old, int new)
{
	return on_set_state(ctx, sk, old, new, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(set_state_raw, const struct sock *sk, int old, int new)
{
	return on_set_state(ctx, sk, old, new, false);
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_btf, struct sock *sk) { return on_destroy(ctx, sk, true); }

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(destroy_raw, struct sock *sk) { return on_destroy(ctx, sk, false); }

SEC("fentry/tcp_v4_destroy_sock")
int BPF_PROG(destroy_fentry, struct sock *sk) { return on_destroy(ctx, sk, true); }

SEC("kprobe/tcp_v4_destroy_sock")
int BPF_KPROBE(destroy_kprobe, struct sock *sk) { return on_destroy(ctx, sk, false); }

SEC("tp_btf/sock_send_length")
int BPF_PROG(send_length_btf, struct sock *sk, int ret)
{
	return on_send_recv(ctx, sk, ret, true, true);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(send_length_raw, struct sock *sk, int ret)
{
	return on_send_recv(ctx, sk, ret, true, false);
}

SEC("fexit/tcp_sendmsg")
int BPF_PROG(send_length_fexit, struct sock *sk, void *msg, __u64 size, int ret)
{
	return on_send_recv(ctx, sk, ret, true, true);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(recv_length_btf, struct sock *sk, int ret)
{
	return on_send_recv(ctx, sk, ret, false, true);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(recv_length_raw, struct sock *sk, int ret)
{
	return on_send_recv(ctx, sk, ret, false, false);
}

/* tcp_recvmsg's arguments changed in 5.19 (nonblock dropped): take the return value by
 * position-independent bpf_get_func_ret */
SEC("fexit/tcp_recvmsg")
int BPF_PROG(recv_length_fexit, struct sock *sk)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return on_send_recv(ctx, sk, (int)ret, false, true);
}

static __always_inline int kprobe_entry_save(const struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 p = (__u64)sk;

	bpf_map_update_elem(&sk_by_tid, &tid, &p, BPF_ANY);
	return 0;
}

static __always_inline int kretprobe_exit(void *ctx, int ret, bool send)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *p = bpf_map_lookup_elem(&sk_by_tid, &tid);
	const struct sock *sk;

	if (!p)
		return 0;
	sk = (const struct sock *)*p;
	bpf_map_delete_elem(&sk_by_tid, &tid);
	return on_send_recv(ctx, sk, ret, send, false);
}

SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(send_length_kprobe, struct sock *sk) { return kprobe_entry_save(sk); }

SEC("kretprobe/tcp_sendmsg")
int BPF_KRETPROBE(send_length_kretprobe, int ret) { return kretprobe_exit(ctx, ret, true); }

SEC("kprobe/tcp_recvmsg")
int BPF_KPROBE(recv_length_kprobe, struct sock *sk) { return kprobe_entry_save(sk); }

SEC("kretprobe/tcp_recvmsg")
int BPF_KRETPROBE(recv_length_kretprobe, int ret) { return kretprobe_exit(ctx, ret, false); }

SEC("tp_btf/signal_generate")
int BPF_PROG(sigpipe_btf, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(ctx, sig, task, result, true);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(sigpipe_raw, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(ctx, sig, task, result, false);
}
