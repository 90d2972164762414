/* replay.c - the recording's header, and -r: records read back through the live pipeline.
 * Ticks are replayed at the recorded moments, so timelines come out when and as they did
 * live; the kernel's owner answers and lost counts come from the file. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "pipeline.h"
#include "replay.h"

/* ------------------------------------------------------------------------------------ */
/* header                                                                                 */

struct text {
	char buf[8192];
	size_t len;
};

/* one "key=value" line; a newline inside the value would start another key: a space */
static void __attribute__((format(printf, 3, 4))) add(struct text *t, const char *key,
						       const char *fmt, ...)
{
	size_t start, room = sizeof(t->buf) - t->len;
	va_list ap;
	int n;

	n = snprintf(t->buf + t->len, room, "%s=", key);
	if (n < 0 || (size_t)n >= room)
		return;
	start = t->len + n;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + start, sizeof(t->buf) - start, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= sizeof(t->buf) - start)
		return; /* does not fit: left out rather than cut */
	for (size_t i = start; i < start + n; i++)
		if (t->buf[i] == '\n')
			t->buf[i] = ' ';
	t->len = start + n;
	t->buf[t->len++] = '\n';
}

static void add_args(struct text *t, int argc, char **argv)
{
	char line[1024] = "";
	size_t len = 0;

	for (int i = 0; i < argc && len < sizeof(line); i++)
		len += snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "", argv[i]);
	add(t, "args", "%s", line);
}

int recording_write_header(struct rec_writer *w, const struct clock_map *clock,
			   const struct reason_names *reasons, const struct emit_stats *probes,
			   int argc, char **argv)
{
	struct text *t = calloc(1, sizeof(*t));
	struct utsname u;
	char host[256] = "";
	int err;

	if (!t)
		return -ENOMEM;
	gethostname(host, sizeof(host) - 1);
	if (uname(&u))
		strcpy(u.release, "");
	add(t, "format", "%d", REC_VERSION);
	add(t, "rsttrace", "%s", RSTTRACE_VERSION);
	add(t, "host", "%s", host);
	add(t, "kernel", "%s", u.release);
	add(t, "mono_to_real_ns", "%lld", (long long)clock->mono_to_real_ns);
	add(t, "event_size", "%zu", sizeof(struct rt_event));
	add_args(t, argc, argv);
	for (int i = 0; i < probes->nhooks; i++) {
		char key[48];

		snprintf(key, sizeof(key), "probe.%s", probes->hook[i]);
		add(t, key, "%s", probes->mechanism[i] ? probes->mechanism[i] : "-");
	}
	for (int i = 0; i < reasons->count; i++) {
		char key[24];

		snprintf(key, sizeof(key), "reason.%d", i);
		if (reasons->name[i][0])
			add(t, key, "%.*s", NAMES_REASON_LEN, reasons->name[i]);
	}
	err = rec_write_header(w, t->buf, t->len);
	free(t);
	return err;
}

/* ------------------------------------------------------------------------------------ */
/* replay                                                                                 */

struct replay {
	const struct rt_options *o;
	const char *name;
	FILE *err;
	struct clock_map clock;
	struct reason_names reasons;
	struct emitter out;
	struct emit_stats stats;
	struct replay_filter *filter;
	struct pipeline pipe;
	char hook[EMIT_MAX_HOOKS][32];
	char mechanism[EMIT_MAX_HOOKS][32];
	bool ended;                     /* an end record was read */
	bool output_closed;             /* the reader went away (| head): stop quietly */
	int output_error;
	struct rec_reader rd;           /* last: its payload buffer is large */
};

static bool parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return *s && !*end && !errno;
}

/* the lines "prefix<N-or-name>=value", in order */
static void header_each(const char *text, size_t len, const char *prefix,
			void (*fn)(struct replay *r, const char *key, const char *val),
			struct replay *r)
{
	size_t plen = strlen(prefix);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *eol = nl ? nl : end;
		const char *eq = memchr(p, '=', eol - p);
		char key[64], val[64];

