// SPDX-License-Identifier: GPL-2.0
/* metrics.c - bounded counter families and their exposition: see metrics.h.
 *
 * Cardinality: each family keeps at most `limit` label sets. A new set past that has its
 * process labels (comm, peer_comm... or the labels of a small family) replaced by "other",
 * so that the verdict, op or errno still count under their own value; the increments folded
 * are counted in rsttrace_metrics_folded_total{metric}. A few slots beyond the limit hold the
 * "other" sets; when even those are full, everything goes to the one set whose every label is
 * "other", which always has a slot. Nothing is lost, nothing grows without bound. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

#define MAX_LABELS 3
#define OTHER_RESERVE 64   /* slots past the limit for the folded ("other") label sets */

struct series {
	unsigned long long value;
	char val[MAX_LABELS][METRICS_LABEL_LEN];
};

struct family {
	const char *name;          /* the sample name: rsttrace_incidents_total */
	const char *help;
	int nlabels;
	const char *label[MAX_LABELS];
	unsigned fold_mask;        /* the labels that become "other" past the limit */
	struct series *s;          /* in insertion order: a stable exposition */
	unsigned n, cap;           /* cap = limit + OTHER_RESERVE + 1 (the all-"other" set) */
	unsigned *index;           /* open addressing: series number + 1, 0 = free */
	unsigned index_size;       /* a power of two, at least twice cap */
	unsigned long long folded;
};

enum { F_INCIDENTS, F_RST_SENT, F_RST_RECV, F_SOCK_ERR, F_COUNT };

struct metrics {
	pthread_mutex_t lock;
	unsigned limit;
	enum metrics_by by;
	struct family f[F_COUNT];
	unsigned long long records, lost;
	char version[METRICS_LABEL_LEN], kernel[METRICS_LABEL_LEN], probes[METRICS_LABEL_LEN];
};

static const char *const by_names[] = { "comm", "container", "unit" };
static const char *const peer_names[] = { "peer_comm", "peer_container", "peer_unit" };

const char *metrics_by_name(enum metrics_by by)
{
	return (unsigned)by < 3 ? by_names[by] : "comm";
}

/* ---- label values ---------------------------------------------------------------------- */

/* the length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t metrics_label_value(const char *src, size_t srclen, char *dst, size_t size)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = src ? strnlen(src, srclen) : 0, out = 0;

	if (!size)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);
		const char *put = (const char *)p + i;
		size_t put_len = len;

		if (!len) {
			put = "\xef\xbf\xbd"; /* U+FFFD */
			put_len = 3;
			len = 1;
		} else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\n') {
			put = "?";
		}
		if (out + put_len >= size)
			break; /* never half a character */
		memcpy(dst + out, put, put_len);
		out += put_len;
		i += len;
	}
	dst[out] = '\0';
	return out;
}

/* ---- families -------------------------------------------------------------------------- */

static unsigned hash_series(const struct family *f, char val[][METRICS_LABEL_LEN])
{
	unsigned h = 2166136261u; /* FNV-1a over the values and their terminators */

	for (int l = 0; l < f->nlabels; l++)
		for (const unsigned char *c = (const unsigned char *)val[l];; c++) {
			h = (h ^ *c) * 16777619u;
			if (!*c)
				break;
		}
	return h;
}

static bool same_series(const struct family *f, const struct series *s,
			char val[][METRICS_LABEL_LEN])
{
	for (int l = 0; l < f->nlabels; l++)
		if (strcmp(s->val[l], val[l]))
			return false;
	return true;
}

/* the series with these values, added while fewer than max exist; NULL when full */
static struct series *find_or_add(struct family *f, char val[][METRICS_LABEL_LEN], unsigned max)
{
	unsigned mask = f->index_size - 1, i = hash_series(f, val) & mask;

	for (;; i = (i + 1) & mask) {
		struct series *s;

		if (!f->index[i]) {
			if (f->n >= max)
				return NULL;
			s = &f->s[f->n];
			memcpy(s->val, val, sizeof(s->val));
			s->value = 0;
			f->index[i] = ++f->n;
			return s;
		}
		s = &f->s[f->index[i] - 1];
		if (same_series(f, s, val))
			return s;
	}
}

