// SPDX-License-Identifier: GPL-2.0
/* joiner.c - events in, timelines out. */
#include <stdlib.h>
#include <string.h>
#include "causes.h"
#include "conns.h"
#include "floods.h"
#include "joiner.h"
#include "verdicts.h"

#define SIGPIPE_SLOTS 16
/* a SIGPIPE is generated inside the send that then returns EPIPE: they meet within this */
#define SIGPIPE_WINDOW_NS (10 * 1000000ULL)

struct joiner {
	struct joiner_config cfg;
	struct emitter *out;
	struct conn_table *conns;
	struct cause_memory causes;
	struct action_memory actions;          /* closes not explained when they happened */
	struct link_memory links;              /* quiet closes explained when they happened */
	struct floods floods;
	struct event sigpipe[SIGPIPE_SLOTS];   /* waiting for their write_error */
	unsigned next_sigpipe;
	struct joiner_stats stats;
	int error;                             /* first output error */
};

void joiner_config_defaults(struct joiner_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 8192;
	/* events of a connection whose sockets are all gone can only be ones queued behind the
	 * last destroy (an active reset is traced after its peer processed it): microseconds */
	cfg->linger_ns = 200 * 1000000ULL;
	cfg->quiet_ns = 5000 * 1000000ULL;
	cfg->idle_ns = 60000 * 1000000ULL;
}

struct joiner *joiner__new(const struct joiner_config *cfg, struct emitter *out)
{
	struct joiner *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->cfg = *cfg;
	j->out = out;
	j->conns = conn_table__new(cfg->max_conns);
	if (!j->conns) {
		free(j);
		return NULL;
	}
	return j;
}

void joiner__free(struct joiner *j)
{
	if (!j)
		return;
	conn_table__free(j->conns);
	free(j);
}

/* ------------------------------------------------------------------------------------ */
/* printing                                                                               */

/* events arrive nearly in order (one ring buffer), so an insertion sort is linear */
static void sort_events(struct conn *c)
{
	for (int i = 1; i < c->nev; i++) {
		struct conn_event x = c->ev[i];
		int k = i - 1;

		while (k >= 0 && c->ev[k].ts_ns > x.ts_ns) {
			c->ev[k + 1] = c->ev[k];
			k--;
		}
		c->ev[k + 1] = x;
	}
}

/* back to the event form the emitter prints: the tuple is the event's end and the other */
static void event_of(const struct conn *c, const struct conn_event *ce, struct event *ev)
{
	struct end_view self, peer;

	conn__end_view(c, ce->end, &self);
	conn__end_view(c, !ce->end, &peer);
	memset(ev, 0, sizeof(*ev));
	ev->kind = ce->kind;
	ev->ts_ns = ce->ts_ns;
	ev->family = ce->family;
	memcpy(ev->saddr, self.addr, sizeof(ev->saddr));
	memcpy(ev->daddr, peer.addr, sizeof(ev->daddr));
	ev->sport = self.port;
	ev->dport = peer.port;
	ev->state = ce->state;
	ev->reason = ce->reason;
	ev->err = ce->err;
	ev->has_ret = ce->kind == RT_WRITE || ce->kind == RT_WRITE_ERROR ||
		      ce->kind == RT_READ_ERROR || (ce->kind == RT_SIGPIPE && ce->ret);
	ev->ret = ce->ret;
	ev->bytes = ce->bytes;
	ev->cookie = ce->cookie;
	ev->has_owner = ce->has_owner;
	ev->owner = ce->owner;
	ev->has_trigger = ce->has_trigger;
	ev->trigger = ce->trigger;
}

static void view_cause(const struct conn *c, const struct cause *k, struct timeline_view *tl)
{
	tl->has_cause = true;
	tl->cause_end[0] = k->end[0];
	tl->cause_end[1] = k->end[1];
	tl->cause_kind = k->kind;
	tl->cause_has_actor = k->has_actor;
	tl->cause_actor = k->actor;
	tl->cause_t_ms = ((double)k->ts_ns - (double)c->first_ts) / 1e6;
}

