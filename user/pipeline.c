// SPDX-License-Identifier: GPL-2.0
/* pipeline.c - record, filter, decode, join or print: see pipeline.h. */
#include <stdio.h>
#include <string.h>
#include "causes.h"
#include "pipeline.h"

/* Live: an owner's cgroup, read the first time its pid (with this comm) is seen, recorded
 * before the event that needs it (like the owner answers), so that a replay knows it too. */
static void look_up_identity(struct pipeline *p, const struct rt_task *t)
{
	struct rec_identity r, buf;

	if (!p->cfg.lookup_ids || !t->pid || identity_known(p->ids, t->pid, t->comm))
		return;
	identity_lookup(t->pid, t->comm, &r);
	identity_put(p->ids, &r);
	if (p->cfg.rec)
		rec_write(p->cfg.rec, REC_IDENTITY, &buf, identity_encode(&r, &buf));
}

static unsigned tuple_hash(const struct rt_tuple *t)
{
	const unsigned char *b = (const unsigned char *)t;
	unsigned h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*t); i++)
		h = (h ^ b[i]) * 16777619u;
	return h % PIPELINE_ANSWERS;
}

void pipeline_owner_answer(struct pipeline *p, const struct rec_owner *a)
{
	p->answers[tuple_hash(&a->tuple)] = *a;
}

/* joiner_config.owner_of: what the kernel answered before this event, live or recorded: the
 * joiner never asks live state itself, so a replay joins exactly as the live run did */
static bool owner_of(void *ctx, const struct rt_tuple *t, struct rt_task *out)
{
	struct pipeline *p = ctx;
	const struct rec_owner *a = &p->answers[tuple_hash(t)];

	if (memcmp(&a->tuple, t, sizeof(*t)) || !a->found)
		return false;
	*out = a->task;
	return true;
}

void pipeline_identity(struct pipeline *p, const struct rec_identity *r)
{
	identity_put(p->ids, r);
}

/* what a metric's process label says about an end: its comm, container or unit */
static const char *group_of(const struct pipeline *p, bool known, const struct rt_task *t,
			    char *buf, size_t size)
{
	const struct identity *id;

	if (!known)
		return "";
	if (p->cfg.by == METRICS_BY_COMM) {
		snprintf(buf, size, "%.*s", RT_COMM_LEN, t->comm);
		return buf;
	}
	id = identity_get(p->ids, t->pid);
	if (!id)
		return "";
	return p->cfg.by == METRICS_BY_CONTAINER ? id->container : id->unit;
}

/* --summary --by container|unit: the a end's */
static const char *summary_group(void *ctx, const struct end_view *a)
{
	return group_of(ctx, a->has_owner, &a->owner, NULL, 0);
}

/* the emitter's observer: every incident is counted; --ignore keeps it from the output */
static bool observe(void *ctx, const char *code, const struct end_view *a,
		    const struct end_view *b, unsigned long long count)
{
	struct pipeline *p = ctx;
	char ga[RT_COMM_LEN + 1], gb[RT_COMM_LEN + 1];
	char ca[RT_COMM_LEN + 1], cb[RT_COMM_LEN + 1];

	if (p->cfg.metrics)
		metrics_incident(p->cfg.metrics, code ? code : "unknown",
				 group_of(p, a->has_owner, &a->owner, ga, sizeof(ga)),
				 group_of(p, b->has_owner, &b->owner, gb, sizeof(gb)), count);
	if (!p->cfg.ignore || !p->cfg.ignore->nignore)
		return true;
	snprintf(ca, sizeof(ca), "%.*s", RT_COMM_LEN, a->owner.comm);
	snprintf(cb, sizeof(cb), "%.*s", RT_COMM_LEN, b->owner.comm);
	if (!options_ignored(p->cfg.ignore, code, a->has_owner ? ca : NULL,
			     b->has_owner ? cb : NULL))
		return true;
	p->cfg.stats->ignored += count; /* not printed, still counted: said in the stats */
	return false;
}

static unsigned cookie_hash(__u64 cookie)
{
	return (unsigned)((cookie * 0x9e3779b97f4a7c15ull) >> 40) % PIPELINE_ANSWERS;
}

void pipeline_fin_answer(struct pipeline *p, const struct rec_fin *a)
{
	p->fin_answers[cookie_hash(a->cookie)] = *a;
}