static void add(struct metrics *m, int fam, const char *const vals[], unsigned long long n)
{
	struct family *f = &m->f[fam];
	char val[MAX_LABELS][METRICS_LABEL_LEN] = { { 0 } };
	struct series *s;

	for (int l = 0; l < f->nlabels; l++)
		metrics_label_value(vals[l], METRICS_LABEL_LEN, val[l], sizeof(val[l]));
	pthread_mutex_lock(&m->lock);
	s = find_or_add(f, val, m->limit);
	if (!s) {
		f->folded += n;
		for (int l = 0; l < f->nlabels; l++)
			if (f->fold_mask & (1u << l))
				strcpy(val[l], "other");
		s = find_or_add(f, val, f->cap - 1);
	}
	if (!s) {
		for (int l = 0; l < f->nlabels; l++)
			strcpy(val[l], "other");
		s = find_or_add(f, val, f->cap); /* its slot is the last one, kept for it */
	}
	if (s)
		s->value += n;
	pthread_mutex_unlock(&m->lock);
}

static int family_init(struct family *f, unsigned limit, const char *name, const char *help,
		       unsigned fold_mask, int nlabels, const char *l0, const char *l1,
		       const char *l2)
{
	f->name = name;
	f->help = help;
	f->fold_mask = fold_mask;
	f->nlabels = nlabels;
	f->label[0] = l0;
	f->label[1] = l1;
	f->label[2] = l2;
	f->cap = limit + OTHER_RESERVE + 1;
	for (f->index_size = 16; f->index_size < 2 * f->cap; f->index_size *= 2)
		;
	f->s = calloc(f->cap, sizeof(*f->s));
	f->index = calloc(f->index_size, sizeof(*f->index));
	return f->s && f->index ? 0 : -ENOMEM;
}