/* a reset this end's owner made itself (close with unread data, SO_LINGER, abort): not one
 * the kernel sent in softirq for a packet (a trigger) nor for no socket (no cookie) */
static bool is_active_reset(const struct conn_event *e)
{
	return e->kind == RT_RST_SENT && e->cookie && e->has_owner && !e->has_trigger;
}

/* An active reset is traced after its transmit returns (tcp_send_active_reset), and on this
 * host the peer has processed it by then: its rst_sent would come after the rst_recv it
 * caused. Put it back before that rst_recv, at its time (the latest it can have been sent),
 * moving it only past the peer's events: never before its own end's previous event. */
static void order_active_resets(struct conn *c)
{
	for (int i = 1; i < c->nev; i++) {
		struct conn_event x = c->ev[i];
		int to = -1;

		if (!is_active_reset(&x))
			continue;
		for (int k = i - 1; k >= 0 && c->ev[k].end != x.end; k--)
			if (c->ev[k].kind == RT_RST_RECV)
				to = k;
		if (to < 0)
			continue;
		x.ts_ns = c->ev[to].ts_ns;
		memmove(&c->ev[to + 1], &c->ev[to], (i - to) * sizeof(x));
		c->ev[to] = x;
	}
}

static void print_timeline(struct joiner *j, struct conn *c)
{
	struct event ev[CONN_MAX_EVENTS];
	char side[CONN_MAX_EVENTS];
	double t_ms[CONN_MAX_EVENTS];
	struct timeline_view tl = { .ev = ev, .side = side, .t_ms = t_ms, .nev = c->nev };
	struct verdict_input in = { .conn = c, .cause = c->cause, .reasons = j->cfg.reasons };
	struct verdict v;
	int err;

	sort_events(c);
	order_active_resets(c);
	in.a = conn__a_end(c);
	verdict_decide(&in, &v);
	conn__end_view(c, in.a, &tl.end[0]);
	conn__end_view(c, !in.a, &tl.end[1]);
	for (int i = 0; i < c->nev; i++) {
		event_of(c, &c->ev[i], &ev[i]);
		side[i] = c->ev[i].end == in.a ? 'a' : 'b';
		t_ms[i] = ((double)c->ev[i].ts_ns - (double)c->ev[0].ts_ns) / 1e6;
	}
	tl.events_dropped = c->dropped;
	if (c->cause)
		view_cause(c, c->cause, &tl);
	tl.verdict_code = v.code;
	tl.verdict_summary = v.summary;
	c->printed = true;
	struct flood_key fk = { v.code, tl.end[0], tl.end[1] };

	fk.a.port = 0; /* a client's every connection has its own port: not part of "the same" */
	if (!floods__admit(&j->floods, &fk, c->ev[0].ts_ns, v.summary))
		return;
	err = emit_timeline(j->out, &tl);
	if (err && !j->error)
		j->error = err;
	j->stats.timelines++;
}

static int print_flood(void *ctx, const struct flood *f)
{
	struct joiner *j = ctx;

	return emit_flood(j->out, f->key.code, &f->key.a, &f->key.b, f->suppressed, f->first_ts,
			  f->last_ts, f->summary);
}

static void report_floods(struct joiner *j, __u64 now)
{
	int err = floods__expire(&j->floods, now, print_flood, j);

	if (err && !j->error)
		j->error = err;
}

static bool worth_printing(const struct conn *c)
{
	return c->incident && c->in_scope && !c->printed && c->nev > 0;
}

static void on_evict(void *ctx, struct conn *c)
{
	struct joiner *j = ctx;

	j->stats.evicted++;
	if (worth_printing(c))
		print_timeline(j, c);
}

/* ------------------------------------------------------------------------------------ */
/* causes                                                                                 */

static void reversed(const struct rt_tuple *t, struct rt_tuple *r)
{
	memcpy(r->saddr, t->daddr, 16);
	memcpy(r->daddr, t->saddr, 16);
	r->sport = t->dport;
	r->dport = t->sport;
	r->netns = t->netns;
}

