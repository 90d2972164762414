/* SPDX-License-Identifier: GPL-2.0 */
/* conns.h - the connection table: both sockets of a same-host connection joined into one
 * entry with two ends, their events in one list. Bounded in size (least recently active
 * entries go first) and in time (the joiner expires entries), because ports are reused. */
#ifndef CONNS_H
#define CONNS_H

#include <stdbool.h>
#include <linux/types.h>
#include "events.h"

#define CONN_MAX_EVENTS 64   /* per connection; more are counted, not kept */

/* One endpoint, addresses IPv4-mapped; netns only for loopback (see conn_key_from). */
struct endpoint {
	__u8 addr[16];
	__u16 port;
};

struct conn_key {
	__u32 netns;
	struct endpoint lo, hi;    /* the two endpoints, ordered: both ends give the same key */
};

struct conn_end {
	struct endpoint ep;
	int family;                /* RT_FAMILY_* of this end's socket */
	bool has_socket;           /* a socket of this host reported for this end */
	bool has_owner;
	struct rt_task owner;      /* its last known owner */
	__u64 cookie;
	bool connected, accepted, closed, destroyed;
};

/* An event as the table keeps it: the tuple lives in the end it belongs to. */
struct conn_event {
	__u64 ts_ns;
	__u64 cookie;
	long ret, bytes;
	int err, reason;
	__u8 kind, end, state;
	bool cause_only, linger0, has_owner, has_trigger;
	int family;
	struct rt_task owner, trigger;
};

struct conn {
	struct conn_key key;
	bool hashed;                     /* found by its key (an early connect is not yet) */
	bool retired;                    /* over, its key handed to a new connection */
	unsigned id;
	struct conn *hash_next;
	struct conn *older, *newer;      /* activity order */
	struct conn_end end[2];          /* [0]: the end seen first */
	__u64 first_ts, last_ts;
	struct conn_event *ev;
	int nev, cap;
	unsigned dropped;                /* events beyond CONN_MAX_EVENTS */
	bool incident;                   /* had a reset or a socket error */
	bool in_scope;                   /* had an event inside the filters (not only causes) */
	bool printed;
	void *cause;                     /* owned by causes.c when linked */
};

struct conn_table;

struct conn_table *conn_table__new(unsigned max_conns);
void conn_table__free(struct conn_table *t);

/* The connection and end an event belongs to, created when new; NULL when the event cannot
 * be placed (no tuple and an unknown cookie). When the table is full, the least recently
 * active entry is handed to evict() first (it may print it), then freed. */
typedef void (*conn_evict_fn)(void *ctx, struct conn *c);
struct conn *conn_table__place(struct conn_table *t, const struct event *ev, int *end,
			       conn_evict_fn evict, void *ctx);
/* Append the event to c (its end already placed); updates ends and activity order. */
void conn__add_event(struct conn_table *t, struct conn *c, int end, const struct event *ev);

struct conn *conn_table__find(const struct conn_table *t, const struct conn_key *k);
struct conn *conn_table__oldest(const struct conn_table *t);
void conn_table__remove(struct conn_table *t, struct conn *c);
unsigned conn_table__count(const struct conn_table *t);

/* Which internal end is "a", the connecting side: the one that connected, else the other
 * of the one that accepted, else the one whose port is ephemeral and the other's not, else
 * the higher port. */
int conn__a_end(const struct conn *c);
/* every end that had a socket here is destroyed */
bool conn__finished(const struct conn *c);

void conn__end_view(const struct conn *c, int end, struct end_view *v);


#endif
