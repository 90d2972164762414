// SPDX-License-Identifier: GPL-2.0
/* conns.c - the connection table: a hash by connection key, an index by socket cookie (for
 * events whose tuple the kernel zeroed or had not chosen yet), and a list in activity order
 * that makes both expiry and eviction O(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conns.h"
#include "../bpf/rules.h"

struct cookie_node {
	__u64 cookie;
	struct conn *conn;
	struct cookie_node *next;
};

struct conn_table {
	struct conn **buckets;
	struct cookie_node **cookies;
	unsigned nbuckets;                  /* a power of two */
	unsigned count, max;
	struct conn *oldest, *newest;
	unsigned next_id;
};

/* ------------------------------------------------------------------------------------ */
/* keys                                                                                   */

static int endpoint_cmp(const struct endpoint *x, const struct endpoint *y)
{
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->port - (int)y->port;
}

static void endpoint_set(struct endpoint *ep, const __u8 *addr, __u16 port)
{
	memcpy(ep->addr, addr, 16);
	ep->port = port;
}

/*
 * Both ends of a connection give the same key. The netns is part of it only for a connection
 * through the loopback device (tuple_is_local): 127.0.0.1:80 in two namespaces is two
 * different servers (so is 10.0.0.1:80 talking to itself in two), while two namespaces joined by a
 * veth see one connection's two ends with reversed tuples (docs/kernel.md §4).
 */
static bool conn_key_from(const struct event *ev, struct conn_key *k)
{
	struct endpoint local, peer;

	if (!ev->sport || !ev->dport || addr_is_zero(ev->tuple.saddr) ||
	    addr_is_zero(ev->tuple.daddr))
		return false;
	memset(k, 0, sizeof(*k));
	endpoint_set(&local, ev->tuple.saddr, ev->sport);
	endpoint_set(&peer, ev->tuple.daddr, ev->dport);
	if (endpoint_cmp(&local, &peer) <= 0) {
		k->lo = local;
		k->hi = peer;
	} else {
		k->lo = peer;
		k->hi = local;
	}
	if (tuple_is_local(&ev->tuple))
		k->netns = ev->netns;
	return true;
}

/* 8 bytes at a time (a byte-wise FNV over the 40-byte key was a tenth of the joiner's CPU
 * under connection-per-request load); keys are zero-filled, padding included */
static unsigned hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	__u64 h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 29;
	return (unsigned)(h * 0xc4ceb9fe1a85ec53ull >> 32);
}

static unsigned key_bucket(const struct conn_table *t, const struct conn_key *k)
{
	return hash_bytes(k, sizeof(*k)) & (t->nbuckets - 1);
}

static unsigned cookie_bucket(const struct conn_table *t, __u64 cookie)
{
	return hash_bytes(&cookie, sizeof(cookie)) & (t->nbuckets - 1);
}

/* ------------------------------------------------------------------------------------ */
/* indexes                                                                                */

static struct conn *by_key(const struct conn_table *t, const struct conn_key *k)
{
	for (struct conn *c = t->buckets[key_bucket(t, k)]; c; c = c->hash_next)
		if (!memcmp(&c->key, k, sizeof(*k)))
			return c;
	return NULL;
}

static void key_insert(struct conn_table *t, struct conn *c)
{
	unsigned b = key_bucket(t, &c->key);

	c->hashed = true;
	c->hash_next = t->buckets[b];
	t->buckets[b] = c;
}

static void key_unlink(struct conn_table *t, struct conn *c)
{
	struct conn **pp = &t->buckets[key_bucket(t, &c->key)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == c) {
			*pp = c->hash_next;
			c->hashed = false;
			return;
		}
	}
}

static struct conn *by_cookie(const struct conn_table *t, __u64 cookie)
{
	for (struct cookie_node *n = t->cookies[cookie_bucket(t, cookie)]; n; n = n->next)
		if (n->cookie == cookie)
			return n->conn;
	return NULL;
}

static void cookie_unlink(struct conn_table *t, __u64 cookie, const struct conn *c)
{
	struct cookie_node **pp = &t->cookies[cookie_bucket(t, cookie)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie && (*pp)->conn == c) {
			struct cookie_node *n = *pp;

			*pp = n->next;
			free(n);
			return;
		}
	}
}

/* A cookie names one socket: a reused cookie cannot happen, a stale entry is replaced. */
static void cookie_insert(struct conn_table *t, __u64 cookie, struct conn *c)
{
	unsigned b = cookie_bucket(t, cookie);
	struct cookie_node *n;

	for (n = t->cookies[b]; n; n = n->next) {
		if (n->cookie == cookie) {
			n->conn = c;
			return;
		}
	}
	n = malloc(sizeof(*n));
	if (!n)
		return; /* the cookie index is an optimisation: the key still places events */
	n->cookie = cookie;
	n->conn = c;
	n->next = t->cookies[b];
	t->cookies[b] = n;
}