/* who started what this loss is: the owner of the connection's other end (other: NULL when
 * the loss came alone, a quiet copy), else the task whose syscall ran it (the peer, on
 * loopback), else what the kernel learnt for the peer */
static bool loss_actor(struct joiner *j, const struct conn_end *other, const struct event *ev,
		       struct rt_task *actor)
{
	struct rt_tuple peer;

	if (other && other->has_owner) {
		*actor = other->owner;
		return true;
	}
	if (ev->has_trigger) {
		*actor = ev->trigger;
		return true;
	}
	if (!j->cfg.owner_of)
		return false;
	reversed(&ev->tuple, &peer);
	return j->cfg.owner_of(j->cfg.owner_ctx, &peer, actor);
}

/* the peer who closed or reset the lost connection is the actor: name its end v too */
static void name_actor_end(const struct cause *k, int kind, struct end_view *v)
{
	if (k->has_actor && (kind == RT_PEER_FIN || kind == RT_RST_RECV || k->departed) &&
	    !v->has_owner) {
		v->has_owner = true;
		v->owner = k->actor;
	}
}

static void set_cause(struct conn *c, const struct cause *k)
{
	if (c->cause)
		return;
	c->cause = malloc(sizeof(*k));
	if (c->cause)
		memcpy(c->cause, k, sizeof(*k));
}

struct late_link {
	struct joiner *j;
	const struct cause *loss;
};

static void link_late(void *ctx, const struct action *a)
{
	struct late_link *l = ctx;
	struct conn *x = conn_table__find(l->j->conns, &a->key);

	if (x && x->id == a->conn_id)
		set_cause(x, l->loss);
}

/* The peer's FIN on this end before the loss at time ts: the peer had left, and
 * the loss (a failed write, the reset that answered it) only told the owner now (HAProxy
 * notices a client gone when its write to it fails). Its trigger names who left, also when
 * the filters followed no socket of the peer. The connection's own events are the memory:
 * kept while it lives, within the table's bounds. -1: none. */
static int departure(const struct conn *c, int end, __u64 ts)
{
	for (int i = 0; i < c->nev; i++)
		if (c->ev[i].end == end && c->ev[i].kind == RT_PEER_FIN && c->ev[i].ts_ns <= ts)
			return i;
	return -1;
}

/* Under a port filter the kernel reports the FIN a followed process missed only when it
 * closes that socket from CLOSE_WAIT; a reset first (HAProxy's write to the departed client)
 * leaves it in the kernel's map: ask there. */
static bool kept_fin(const struct joiner *j, const struct event *ev, __u64 *ts,
		     struct rt_task *trigger)
{
	return j->cfg.fin_of && ev->cookie &&
	       j->cfg.fin_of(j->cfg.owner_ctx, ev->cookie, ts, trigger) && *ts <= ev->ts_ns;
}

/* the departure's actor when nothing better names it: the trigger of its FIN */
static void note_departure(struct joiner *j, const struct conn *c, int end,
			   const struct event *ev, struct cause *k)
{
	int d = ev->kind == RT_PEER_FIN ? -1 : departure(c, end, ev->ts_ns);
	struct rt_task trigger = { 0 };
	__u64 ts;

	if (d >= 0) {
		ts = c->ev[d].ts_ns;
		if (c->ev[d].has_trigger)
			trigger = c->ev[d].trigger;
	} else if (ev->kind == RT_PEER_FIN || !kept_fin(j, ev, &ts, &trigger)) {
		return;
	}
	k->departed = true;
	k->departed_ts = ts;
	if (!k->has_actor && trigger.pid) {
		k->has_actor = true;
		k->actor = trigger;
	}
}

/* Remember the loss for closes to come, and explain the closes that came before it was
 * reported but after it happened. */
