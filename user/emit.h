/* SPDX-License-Identifier: GPL-2.0 */
/* emit.h - the one output layer for text and JSON: every record is written field by field
 * through the same calls, so the two formats cannot drift apart (iproute2's print_* idea). */
#ifndef EMIT_H
#define EMIT_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "clock.h"
#include "names.h"
#include "events.h"

enum emit_mode {
	EMIT_TEXT,
	EMIT_JSON,
	EMIT_NONE,   /* -o none: nothing printed; incidents still go to observe (metrics) */
};

struct identity_cache;

/* --summary: where timelines and floods go instead of the output (user/summary.c): the
 * incident's verdict, its two ends, and how many incidents it stands for */
typedef int (*incident_sink_fn)(void *ctx, const char *code, const struct end_view *a,
				const struct end_view *b, unsigned long long count);

/* every incident (a timeline, or a flood's count) before it is printed or summed: metrics
 * count it here; false: do not print it (--ignore) */
typedef bool (*incident_observe_fn)(void *ctx, const char *code, const struct end_view *a,
				    const struct end_view *b, unsigned long long count);

struct emitter {
	enum emit_mode mode;
	FILE *f;
	struct json_out json;
	bool header_done;                   /* text: column header printed */
	const struct clock_map *clock;
	const struct reason_names *reasons;
	incident_sink_fn sink;              /* NULL: print timelines and floods */
	void *sink_ctx;
	incident_observe_fn observe;        /* NULL: every incident is printed */
	void *observe_ctx;
	const struct identity_cache *ids;   /* owners' cgroups; NULL: none known */
};

/* One row of a summary table: incidents of one verdict between one program (the a end's
 * process name: the connecting side; its port not part of it) and one peer (the b end's
 * address and port). */
struct summary_row {
	const char *code;
	struct end_view a, b;
	bool several_pids;                  /* a.owner.pid is only the last of them */
	unsigned long long count;
	const char *group;                  /* --by container|unit: the a end's, "" none */
};

/* One interval's table, rows most frequent first. incidents = the rows' counts +
 * incidents_more + untracked: nothing is left out without being counted. */
struct summary_view {
	__u64 start_ns, end_ns;             /* the interval, monotonic */
	unsigned long long incidents;       /* in the interval */
	unsigned long long total;           /* since the start */
	const struct summary_row *rows;
	int nrows;
	unsigned long long rows_more;       /* rows beyond the ones shown */
	unsigned long long incidents_more;  /* their incidents */
	unsigned long long untracked;       /* incidents past the table's bound: rows unknown */
	const char *group_label;            /* --by: "container" or "unit"; NULL: by comm */
};

/* what the stats record reports */
#define EMIT_MAX_HOOKS 16
struct emit_stats {
	unsigned long long events;          /* records received from the kernel */
	unsigned long long lost;            /* records the kernel could not queue */
	unsigned long long malformed;       /* records that did not decode */
	unsigned long long timelines;
	unsigned long long evicted;         /* connections dropped from a full table */
	unsigned long long flooded;         /* incidents counted in flood records */
	/* live only (0 in a replay): lifecycle records the kernel shed to keep room for
	 * incidents, by kind, and sockets whose owner found the kernel's table full */
	unsigned long long shed[RT_KIND_MAX];
	unsigned long long shed_total;
	unsigned long long owners_full;
	unsigned long long ignored;         /* incidents --ignore kept out of the output */
	int nhooks;
	const char *hook[EMIT_MAX_HOOKS];       /* "send_reset" */
	const char *mechanism[EMIT_MAX_HOOKS];  /* "tp_btf", NULL: unavailable */
};

/* One connection's timeline as the output shows it (built by joiner.c). */
struct timeline_view {
	struct end_view end[2];             /* [0] = a, the connecting side; [1] = b */
	const struct event *ev;             /* in time order */
	const char *side;                   /* 'a' or 'b' per event */
	const double *t_ms;                 /* per event, since the first */
	int nev;
	unsigned events_dropped;            /* beyond the per-connection cap */
	bool has_cause;
	struct end_view cause_end[2];       /* the connection whose loss caused this one */
	int cause_kind;
	bool cause_has_actor;
	struct rt_task cause_actor;         /* the process whose action started the chain */
	double cause_t_ms;
	const char *verdict_code;
	const char *verdict_summary;
};

void emitter_init(struct emitter *e, enum emit_mode mode, FILE *f, const struct clock_map *clock,
		  const struct reason_names *reasons);
/* Flush once per batch (emit_flush) instead of once per record: what a reader sees then lags
 * by at most one batch (one ring-buffer poll, 100 ms at most). */
void emitter_batch(struct emitter *e);
int emit_flush(struct emitter *e);
/* 0, or -errno when the output failed (-EPIPE: the reader went away) */
int emit_event(struct emitter *e, const struct event *ev);
int emit_stats(struct emitter *e, const struct emit_stats *s);
int emit_timeline(struct emitter *e, const struct timeline_view *tl);
int emit_summary(struct emitter *e, const struct summary_view *s);
/* count more incidents like one already printed (same verdict, process and peer) within a
 * window, reported together: first and last are monotonic ns */
int emit_flood(struct emitter *e, const char *code, const struct end_view *a,
	       const struct end_view *b, unsigned long long count, __u64 first, __u64 last,
	       const char *example);

#endif
