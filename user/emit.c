// SPDX-License-Identifier: GPL-2.0
/* emit.c - events and stats as aligned text columns or JSON lines (the public contract:
 * every key always present, null when unknown, 64-bit ids as strings). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "emit.h"
#include "identity.h"

/* How a field shows in text output; JSON always writes every field. */
enum text_style {
	TEXT_HIDDEN,   /* JSON only */
	TEXT_COLUMN,   /* a column of fixed width; "-" when null */
	TEXT_DETAIL,   /* "key=value" after the columns, only when not null */
};

struct field {
	enum text_style style;
	int width;
};

#define HIDDEN ((struct field){ TEXT_HIDDEN, 0 })
#define COLUMN(w) ((struct field){ TEXT_COLUMN, (w) })
#define DETAIL ((struct field){ TEXT_DETAIL, 0 })

/*
 * Text output: every string that came from the kernel, a recording or the network (process
 * names above all, and the sentences built from them) goes out through here: printable
 * ASCII as it is, a backslash doubled, every other byte as \xNN. No control sequence, line
 * break or invalid UTF-8 reaches the operator's terminal, and the bytes stay readable. JSON
 * has its own escaping (json.c). Returns the length written to dst (cut to fit, whole
 * escapes only).
 */
static size_t text_escape(char *dst, size_t len, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && src[i]; i++) {
		unsigned char c = src[i];
		size_t need = c == '\\' ? 2 : (c >= 0x20 && c < 0x7f ? 1 : 4);

		if (o + need >= len)
			break;
		if (need == 1) {
			dst[o++] = c;
		} else if (need == 2) {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (len)
		dst[o] = 0;
	return o;
}

/* up to n bytes of s (or to its NUL), escaped, to the text output */
static void text_put(struct emitter *e, const char *s, size_t n)
{
	char buf[1024];

	while (n && *s) {
		size_t take = n < 200 ? n : 200; /* 200 bytes escape to at most 800 */

		text_escape(buf, sizeof(buf), s, take);
		fputs(buf, e->f);
		for (size_t i = 0; i < take; i++)
			if (!s[i])
				return;
		s += take;
		n -= take;
	}
}

static void put_str(struct emitter *e, const char *key, struct field how, const char *val)
{
	char buf[512];

	if (e->mode == EMIT_JSON) {
		json_str(&e->json, key, val);
		return;
	}
	if (val)
		text_escape(buf, sizeof(buf), val, strlen(val));
	if (how.style == TEXT_COLUMN)
		fprintf(e->f, "%-*s ", how.width, val ? buf : "-");
	else if (how.style == TEXT_DETAIL && val)
		fprintf(e->f, " %s=%s", key, buf);
}

static void put_u64(struct emitter *e, const char *key, struct field how, bool known,
		    unsigned long long v)
{
	char buf[24];

	if (e->mode == EMIT_JSON) {
		if (known)
			json_u64(&e->json, key, v);
		else
			json_null(&e->json, key);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", v);
	put_str(e, key, how, known ? buf : NULL);
}

static void put_i64(struct emitter *e, const char *key, struct field how, bool known, long long v)
{
	char buf[24];

	if (e->mode == EMIT_JSON) {
		if (known)
			json_i64(&e->json, key, v);
		else
			json_null(&e->json, key);
		return;
	}
	snprintf(buf, sizeof(buf), "%lld", v);
	put_str(e, key, how, known ? buf : NULL);
}

/* a process: pid and comm keys in JSON, "pid/comm" in text (label= when a detail) */
static void put_task(struct emitter *e, const char *pid_key, const char *comm_key,
		     const char *label, struct field how, bool known, const struct rt_task *t)
{
	char buf[48];

	if (e->mode == EMIT_JSON) {
		put_u64(e, pid_key, how, known, known ? t->pid : 0);
		if (known)
			json_strn(&e->json, comm_key, t->comm, sizeof(t->comm));
		else
			json_null(&e->json, comm_key);
		return;
	}
	/* comm is whatever bytes a process chose: put_str escapes it */
	snprintf(buf, sizeof(buf), "%u/%.*s", known ? t->pid : 0, (int)sizeof(t->comm),
		 known ? t->comm : "");
	put_str(e, label, how, known ? buf : NULL);
}

/* the owner's cgroup, container and unit (identity.h): JSON keys, null when unknown; in text
 * the container (its first 12 digits, as docker shows it) or else the unit, as a detail */
static void put_identity(struct emitter *e, bool known, __u32 pid, struct field how)
{
	const struct identity *id = known ? identity_get(e->ids, pid) : NULL;
	char buf[24];

	if (e->mode == EMIT_JSON) {
		json_str(&e->json, "cgroup", id ? id->cgroup : NULL);
		json_str(&e->json, "container", id && id->container[0] ? id->container : NULL);
		json_str(&e->json, "unit", id && id->unit[0] ? id->unit : NULL);
		return;
	}
	if (!id || how.style != TEXT_DETAIL)
		return;
	if (id->container[0]) {
		snprintf(buf, sizeof(buf), "%.12s", id->container);
		put_str(e, "container", how, buf);
	} else if (id->unit[0]) {
		put_str(e, "unit", how, id->unit);
	}
}

/* an endpoint: addr and port keys in JSON, "addr:port" ("[v6]:port") in text; an unknown
 * part is null, or "-" in text */
/* an address as text: the text the joiner gave, else the raw tuple's (decoded events carry
 * only that), "" when unknown */
static const char *event_addr(const struct event *ev, const char *text, const __u8 *raw,
			      char *buf)
{
	if (text[0] || !ev->family || addr_is_zero(raw))
		return text;
	addr_format(ev->family, raw, buf);
	return buf;
}

static void put_endpoint(struct emitter *e, const char *addr_key, const char *port_key,
			 int family, const char *addr, unsigned port)
{
	char buf[EVENT_ADDR_LEN + 16], pbuf[12] = "-";

	if (e->mode == EMIT_JSON) {
		put_str(e, addr_key, HIDDEN, addr[0] ? addr : NULL);
		put_u64(e, port_key, HIDDEN, port != 0, port);
		return;
	}
	if (port)
		snprintf(pbuf, sizeof(pbuf), "%u", port);
	snprintf(buf, sizeof(buf), family == RT_FAMILY_IPV6 && addr[0] ? "[%s]:%s" : "%s:%s",
		 addr[0] ? addr : "-", pbuf);
	put_str(e, addr_key, COLUMN(24), addr[0] || port ? buf : NULL);
}

static void text_header(struct emitter *e)
{
	if (e->header_done)
		return;
	e->header_done = true;
	fprintf(e->f, "%-15s %-13s %-22s %-24s %-24s %-11s %s\n", "TIME", "EVENT", "OWNER", "LOCAL",
		"PEER", "STATE", "DETAILS");
}

static int finish_record(struct emitter *e)
{
	if (e->mode == EMIT_JSON)
		return json_end_line(&e->json);
	errno = 0; /* as json_end_line(): no stale errno when only ferror() is set */
	fputc('\n', e->f);
	if ((!e->json.batch && fflush(e->f) == EOF) || ferror(e->f))
		return errno ? -errno : -EIO;
	return 0;
}

int emit_flush(struct emitter *e)
{
	errno = 0;
	if (fflush(e->f) == EOF || ferror(e->f))
		return errno ? -errno : -EIO;
	return 0;
}

void emitter_batch(struct emitter *e)
{
	e->json.batch = true;
}

/* where an event sits in a timeline; NULL for the event stream */
struct tl_pos {
	char side;
	double t_ms;
};

static void put_event_fields(struct emitter *e, const struct event *ev, const struct tl_pos *pos)
{
	char tbuf[40], rbuf[24], ebuf[24];
	const char *family = ev->family == RT_FAMILY_IPV4 ? "ipv4" :
			     ev->family == RT_FAMILY_IPV6 ? "ipv6" : NULL;

	if (e->mode == EMIT_JSON) {
		if (!pos)
			json_str(&e->json, "type", "event");
		json_str(&e->json, "kind", kind_name(ev->kind));
		clock_format_rfc3339(e->clock, ev->ts_ns, tbuf, sizeof(tbuf));
		json_str(&e->json, "time", tbuf);
		json_u64(&e->json, "ts_ns", ev->ts_ns);
	} else if (pos) {
		fprintf(e->f, "  %+10.3f ms  %c  ", pos->t_ms, pos->side);
		put_str(e, "kind", COLUMN(13), kind_name(ev->kind));
	} else {
		clock_format_tod(e->clock, ev->ts_ns, tbuf, sizeof(tbuf));
		put_str(e, "time", COLUMN(15), tbuf);
		put_str(e, "kind", COLUMN(13), kind_name(ev->kind));
	}
	put_task(e, "pid", "comm", "owner", COLUMN(22), ev->has_owner, &ev->owner);
	put_str(e, "family", HIDDEN, family);
	/* in a timeline the ends are on its header line */
	if (!pos || e->mode == EMIT_JSON) {
		char sbuf[EVENT_ADDR_LEN], dbuf[EVENT_ADDR_LEN];

		put_endpoint(e, "saddr", "sport", ev->family,
			     event_addr(ev, ev->saddr, ev->tuple.saddr, sbuf), ev->sport);
		put_endpoint(e, "daddr", "dport", ev->family,
			     event_addr(ev, ev->daddr, ev->tuple.daddr, dbuf), ev->dport);
	}
	put_str(e, "state", COLUMN(11), tcp_state_name(ev->state));
	put_str(e, "reason", DETAIL,
		ev->reason < 0 ? NULL : reason_name(e->reasons, ev->reason, rbuf, sizeof(rbuf)));
	put_str(e, "errno", DETAIL, ev->err ? errno_name(ev->err, ebuf, sizeof(ebuf)) : NULL);
	/* text: a write's ret is its byte count, shown once */
	put_i64(e, "ret", ev->kind == RT_WRITE ? HIDDEN : DETAIL, ev->has_ret, ev->ret);
	put_i64(e, "bytes", DETAIL, ev->bytes >= 0, ev->bytes);
	put_task(e, "trigger_pid", "trigger_comm", "trigger", DETAIL, ev->has_trigger, &ev->trigger);
	if (e->mode != EMIT_JSON)
		put_identity(e, ev->has_owner, ev->owner.pid, DETAIL);
	if (e->mode == EMIT_JSON) {
		if (ev->cookie)
			json_u64_as_str(&e->json, "cookie", ev->cookie);
		else
			json_null(&e->json, "cookie");
		if (pos) {
			char side[2] = { pos->side, 0 };

			json_str(&e->json, "side", side);
			json_double(&e->json, "t_ms", pos->t_ms, 3);
		}
		put_identity(e, ev->has_owner, ev->owner.pid, HIDDEN); /* an extension: last */
	}
}

int emit_event(struct emitter *e, const struct event *ev)
{
	if (e->mode == EMIT_NONE)
		return 0;
	if (e->mode == EMIT_JSON) {
		json_object_begin(&e->json, NULL);
		put_event_fields(e, ev, NULL);
		json_object_end(&e->json);
	} else {
		text_header(e);
		put_event_fields(e, ev, NULL);
	}
	return finish_record(e);
}

int emit_stats(struct emitter *e, const struct emit_stats *s)
{
	if (e->mode != EMIT_JSON)
		return 0; /* text mode reports its counts on stderr (main.c); none, nothing */
	json_object_begin(&e->json, NULL);
	json_str(&e->json, "type", "stats");
	json_u64(&e->json, "events", s->events);
	json_u64(&e->json, "lost", s->lost);
	json_u64(&e->json, "malformed", s->malformed);
	json_u64(&e->json, "timelines", s->timelines);
	json_u64(&e->json, "evicted", s->evicted);
	json_u64(&e->json, "flooded", s->flooded);
	/* live only, and only when it happened: a replay's line is as it always was */
	if (s->owners_full)
		json_u64(&e->json, "owners_full", s->owners_full);
	if (s->shed_total) {
		json_object_begin(&e->json, "shed");
		for (int k = 1; k < RT_KIND_MAX; k++)
			if (s->shed[k])
				json_u64(&e->json, kind_name(k), s->shed[k]);
		json_object_end(&e->json);
	}
	json_object_begin(&e->json, "probes");
	for (int i = 0; i < s->nhooks; i++)
		json_str(&e->json, s->hook[i], s->mechanism[i]);
	json_object_end(&e->json);
	json_u64(&e->json, "ignored", s->ignored); /* an extension: last */
	json_object_end(&e->json);
	return finish_record(e);
}

void emitter_init(struct emitter *e, enum emit_mode mode, FILE *f, const struct clock_map *clock,
		  const struct reason_names *reasons)
{
	memset(e, 0, sizeof(*e));
	e->mode = mode;
	e->f = f;
	e->clock = clock;
	e->reasons = reasons;
	json_init(&e->json, f);
}

/* ------------------------------------------------------------------------------------ */
/* timelines                                                                              */

static void json_end(struct emitter *e, const char *key, const struct end_view *v)
{
	json_object_begin(&e->json, key);
	json_str(&e->json, "addr", v->addr[0] ? v->addr : NULL);
	put_u64(e, "port", HIDDEN, v->port != 0, v->port);
	put_task(e, "pid", "comm", NULL, HIDDEN, v->has_owner, &v->owner);
	put_identity(e, v->has_owner, v->owner.pid, HIDDEN);
	json_object_end(&e->json);
}

static void json_conn(struct emitter *e, const char *key, const struct end_view *ends)
{
	json_object_begin(&e->json, key);
	json_end(e, "a", &ends[0]);
	json_end(e, "b", &ends[1]);
	json_object_end(&e->json);
}

static void json_cause(struct emitter *e, const struct timeline_view *tl)
{
	if (!tl->has_cause) {
		json_null(&e->json, "caused_by");
		return;
	}
	json_object_begin(&e->json, "caused_by");
	json_conn(e, "conn", tl->cause_end);
	json_str(&e->json, "kind", kind_name(tl->cause_kind));
	put_task(e, "pid", "comm", NULL, HIDDEN, tl->cause_has_actor, &tl->cause_actor);
	json_double(&e->json, "t_ms", tl->cause_t_ms, 3);
	json_object_end(&e->json);
}

static int timeline_json(struct emitter *e, const struct timeline_view *tl)
{
	json_object_begin(&e->json, NULL);
	json_str(&e->json, "type", "timeline");
	json_conn(e, "conn", tl->end);
	json_array_begin(&e->json, "events");
	for (int i = 0; i < tl->nev; i++) {
		struct tl_pos pos = { tl->side[i], tl->t_ms[i] };

		json_object_begin(&e->json, NULL);
		put_event_fields(e, &tl->ev[i], &pos);
		json_object_end(&e->json);
	}
	json_array_end(&e->json);
	json_u64(&e->json, "events_dropped", tl->events_dropped);
	json_cause(e, tl);
	json_object_begin(&e->json, "verdict");
	json_str(&e->json, "code", tl->verdict_code);
	json_str(&e->json, "summary", tl->verdict_summary);
	json_object_end(&e->json);
	json_object_end(&e->json);
	return finish_record(e);
}

static void text_end(struct emitter *e, char side, const struct end_view *v)
{
	fprintf(e->f, "%c %s:%u", side, v->addr[0] ? v->addr : "-", v->port);
	if (v->has_owner) {
		fputc(' ', e->f);
		text_put(e, v->owner.comm, sizeof(v->owner.comm));
		fprintf(e->f, " (pid %u)", v->owner.pid);
	}
	if (v->has_owner)
		put_identity(e, true, v->owner.pid, DETAIL);
}

/* consecutive successful writes of one side: one line with the count and the last sizes */
static int text_write_run(struct emitter *e, const struct timeline_view *tl, int i)
{
	int n = 1;
	long total = tl->ev[i].bytes;

	while (i + n < tl->nev && tl->ev[i + n].kind == RT_WRITE && tl->side[i + n] == tl->side[i]) {
		total += tl->ev[i + n].bytes;
		n++;
	}
	if (n == 1)
		return 0;
	fprintf(e->f, "  %+10.3f ms  %c  write x%-6d ", tl->t_ms[i], tl->side[i], n);
	put_task(e, "pid", "comm", "owner", COLUMN(22), tl->ev[i].has_owner, &tl->ev[i].owner);
	fprintf(e->f, "%-11s  bytes=%ld (last:", "", total);
	for (int k = n > 3 ? n - 3 : 0; k < n; k++)
		fprintf(e->f, " %ld", tl->ev[i + k].bytes);
	fprintf(e->f, ")\n");
	return n;
}

static int timeline_text(struct emitter *e, const struct timeline_view *tl)
{
	/* the sentence names processes: escaped like every string from the data */
	fprintf(e->f, "%s: ", tl->verdict_code);
	text_put(e, tl->verdict_summary, strlen(tl->verdict_summary));
	fputs("\n  ", e->f);
	text_end(e, 'a', &tl->end[0]);
	fputs("  <->  ", e->f);
	text_end(e, 'b', &tl->end[1]);
	fputc('\n', e->f);
	if (tl->has_cause) {
		fprintf(e->f, "  caused by: %s:%u <-> %s:%u, %s at %+.3f ms", tl->cause_end[0].addr,
			tl->cause_end[0].port, tl->cause_end[1].addr, tl->cause_end[1].port,
			kind_name(tl->cause_kind), tl->cause_t_ms);
		if (tl->cause_has_actor) {
			fputs(", started by ", e->f);
			text_put(e, tl->cause_actor.comm, sizeof(tl->cause_actor.comm));
			fprintf(e->f, " (pid %u)", tl->cause_actor.pid);
		}
		fputc('\n', e->f);
	}
	for (int i = 0; i < tl->nev; i++) {
		struct tl_pos pos = { tl->side[i], tl->t_ms[i] };
		int run = tl->ev[i].kind == RT_WRITE ? text_write_run(e, tl, i) : 0;

		if (run) {
			i += run - 1;
			continue;
		}
		put_event_fields(e, &tl->ev[i], &pos);
		fputc('\n', e->f);
	}
	if (tl->events_dropped)
		fprintf(e->f, "  (%u more events not kept)\n", tl->events_dropped);
	return finish_record(e);
}

int emit_timeline(struct emitter *e, const struct timeline_view *tl)
{
	if (e->observe && !e->observe(e->observe_ctx, tl->verdict_code, &tl->end[0], &tl->end[1], 1))
		return 0;
	if (e->mode == EMIT_NONE)
		return 0;
	if (e->sink)
		return e->sink(e->sink_ctx, tl->verdict_code, &tl->end[0], &tl->end[1], 1);
	return e->mode == EMIT_JSON ? timeline_json(e, tl) : timeline_text(e, tl);
}

int emit_flood(struct emitter *e, const char *code, const struct end_view *a,
	       const struct end_view *b, unsigned long long count, __u64 first, __u64 last,
	       const char *example)
{
	char t0[40], t1[40];
	struct end_view ends[2] = { *a, *b };

	if (e->observe && !e->observe(e->observe_ctx, code, a, b, count))
		return 0;
	if (e->mode == EMIT_NONE)
		return 0;
	if (e->sink)
		return e->sink(e->sink_ctx, code, a, b, count);
	if (e->mode == EMIT_TEXT) {
		fprintf(e->f, "%s x %llu more, like the one above, in %.3f s: ", code, count,
			(last - first) / 1e9);
		text_end(e, 'a', a);
		fputs("  <->  ", e->f);
		text_end(e, 'b', b);
		fputc('\n', e->f);
		return finish_record(e);
	}
	clock_format_rfc3339(e->clock, first, t0, sizeof(t0));
	clock_format_rfc3339(e->clock, last, t1, sizeof(t1));
	json_object_begin(&e->json, NULL);
	json_str(&e->json, "type", "flood");
	json_str(&e->json, "verdict", code);
	json_u64(&e->json, "count", count);
	json_conn(e, "conn", ends);
	json_str(&e->json, "first", t0);
	json_str(&e->json, "last", t1);
	json_str(&e->json, "example", example);
	json_object_end(&e->json);
	return finish_record(e);
}

/* ------------------------------------------------------------------------------------ */
/* summary tables (--summary)                                                            */

static void summary_row(struct emitter *e, const struct summary_row *r, const char *label)
{
	if (e->mode == EMIT_JSON)
		json_object_begin(&e->json, NULL);
	else
		fputs("  ", e->f);
	put_u64(e, "count", COLUMN(8), true, r->count);
	put_str(e, "verdict", COLUMN(24), r->code);
	if (label && e->mode == EMIT_JSON) {
		json_str(&e->json, label, r->group && r->group[0] ? r->group : NULL);
	} else if (label) {
		/* a container id's first 12 digits, as docker shows it; a unit as it is */
		char buf[40];

		snprintf(buf, sizeof(buf), "%.*s", !strcmp(label, "container") ? 12 : 32,
			 r->group && r->group[0] ? r->group : "-");
		put_str(e, label, COLUMN(22), buf);
	}
	if (label && e->mode != EMIT_JSON) {
		/* the group's column stands for the process's */
	} else if (r->several_pids && e->mode == EMIT_JSON) {
		json_null(&e->json, "pid");
		json_strn(&e->json, "comm", r->a.owner.comm, sizeof(r->a.owner.comm));
	} else if (r->several_pids) {
		char buf[24];

		snprintf(buf, sizeof(buf), "*/%.*s", (int)sizeof(r->a.owner.comm), r->a.owner.comm);
		put_str(e, "process", COLUMN(22), buf);
	} else {
		put_task(e, "pid", "comm", "process", COLUMN(22), r->a.has_owner, &r->a.owner);
	}
	if (e->mode == EMIT_JSON) {
		json_str(&e->json, "addr", r->a.addr[0] ? r->a.addr : NULL);
		json_end(e, "peer", &r->b);
		json_object_end(&e->json);
		return;
	}
	put_endpoint(e, "peer_addr", "peer_port", strchr(r->b.addr, ':') ? RT_FAMILY_IPV6 :
		     RT_FAMILY_IPV4, r->b.addr, r->b.port);
	put_task(e, "peer_pid", "peer_comm", "peer", COLUMN(22), r->b.has_owner, &r->b.owner);
	fputc('\n', e->f);
}

static void summary_head_text(struct emitter *e, const struct summary_view *s)
{
	char t[40];

	clock_format_tod(e->clock, s->end_ns, t, sizeof(t));
	fprintf(e->f, "rsttrace summary at %s: %llu incidents in the last %.1f s, %llu since "
		"the start\n", t, s->incidents, (s->end_ns - s->start_ns) / 1e9, s->total);
	if (s->nrows)
		fprintf(e->f, "  %-8s %-24s %-22s %-24s %s\n", "COUNT", "VERDICT",
			!s->group_label ? "PROCESS" : !strcmp(s->group_label, "unit") ? "UNIT" :
			"CONTAINER", "PEER", "PEER PROCESS");
}

int emit_summary(struct emitter *e, const struct summary_view *s)
{
	char t[40];

	if (e->mode == EMIT_NONE)
		return 0;
	if (e->mode == EMIT_TEXT) {
		summary_head_text(e, s);
	} else {
		clock_format_rfc3339(e->clock, s->end_ns, t, sizeof(t));
		json_object_begin(&e->json, NULL);
		json_str(&e->json, "type", "summary");
		json_str(&e->json, "time", t);
		json_double(&e->json, "interval_s", (s->end_ns - s->start_ns) / 1e9, 3);
		json_u64(&e->json, "incidents", s->incidents);
		json_u64(&e->json, "total", s->total);
		json_array_begin(&e->json, "rows");
	}
	for (int i = 0; i < s->nrows; i++)
		summary_row(e, &s->rows[i], s->group_label);
	if (e->mode == EMIT_JSON) {
		json_array_end(&e->json);
		json_u64(&e->json, "rows_more", s->rows_more);
		json_u64(&e->json, "incidents_more", s->incidents_more);
		json_u64(&e->json, "untracked", s->untracked);
		json_object_end(&e->json);
		return finish_record(e);
	}
	if (s->rows_more)
		fprintf(e->f, "  ... %llu more rows: %llu incidents\n", s->rows_more,
			s->incidents_more);
	if (s->untracked)
		fprintf(e->f, "  ... %llu incidents past the table's bound (rows not kept)\n",
			s->untracked);
	return finish_record(e); /* the blank line that separates tables */
}