		if (eq && (size_t)(eq - p) > plen && !memcmp(p, prefix, plen) &&
		    eq - p - plen < (long)sizeof(key) && eol - eq - 1 < (long)sizeof(val)) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - p - plen), p + plen);
			snprintf(val, sizeof(val), "%.*s", (int)(eol - eq - 1), eq + 1);
			fn(r, key, val);
		}
		p = eol + 1;
	}
}

static void header_reason(struct replay *r, const char *key, const char *val)
{
	long long v;

	if (!parse_ll(key, &v) || v < 0 || v >= NAMES_MAX_REASONS)
		return;
	snprintf(r->reasons.name[v], NAMES_REASON_LEN, "%s", val);
	if (v >= r->reasons.count)
		r->reasons.count = v + 1;
}

static void header_probe(struct replay *r, const char *key, const char *val)
{
	int i = r->stats.nhooks;

	if (i == EMIT_MAX_HOOKS)
		return;
	snprintf(r->hook[i], sizeof(r->hook[i]), "%s", key);
	snprintf(r->mechanism[i], sizeof(r->mechanism[i]), "%s", val);
	r->stats.hook[i] = r->hook[i];
	r->stats.mechanism[i] = strcmp(val, "-") ? r->mechanism[i] : NULL;
	r->stats.nhooks++;
}

/* 0, or -1 with the reader's error set */
static int read_header(struct replay *r, const struct rec_record *rec)
{
	const char *text = (const char *)rec->data;
	char val[64];
	long long v;

	if (!rec_header_get(text, rec->len, "event_size", val, sizeof(val)) || !parse_ll(val, &v) ||
	    v != (long long)sizeof(struct rt_event)) {
		snprintf(r->rd.error, sizeof(r->rd.error),
			 "header record at offset %llu: event_size is not %zu (recorded by another "
			 "rsttrace build?)", r->rd.at, sizeof(struct rt_event));
		return -1;
	}
	if (!rec_header_get(text, rec->len, "mono_to_real_ns", val, sizeof(val)) ||
	    !parse_ll(val, &v)) {
		snprintf(r->rd.error, sizeof(r->rd.error),
			 "header record at offset %llu: no valid mono_to_real_ns", r->rd.at);
		return -1;
	}
	r->clock.mono_to_real_ns = v;
	memset(&r->reasons, 0, sizeof(r->reasons));
	header_each(text, rec->len, "reason.", header_reason, r);
	if (!r->reasons.count)
		reason_names_builtin(&r->reasons); /* a kernel without reasons: names unused */
	header_each(text, rec->len, "probe.", header_probe, r);
	return 0;
}

static void note_output_error(struct replay *r, int err)
{
	if (err == -EPIPE)
		r->output_closed = true;
	else if (err && !r->output_error)
		r->output_error = err;
}

static void on_record(struct replay *r, const struct rec_record *rec)
{
	struct rec_owner a;
	struct rec_fin fin;
	struct rec_tick t;

	switch (rec->type) {
	case REC_EVENT:
		note_output_error(r, pipeline_event(&r->pipe, rec->data, rec->len));
		break;
	case REC_OWNER:
		memcpy(&a, rec->data, sizeof(a));
		pipeline_owner_answer(&r->pipe, &a);
		break;
	case REC_FIN:
		memcpy(&fin, rec->data, sizeof(fin));
		pipeline_fin_answer(&r->pipe, &fin);
		break;
	case REC_TICK:
	case REC_END:
		memcpy(&t, rec->data, sizeof(t));
		r->stats.lost = t.lost;
		r->ended = rec->type == REC_END;
		note_output_error(r, pipeline_tick(&r->pipe, t.now_ns, t.lost));
		if (!r->output_error && !r->output_closed)
			note_output_error(r, emit_flush(&r->out));
		break;
	default:
		break;
	}
}

