// SPDX-License-Identifier: GPL-2.0
/* verdicts.c - one rule per verdict code, tried in order; each rule both recognises its
 * pattern and writes its sentence. Rules read the facts of docs/kernel.md (§1, §5): the write
 * that provokes a reset succeeds, the error surfaces on the next call or never. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "verdicts.h"

#define NS_PER_S 1e9

struct facts {
	const struct verdict_input *in;
	const struct conn *c;
	char name[2][64];            /* "nginx (pid 12)" or "127.0.0.1:8080" */
	struct verdict *out;
};

static void say(struct facts *f, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct facts *f, const char *code, const char *fmt, ...)
{
	va_list ap;

	f->out->code = code;
	va_start(ap, fmt);
	vsnprintf(f->out->summary, sizeof(f->out->summary), fmt, ap);
	va_end(ap);
}

static void end_name(const struct conn *c, int end, char *buf, size_t len)
{
	struct end_view v;

	conn__end_view(c, end, &v);
	if (v.has_owner)
		snprintf(buf, len, "%.16s (pid %u)", v.owner.comm, v.owner.pid);
	else if (v.addr[0])
		snprintf(buf, len, "%s:%u", v.addr, v.port);
	else
		snprintf(buf, len, "the other end");
}

/* index of the first event of kind on end (-1: any end) at or after from; -1 if none */
static int find(const struct conn *c, int kind, int end, int from)
{
	for (int i = from; i < c->nev; i++)
		if (c->ev[i].kind == kind && (end < 0 || c->ev[i].end == end))
			return i;
	return -1;
}

static bool reason_is(const struct facts *f, int reason, const char *name)
{
	char buf[24];

	return reason >= 0 && !strcmp(reason_name(f->in->reasons, reason, buf, sizeof(buf)), name);
}

static const char *errname(int err)
{
	static char buf[24];

	return errno_name(err, buf, sizeof(buf));
}

static double secs_between(const struct conn *c, int i, int j)
{
	return ((double)c->ev[j].ts_ns - (double)c->ev[i].ts_ns) / NS_PER_S;
}

/* what the end's process saw, as "NAME's next write failed with EPIPE": its first failed
 * call, else the error left pending */
static void outcome(const struct facts *f, int end, char *buf, size_t len)
{
	const struct conn *c = f->c;

	for (int i = 0; i < c->nev; i++) {
		const struct conn_event *e = &c->ev[i];

		if (e->end != end)
			continue;
		if (e->kind == RT_WRITE_ERROR || e->kind == RT_READ_ERROR) {
			snprintf(buf, len, "%s's next %s failed with %s", f->name[end],
				 e->kind == RT_WRITE_ERROR ? "write" : "read", errname(e->err));
			return;
		}
	}
	for (int i = 0; i < c->nev; i++) {
		if (c->ev[i].end == end && c->ev[i].kind == RT_ERROR_PENDING) {
			snprintf(buf, len, "the error (%s) never reached %s: it made no further call",
				 errname(c->ev[i].err), f->name[end]);
			return;
		}
	}
	snprintf(buf, len, "%s never saw an error", f->name[end]);
}

/* ------------------------------------------------------------------------------------ */
/* rules                                                                                  */

static bool refused(struct facts *f)
{
	const struct conn *c = f->c;
	struct end_view srv;
	int i;

	for (i = 0; i < c->nev; i++)
		if ((c->ev[i].kind == RT_RST_RECV && c->ev[i].state == RT_TCP_SYN_SENT) ||
		    (c->ev[i].kind == RT_ERROR_PENDING && c->ev[i].err == ECONNREFUSED))
			break;
	if (i == c->nev)
		return false;
	conn__end_view(c, !c->ev[i].end, &srv);
	say(f, "refused",
	    "%s could not connect to %s:%u: nothing listens there, so the kernel refused it "
	    "(ECONNREFUSED); start the server or fix the address",
	    f->name[c->ev[i].end], srv.addr[0] ? srv.addr : "?", srv.port);
	return true;
}

static bool backlog_overflow(struct facts *f)
{
	const struct conn *c = f->c;
	struct end_view srv;
	int i;

	for (i = 0; i < c->nev; i++)
		if (c->ev[i].kind == RT_RST_SENT && c->ev[i].state == RT_TCP_LISTEN)
			break;
	if (i == c->nev)
		return false;
	conn__end_view(c, c->ev[i].end, &srv);
	say(f, "backlog_overflow",
	    "%s's accept queue on port %u was full and net.ipv4.tcp_abort_on_overflow=1, so the "
	    "kernel reset %s's new connection instead of letting it wait; accept faster or raise "
	    "the backlog (listen(), net.core.somaxconn)",
	    c->ev[i].has_owner ? f->name[c->ev[i].end] : "the listener", srv.port,
	    f->name[!c->ev[i].end]);
	return true;
}

