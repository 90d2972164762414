/* emit.c - events and stats as aligned text columns or JSON lines (the public contract:
 * every key always present, null when unknown, 64-bit ids as strings). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "emit.h"

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

static void put_str(struct emitter *e, const char *key, struct field how, const char *val)
{
	if (e->mode == EMIT_JSON) {
		json_str(&e->json, key, val);
		return;
	}
	if (how.style == TEXT_COLUMN)
		fprintf(e->f, "%-*s ", how.width, val ? val : "-");
	else if (how.style == TEXT_DETAIL && val)
		fprintf(e->f, " %s=%s", key, val);
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
	snprintf(buf, sizeof(buf), "%u/%.*s", known ? t->pid : 0, (int)sizeof(t->comm),
		 known ? t->comm : "");
	/* comm is whatever bytes a process chose: never send escapes to a terminal */
	for (unsigned char *c = (unsigned char *)buf; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	put_str(e, label, how, known ? buf : NULL);
}

/* an endpoint: addr and port keys in JSON, "addr:port" ("[v6]:port") in text; an unknown
 * part is null, or "-" in text */
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
	if (fflush(e->f) == EOF || ferror(e->f))
		return errno ? -errno : -EIO;
	return 0;
}

static void put_event_fields(struct emitter *e, const struct event *ev)
{
	char tbuf[40], rbuf[24], ebuf[24];
	const char *family = ev->family == RT_FAMILY_IPV4 ? "ipv4" :
			     ev->family == RT_FAMILY_IPV6 ? "ipv6" : NULL;

	if (e->mode == EMIT_JSON) {
		json_str(&e->json, "type", "event");
		json_str(&e->json, "kind", kind_name(ev->kind));
		clock_format_rfc3339(e->clock, ev->ts_ns, tbuf, sizeof(tbuf));
		json_str(&e->json, "time", tbuf);
		json_u64(&e->json, "ts_ns", ev->ts_ns);
	} else {
		clock_format_tod(e->clock, ev->ts_ns, tbuf, sizeof(tbuf));
		put_str(e, "time", COLUMN(15), tbuf);
		put_str(e, "kind", COLUMN(13), kind_name(ev->kind));
	}
	put_task(e, "pid", "comm", "owner", COLUMN(22), ev->has_owner, &ev->owner);
	put_str(e, "family", HIDDEN, family);
	put_endpoint(e, "saddr", "sport", ev->family, ev->saddr, ev->sport);
	put_endpoint(e, "daddr", "dport", ev->family, ev->daddr, ev->dport);
	put_str(e, "state", COLUMN(11), tcp_state_name(ev->state));
	put_str(e, "reason", DETAIL,
		ev->reason < 0 ? NULL : reason_name(e->reasons, ev->reason, rbuf, sizeof(rbuf)));
	put_str(e, "errno", DETAIL, ev->err ? errno_name(ev->err, ebuf, sizeof(ebuf)) : NULL);
	/* text: a write's ret is its byte count, shown once */
	put_i64(e, "ret", ev->kind == RT_WRITE ? HIDDEN : DETAIL, ev->has_ret, ev->ret);
	put_i64(e, "bytes", DETAIL, ev->bytes >= 0, ev->bytes);
	put_task(e, "trigger_pid", "trigger_comm", "trigger", DETAIL, ev->has_trigger, &ev->trigger);
	if (e->mode == EMIT_JSON) {
		if (ev->cookie)
			json_u64_as_str(&e->json, "cookie", ev->cookie);
		else
			json_null(&e->json, "cookie");
	}
}

int emit_event(struct emitter *e, const struct event *ev)
{
	if (e->mode == EMIT_JSON) {
		json_object_begin(&e->json, NULL);
		put_event_fields(e, ev);
		json_object_end(&e->json);
	} else {
		text_header(e);
		put_event_fields(e, ev);
	}
	return finish_record(e);
}

int emit_stats(struct emitter *e, const struct emit_stats *s)
{
	if (e->mode != EMIT_JSON)
		return 0; /* text mode reports its counts on stderr (main.c) */
	json_object_begin(&e->json, NULL);
	json_str(&e->json, "type", "stats");
	json_u64(&e->json, "events", s->events);
	json_u64(&e->json, "lost", s->lost);
	json_u64(&e->json, "malformed", s->malformed);
	json_u64(&e->json, "timelines", s->timelines);
	json_object_begin(&e->json, "probes");
	for (int i = 0; i < s->nhooks; i++)
		json_str(&e->json, s->hook[i], s->mechanism[i]);
	json_object_end(&e->json);
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