static int start(struct replay *r, FILE *out)
{
	struct rec_record rec;
	struct pipeline_config pc = { 0 };
	bool oom;

	if (rec_next(&r->rd, &rec) != 1 || read_header(r, &rec))
		return -1;
	emitter_init(&r->out, r->o->json ? EMIT_JSON : EMIT_TEXT, out, &r->clock, &r->reasons);
	emitter_batch(&r->out);
	r->filter = replay_filter_new(r->o, &oom);
	pc.out = &r->out;
	pc.stats = &r->stats;
	pc.events = r->o->events;
	pc.summary_s = r->o->summary_s; /* the recording's ticks drive the tables */
	pc.reasons = &r->reasons;
	pc.filter = r->filter;
	if (oom || pipeline_init(&r->pipe, &pc)) {
		snprintf(r->rd.error, sizeof(r->rd.error), "out of memory");
		return -1;
	}
	return 0;
}

/* what the live run prints at exit: pending incidents, then the stats */
static void finish(struct replay *r)
{
	if (r->output_closed || r->output_error)
		return;
	note_output_error(r, pipeline_flush(&r->pipe));
	if (!r->output_closed && !r->output_error)
		note_output_error(r, emit_stats(&r->out, &r->stats));
	if (!r->output_closed && !r->output_error)
		note_output_error(r, emit_flush(&r->out));
	if (!r->output_closed && (r->o->verbose || r->stats.lost || !r->o->json))
		fprintf(r->err, "rsttrace: %llu events, %llu lost%s (replayed from %s)\n",
			r->stats.events, r->stats.lost,
			r->stats.lost ? " (ring buffer full)" : "", r->name);
}

static int verdict(struct replay *r, int rc)
{
	if (r->output_closed)
		return RT_EXIT_OK;
	if (r->output_error) {
		fprintf(r->err, "rsttrace: writing the output failed: %s\n",
			strerror(-r->output_error));
		return RT_EXIT_RUNTIME;
	}
	if (rc < 0) {
		fprintf(r->err, "rsttrace: %s: %s%s\n", r->name, r->rd.error,
			r->rd.seen_header ? "; the records before it were replayed" : "");
		return RT_EXIT_RUNTIME;
	}
	if (!r->ended)
		fprintf(r->err, "rsttrace: %s: no end record (the recorder was killed, or is still "
			"running): replayed the %llu events it holds\n", r->name, r->stats.events);
	return RT_EXIT_OK;
}

int replay_stream(const struct rt_options *o, FILE *in, const char *name, FILE *out, FILE *err)
{
	struct replay *r = calloc(1, sizeof(*r));
	struct rec_record rec;
	int rc = -1;

	if (!r) {
		fprintf(err, "rsttrace: out of memory\n");
		return RT_EXIT_RUNTIME;
	}
	r->o = o;
	r->name = name;
	r->err = err;
	if (!rec_reader_init(&r->rd, in) && !start(r, out)) {
		while (!r->output_closed && !r->output_error && (rc = rec_next(&r->rd, &rec)) == 1)
			on_record(r, &rec);
		finish(r);
	}
	rc = verdict(r, rc);
	pipeline_free(&r->pipe);
	replay_filter_free(r->filter);
	free(r);
	return rc;
}

int replay_main(const struct rt_options *o, const char *path)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *in = is_stdin ? stdin : fopen(path, "rb");
	int rc;

	if (!in) {
		fprintf(stderr, "rsttrace: cannot open the recording %s: %s\n", path,
			strerror(errno));
		return RT_EXIT_RUNTIME;
	}
	/* as live: one buffer per batch, not a write per line */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = replay_stream(o, in, is_stdin ? "stdin" : path, stdout, stderr);
	if (!is_stdin)
		fclose(in);
	return rc;
}