static bool timeout_abort(struct facts *f)
{
	const struct conn *c = f->c;
	bool keepalive = false;
	int i;

	for (i = 0; i < c->nev; i++) {
		keepalive = c->ev[i].kind == RT_RST_SENT &&
			    reason_is(f, c->ev[i].reason, "TCP_KEEPALIVE_TIMEOUT");
		if (keepalive || (c->ev[i].kind == RT_ERROR_PENDING && c->ev[i].err == ETIMEDOUT))
			break;
	}
	if (i == c->nev)
		return false;
	say(f, "timeout_abort",
	    "%s's connection to %s timed out: the peer stopped answering and the kernel gave up "
	    "(%s); check the network path and whether the peer is alive",
	    f->name[c->ev[i].end], f->name[!c->ev[i].end],
	    keepalive ? "keepalive probes unanswered" :
			"ETIMEDOUT: retransmissions or TCP_USER_TIMEOUT ran out");
	return true;
}

static bool linger_abort(struct facts *f)
{
	const struct conn *c = f->c;
	char peer[160];
	int i;

	for (i = 0; i < c->nev; i++)
		if ((c->ev[i].kind == RT_CLOSE || c->ev[i].kind == RT_RST_SENT) && c->ev[i].linger0)
			break;
	if (i == c->nev)
		return false;
	outcome(f, !c->ev[i].end, peer, sizeof(peer));
	say(f, "linger_abort",
	    "%s closed the connection with SO_LINGER {1, 0}, a deliberate abortive close: its "
	    "kernel sent a reset instead of a FIN, and %s",
	    f->name[c->ev[i].end], peer);
	return true;
}

static void cause_phrase(const struct facts *f, char *buf, size_t len)
{
	const struct cause *k = f->in->cause;
	const char *what = k->kind == RT_PEER_FIN ? "closed by its peer" :
			   k->kind == RT_RST_RECV ? "reset by its peer" :
			   k->kind == RT_WRITE_ERROR ? "a write that failed" :
			   k->kind == RT_READ_ERROR ? "a read that failed" : "an error";

	snprintf(buf, len, " right after its connection %s:%u <-> %s:%u ended (%s)",
		 k->end[0].addr, k->end[0].port, k->end[1].addr, k->end[1].port, what);
}

/* Before 6.10 a reset carries no reason (tests/vm: 6.1). There tcp_close() with unread data
 * shows as the owner's own close straight to CLOSE (no FIN, no error set, not SO_LINGER:
 * linger_abort is decided first) followed by a reset from the same end. */
static bool closed_then_reset(const struct conn *c, int rst)
{
	int i;

	if (c->ev[rst].reason >= 0)
		return false;
	for (i = find(c, RT_CLOSE, c->ev[rst].end, 0); i >= 0 && i < rst;
	     i = find(c, RT_CLOSE, c->ev[rst].end, i + 1))
		if (c->ev[i].state == RT_TCP_CLOSE)
			return true;
	return false;
}

static bool abort_unread_data(struct facts *f)
{
	const struct conn *c = f->c;
	char peer[160], cause[200] = "";
	int i;

	for (i = 0; i < c->nev; i++)
		if (c->ev[i].kind == RT_RST_SENT &&
		    (reason_is(f, c->ev[i].reason, "TCP_ABORT_ON_CLOSE") || closed_then_reset(c, i)))
			break;
	if (i == c->nev)
		return false;
	if (f->in->cause)
		cause_phrase(f, cause, sizeof(cause));
	outcome(f, !c->ev[i].end, peer, sizeof(peer));
	say(f, "abort_unread_data",
	    "%s closed the connection%s with data it had not read, so its kernel sent a reset "
	    "instead of a FIN; %s",
	    f->name[c->ev[i].end], cause, peer);
	return true;
}

/* The end that closed first with a FIN: its own close, or its peer's peer_fin. -1: none. */
static int fin_closer(const struct conn *c, int *at)
{
	for (int i = 0; i < c->nev; i++) {
		const struct conn_event *e = &c->ev[i];

		if (e->kind == RT_CLOSE &&
		    (e->state == RT_TCP_FIN_WAIT1 || e->state == RT_TCP_LAST_ACK)) {
			*at = i;
			return e->end;
		}
		if (e->kind == RT_PEER_FIN) {
			*at = i;
			return !e->end;
		}
	}
	return -1;
}

/* the writer's first write (or failed write) after index from; -1 none */
static int first_write(const struct conn *c, int writer, int from)
{
	for (int i = from; i < c->nev; i++)
		if (c->ev[i].end == writer &&
		    (c->ev[i].kind == RT_WRITE || c->ev[i].kind == RT_WRITE_ERROR))
			return i;
	return -1;
}