static void record_loss(struct joiner *j, const struct conn *c, int end, const struct event *ev)
{
	struct cause k = { .conn_id = c->id, .kind = ev->kind, .ts_ns = ev->ts_ns };
	struct late_link l = { j, &k };
	int a = conn__a_end(c);

	if (c->end[end].connected)
		return; /* a connection it made is an upstream: losing it is not losing a client */
	conn__end_view(c, a, &k.end[0]);
	conn__end_view(c, !a, &k.end[1]);
	k.has_actor = loss_actor(j, &c->end[!end], ev, &k.actor);
	note_departure(j, c, end, ev, &k);
	name_actor_end(&k, ev->kind, &k.end[end == a]);
	k.loser_pid = ev->owner.pid;
	k.loser_tid = ev->owner.tid;
	causes__record(&j->causes, &k);
	actions__after(&j->actions, k.loser_pid, k.ts_ns, c->id, link_late, &l);
}

/* the owner's own close or abort of this connection: did it just lose another one? */
static void link_cause(struct joiner *j, struct conn *c, int end, const struct event *ev)
{
	struct action act = { .ts_ns = ev->ts_ns, .pid = ev->owner.pid, .conn_id = c->id,
			      .key = c->key };
	struct cause k;

	/* the proxy's shape: it closes a connection it made, after losing one it accepted; a
	 * server closing a connection it accepted (an idle keepalive) is not propagating */
	if (c->cause || !ev->has_owner || c->end[end].accepted)
		return;
	if (causes__find(&j->causes, ev->owner.pid, ev->owner.tid, ev->ts_ns, c->id, NULL, &k) ||
	    links__find(&j->links, ev->cookie, &k))
		set_cause(c, &k);
	else if (c->hashed)
		actions__record(&j->actions, &act);
}

/* ------------------------------------------------------------------------------------ */
/* quiet copies: the kernel holds the rest of a healthy connection (RT_F_QUIET)           */

/* no connection in the table has this id (ids count from 1): a quiet loss has none */
#define NO_CONN 0u
#define ANY_CONN (~0u)

static void end_view_of(int family, const __u8 *addr, __u16 port, struct end_view *v)
{
	memset(v, 0, sizeof(*v));
	if (!addr_is_zero(addr))
		addr_format(family, addr, v->addr);
	v->port = port;
}

/* The loss of a connection this end did not open (the kernel sends no copy otherwise): its
 * peer is the connecting side, a. As record_loss, from the event alone. */
static void record_quiet_loss(struct joiner *j, const struct event *ev)
{
	struct cause k = { .conn_id = NO_CONN, .kind = ev->kind, .ts_ns = ev->ts_ns };

	end_view_of(ev->family, ev->tuple.daddr, ev->tuple.dport, &k.end[0]);
	end_view_of(ev->family, ev->tuple.saddr, ev->tuple.sport, &k.end[1]);
	k.end[1].has_owner = true;
	k.end[1].owner = ev->owner;
	k.has_actor = loss_actor(j, NULL, ev, &k.actor);
	name_actor_end(&k, ev->kind, &k.end[0]);
	k.loser_pid = ev->owner.pid;
	k.loser_tid = ev->owner.tid;
	causes__record(&j->causes, &k);
}

/* A close of a connection this end did not accept: link it now, while the loss is recent;
 * the link waits by cookie for the connection to come with an incident (link_cause). */
static void link_quiet_close(struct joiner *j, const struct event *ev)
{
	struct end_view self[2];
	struct cause k;

	/* a process that owns both ends closes one: the other end's FIN is not its cause */
	end_view_of(ev->family, ev->tuple.saddr, ev->tuple.sport, &self[0]);
	end_view_of(ev->family, ev->tuple.daddr, ev->tuple.dport, &self[1]);
	if (causes__find(&j->causes, ev->owner.pid, ev->owner.tid, ev->ts_ns, ANY_CONN, self, &k))
		links__remember(&j->links, ev->cookie, &k);
}

static void note_quiet(struct joiner *j, const struct event *ev)
{
	if (!ev->has_owner)
		return;
	if (ev->kind == RT_PEER_FIN)
		record_quiet_loss(j, ev);
	else if (ev->kind == RT_CLOSE)
		link_quiet_close(j, ev);
}

static bool is_own_action(const struct event *ev)
{
	return ev->kind == RT_CLOSE || (ev->kind == RT_RST_SENT && ev->has_owner && !ev->has_trigger &&
					ev->cookie);
}

