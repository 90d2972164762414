// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace.bpf.c - the kernel side: small, fast, no policy.
 *
 * Every hook decodes its arguments into one rt_event (bpf/rsttrace.h) and hands it to user
 * space, which joins, explains and prints. What runs on every send and receive of the machine
 * is: the socket's first cache line (family, state, ports) against the socket filters, the
 * pid/comm filter, and one look at the socket's owner slot. Why each rule holds: docs/kernel.md.
 *
 * The object is this file and the headers it includes, one concern each, in this order:
 * rules.h (the rules user space shares), arch.h, output.h (ring buffer, counters, shedding),
 * context.h (who is running), sock.h (reading sockets), filters.h, owners.h (the owner
 * table), quiet.h (holding healthy connections' records), learn.h (learning owners),
 * follow.h (what filters keep for causes). This file holds the hooks.
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
#include "rules.h"
#include "arch.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2

#define AF_INET6 10

#define IPPROTO_TCP 6

#define SIGPIPE 13

#define PF_EXITING 0x00000004

#define PF_KTHREAD 0x00200000

/* The reset reason is an extra hook argument since 6.10; reading it where it does not exist
 * is refused by the verifier, so user space says from the kernel's BTF whether it is there. */
const volatile bool send_reset_has_reason;

const volatile bool v4_send_reset_has_reason;

const volatile bool active_reset_has_reason;

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

#include "output.h"
#include "context.h"
#include "sock.h"
#include "filters.h"
#include "owners.h"
#include "quiet.h"
#include "learn.h"
#include "follow.h"

/* ------------------------------------------------------------------------------------ */
/* hooks                                                                                  */

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
	 * RST queued on the owned socket's backlog and processed by release_sock() (docs/kernel.md
	 * §2) */
	if (!owner_resolve(e, e->ctx == RT_CTX_TASK, sk_stored_owner(sk, btf), &o))
		return;
	if (rt_kind_arms_sigpipe(e->kind, e->owner_by != RT_OWNER_NONE))
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

/* Which lifecycle kind a state change is (rules.h); sk_err is read only where it decides */
static __always_inline __u8 state_kind(const struct sock *sk, int old, int new, __u8 rctx,
				       const bool btf)
{
	bool in_task = rctx == RT_CTX_TASK;
	int err = in_task && new == RT_TCP_CLOSE ? RD(btf, sk, sk_err) : 0;

	return rt_state_kind(old, new, in_task, err);
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

	if (!rt_state_may_matter(old, new) && !accepted)
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

/* A socket to learn, or something to report: the whole record. */
static __always_inline int send_recv_slow(const struct sock *sk, int ret, __u8 kind, bool cause,
					  __u64 cookie, const bool btf)
{
	struct rt_event e = { .ret = ret, .reason = RT_REASON_NONE, .kind = kind,
			      .cookie = cookie, .ctx = RT_CTX_TASK };
	struct owner *o;
	bool wanted;

	if (!sk_basics(sk, &e, btf))
		return 0;
	current_task(&e.current);
	wanted = !task_filter_on() || task_wanted(&e.current);
	if (cause)
		e.flags |= RT_F_CAUSE;
	/* every owner is learnt, wanted or not: a wanted process's peer is named (as in a
	 * replay of an unfiltered recording, test_filter_diff.sh) */
	o = owner_learn(sk, &e, wanted, btf);
	if (!kind || !wanted)
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	sk_addrs(sk, &e, btf);
	if (rt_kind_arms_sigpipe(kind, true))
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
	kind = rt_send_recv_kind(ret, send, state, cause);
	cookie = sk_cookie(sk, btf);
	/* a known owner and nothing to report: done, whatever the pid/comm filter says */
	if (!kind && owned_by(sk, cookie, pid, btf))
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


