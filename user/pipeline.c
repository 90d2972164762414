/* pipeline.c - record, filter, decode, join or print: see pipeline.h. */
#include <string.h>
#include "causes.h"
#include "pipeline.h"

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

/* joiner_config.owner_of: what the kernel answered before this event (recorded, or just
 * asked), else the kernel itself when there is one */
static bool owner_of(void *ctx, const struct rt_tuple *t, struct rt_task *out)
{
	struct pipeline *p = ctx;
	const struct rec_owner *a = &p->answers[tuple_hash(t)];

	if (!memcmp(&a->tuple, t, sizeof(*t))) {
		if (a->found)
			*out = a->task;
		return a->found;
	}
	return p->cfg.ask_owner && p->cfg.ask_owner(p->cfg.ask_ctx, t, out);
}

static unsigned cookie_hash(__u64 cookie)
{
	return (unsigned)((cookie * 0x9e3779b97f4a7c15ull) >> 40) % PIPELINE_ANSWERS;
}

void pipeline_fin_answer(struct pipeline *p, const struct rec_fin *a)
{
	p->fin_answers[cookie_hash(a->cookie)] = *a;
}

/* joiner_config.fin_of: as owner_of, the answer recorded before the event, else the kernel */
static bool fin_of(void *ctx, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger)
{
	struct pipeline *p = ctx;
	const struct rec_fin *a = &p->fin_answers[cookie_hash(cookie)];

	if (cookie && a->cookie == cookie) {
		*ts_ns = a->ts_ns;
		*trigger = a->trigger;
		return a->found;
	}
	return p->cfg.ask_fin && p->cfg.ask_fin(p->cfg.ask_ctx, cookie, ts_ns, trigger);
}

int pipeline_init(struct pipeline *p, const struct pipeline_config *cfg)
{
	struct joiner_config jc;

	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	if (cfg->events)
		return 0;
	joiner_config_defaults(&jc);
	jc.reasons = cfg->reasons;
	jc.owner_of = owner_of;
	jc.owner_ctx = p;
	jc.fin_of = fin_of;
	p->joiner = joiner__new(&jc, cfg->out);
	if (!p->joiner)
		return -1;
	if (cfg->summary_s > 0) {
		p->summary = summary__new((__u64)(cfg->summary_s * 1e9), cfg->out);
		if (!p->summary)
			return -1;
		cfg->out->sink = summary__count;
		cfg->out->sink_ctx = p->summary;
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
	rec_write(p->cfg.rec, REC_FIN, &a, sizeof(a));
}

/* Recording: the joiner may ask the kernel who owns the peer of a loss (joiner.c,
 * loss_actor). Ask first and record the answer before the event, so that a replay, which
 * has no kernel, finds it. Only loss events with an owner can lead to the question. */
static void ask_and_record(struct pipeline *p, const struct rt_event *e)
{
	struct rec_owner a = { 0 };

	if (!p->cfg.rec || !p->cfg.ask_owner || !is_loss_kind(e->kind) ||
	    e->owner_by == RT_OWNER_NONE || e->kind == RT_SIGPIPE)
		return;
	memcpy(a.tuple.saddr, e->tuple.daddr, 16);
	memcpy(a.tuple.daddr, e->tuple.saddr, 16);
	a.tuple.sport = e->tuple.dport;
	a.tuple.dport = e->tuple.sport;
	a.tuple.netns = e->tuple.netns;
	a.found = p->cfg.ask_owner(p->cfg.ask_ctx, &a.tuple, &a.task);
	pipeline_owner_answer(p, &a);
	rec_write(p->cfg.rec, REC_OWNER, &a, sizeof(a));
	ask_fin_and_record(p, e);
}

int pipeline_event(struct pipeline *p, const void *data, size_t size)
{
	struct rt_event raw;
	struct event ev;

	p->cfg.stats->events++;
	if (size < sizeof(raw)) {
		p->cfg.stats->malformed++;
		return 0;
	}
	memcpy(&raw, data, sizeof(raw)); /* ring-buffer data is 8-byte aligned; a file's not */
	ask_and_record(p, &raw);
	if (p->cfg.rec)
		rec_write(p->cfg.rec, REC_EVENT, &raw, sizeof(raw));
	if (p->cfg.filter && !replay_filter_pass(p->cfg.filter, &raw))
		return 0;
	if (!event_decode(&raw, &ev)) {
		p->cfg.stats->malformed++;
		return 0;
	}
	if (p->joiner)
		return joiner__add(p->joiner, &ev);
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
	joiner__free(p->joiner);
	p->joiner = NULL;
	if (p->summary)
		p->cfg.out->sink = NULL;
	summary__free(p->summary);
	p->summary = NULL;
}