/* ------------------------------------------------------------------------------------ */
/* SIGPIPE: no socket; it belongs to the write that fails with EPIPE right after it       */

static void sigpipe_hold(struct joiner *j, const struct event *ev)
{
	j->sigpipe[j->next_sigpipe] = *ev;
	j->next_sigpipe = (j->next_sigpipe + 1) % SIGPIPE_SLOTS;
}

static void sigpipe_attach(struct joiner *j, struct conn *c, int end, const struct event *ev)
{
	for (int i = 0; i < SIGPIPE_SLOTS; i++) {
		struct event *s = &j->sigpipe[i];

		if (!s->kind || s->owner.tid != ev->owner.tid || s->ts_ns > ev->ts_ns ||
		    ev->ts_ns - s->ts_ns > SIGPIPE_WINDOW_NS)
			continue;
		s->family = ev->family;
		s->cause_only = ev->cause_only; /* it follows its write's filter */
		conn__add_event(j->conns, c, end, s);
		s->kind = 0;
	}
}

/* ------------------------------------------------------------------------------------ */

int joiner__add(struct joiner *j, const struct event *ev)
{
	struct conn *c;
	int end;

	if (ev->kind == RT_SIGPIPE) {
		sigpipe_hold(j, ev);
		return j->error;
	}
	if (ev->quiet) {
		note_quiet(j, ev);
		return j->error;
	}
	c = conn_table__place(j->conns, ev, &end, on_evict, j);
	if (!c) {
		j->stats.unplaced++;
		return j->error;
	}
	if (ev->kind == RT_WRITE_ERROR)
		sigpipe_attach(j, c, end, ev);
	conn__add_event(j->conns, c, end, ev);
	if (rt_kind_is_loss(ev->kind) && ev->has_owner)
		record_loss(j, c, end, ev);
	if (is_own_action(ev))
		link_cause(j, c, end, ev);
	return j->error;
}

/* An established connection through the loopback device has a socket at the other end too,
 * even if none was seen: in quiet mode the kernel holds a healthy end's records until that
 * end's own first incident (a server's abortive close after its client failed). Such a
 * connection is not over when its seen ends are: it waits, up to quiet_ns, for that end. */
static bool awaits_peer(const struct conn *c)
{
	for (int e = 0; e < 2; e++) {
		if (c->end[e].has_socket || !c->end[!e].has_socket ||
		    (!addr_is_loopback(c->end[e].ep.addr) &&
		     memcmp(c->end[0].ep.addr, c->end[1].ep.addr, 16)))
			continue;
		for (int i = 0; i < c->nev; i++)
			if (c->ev[i].end == !e && (c->ev[i].state == RT_TCP_ESTABLISHED ||
						    c->ev[i].state == RT_TCP_CLOSE_WAIT))
				return true;
	}
	return false;
}

int joiner__tick(struct joiner *j, __u64 now_ns)
{
	struct conn *c = conn_table__oldest(j->conns), *next;

	for (; c; c = next) {
		__u64 idle = now_ns > c->last_ts ? now_ns - c->last_ts : 0;
		bool over;

		next = c->newer;
		if (idle < j->cfg.linger_ns)
			break; /* activity order: every newer one is more recent */
		over = (conn__finished(c) && !awaits_peer(c)) || idle >= j->cfg.idle_ns ||
		       (c->incident && idle >= j->cfg.quiet_ns);
		if (!over)
			continue;
		if (worth_printing(c))
			print_timeline(j, c);
		conn_table__remove(j->conns, c);
	}
	report_floods(j, now_ns);
	return j->error;
}

int joiner__flush(struct joiner *j)
{
	while (conn_table__oldest(j->conns)) {
		struct conn *c = conn_table__oldest(j->conns);

		if (worth_printing(c))
			print_timeline(j, c);
		conn_table__remove(j->conns, c);
	}
	report_floods(j, ~0ULL);
	return j->error;
}

void joiner__stats(const struct joiner *j, struct joiner_stats *s)
{
	*s = j->stats;
	s->conns = conn_table__count(j->conns);
	s->flooded = j->floods.suppressed_total;
}