/* ------------------------------------------------------------------------------------ */
/* activity order                                                                         */

static void order_unlink(struct conn_table *t, struct conn *c)
{
	if (c->older)
		c->older->newer = c->newer;
	else
		t->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		t->newest = c->older;
	c->older = c->newer = NULL;
}

static void order_push_newest(struct conn_table *t, struct conn *c)
{
	c->older = t->newest;
	c->newer = NULL;
	if (t->newest)
		t->newest->newer = c;
	else
		t->oldest = c;
	t->newest = c;
}

/* ------------------------------------------------------------------------------------ */
/* table                                                                                  */

struct conn_table *conn_table__new(unsigned max_conns)
{
	struct conn_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_conns ? max_conns : 1;
	t->nbuckets = 1;
	while (t->nbuckets < t->max)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->cookies = calloc(t->nbuckets, sizeof(*t->cookies));
	if (!t->buckets || !t->cookies) {
		conn_table__free(t);
		return NULL;
	}
	return t;
}

static void conn_free(struct conn *c)
{
	free(c->cause);
	free(c->ev);
	free(c);
}

void conn_table__remove(struct conn_table *t, struct conn *c)
{
	if (c->hashed)
		key_unlink(t, c);
	for (int i = 0; i < 2; i++)
		if (c->end[i].cookie)
			cookie_unlink(t, c->end[i].cookie, c);
	order_unlink(t, c);
	t->count--;
	conn_free(c);
}

void conn_table__free(struct conn_table *t)
{
	if (!t)
		return;
	while (t->oldest)
		conn_table__remove(t, t->oldest);
	free(t->buckets);
	free(t->cookies);
	free(t);
}

struct conn *conn_table__find(const struct conn_table *t, const struct conn_key *k)
{
	return by_key(t, k);
}

struct conn *conn_table__oldest(const struct conn_table *t)
{
	return t->oldest;
}

unsigned conn_table__count(const struct conn_table *t)
{
	return t->count;
}

static struct conn *conn_create(struct conn_table *t, conn_evict_fn evict, void *ctx)
{
	struct conn *c;

	if (t->count >= t->max && t->oldest) {
		if (evict)
			evict(ctx, t->oldest);
		conn_table__remove(t, t->oldest);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = ++t->next_id;
	t->count++;
	order_push_newest(t, c);
	return c;
}

/* A connection first seen without a full tuple (connect() reports before it picks its port)
 * gets its key later; if the other end already created one, the two merge. */
static struct conn *conn_set_key(struct conn_table *t, struct conn *c, const struct conn_key *k)
{
	struct conn *other = by_key(t, k);

