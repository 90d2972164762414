/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filters.h - the kernel side of -P, -p, -c, --netns and --cgroup, set by user space before
 * load (user/tracer.c), and the processes followed as possible causes under a socket filter.
 * The same semantics are replayed in user space by user/replay_filter.c.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_FILTERS_H
#define RSTTRACE_FILTERS_H

/* Set by user space between open and load (user/tracer.c). */
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

#endif /* RSTTRACE_FILTERS_H */
