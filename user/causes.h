/* SPDX-License-Identifier: GPL-2.0 */
/* causes.h - cause linking: when a process closes or resets connection X shortly after
 * losing connection Y (peer FIN, reset, read or write error on Y), X was caused by Y. Losses
 * are remembered in a bounded ring; a close looks back through it. */
#ifndef CAUSES_H
#define CAUSES_H

#include <stdbool.h>
#include <linux/types.h>
#include "conns.h"
#include "../bpf/rules.h"

#define CAUSES_RING 1024
/* how soon after a loss an action counts as caused by it: a proxy closes the upstream
 * connection in the same event-loop turn that saw the client go (nginx: microseconds) */
#define CAUSE_WINDOW_NS (100 * 1000000ULL)

struct cause {
	unsigned conn_id;
	int kind;                    /* what happened on the other connection (RT_*) */
	__u64 ts_ns;
	struct end_view end[2];      /* its ends: [0] = a, [1] = b */
	bool has_actor;
	struct rt_task actor;        /* the process whose action started the chain */
	__u32 loser_pid, loser_tid;  /* the process that lost it */
	/* the actor had left before (a peer_fin on the lost connection): the loss, a failed
	 * call or a reset, only told the loser later */
	bool departed;
	__u64 departed_ts;
	__u64 seen_ts;               /* the newest ts_ns recorded when it was (set by the ring) */
};

/* Rings in the order of recording. seen_ts never decreases along it and is at least each
 * entry's own ts_ns (late reports included), so a look-back stops at the first entry whose
 * seen_ts is out of the window: every older one is too. */
struct cause_memory {
	struct cause ring[CAUSES_RING];
	unsigned next, count;
	__u64 newest;
};

/* An action (a close or abort by its owner) not linked to a cause when it happened: a loss
 * reported later, but that happened before it, can still explain it (a proxy learns of its
 * client's FIN from epoll and closes that client socket only after the upstream one). */
struct action {
	__u64 ts_ns;
	__u32 pid;
	unsigned conn_id;
	struct conn_key key;
	__u64 seen_ts;               /* as in struct cause */
};

struct action_memory {
	struct action ring[CAUSES_RING];
	unsigned next, count;
	__u64 newest;
};

/* Closes linked to a loss when the kernel sent a quiet copy of them (RT_F_QUIET): the close
 * comes again with its connection if that has an incident, maybe long after the loss left
 * the ring above, so the link is kept by socket cookie. */
#define LINKS_RING 256

struct link {
	__u64 cookie;
	struct cause cause;
};

struct link_memory {
	struct link ring[LINKS_RING];
	unsigned next;
};

void causes__record(struct cause_memory *m, const struct cause *loss);
/* The most recent loss of process pid within CAUSE_WINDOW_NS before ts on another connection
 * than exclude_conn (and than the one whose two endpoints are exclude_ends, NULL: none: a
 * loss known only by its ends, a quiet copy's, may be the closing connection's own other
 * end), preferring the same thread. */
bool causes__find(const struct cause_memory *m, __u32 pid, __u32 tid, __u64 ts,
		  unsigned exclude_conn, const struct end_view *exclude_ends, struct cause *out);

void links__remember(struct link_memory *m, __u64 cookie, const struct cause *k);
bool links__find(const struct link_memory *m, __u64 cookie, struct cause *out);

void actions__record(struct action_memory *m, const struct action *a);
/* Actions of pid within CAUSE_WINDOW_NS after ts on another connection than exclude_conn:
 * calls fn for each. */
void actions__after(const struct action_memory *m, __u32 pid, __u64 ts, unsigned exclude_conn,
		    void (*fn)(void *ctx, const struct action *a), void *ctx);

#endif
