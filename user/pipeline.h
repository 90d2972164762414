/* SPDX-License-Identifier: GPL-2.0 */
/* pipeline.h - one record from the kernel, or from a recording, to the output: record it
 * (-w), filter it (replay), decode it, and hand it to the joiner (timelines) or print it
 * (--events). The live loop, the replay and the fuzzer all go through here, so they cannot
 * drift apart. */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include "emit.h"
#include "identity.h"
#include "metrics.h"
#include "options.h"
#include "joiner.h"
#include "record.h"
#include "replay_filter.h"
#include "summary.h"

typedef bool (*owner_fn)(void *ctx, const struct rt_tuple *t, struct rt_task *out);

struct pipeline_config {
	struct emitter *out;
	struct emit_stats *stats;          /* events and malformed are counted here */
	bool events;                       /* --events: print each event, no joiner */
	const struct reason_names *reasons;
	struct replay_filter *filter;      /* replay's -p/-P/-c; NULL: none (the kernel's) */
	struct rec_writer *rec;            /* -w; NULL: not recording */
	owner_fn ask_owner;                /* the kernel's owner map; NULL in a replay */
	void *ask_ctx;
	/* the kernel's kept FINs (joiner_config.fin_of, same ctx); NULL in a replay, which
	 * then cannot name a departed client that only this answer named */
	bool (*ask_fin)(void *ctx, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger);
	double summary_s;                  /* --summary interval; 0: timelines are printed */
	struct metrics *metrics;           /* --metrics; NULL: none */
	int by;                            /* --by: enum metrics_by */
	const struct rt_options *ignore;   /* --ignore rules; NULL: none */
	bool lookup_ids;                   /* live: read owners' cgroups from /proc */
};

#define PIPELINE_ANSWERS 1024

struct pipeline {
	struct pipeline_config cfg;
	struct joiner *joiner;             /* NULL with --events */
	struct summary *summary;           /* --summary: counts the timelines out's sink gets */
	struct emitter tap;                /* --events with --metrics: the joiner's silent output */
	struct identity_cache *ids;        /* owners' cgroups, live and replayed alike */
	/* the kernel's answers about peers' owners, recorded before the event that needs
	 * them: the joiner asks here, live and in a replay alike */
	struct rec_owner answers[PIPELINE_ANSWERS];
	struct rec_fin fin_answers[PIPELINE_ANSWERS];    /* the same for kept FINs */
};

/* 0, or -1 out of memory */
int pipeline_init(struct pipeline *p, const struct pipeline_config *cfg);
/* one ring-buffer record: 0, or the output's -errno (stop) */
int pipeline_event(struct pipeline *p, const void *data, size_t size);
/* a recorded identity lookup (replay) */
void pipeline_identity(struct pipeline *p, const struct rec_identity *r);
/* a recorded answer of the kernel's owner map (replay) */
void pipeline_fin_answer(struct pipeline *p, const struct rec_fin *a);
void pipeline_owner_answer(struct pipeline *p, const struct rec_owner *a);
/* the end of a batch at monotonic now_ns: record the tick and write the batch (-w), expire
 * what is over. 0, or the output's -errno. The recording's errors: pipeline_rec_error() */
int pipeline_tick(struct pipeline *p, __u64 now_ns, unsigned long long lost);
/* at exit: record the end and write it (-w); 0 or the recording's -errno */
int pipeline_end_recording(struct pipeline *p, __u64 now_ns, unsigned long long lost);
/* at exit: print every pending incident, put the joiner's counts in the stats */
int pipeline_flush(struct pipeline *p);
/* the recording's first -errno (disk full...), 0 when fine or not recording */
int pipeline_rec_error(const struct pipeline *p);
void pipeline_free(struct pipeline *p);

#endif
