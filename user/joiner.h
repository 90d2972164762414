/* SPDX-License-Identifier: GPL-2.0 */
/* joiner.h - from events to timelines: place each event in its connection, link causes,
 * decide when a connection is over, and print one timeline per incident with its verdict.
 * A pure function of the events it is given (and of the clock values passed to tick), so
 * unit tests drive it with canned events. What it needs to know from the kernel beyond the
 * events (owner_of, fin_of below) is answered from records that came in the stream before
 * the event (user/pipeline.c asks the kernel then, live, and a recording holds the same
 * records): never from live state, so a replay joins as the live run did. */
#ifndef JOINER_H
#define JOINER_H

#include <stdbool.h>
#include "emit.h"
#include "events.h"
#include "names.h"

struct joiner_config {
	unsigned max_conns;      /* table bound: least recently active entries go first */
	__u64 linger_ns;         /* a finished connection is printed after this much quiet */
	__u64 quiet_ns;          /* an unfinished incident is printed after this much quiet */
	__u64 idle_ns;           /* a connection without incident is forgotten after this */
	const struct reason_names *reasons;
	/* the owner the kernel had learnt for a socket with this tuple (the peer of a followed
	 * connection, which the filters did not follow), as answered in the stream before the
	 * event; NULL or false: unknown */
	bool (*owner_of)(void *ctx, const struct rt_tuple *t, struct rt_task *out);
	void *owner_ctx;
	/* a peer's FIN the kernel kept for this socket cookie while the filters followed no
	 * owner of it (its time, the task that sent it; pid 0: none); called with owner_ctx;
	 * NULL or false: none */
	bool (*fin_of)(void *ctx, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger);
};

struct joiner_stats {
	unsigned long long timelines;   /* printed */
	unsigned long long unplaced;    /* events that belong to no connection (listeners) */
	unsigned long long evicted;     /* connections pushed out of a full table */
	unsigned long long flooded;     /* incidents counted in flood records, not printed */
	unsigned conns;                 /* in the table now */
};

struct joiner;

void joiner_config_defaults(struct joiner_config *cfg);
struct joiner *joiner__new(const struct joiner_config *cfg, struct emitter *out);
/* 0, or the output's -errno (then stop) */
int joiner__add(struct joiner *j, const struct event *ev);
/* print and forget what is over at monotonic time now_ns */
int joiner__tick(struct joiner *j, __u64 now_ns);
/* print every pending incident (at exit) */
int joiner__flush(struct joiner *j);
void joiner__stats(const struct joiner *j, struct joiner_stats *s);
void joiner__free(struct joiner *j);

#endif
