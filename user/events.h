/* SPDX-License-Identifier: GPL-2.0 */
/* events.h - a record from the kernel (struct rt_event) decoded into what the output says:
 * addresses as text, the owner, the trigger (only when it is another process), the errno. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <linux/types.h>
#include <netinet/in.h>
#include "../bpf/rsttrace.h"
#include "../bpf/nf_reset.h"

#define EVENT_ADDR_LEN INET6_ADDRSTRLEN

struct event {
	int kind;                     /* enum rt_kind */
	__u64 ts_ns;                  /* CLOCK_MONOTONIC */
	int family;                   /* RT_FAMILY_*, 0 when the event has no socket */
	/* each part of the tuple is unknown ("" or 0) when the event has no socket, or the kernel
	 * zeroed it (tcp_disconnect), or it was not chosen yet (connect's local port) */
	/* addresses as text: "" when the raw tuple below is the one to print (decoded events
	 * leave them empty, formatting costs; the joiner fills them from its view of the ends) */
	char saddr[EVENT_ADDR_LEN];   /* this socket's own end */
	char daddr[EVENT_ADDR_LEN];   /* its peer */
	__u16 sport, dport;
	__u32 netns;
	int state;                    /* 0: unknown */
	int reason;                   /* kernel reset reason value, -1: none */
	int err;                      /* positive errno, 0: none */
	bool has_ret;
	long ret;
	long bytes;                   /* -1: none */
	__u64 cookie;                 /* 0: unknown */
	bool cause_only;              /* outside the filter: kept only as a possible cause */
	bool linger0;                 /* SO_LINGER {1, 0} was set: a deliberate abortive close */
	bool quiet;                   /* a copy for cause linking only (RT_F_QUIET) */
	struct rt_tuple tuple;        /* the raw tuple, for joining (addresses IPv4-mapped) */
	bool has_owner, has_trigger;
	struct rt_task owner;         /* the socket's owner */
	struct rt_task trigger;       /* the process whose syscall ran it, when not the owner */
};

/* An end as the output shows it. */
struct end_view {
	char addr[EVENT_ADDR_LEN];     /* "" when unknown */
	__u16 port;                    /* 0 when unknown */
	bool has_owner;
	struct rt_task owner;
};

/* ::1 or 127.0.0.0/8 (IPv4-mapped), as rt_tuple stores addresses */
bool addr_is_loopback(const __u8 *addr);
/* The kernel delivers the connection through the loopback device: a loopback address, or one
 * address at both ends (a connection to one of the namespace's own addresses, whose source
 * the kernel picks equal to it). There softirq runs in the sender's system call. */
bool tuple_is_local(const struct rt_tuple *t);
/* an address as text into buf[EVENT_ADDR_LEN]: dotted quad for an IPv4 socket, else IPv6 */
void addr_format(int family, const __u8 *addr, char *buf);
/* :: or 0.0.0.0 (IPv4-mapped): unknown, or zeroed by the kernel */
bool addr_is_zero(const __u8 *addr);

/* Decode one record; false when it is malformed (unknown kind): count it, print nothing. */
bool event_decode(const struct rt_event *raw, struct event *ev);

#endif
