/* SPDX-License-Identifier: GPL-2.0 */
/* floods.h - a flood of identical incidents (a client hammering a closed port: 75k resets a
 * second) prints its first timelines in full, then one record with the exact count per
 * window, instead of drowning the reader and the output. */
#ifndef FLOODS_H
#define FLOODS_H

#include <stdbool.h>
#include <linux/types.h>
#include "events.h"

#define FLOOD_SLOTS 128
#define FLOOD_FULL 10                         /* timelines printed in full per window */
#define FLOOD_WINDOW_NS (1000 * 1000000ULL)   /* of event time */

/* what makes two incidents "the same": verdict, the a end's process, the b end */
struct flood_key {
	const char *code;
	struct end_view a, b;
};

struct flood {
	struct flood_key key;
	__u64 window_start, first_ts, last_ts; /* of the suppressed ones */
	unsigned printed;                      /* in full, this window */
	unsigned long long suppressed;         /* counted, this window */
	char summary[256];                     /* of the first one, for the record */
	bool used;
};

struct floods {
	struct flood slot[FLOOD_SLOTS];
	unsigned long long suppressed_total;
};

/* Print this incident in full (true), or count it (false). */
bool floods__admit(struct floods *f, const struct flood_key *k, __u64 ts, const char *summary);
/* Hand every window that ended by now (or every one, at exit: now = ~0) with a count to fn,
 * then forget it. */
int floods__expire(struct floods *f, __u64 now, int (*fn)(void *ctx, const struct flood *fl),
		   void *ctx);

#endif
