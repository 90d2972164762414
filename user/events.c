// SPDX-License-Identifier: GPL-2.0
/* events.c - decode the kernel's records. Policy about who the trigger is lives here, not in
 * the BPF programs: they report the facts (context, current, owner) and this decides. */
#include <arpa/inet.h>
#include <string.h>
#include "events.h"

/* 0.0.0.0 or :: (unknown, or zeroed by the kernel) */
bool addr_is_zero(const __u8 *a)
{
	static const __u8 zero[16];
	static const __u8 mapped_zero[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, zero, 16) || !memcmp(a, mapped_zero, 16);
}

/* IPv4 travels IPv4-mapped (see rsttrace.h); an IPv4 socket prints as a dotted quad, an
 * IPv6 socket as the kernel would (::ffff:a.b.c.d when it talks to IPv4). */
void addr_format(int family, const __u8 *a, char *buf)
{
	if (family == RT_FAMILY_IPV4)
		inet_ntop(AF_INET, a + 12, buf, EVENT_ADDR_LEN);
	else
		inet_ntop(AF_INET6, a, buf, EVENT_ADDR_LEN);
}

static void decode_tuple(const struct rt_event *raw, struct event *ev)
{
	if (raw->kind == RT_SIGPIPE)
		return;
	ev->family = raw->family;
	ev->netns = raw->tuple.netns;
	/* the text is made when the event is printed (most never are: inet_ntop per event
	 * was a quarter of the joiner's CPU under connection-per-request load) */
	ev->tuple = raw->tuple;
	ev->sport = raw->tuple.sport;
	ev->dport = raw->tuple.dport;
}

bool addr_is_loopback(const __u8 *a)
{
	static const __u8 v6_loopback[16] = { [15] = 1 };
	static const __u8 v4_prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, v6_loopback, 16) || (!memcmp(a, v4_prefix, 12) && a[12] == 127);
}

bool tuple_is_local(const struct rt_tuple *t)
{
	return addr_is_loopback(t->daddr) ||
	       (!addr_is_zero(t->daddr) && !memcmp(t->saddr, t->daddr, 16));
}

/* The running task is worth naming when it is a user process other than the owner, on a
 * connection through the loopback device: there softirq runs in the system call of the peer
 * whose transmit made the kernel act (docs/kernel.md §2). A packet from a network device interrupts
 * any task. */
static void decode_tasks(const struct rt_event *raw, struct event *ev)
{
	const struct rt_task *cur = &raw->current;

	ev->has_owner = raw->owner_by != RT_OWNER_NONE;
	if (ev->has_owner)
		ev->owner = raw->owner;
	if (raw->ctx == RT_CTX_TASK || (raw->flags & RT_F_CURRENT_UNRELATED) || cur->pid == 0)
		return;
	if (raw->kind != RT_SIGPIPE && !tuple_is_local(&raw->tuple))
		return;
	if (ev->has_owner && cur->pid == ev->owner.pid)
		return;
	ev->has_trigger = true;
	ev->trigger = *cur;
}

static void decode_result(const struct rt_event *raw, struct event *ev)
{
	switch (raw->kind) {
	case RT_WRITE:
		ev->has_ret = true;
		ev->ret = raw->ret;
		ev->bytes = raw->ret;
		break;
	case RT_WRITE_ERROR:
	case RT_READ_ERROR:
		ev->has_ret = true;
		ev->ret = raw->ret;
		ev->err = -raw->ret;
		break;
	case RT_ERROR_PENDING:
		ev->err = raw->ret;
		break;
	case RT_RST_SENT:
		ev->reason = raw->reason == RT_REASON_NONE ? -1 : raw->reason;
		break;
	case RT_SIGPIPE:
		/* signal_generate's result when the signal was not delivered (1: the process
		 * ignores SIGPIPE, 2: one already pending); nothing when it was */
		ev->has_ret = raw->ret != 0;
		ev->ret = raw->ret;
		break;
	}
}

bool event_decode(const struct rt_event *raw, struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (raw->kind <= RT_KIND_NONE || raw->kind >= RT_KIND_MAX)
		return false;
	ev->kind = raw->kind;
	ev->ts_ns = raw->ts_ns;
	ev->state = raw->state;
	ev->reason = -1;
	ev->bytes = -1;
	ev->cookie = raw->cookie;
	ev->cause_only = raw->flags & RT_F_CAUSE;
	ev->linger0 = raw->flags & RT_F_LINGER0;
	ev->quiet = raw->flags & RT_F_QUIET;
	decode_tuple(raw, ev);
	decode_tasks(raw, ev);
	decode_result(raw, ev);
	return true;
}
