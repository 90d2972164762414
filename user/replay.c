// SPDX-License-Identifier: GPL-2.0
/* replay.c - the recording's header, and -r: records read back through the live pipeline.
 * Ticks are replayed at the recorded moments, so timelines come out when and as they did
 * live; the kernel's owner answers and lost counts come from the file. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
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
			   int argc, char **argv, unsigned seq, unsigned long long run)
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
	/* -C/-G: which run, and which file of its series (replay puts the files in order) */
	add(t, "run", "%llu", run);
	add(t, "seq", "%u", seq);
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
	struct rec_identity id;
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
	case REC_IDENTITY:
		if (identity_decode(rec->data, rec->len, &id)) /* the reader checked the length */
			pipeline_identity(&r->pipe, &id);
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
	pc.ignore = r->o;
	pc.by = r->o->by;
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

/* a later file of the series: its head and header record, then its records follow the
 * earlier ones' in the same pipeline (the header is the run's: only its layout is checked) */
static int next_file(struct replay *r, FILE *in, const char *name)
{
	struct rec_record rec;
	char val[64];
	long long v;

	r->name = name;
	if (rec_reader_init(&r->rd, in) || rec_next(&r->rd, &rec) != 1)
		return -1;
	if (!rec_header_get((const char *)rec.data, rec.len, "event_size", val, sizeof(val)) ||
	    !parse_ll(val, &v) || v != (long long)sizeof(struct rt_event)) {
		snprintf(r->rd.error, sizeof(r->rd.error),
			 "header record at offset %llu: event_size is not %zu", r->rd.at,
			 sizeof(struct rt_event));
		return -1;
	}
	r->ended = false;
	return 0;
}

int replay_streams(const struct rt_options *o, FILE **in, const char **names, int n, FILE *out,
		   FILE *err)
{
	struct replay *r = calloc(1, sizeof(*r));
	struct rec_record rec;
	int rc = -1;

	if (!r) {
		fprintf(err, "rsttrace: out of memory\n");
		return RT_EXIT_RUNTIME;
	}
	r->o = o;
	r->name = names[0];
	r->err = err;
	if (!rec_reader_init(&r->rd, in[0]) && !start(r, out)) {
		for (int i = 0; i < n; i++) {
			if (i && (rc = next_file(r, in[i], names[i])) < 0)
				break;
			while (!r->output_closed && !r->output_error &&
			       (rc = rec_next(&r->rd, &rec)) == 1)
				on_record(r, &rec);
			if (rc < 0 || r->output_closed || r->output_error)
				break;
		}
		finish(r);
	}
	rc = verdict(r, rc);
	pipeline_free(&r->pipe);
	replay_filter_free(r->filter);
	free(r);
	return rc;
}

int replay_stream(const struct rt_options *o, FILE *in, const char *name, FILE *out, FILE *err)
{
	return replay_streams(o, &in, &name, 1, out, err);
}

/* ------------------------------------------------------------------------------------ */
/* several files: a directory's, or a ring's, in the order they were written              */

struct source {
	char *path;
	FILE *f;
	bool has_seq;
	unsigned long long run;
	unsigned seq;
	int given;                      /* the order given: for files without a series */
};

/* the run and seq keys of a file's header, then back to its start */
static void peek_series(struct source *s)
{
	struct rec_reader *rd = malloc(sizeof(*rd));
	struct rec_record rec;
	char run[32], seq[32];
	long long v1, v2;

	if (rd && !rec_reader_init(rd, s->f) && rec_next(rd, &rec) == 1 &&
	    rec.type == REC_HEADER &&
	    rec_header_get((const char *)rec.data, rec.len, "run", run, sizeof(run)) &&
	    rec_header_get((const char *)rec.data, rec.len, "seq", seq, sizeof(seq)) &&
	    parse_ll(run, &v1) && parse_ll(seq, &v2)) {
		s->has_seq = true;
		s->run = v1;
		s->seq = v2;
	}
	free(rd);
	rewind(s->f);
}