/* joiner_config.fin_of: as owner_of, only the answer given before the event */
static bool fin_of(void *ctx, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger)
{
	struct pipeline *p = ctx;
	const struct rec_fin *a = &p->fin_answers[cookie_hash(cookie)];

	if (!cookie || a->cookie != cookie || !a->found)
		return false;
	*ts_ns = a->ts_ns;
	*trigger = a->trigger;
	return true;
}

int pipeline_init(struct pipeline *p, const struct pipeline_config *cfg)
{
	struct joiner_config jc;
	struct emitter *jout = cfg->out;

	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->ids = identity_cache_new();
	if (!p->ids)
		return -1;
	cfg->out->ids = p->ids;
	cfg->out->observe = observe;
	cfg->out->observe_ctx = p;
	if (cfg->events && !cfg->metrics)
		return 0;
	if (cfg->events) {
		/* --events prints events; the metrics still need the joiner's verdicts */
		emitter_init(&p->tap, EMIT_NONE, NULL, cfg->out->clock, cfg->reasons);
		p->tap.observe = observe;
		p->tap.observe_ctx = p;
		p->tap.ids = p->ids;
		jout = &p->tap;
	}
	joiner_config_defaults(&jc);
	jc.reasons = cfg->reasons;
	jc.owner_of = owner_of;
	jc.owner_ctx = p;
	jc.fin_of = fin_of;
	p->joiner = joiner__new(&jc, jout);
	if (!p->joiner)
		return -1;
	if (cfg->summary_s > 0 && !cfg->events) {
		p->summary = summary__new((__u64)(cfg->summary_s * 1e9), cfg->out);
		if (!p->summary)
			return -1;
		cfg->out->sink = summary__count;
		cfg->out->sink_ctx = p->summary;
		if (cfg->by != METRICS_BY_COMM)
			summary__group(p->summary, summary_group, p, metrics_by_name(cfg->by));
	}
	return 0;
}

/* The joiner may also ask whether a lost socket's peer had closed before (joiner.c,
 * note_departure): for every loss but a FIN itself, on a socket with a cookie. */
static void ask_fin_and_record(struct pipeline *p, const struct rt_event *e)
{
	struct rec_fin a = { .cookie = e->cookie };

	if (!p->cfg.ask_fin || !e->cookie || e->kind == RT_PEER_FIN)
		return;
	a.found = p->cfg.ask_fin(p->cfg.ask_ctx, e->cookie, &a.ts_ns, &a.trigger);
	pipeline_fin_answer(p, &a);
	if (p->cfg.rec)
		rec_write(p->cfg.rec, REC_FIN, &a, sizeof(a));
}

/* Live: the joiner may need to know who owns the peer of a loss (joiner.c, loss_actor), and
 * whether the lost socket's peer had closed before. The kernel is asked here, before the
 * event, and its answers enter the stream as records (written to the recording too): the
 * joiner reads only those, live or replayed, never the kernel. Only loss events with an
 * owner can lead to the question; a tuple already answered is not asked again. */
static void ask_and_record(struct pipeline *p, const struct rt_event *e)
{
	struct rec_owner a = { 0 };

	if (!p->cfg.ask_owner || !rt_kind_is_loss(e->kind) ||
	    e->owner_by == RT_OWNER_NONE || e->kind == RT_SIGPIPE)
		return;
	memcpy(a.tuple.saddr, e->tuple.daddr, 16);
	memcpy(a.tuple.daddr, e->tuple.saddr, 16);
	a.tuple.sport = e->tuple.dport;
	a.tuple.dport = e->tuple.sport;
	a.tuple.netns = e->tuple.netns;
	if (!p->cfg.rec && !memcmp(&p->answers[tuple_hash(&a.tuple)].tuple, &a.tuple,
				   sizeof(a.tuple)) && p->answers[tuple_hash(&a.tuple)].found)
		goto fin;
	a.found = p->cfg.ask_owner(p->cfg.ask_ctx, &a.tuple, &a.task);
	if (a.found)
		look_up_identity(p, &a.task);
	pipeline_owner_answer(p, &a);
	if (p->cfg.rec)
		rec_write(p->cfg.rec, REC_OWNER, &a, sizeof(a));
fin:
	ask_fin_and_record(p, e);
}


