// SPDX-License-Identifier: GPL-2.0
/* causes.c - the memory of recent losses and the look-back that links a close to one. */
#include <stddef.h>
#include <string.h>
#include "causes.h"

void causes__record(struct cause_memory *m, const struct cause *loss)
{
	if (loss->ts_ns > m->newest)
		m->newest = loss->ts_ns;
	m->ring[m->next] = *loss;
	m->ring[m->next].seen_ts = m->newest;
	m->next = (m->next + 1) % CAUSES_RING;
	if (m->count < CAUSES_RING)
		m->count++;
}

/* the same two endpoints, either way round: the cause would be the connection itself */
static bool same_ends(const struct end_view *a, const struct end_view *b)
{
	const struct end_view *x = &a[0], *y = &a[1];

	if (x->port != b[0].port || strcmp(x->addr, b[0].addr)) {
		x = &a[1];
		y = &a[0];
	}
	return x->port == b[0].port && !strcmp(x->addr, b[0].addr) && y->port == b[1].port &&
	       !strcmp(y->addr, b[1].addr);
}

bool causes__find(const struct cause_memory *m, __u32 pid, __u32 tid, __u64 ts,
		  unsigned exclude_conn, const struct end_view *exclude_ends, struct cause *out)
{
	const struct cause *best = NULL;

	for (unsigned i = 0; i < m->count; i++) {
		const struct cause *c = &m->ring[(m->next + CAUSES_RING - 1 - i) % CAUSES_RING];

		if (ts > CAUSE_WINDOW_NS && c->seen_ts < ts - CAUSE_WINDOW_NS)
			break; /* it and every older one happened before the window */
		if (c->ts_ns > ts || c->loser_pid != pid || c->conn_id == exclude_conn)
			continue;
		if (exclude_ends && same_ends(c->end, exclude_ends))
			continue;
		if (ts - c->ts_ns > CAUSE_WINDOW_NS)
			continue;
		if (!best || (c->loser_tid == tid && best->loser_tid != tid) ||
		    (c->ts_ns > best->ts_ns && (c->loser_tid == tid) == (best->loser_tid == tid)))
			best = c;
	}
	if (!best)
		return false;
	*out = *best;
	return true;
}

void links__remember(struct link_memory *m, __u64 cookie, const struct cause *k)
{
	m->ring[m->next].cookie = cookie;
	m->ring[m->next].cause = *k;
	m->next = (m->next + 1) % LINKS_RING;
}

bool links__find(const struct link_memory *m, __u64 cookie, struct cause *out)
{
	for (unsigned i = 0; i < LINKS_RING; i++) {
		const struct link *l = &m->ring[(m->next + LINKS_RING - 1 - i) % LINKS_RING];

		if (cookie && l->cookie == cookie) {
			*out = l->cause;
			return true;
		}
	}
	return false;
}

void actions__record(struct action_memory *m, const struct action *a)
{
	if (a->ts_ns > m->newest)
		m->newest = a->ts_ns;
	m->ring[m->next] = *a;
	m->ring[m->next].seen_ts = m->newest;
	m->next = (m->next + 1) % CAUSES_RING;
	if (m->count < CAUSES_RING)
		m->count++;
}

void actions__after(const struct action_memory *m, __u32 pid, __u64 ts, unsigned exclude_conn,
		    void (*fn)(void *ctx, const struct action *a), void *ctx)
{
	for (unsigned i = 0; i < m->count; i++) {
		const struct action *a = &m->ring[(m->next + CAUSES_RING - 1 - i) % CAUSES_RING];

		if (a->seen_ts < ts)
			break; /* it and every older one happened before the loss */
		if (a->pid == pid && a->conn_id != exclude_conn && a->ts_ns >= ts &&
		    a->ts_ns - ts <= CAUSE_WINDOW_NS)
			fn(ctx, a);
	}
}
