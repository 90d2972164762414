/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rules.h - the rules both sides must agree on, written once: pure functions of the record's
 * kinds and states, compiled into the BPF object (bpf/rsttrace.bpf.c) and into user space
 * (the joiner, the replay filter, the unit tests, tests/unit/test_rules.c). Include after
 * rsttrace.h. Where a rule rests on a kernel behaviour, docs/kernel.md says which and which
 * test shows it.
 */
#ifndef RSTTRACE_RULES_H
#define RSTTRACE_RULES_H

#ifdef __bpf__
#define RT_RULE static __always_inline
#else
#include <stdbool.h>
#define RT_RULE static inline
#endif

#define RT_EAGAIN 11

/* An incident: what a timeline is printed for, what quiet mode never holds back and what a
 * full ring buffer never sheds (SIGPIPE is never shed either: rt_kind_sheddable()). */
RT_RULE bool rt_kind_is_incident(int kind)
{
	return kind == RT_RST_SENT || kind == RT_RST_RECV || kind == RT_RST_FILTER ||
	       kind == RT_ERROR_PENDING || kind == RT_WRITE_ERROR || kind == RT_READ_ERROR;
}

/* a lifecycle record, which a ring buffer more than half full drops (counted) to keep the
 * room for incidents */
RT_RULE bool rt_kind_sheddable(int kind)
{
	return !rt_kind_is_incident(kind) && kind != RT_SIGPIPE;
}

/* A connection lost by this end (the peer closed or reset it, or a call on it failed): what a
 * later close or abort by the same process may be caused by (user/causes.c). */
RT_RULE bool rt_kind_is_loss(int kind)
{
	return kind == RT_PEER_FIN || kind == RT_RST_RECV || kind == RT_READ_ERROR ||
	       kind == RT_WRITE_ERROR || kind == RT_ERROR_PENDING;
}

/* Only the SIGPIPEs of a process whose TCP write failed, or that wrote after the peer had
 * gone, or that has an error pending on a socket it owns, are TCP's: the kernel arms on
 * these records, a replay on the same ones (a read's EOF arms nothing). */
RT_RULE bool rt_kind_arms_sigpipe(int kind, bool owner_known)
{
	return kind == RT_WRITE || kind == RT_WRITE_ERROR ||
	       (kind == RT_ERROR_PENDING && owner_known);
}

/* Quiet mode holds a healthy connection's records in the kernel, but sends at once a copy of
 * what cause linking needs (user/joiner.c, record_quiet_loss and link_quiet_close): the loss
 * of a connection this end did not open (a client that went away) and the close of one it
 * did not accept (the upstream a proxy drops). opened: the socket's first record's kind. */
RT_RULE bool rt_needs_quiet_copy(int kind, int opened)
{
	return (kind == RT_PEER_FIN && opened != RT_CONNECT) ||
	       (kind == RT_CLOSE && opened != RT_ACCEPT);
}

/* Can a state change be a lifecycle record (rt_state_kind()), judged from the two states
 * alone? Most of a connection's changes (SYN_SENT -> ESTABLISHED, FIN_WAIT1 -> FIN_WAIT2,
 * -> TIME_WAIT, LAST_ACK -> CLOSE, ...) cannot: the kernel side returns before reading the
 * socket. LISTEN makes no record but names the listener's owner (for its resets). */
RT_RULE bool rt_state_may_matter(int old, int new)
{
	switch (new) {
	case RT_TCP_SYN_SENT:
		return old == RT_TCP_CLOSE;
	case RT_TCP_LISTEN:
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

/* Which lifecycle record a state change is; 0: none. in_task: it ran in the socket owner's
 * syscall; sk_err: the socket's pending error (read only for -> CLOSE in a syscall). */
RT_RULE int rt_state_kind(int old, int new, bool in_task, int sk_err)
{
	if (old == RT_TCP_CLOSE && new == RT_TCP_SYN_SENT)
		return RT_CONNECT;
	if (new == RT_TCP_CLOSE_WAIT || (old == RT_TCP_FIN_WAIT1 && new == RT_TCP_CLOSING))
		return RT_PEER_FIN;
	if (!in_task)
		return 0;
	if (new == RT_TCP_FIN_WAIT1 || new == RT_TCP_LAST_ACK)
		return RT_CLOSE;
	/* -> CLOSE in a syscall from an open state is the owner's abortive close, unless an RST
	 * or a refusal processed in its syscall (backlog) did it: those set sk_err first. From
	 * LAST_ACK, FIN_WAIT or CLOSING it is the normal end. */
	if (new == RT_TCP_CLOSE && !sk_err &&
	    (old == RT_TCP_ESTABLISHED || old == RT_TCP_CLOSE_WAIT || old == RT_TCP_SYN_SENT ||
	     old == RT_TCP_SYN_RECV))
		return RT_CLOSE;
	return 0;
}

/* What a send/recv result reports; 0 (nothing) is the common case. cause: the socket is
 * followed only as a possible cause (outside the socket filters). */
RT_RULE int rt_send_recv_kind(int ret, bool send, int state, bool cause)
{
	/* a followed process read EOF on another connection: it lost it (the softirq peer_fin
	 * was dropped when that socket's owner was not known yet) */
	if (ret == 0 && !send && cause)
		return RT_PEER_FIN;
	if (ret == -RT_EAGAIN || ret == 0)
		return 0;
	if (ret < 0)
		return send ? RT_WRITE_ERROR : RT_READ_ERROR;
	/* the write that provokes a reset succeeds: worth a record once the socket is no
	 * longer ESTABLISHED */
	return send && state != RT_TCP_ESTABLISHED ? RT_WRITE : 0;
}

#endif /* RSTTRACE_RULES_H */
