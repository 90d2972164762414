// SPDX-License-Identifier: GPL-2.0
/* floods.c - per-signature windows: the first FLOOD_FULL incidents of a window pass, the rest
 * are counted and reported once when the window ends. */
#include <stdio.h>
#include <string.h>
#include "floods.h"

static bool end_same(const struct end_view *x, const struct end_view *y)
{
	return x->port == y->port && !strcmp(x->addr, y->addr) && x->has_owner == y->has_owner &&
	       (!x->has_owner || x->owner.pid == y->owner.pid);
}

/* a's port is left out: a client's every connect has a new one */
static bool key_same(const struct flood_key *x, const struct flood_key *y)
{
	return !strcmp(x->code, y->code) && !strcmp(x->a.addr, y->a.addr) &&
	       x->a.has_owner == y->a.has_owner && (!x->a.has_owner || x->a.owner.pid == y->a.owner.pid) &&
	       end_same(&x->b, &y->b);
}

static struct flood *slot_for(struct floods *f, const struct flood_key *k)
{
	struct flood *oldest = &f->slot[0];

	for (int i = 0; i < FLOOD_SLOTS; i++) {
		struct flood *s = &f->slot[i];

		if (s->used && key_same(&s->key, k))
			return s;
		if (!s->used || (oldest->used && s->window_start < oldest->window_start))
			oldest = s;
	}
	return oldest;
}

bool floods__admit(struct floods *f, const struct flood_key *k, __u64 ts, const char *summary)
{
	struct flood *s = slot_for(f, k);
	bool same = s->used && key_same(&s->key, k);

	/* a slot whose count is not reported yet is not reused (printing in full loses nothing,
	 * reusing it would lose the count); the same incidents keep counting into it until
	 * floods__expire() reports them, at most one tick after the window */
	if (!same && s->used && s->suppressed)
		return true;
	if (!same || (ts - s->window_start >= FLOOD_WINDOW_NS && !s->suppressed)) {
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->key = *k;
		s->window_start = ts;
		snprintf(s->summary, sizeof(s->summary), "%s", summary);
	}
	if (s->printed < FLOOD_FULL) {
		s->printed++;
		return true;
	}
	if (!s->suppressed)
		s->first_ts = ts;
	s->suppressed++;
	s->last_ts = ts;
	f->suppressed_total++;
	return false;
}

int floods__expire(struct floods *f, __u64 now, int (*fn)(void *ctx, const struct flood *fl),
		   void *ctx)
{
	int err = 0;

	for (int i = 0; i < FLOOD_SLOTS; i++) {
		struct flood *s = &f->slot[i];

		if (!s->used || (now != ~0ULL && now - s->window_start < FLOOD_WINDOW_NS))
			continue;
		if (s->suppressed && !err)
			err = fn(ctx, s);
		s->used = false;
	}
	return err;
}