/* files of a series by (run, seq); the others as given */
static int by_series(const void *x, const void *y)
{
	const struct source *a = x, *b = y;

	if (a->has_seq && b->has_seq && a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->has_seq && b->has_seq && a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->given - b->given;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* a directory's regular files (not hidden), by name; -1 with errno */
static int add_dir(struct source *src, int *n, int max, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[RT_MAX_READ];
	int k = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && k < RT_MAX_READ) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			names[k++] = strdup(path);
	}
	closedir(d);
	qsort(names, k, sizeof(names[0]), by_name);
	for (int i = 0; i < k; i++) {
		if (*n < max && names[i])
			src[(*n)++].path = names[i];
		else
			free(names[i]);
	}
	return 0;
}

static int open_sources(const struct rt_options *o, struct source *src, int *n)
{
	for (int i = 0; i < o->nread; i++) {
		const char *p = o->read_paths[i];
		struct stat st;

		if (!strcmp(p, "-")) {
			if (o->nread > 1) {
				fprintf(stderr, "rsttrace: '-' (stdin) cannot be replayed with other "
					"recordings\n");
				return RT_EXIT_USAGE;
			}
			src[(*n)++] = (struct source){ .path = strdup("stdin"), .f = stdin };
			return 0;
		}
		if (!stat(p, &st) && S_ISDIR(st.st_mode)) {
			if (!add_dir(src, n, RT_MAX_READ, p))
				continue;
		} else if (*n < RT_MAX_READ) {
			src[(*n)++].path = strdup(p);
			continue;
		}
		fprintf(stderr, "rsttrace: cannot read the recordings in %s: %s\n", p,
			strerror(errno));
		return RT_EXIT_RUNTIME;
	}
	if (!*n) {
		fprintf(stderr, "rsttrace: no recording in %s\n", o->read_paths[0]);
		return RT_EXIT_RUNTIME;
	}
	for (int i = 0; i < *n; i++) {
		src[i].given = i;
		if (!src[i].path || !(src[i].f = fopen(src[i].path, "rb"))) {
			fprintf(stderr, "rsttrace: cannot open the recording %s: %s\n",
				src[i].path ? src[i].path : "?", strerror(errno));
			return RT_EXIT_RUNTIME;
		}
		peek_series(&src[i]);
	}
	return 0;
}

/* files of one series with a gap between them: what is missing is said, not hidden */
static void note_gaps(const struct source *src, int n)
{
	for (int i = 1; i < n; i++)
		if (src[i].has_seq && src[i - 1].has_seq && src[i].run == src[i - 1].run &&
		    src[i].seq != src[i - 1].seq + 1)
			fprintf(stderr, "rsttrace: %s: files %u to %u of this recording are missing "
				"(or repeated): the replay goes on after the gap\n", src[i].path,
				src[i - 1].seq + 1, src[i].seq > 0 ? src[i].seq - 1 : 0);
}

int replay_main(const struct rt_options *o, const char *path)
{
	struct source *src = calloc(RT_MAX_READ, sizeof(*src));
	FILE *in[RT_MAX_READ];
	const char *names[RT_MAX_READ];
	int n = 0, rc;

	(void)path;
	if (!src) {
		fprintf(stderr, "rsttrace: out of memory\n");
		return RT_EXIT_RUNTIME;
	}
	rc = open_sources(o, src, &n);
	if (!rc) {
		qsort(src, n, sizeof(*src), by_series);
		note_gaps(src, n);
		for (int i = 0; i < n; i++) {
			in[i] = src[i].f;
			names[i] = src[i].path;
		}
		/* as live: one buffer per batch, not a write per line */
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		rc = replay_streams(o, in, names, n, stdout, stderr);
	}
	for (int i = 0; i < n; i++) {
		if (src[i].f && src[i].f != stdin)
			fclose(src[i].f);
		free(src[i].path);
	}
	free(src);
	return rc;
}
