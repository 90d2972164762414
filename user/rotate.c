// SPDX-License-Identifier: GPL-2.0
/* rotate.c - a recording in a series of files: see rotate.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rotate.h"

static unsigned digits(unsigned x)
{
	unsigned n = 0;

	for (; x; x /= 10)
		n++;
	return n;
}

/* a strftime conversion in the pattern ("%%" is none): -G's names then differ in time */
static bool has_conversion(const char *p)
{
	for (; (p = strchr(p, '%')); p += 2) {
		if (p[1] != '%' && p[1])
			return true;
		if (!p[1])
			break;
	}
	return false;
}

int rotate_name(const char *pattern, unsigned seq, unsigned count, bool by_size, bool by_time,
		time_t t, char *out, size_t size)
{
	char base[4096];
	struct tm tm;
	bool numbered = by_size || (by_time && !has_conversion(pattern));
	int n;

	if (by_time) {
		localtime_r(&t, &tm);
		if (!strftime(base, sizeof(base), pattern, &tm))
			return -1;
	} else {
		snprintf(base, sizeof(base), "%s", pattern);
	}
	if (!numbered || (count ? digits(count - 1) == 0 : seq == 0))
		n = snprintf(out, size, "%s", base);
	else if (count)
		n = snprintf(out, size, "%s%0*u", base, (int)digits(count - 1), seq % count);
	else
		n = snprintf(out, size, "%s%u", base, seq);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int name_of(struct rotator *r, char *out, size_t size)
{
	time_t now = time(NULL);

	return rotate_name(r->pattern, r->seq, r->count, r->max_bytes > 0, r->every_ns > 0, now,
			   out, size);
}

/* -W: remember this file's name; forget (delete) the one COUNT files back */
static void ring_push(struct rotator *r)
{
	unsigned slot;

	if (!r->count || !r->names)
		return;
	slot = r->seq % r->count;
	if (r->names[slot] && strcmp(r->names[slot], r->current))
		unlink(r->names[slot]); /* same name: O_TRUNC already reused it */
	free(r->names[slot]);
	r->names[slot] = strdup(r->current);
}

struct rec_writer *rotate_open(struct rotator *r, __u64 now_ns)
{
	struct rec_writer *w;

	if (r->count && !r->names && !(r->names = calloc(r->count, sizeof(*r->names))))
		return NULL;
	if (name_of(r, r->current, sizeof(r->current))) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	w = rec_writer_open(r->current);
	if (w) {
		r->opened_ns = now_ns;
		ring_push(r);
	}
	return w;
}

int rotate_tick(struct rotator *r, struct rec_writer *w, __u64 now_ns)
{
	char next[sizeof(r->current)];

	if (w->error)
		return w->error;
	if (!(r->max_bytes && w->written + w->len >= r->max_bytes) &&
	    !(r->every_ns && now_ns - r->opened_ns >= r->every_ns))
		return 0;
	r->seq++;
	if (name_of(r, next, sizeof(next)))
		return w->error = -ENAMETOOLONG;
	if (rec_writer_reopen(w, next))
		return w->error;
	memcpy(r->current, next, sizeof(next));
	r->opened_ns = now_ns;
	ring_push(r);
	if (r->start && r->start(r->start_ctx, w, r->seq))
		return w->error ?: -EIO;
	return rec_flush(w);
}

void rotate_free(struct rotator *r)
{
	for (unsigned i = 0; r->names && i < r->count; i++)
		free(r->names[i]);
	free(r->names);
	r->names = NULL;
}
