// SPDX-License-Identifier: GPL-2.0
/* summary.c - one bounded hash table of rows per interval, sorted when printed. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "summary.h"

#define CODE_LEN 32
#define MAX_PROBES 32    /* linear probing; past it the incident is untracked, still counted */

_Static_assert((SUMMARY_KEYS & (SUMMARY_KEYS - 1)) == 0, "SUMMARY_KEYS: a power of two");

#define GROUP_LEN 256

struct row {
	char code[CODE_LEN];         /* copied: the verdict's string must not be borrowed */
	char group[GROUP_LEN];       /* --by container|unit: the a end's */
	struct end_view a, b;        /* a.port is 0: each connection of a client has its own */
	bool several_pids;           /* a.owner.pid: the last one */
	unsigned long long count;
	bool used;
};

struct summary {
	struct emitter *out;
	__u64 interval_ns;
	__u64 start_ns, last_ns;     /* this interval's start; the last tick */
	bool started, printed;
	unsigned long long incidents, total, untracked;
	int nrows;
	summary_group_fn group;      /* NULL: rows by process name */
	void *group_ctx;
	const char *group_label;
	struct row row[SUMMARY_KEYS];
	struct summary_row sorted[SUMMARY_KEYS];
};

struct summary *summary__new(__u64 interval_ns, struct emitter *out)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->out = out;
	s->interval_ns = interval_ns ? interval_ns : 1;
	return s;
}

void summary__group(struct summary *s, summary_group_fn fn, void *ctx, const char *label)
{
	s->group = fn;
	s->group_ctx = ctx;
	s->group_label = label;
}

void summary__free(struct summary *s)
{
	free(s);
}

static void hash_bytes(unsigned *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 16777619u; /* FNV-1a */
}

static bool same_row(const struct summary *s, const struct row *r, const char *code,
		     const struct end_view *a, const char *group, const struct end_view *b)
{
	if (s->group)
		return !strcmp(r->code, code) && !strcmp(r->group, group) &&
		       !strcmp(r->a.addr, a->addr) && r->b.port == b->port &&
		       !strcmp(r->b.addr, b->addr);
	return !strcmp(r->code, code) && r->a.has_owner == a->has_owner &&
	       (!a->has_owner || !strncmp(r->a.owner.comm, a->owner.comm, RT_COMM_LEN)) &&
	       !strcmp(r->a.addr, a->addr) && r->b.port == b->port && !strcmp(r->b.addr, b->addr);
}

/* the row of (process, peer, verdict): the a end's process name (not its pid: a client run
 * again and again, or a pool of workers, is one row) and address, the b end's address and
 * port; the peer's process is shown as last known, not part of the key */
static struct row *find_row(struct summary *s, const char *code, const struct end_view *a,
			    const struct end_view *b)
{
	unsigned h = 2166136261u;
	char group[GROUP_LEN];

	snprintf(group, sizeof(group), "%s", s->group ? s->group(s->group_ctx, a) : "");
	hash_bytes(&h, code, strlen(code));
	if (s->group)
		hash_bytes(&h, group, strlen(group));
	else if (a->has_owner)
		hash_bytes(&h, a->owner.comm, strnlen(a->owner.comm, RT_COMM_LEN));
	hash_bytes(&h, a->addr, strlen(a->addr));
	hash_bytes(&h, b->addr, strlen(b->addr));
	hash_bytes(&h, &b->port, sizeof(b->port));
	for (int i = 0; i < MAX_PROBES; i++) {
		struct row *r = &s->row[(h + i) & (SUMMARY_KEYS - 1)];

		if (!r->used) {
			r->used = true;
			snprintf(r->code, sizeof(r->code), "%s", code);
			memcpy(r->group, group, sizeof(group));
			r->a = *a;
			r->a.port = 0;
			r->b = *b;
			s->nrows++;
			return r;
		}
		if (same_row(s, r, code, a, group, b))
			return r;
	}
	return NULL;
}

int summary__count(void *ctx, const char *code, const struct end_view *a,
		   const struct end_view *b, unsigned long long count)
{
	struct summary *s = ctx;
	struct row *r = find_row(s, code ? code : "unknown", a, b);

	s->incidents += count;
	s->total += count;
	if (!r) {
		s->untracked += count;
		return 0;
	}
	if (r->count && a->has_owner && (a->owner.pid != r->a.owner.pid ||
					 strncmp(a->owner.comm, r->a.owner.comm, RT_COMM_LEN))) {
		/* --by: processes of other names in one row; the last one's name is shown */
		memcpy(r->a.owner.comm, a->owner.comm, RT_COMM_LEN);
		r->several_pids = true;
		r->a.owner.pid = a->owner.pid;
	}
	r->count += count;
	if (b->has_owner) {
		r->b.has_owner = true;
		r->b.owner = b->owner;
	}
	return 0;
}

/* most frequent first; ties in a stable order (verdict, process, peer) */
static int by_count(const void *x, const void *y)
{
	const struct summary_row *p = x, *q = y;
	int c;

	if (p->count != q->count)
		return p->count < q->count ? 1 : -1;
	if ((c = strcmp(p->code, q->code)))
		return c;
	if ((c = strncmp(p->a.owner.comm, q->a.owner.comm, RT_COMM_LEN)))
		return c;
	if (p->a.owner.pid != q->a.owner.pid)
		return p->a.owner.pid < q->a.owner.pid ? -1 : 1;
	if ((c = strcmp(p->b.addr, q->b.addr)))
		return c;
	return (int)p->b.port - (int)q->b.port;
}

static int report(struct summary *s, __u64 end_ns)
{
	struct summary_view v = { .start_ns = s->start_ns, .end_ns = end_ns,
				  .incidents = s->incidents, .total = s->total,
				  .rows = s->sorted, .untracked = s->untracked,
				  .group_label = s->group_label };
	int n = 0, err;

	for (int i = 0; i < SUMMARY_KEYS; i++) {
		const struct row *r = &s->row[i];

		if (r->used)
			s->sorted[n++] = (struct summary_row){ r->code, r->a, r->b, r->several_pids,
							       r->count, r->group };
	}
	qsort(s->sorted, n, sizeof(s->sorted[0]), by_count);
	v.nrows = n < SUMMARY_SHOWN ? n : SUMMARY_SHOWN;
	for (int i = v.nrows; i < n; i++) {
		v.rows_more++;
		v.incidents_more += s->sorted[i].count;
	}
	err = emit_summary(s->out, &v);
	/* the strings the view borrowed live in the rows: clear them only now */
	memset(s->row, 0, sizeof(s->row));
	s->nrows = 0;
	s->incidents = s->untracked = 0;
	s->start_ns = end_ns;
	s->printed = true;
	return err;
}

int summary__tick(struct summary *s, __u64 now_ns)
{
	if (!s->started) {
		s->started = true;
		s->start_ns = now_ns;
	}
	s->last_ns = now_ns;
	if (now_ns - s->start_ns < s->interval_ns)
		return 0;
	return report(s, now_ns);
}

int summary__finish(struct summary *s)
{
	if (s->printed && !s->incidents)
		return 0;
	return report(s, s->last_ns);
}