struct metrics *metrics_new(unsigned limit, enum metrics_by by)
{
	struct metrics *m = calloc(1, sizeof(*m));
	const char *g = metrics_by_name(by), *pg = peer_names[by < 3 ? by : 0];
	int err;

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->limit = limit ? limit : 1;
	m->by = by;
	err = family_init(&m->f[F_INCIDENTS], m->limit, "rsttrace_incidents_total",
			  "Incidents (connections that ended in a reset or a socket error) by "
			  "verdict and by the processes of the connecting (a) and the other (b) end",
			  6, 3, "verdict", g, pg) ?:
	      family_init(&m->f[F_RST_SENT], m->limit, "rsttrace_resets_sent_total",
			  "Resets this host's kernel sent, by the kernel's reset reason", 1, 1,
			  "reason", NULL, NULL) ?:
	      family_init(&m->f[F_RST_RECV], m->limit, "rsttrace_resets_received_total",
			  "Resets a socket of this host received, by its TCP state before", 1, 1,
			  "state", NULL, NULL) ?:
	      family_init(&m->f[F_SOCK_ERR], m->limit, "rsttrace_socket_errors_total",
			  "Socket errors by operation (write, read, or pending: set on the socket "
			  "for the next call), errno and owner", 4, 3, "op", "errno", g);
	if (err) {
		metrics_free(m);
		return NULL;
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < F_COUNT; i++) {
		free(m->f[i].s);
		free(m->f[i].index);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_build_info(struct metrics *m, const char *version, const char *kernel,
			const char *probes)
{
	pthread_mutex_lock(&m->lock);
	metrics_label_value(version, METRICS_LABEL_LEN, m->version, sizeof(m->version));
	metrics_label_value(kernel, METRICS_LABEL_LEN, m->kernel, sizeof(m->kernel));
	metrics_label_value(probes, METRICS_LABEL_LEN, m->probes, sizeof(m->probes));
	pthread_mutex_unlock(&m->lock);
}

void metrics_incident(struct metrics *m, const char *verdict, const char *group_a,
		      const char *group_b, unsigned long long n)
{
	const char *v[] = { verdict, group_a, group_b };

	add(m, F_INCIDENTS, v, n);
}

void metrics_reset_sent(struct metrics *m, const char *reason)
{
	const char *v[] = { reason };

	add(m, F_RST_SENT, v, 1);
}

void metrics_reset_received(struct metrics *m, const char *state)
{
	const char *v[] = { state };

	add(m, F_RST_RECV, v, 1);
}

void metrics_socket_error(struct metrics *m, const char *op, const char *err, const char *group)
{
	const char *v[] = { op, err, group };

	add(m, F_SOCK_ERR, v, 1);
}

void metrics_records(struct metrics *m, unsigned long long records, unsigned long long lost)
{
	pthread_mutex_lock(&m->lock);
	m->records = records;
	m->lost = lost;
	pthread_mutex_unlock(&m->lock);
}

/* ---- exposition ------------------------------------------------------------------------ */

/* a label value (already valid UTF-8) with the format's three escapes */
static void put_value(FILE *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", o);
		else if (*v == '"')
			fputs("\\\"", o);
		else if (*v == '\n')
			fputs("\\n", o);
		else
			fputc(*v, o);
	}
}

/* "# HELP" and "# TYPE"; OpenMetrics names a counter family without its _total */
static void put_head(FILE *o, const char *name, const char *type, const char *help, bool om)
{
	size_t len = strlen(name);

	if (om && !strcmp(type, "counter") && len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	fprintf(o, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name, type);
}

static void put_family(FILE *o, const struct family *f, bool om)
{
	put_head(o, f->name, "counter", f->help, om);
	for (unsigned i = 0; i < f->n; i++) {
		const struct series *s = &f->s[i];

		fprintf(o, "%s{", f->name);
		for (int l = 0; l < f->nlabels; l++) {
			fprintf(o, "%s%s=\"", l ? "," : "", f->label[l]);
			put_value(o, s->val[l]);
			fputc('"', o);
		}
		fprintf(o, "} %llu\n", s->value);
	}
}

static void put_scalar(FILE *o, const char *name, const char *help, unsigned long long v,
		       bool om)
{
	put_head(o, name, "counter", help, om);
	fprintf(o, "%s %llu\n", name, v);
}

static void put_build_info(FILE *o, const struct metrics *m, bool om)
{
	/* OpenMetrics has an info type for it; the text format a gauge of 1 */
	if (om)
		fputs("# HELP rsttrace_build rsttrace's version, the kernel and the probe "
		      "mechanisms in use\n# TYPE rsttrace_build info\n", o);
	else
		put_head(o, "rsttrace_build_info", "gauge",
			 "rsttrace's version, the kernel and the probe mechanisms in use", false);
	fputs("rsttrace_build_info{version=\"", o);
	put_value(o, m->version);
	fputs("\",kernel=\"", o);
	put_value(o, m->kernel);
	fputs("\",probes=\"", o);
	put_value(o, m->probes);
	fputs("\"} 1\n", o);
}

static void put_folded(FILE *o, const struct metrics *m, bool om)
{
	put_head(o, "rsttrace_metrics_folded_total", "counter",
		 "Increments counted under \"other\" labels because the metric had its maximum "
		 "of label sets (--metrics-limit)", om);
	for (int i = 0; i < F_COUNT; i++)
		fprintf(o, "rsttrace_metrics_folded_total{metric=\"%s\"} %llu\n", m->f[i].name,
			m->f[i].folded);
}

char *metrics_render(struct metrics *m, bool om, size_t *len)
{
	char *buf = NULL;
	FILE *o = open_memstream(&buf, len);

	if (!o)
		return NULL;
	pthread_mutex_lock(&m->lock);
	put_build_info(o, m, om);
	for (int i = 0; i < F_COUNT; i++)
		put_family(o, &m->f[i], om);
	put_scalar(o, "rsttrace_records_total", "Records received from the kernel", m->records,
		   om);
	put_scalar(o, "rsttrace_records_lost_total",
		   "Records the kernel could not queue (ring buffer full)", m->lost, om);
	put_folded(o, m, om);
	pthread_mutex_unlock(&m->lock);
	if (om)
		fputs("# EOF\n", o);
	if (fclose(o)) {
		free(buf);
		return NULL;
	}
	return buf;
}