	if (!other) {
		c->key = *k;
		key_insert(t, c);
		return c;
	}
	/* keep the keyed entry; the unkeyed one held only its own socket's early events, which
	 * get their end (marked 2 here) once the caller has placed the event that keyed it */
	for (int i = 0; i < c->nev && other->nev < CONN_MAX_EVENTS; i++) {
		if (other->nev == other->cap) {
			int cap = other->cap ? other->cap * 2 : 8;
			struct conn_event *ev = realloc(other->ev, cap * sizeof(*ev));

			if (!ev)
				break;
			other->ev = ev;
			other->cap = cap;
		}
		other->ev[other->nev] = c->ev[i];
		other->ev[other->nev].end = 2; /* re-sided by the caller's end matching */
		other->nev++;
	}
	if (c->first_ts && (!other->first_ts || c->first_ts < other->first_ts))
		other->first_ts = c->first_ts;
	other->incident |= c->incident;
	other->in_scope |= c->in_scope;
	conn_table__remove(t, c);
	return other;
}

static bool end_matches(const struct conn_end *e, const struct event *ev)
{
	return !memcmp(e->ep.addr, ev->tuple.saddr, 16) && e->ep.port == ev->sport;
}

/* the end this event's socket is: its local endpoint, or its cookie */
static int end_of(struct conn *c, const struct event *ev)
{
	for (int i = 0; i < 2; i++)
		if (ev->cookie && c->end[i].cookie == ev->cookie)
			return i;
	for (int i = 0; i < 2; i++)
		if (c->end[i].has_socket || c->end[i].ep.port)
			if (end_matches(&c->end[i], ev))
				return i;
	return -1;
}

static void ends_init(struct conn *c, const struct event *ev)
{
	endpoint_set(&c->end[0].ep, ev->tuple.saddr, ev->sport);
	endpoint_set(&c->end[1].ep, ev->tuple.daddr, ev->dport);
	c->end[0].family = c->end[1].family = ev->family;
}

/* The merged events are this end's socket's (see conn_set_key): so are the facts they told
 * of it, lost with the entry that held them (its connect decides which end is "a"). */
static void fix_merged_ends(struct conn *c, int end)
{
	struct conn_end *e = &c->end[end];

	for (int i = 0; i < c->nev; i++) {
		if (c->ev[i].end != 2)
			continue;
		c->ev[i].end = end;
		e->connected |= c->ev[i].kind == RT_CONNECT;
		e->accepted |= c->ev[i].kind == RT_ACCEPT;
		e->closed |= c->ev[i].kind == RT_CLOSE;
		e->destroyed |= c->ev[i].kind == RT_DESTROY;
	}
}

static bool conn_has_cookie(const struct conn *c, __u64 cookie)
{
	return cookie && (c->end[0].cookie == cookie || c->end[1].cookie == cookie);
}

/* how far back among the most recently active entries a pending connect is looked for */
#define PENDING_SCAN 64

/* A connect still waiting for its port, to the reset's source from the reset's destination
 * address: the reset answers it (a refused connect). */
static bool pending_connect_for(const struct conn_table *t, const struct event *ev)
{
	const struct conn *p = t->newest;

	for (int i = 0; p && i < PENDING_SCAN; i++, p = p->older) {
		if (p->hashed || p->retired || p->end[0].ep.port)
			continue;
		if (!memcmp(p->end[1].ep.addr, ev->tuple.saddr, 16) && p->end[1].ep.port == ev->sport &&
		    !memcmp(p->end[0].ep.addr, ev->tuple.daddr, 16))
			return true;
	}
	return false;
}

/* Does this event on a finished connection's tuple begin a new connection? (A port reused at
 * once, as after a refused connect.) Yes for another socket than the one its end had, or
 * for a reset that answers a pending connect. */
static bool starts_anew(const struct conn_table *t, const struct conn *c, const struct event *ev)
{
	if (!ev->cookie)
		return ev->kind == RT_RST_SENT && pending_connect_for(t, ev);
	if (conn_has_cookie(c, ev->cookie))
		return false;
	for (int i = 0; i < 2; i++)
		if (c->end[i].cookie && end_matches(&c->end[i], ev))
			return true;
	return false;
}

struct conn *conn_table__place(struct conn_table *t, const struct event *ev, int *end,
			       conn_evict_fn evict, void *ctx)
{
	struct conn_key k;
	bool keyed = conn_key_from(ev, &k);
	struct conn *by_ck = ev->cookie ? by_cookie(t, ev->cookie) : NULL;
	struct conn *c = by_ck && (by_ck->hashed || by_ck->retired) ? by_ck : NULL;

	if (!c && keyed) {
		c = by_key(t, &k);
		/* a new socket on an old tuple (a port reused at once, as after a refused
		 * connect): the old connection keeps its own sockets' late events by cookie */
		if (c && conn__finished(c) && starts_anew(t, c, ev)) {
			key_unlink(t, c);
			c->retired = true;
			c = NULL;
		}
	}
	if (keyed && by_ck && !by_ck->hashed && !by_ck->retired) {
		/* this socket's early key-less entry (its connect): key it, or merge it into the
		 * entry the other end already made */
		c = conn_set_key(t, by_ck, &k);
		if (c == by_ck)
			endpoint_set(&c->end[0].ep, ev->tuple.saddr, ev->sport);
	} else if (!c) {
		c = by_ck;
	}
	if (!c) {
		/* without a tuple only a connect starts an entry (its port comes later); a
		 * listener's own events belong to no connection */
		if (!keyed && (!ev->cookie || ev->kind != RT_CONNECT))
			return NULL;
		c = conn_create(t, evict, ctx);
		if (!c)
			return NULL;
		ends_init(c, ev);
		if (keyed) {
			c->key = k;
			key_insert(t, c);
		}
	}
	*end = end_of(c, ev);
	if (*end < 0) {
		/* the peer's first event: it is the end that is not ours yet */
		*end = c->end[0].has_socket ? 1 : 0;
		if (c->end[*end].has_socket)
			return NULL;
		endpoint_set(&c->end[*end].ep, ev->tuple.saddr, ev->sport);
	}
	fix_merged_ends(c, *end);
	return c;
}

static void end_update(struct conn_table *t, struct conn *c, int i, const struct event *ev)
{
	struct conn_end *e = &c->end[i];
	/* a reset sent for a socket that does not exist (refused), or by a listener (overflow),
	 * says nothing of a socket at this end */
	bool listener = ev->state == RT_TCP_LISTEN;
	bool socket_event = !listener && ev->kind != RT_RST_FILTER &&
			    !(ev->kind == RT_RST_SENT && !ev->cookie && !ev->has_owner);

	if (socket_event) {
		e->has_socket = true;
		e->family = ev->family;
	}
	if (ev->has_owner) {
		e->has_owner = true;
		e->owner = ev->owner;
	}
	if (ev->cookie && ev->cookie != e->cookie && !listener) {
		if (e->cookie)
			cookie_unlink(t, e->cookie, c);
		e->cookie = ev->cookie;
		cookie_insert(t, ev->cookie, c);
	}
	if (ev->sport && !e->ep.port && !memcmp(e->ep.addr, ev->tuple.saddr, 16))
		e->ep.port = ev->sport;
	switch (ev->kind) {
	case RT_CONNECT:
		e->connected = true;
		break;
	case RT_ACCEPT:
		e->accepted = true;
		break;
	case RT_CLOSE:
		e->closed = true;
		break;
	case RT_DESTROY:
		e->destroyed = true;
		break;
	}
}

static void event_store(struct conn *c, int end, const struct event *ev)
{
	struct conn_event *ce;

	if (c->nev == CONN_MAX_EVENTS) {
		c->dropped++;
		return;
	}
	if (c->nev == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		struct conn_event *grown = realloc(c->ev, cap * sizeof(*grown));

		if (!grown) {
			c->dropped++;
			return;
		}
		c->ev = grown;
		c->cap = cap;
	}
	ce = &c->ev[c->nev++];
	*ce = (struct conn_event){
		.ts_ns = ev->ts_ns, .cookie = ev->cookie, .ret = ev->has_ret ? ev->ret : 0,
		.bytes = ev->bytes, .err = ev->err, .reason = ev->reason, .kind = ev->kind,
		.end = end, .state = ev->state, .cause_only = ev->cause_only,
		.linger0 = ev->linger0, .has_owner = ev->has_owner,
		.has_trigger = ev->has_trigger, .family = ev->family, .owner = ev->owner,
		.trigger = ev->trigger,
	};
}

void conn__add_event(struct conn_table *t, struct conn *c, int end, const struct event *ev)
{
	end_update(t, c, end, ev);
	event_store(c, end, ev);
	if (!c->first_ts || ev->ts_ns < c->first_ts)
		c->first_ts = ev->ts_ns;
	if (ev->ts_ns > c->last_ts)
		c->last_ts = ev->ts_ns;
	if (rt_kind_is_incident(ev->kind))
		c->incident = true;
	if (!ev->cause_only)
		c->in_scope = true;
	order_unlink(t, c);
	order_push_newest(t, c);
}

/* ------------------------------------------------------------------------------------ */
/* questions                                                                              */

/* the first port of the kernel's default ephemeral range (ip_local_port_range) */
#define EPHEMERAL_LOW 32768

int conn__a_end(const struct conn *c)
{
	bool eph0, eph1;

	for (int i = 0; i < 2; i++)
		if (c->end[i].connected)
			return i;
	for (int i = 0; i < 2; i++)
		if (c->end[i].accepted)
			return !i;
	for (int i = 0; i < c->nev; i++)
		if (c->ev[i].kind == RT_RST_RECV && c->ev[i].state == RT_TCP_SYN_SENT)
			return c->ev[i].end;
	eph0 = c->end[0].ep.port >= EPHEMERAL_LOW;
	eph1 = c->end[1].ep.port >= EPHEMERAL_LOW;
	if (eph0 != eph1)
		return eph0 ? 0 : 1;
	return c->end[0].ep.port >= c->end[1].ep.port ? 0 : 1;
}

bool conn__finished(const struct conn *c)
{
	bool any = false;

	for (int i = 0; i < 2; i++) {
		if (!c->end[i].has_socket)
			continue;
		any = true;
		if (!c->end[i].destroyed)
			return false;
	}
	return any;
}


void conn__end_view(const struct conn *c, int end, struct end_view *v)
{
	const struct conn_end *e = &c->end[end];

	memset(v, 0, sizeof(*v));
	if (!addr_is_zero(e->ep.addr))
		addr_format(e->family, e->ep.addr, v->addr);
	v->port = e->ep.port;
	v->has_owner = e->has_owner;
	v->owner = e->owner;
}