/* --metrics: resets and socket errors as they come (incidents: observe()) */
static void count_event(struct pipeline *p, const struct event *ev)
{
	char buf[48], gbuf[RT_COMM_LEN + 1];
	const char *op, *s;

	if (!p->cfg.metrics || ev->cause_only || ev->quiet)
		return;
	switch (ev->kind) {
	case RT_RST_SENT:
		s = ev->reason < 0 ? "unknown" :
		    reason_name(p->cfg.reasons, ev->reason, buf, sizeof(buf));
		metrics_reset_sent(p->cfg.metrics, s);
		return;
	case RT_RST_RECV:
		s = tcp_state_name(ev->state);
		metrics_reset_received(p->cfg.metrics, s ? s : "unknown");
		return;
	case RT_WRITE_ERROR:
		op = "write";
		break;
	case RT_READ_ERROR:
		op = "read";
		break;
	case RT_ERROR_PENDING:
		op = "pending";
		break;
	default:
		return;
	}
	metrics_socket_error(p->cfg.metrics, op, errno_name(ev->err, buf, sizeof(buf)),
			     group_of(p, ev->has_owner, &ev->owner, gbuf, sizeof(gbuf)));
}

int pipeline_event(struct pipeline *p, const void *data, size_t size)
{
	int err = 0;

	struct rt_event raw;
	struct event ev;

	p->cfg.stats->events++;
	if (size < sizeof(raw)) {
		p->cfg.stats->malformed++;
		return 0;
	}
	memcpy(&raw, data, sizeof(raw)); /* ring-buffer data is 8-byte aligned; a file's not */
	ask_and_record(p, &raw);
	if (raw.owner_by != RT_OWNER_NONE)
		look_up_identity(p, &raw.owner);
	if (p->cfg.rec)
		rec_write(p->cfg.rec, REC_EVENT, &raw, sizeof(raw));
	if (p->cfg.filter && !replay_filter_pass(p->cfg.filter, &raw))
		return 0;
	if (!event_decode(&raw, &ev)) {
		p->cfg.stats->malformed++;
		return 0;
	}
	count_event(p, &ev);
	if (p->joiner)
		err = joiner__add(p->joiner, &ev);
	if (!p->cfg.events || err)
		return err;
	if (ev.cause_only || ev.quiet)
		return 0; /* outside the filters, or a copy: only a timeline's caused_by shows it */
	return emit_event(p->cfg.out, &ev);
}

int pipeline_tick(struct pipeline *p, __u64 now_ns, unsigned long long lost)
{
	if (p->cfg.rec) {
		struct rec_tick t = { now_ns, lost };

		rec_write(p->cfg.rec, REC_TICK, &t, sizeof(t));
		rec_flush(p->cfg.rec);
	}
	if (!p->joiner)
		return 0;
	return joiner__tick(p->joiner, now_ns) ?: (p->summary ? summary__tick(p->summary, now_ns) : 0);
}

int pipeline_end_recording(struct pipeline *p, __u64 now_ns, unsigned long long lost)
{
	struct rec_tick t = { now_ns, lost };

	if (!p->cfg.rec)
		return 0;
	rec_write(p->cfg.rec, REC_END, &t, sizeof(t));
	return rec_flush(p->cfg.rec);
}

int pipeline_flush(struct pipeline *p)
{
	struct joiner_stats js;
	int err;

	if (!p->joiner)
		return 0;
	err = joiner__flush(p->joiner);
	if (!err && p->summary)
		err = summary__finish(p->summary);
	if (p->cfg.events)
		return err; /* the joiner only counted for the metrics */
	joiner__stats(p->joiner, &js);
	p->cfg.stats->timelines = js.timelines;
	p->cfg.stats->evicted = js.evicted;
	p->cfg.stats->flooded = js.flooded;
	return err;
}

int pipeline_rec_error(const struct pipeline *p)
{
	return p->cfg.rec ? p->cfg.rec->error : 0;
}

void pipeline_free(struct pipeline *p)
{
	identity_cache_free(p->ids);
	p->ids = NULL;
	if (p->cfg.out)
		p->cfg.out->ids = NULL;
	joiner__free(p->joiner);
	p->joiner = NULL;
	if (p->summary)
		p->cfg.out->sink = NULL;
	summary__free(p->summary);
	p->summary = NULL;
}
