/* SPDX-License-Identifier: GPL-2.0 */
/* summary.h - --summary: incidents counted by (process, peer, verdict) and printed as one
 * table per interval, most frequent first, for a host where single timelines scroll by too
 * fast. Fed by the emitter's sink (every timeline and every flood count); driven by the
 * pipeline's ticks, so that a replay gives the same tables. No kernel, no clock of its own. */
#ifndef SUMMARY_H
#define SUMMARY_H

#include <linux/types.h>
#include "emit.h"

#define SUMMARY_SHOWN 20     /* rows printed per table; the rest counted together */
#define SUMMARY_KEYS 1024    /* distinct rows kept per interval; beyond, counted as untracked */

struct summary;

/* --by container|unit: what a row's a end is grouped by instead of its process name ("" when
 * the end has none); label names it in the output ("container", "unit") */
typedef const char *(*summary_group_fn)(void *ctx, const struct end_view *a);
void summary__group(struct summary *s, summary_group_fn fn, void *ctx, const char *label);

/* every interval_ns of tick time, a table on out */
struct summary *summary__new(__u64 interval_ns, struct emitter *out);
void summary__free(struct summary *s);
/* the emitter's sink (incident_sink_fn): count incidents of one row */
int summary__count(void *s, const char *code, const struct end_view *a, const struct end_view *b,
		   unsigned long long count);
/* monotonic now: print the table when the interval is over; 0 or the output's -errno */
int summary__tick(struct summary *s, __u64 now_ns);
/* at exit: the table of the interval so far (up to the last tick), if it has incidents or
 * no table was printed yet */
int summary__finish(struct summary *s);

#endif