static bool reset_after(const struct conn *c, int closer, int from)
{
	return find(c, RT_RST_SENT, closer, from) >= 0 || find(c, RT_RST_RECV, !closer, from) >= 0;
}

static bool wrote_into_closed(struct facts *f)
{
	const struct conn *c = f->c;
	char result[160], bytes[48] = "data", cause[240];
	int at, w, p = fin_closer(c, &at);

	if (p < 0 || !reset_after(c, p, at))
		return false;
	w = !p;
	int wi = first_write(c, w, at);

	if (wi >= 0 && c->ev[wi].kind == RT_WRITE)
		snprintf(bytes, sizeof(bytes), "%ld bytes", c->ev[wi].bytes);
	if (wi < 0)
		wi = find(c, RT_RST_SENT, p, at);
	if (wi < 0)
		wi = at;
	outcome(f, w, result, sizeof(result));
	if (f->in->cause) {
		const struct cause *k = f->in->cause;

		char actor[64] = "the client";

		if (k->has_actor)
			snprintf(actor, sizeof(actor), "%.16s (pid %u)", k->actor.comm, k->actor.pid);
		double after_s = ((double)k->ts_ns - (double)c->ev[0].ts_ns) / NS_PER_S;

		if (k->kind == RT_PEER_FIN && after_s > 0)
			snprintf(cause, sizeof(cause), "%s gave up after %.1f s: it closed its "
				 "connection to %s", actor, after_s, f->name[p]);
		else if (k->kind == RT_PEER_FIN)
			snprintf(cause, sizeof(cause), "%s gave up: it closed its connection to %s",
				 actor, f->name[p]);
		else if (k->kind == RT_RST_RECV)
			snprintf(cause, sizeof(cause), "%s reset its connection to %s", actor,
				 f->name[p]);
		else
			snprintf(cause, sizeof(cause), "%s's connection from %s failed (%s)",
				 f->name[p], actor, kind_name(k->kind));
		say(f, "client_abort_propagated",
		    "%s; %s then closed this connection to %s at once; %.1f s later %s wrote %s "
		    "into it, %s's kernel answered with a reset, and %s; let %s finish upstream "
		    "requests after a client leaves (nginx: proxy_ignore_client_abort on), or give "
		    "the client more time than the upstream needs",
		    cause, f->name[p], f->name[w], secs_between(c, at, wi), f->name[w], bytes,
		    f->name[p], result, f->name[p]);
	} else if (w == f->in->a) {
		say(f, "keepalive_race",
		    "%s sent a new request on an idle pooled connection that %s had closed %.3f s "
		    "before; %s's kernel answered with a reset, and %s; keep the client's idle "
		    "timeout shorter than the server's, or retry idempotent requests",
		    f->name[w], f->name[p], secs_between(c, at, wi), f->name[p], result);
	} else {
		say(f, "write_after_peer_close",
		    "%s closed the connection; %.3f s later %s wrote %s into it, %s's kernel "
		    "answered with a reset, and %s (the write that provokes a reset succeeds)",
		    f->name[p], secs_between(c, at, wi), f->name[w], bytes, f->name[p], result);
	}
	return true;
}

static bool reset_by_remote(struct facts *f)
{
	const struct conn *c = f->c;
	int i = find(c, RT_RST_RECV, -1, 0);

	/* every reset a TCP socket of this host sends is traced: none here means the reset
	 * came from elsewhere (a remote host, a middlebox, or a raw socket) */
	if (i < 0 || find(c, RT_RST_SENT, -1, 0) >= 0)
		return false;
	say(f, "reset_by_remote",
	    "%s's connection to %s was reset from outside this host's TCP stack (no socket here "
	    "sent the reset): the remote host, its process or a middlebox dropped it",
	    f->name[c->ev[i].end], f->name[!c->ev[i].end]);
	return true;
}

void verdict_decide(const struct verdict_input *in, struct verdict *out)
{
	static bool (*const rules[])(struct facts *) = {
		refused,	 backlog_overflow,  timeout_abort,   linger_abort,
		abort_unread_data, wrote_into_closed, reset_by_remote,
	};
	struct facts f = { .in = in, .c = in->conn, .out = out };

	for (int i = 0; i < 2; i++)
		end_name(in->conn, i, f.name[i], sizeof(f.name[i]));
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++)
		if (rules[r](&f))
			return;
	say(&f, "unknown", "no known pattern fits: %s and %s; the events below show what happened",
	    f.name[0], f.name[1]);
}

const char *const verdict_codes[] = {
	"refused", "backlog_overflow", "abort_unread_data", "linger_abort",
	"write_after_peer_close", "client_abort_propagated", "keepalive_race", "timeout_abort",
	"reset_by_remote", "unknown", NULL,
};

bool verdict_code_known(const char *code)
{
	for (int i = 0; verdict_codes[i]; i++)
		if (!strcmp(verdict_codes[i], code))
			return true;
	return false;
}
