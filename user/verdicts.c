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

/* ", and it ignores SIGPIPE" when the end's SIGPIPE was generated but ignored: the
 * signal_generate tracepoint's result (ret 1, TRACE_SIGNAL_IGNORED) */
static const char *sigpipe_note(const struct facts *f, int end, char *buf, size_t len)
{
	const struct conn *c = f->c;

	for (int i = 0; i < c->nev; i++)
		if (c->ev[i].end == end && c->ev[i].kind == RT_SIGPIPE && c->ev[i].ret == 1) {
			snprintf(buf, len, ", and it ignores SIGPIPE");
			return buf;
		}
	return "";
}

/* Why a pending error reached no call of the end. A read after the peer's FIN returns
 * end-of-file, not the error (tcp_recvmsg checks SOCK_DONE first), and successful reads are
 * not traced: after a FIN, "no further call" cannot be claimed. */
static void unreported(const struct facts *f, int end, int pending, char *buf, size_t len)
{
	const struct conn *c = f->c;
	const char *err = errname(c->ev[pending].err);
	int fin = find(c, RT_PEER_FIN, end, 0), cl = find(c, RT_CLOSE, end, pending);

	if (fin >= 0 && fin < pending)
		snprintf(buf, len, "the error (%s) never reached %s as an error: its peer had "
			 "closed first, so its reads return end-of-file, and it made no further "
			 "write", err, f->name[end]);
	else if (cl >= 0)
		snprintf(buf, len, "the error (%s) never reached %s: it closed the socket without "
			 "another read or write", err, f->name[end]);
	else
		snprintf(buf, len, "the error (%s) never reached %s: it made no further read or "
			 "write", err, f->name[end]);
}

/* what the end's process saw, as "NAME's next write failed with EPIPE": its first failed
 * call, else the error left pending */
static void outcome(const struct facts *f, int end, char *buf, size_t len)
{
	const struct conn *c = f->c;
	char note[96];

	for (int i = 0; i < c->nev; i++) {
		const struct conn_event *e = &c->ev[i];

		if (e->end != end)
			continue;
		if (e->kind == RT_WRITE_ERROR || e->kind == RT_READ_ERROR) {
			snprintf(buf, len, "%s's next %s failed with %s%s", f->name[end],
				 e->kind == RT_WRITE_ERROR ? "write" : "read", errname(e->err),
				 e->kind == RT_WRITE_ERROR ? sigpipe_note(f, end, note, sizeof(note)) :
							       "");
			return;
		}
	}
	for (int i = 0; i < c->nev; i++) {
		if (c->ev[i].end == end && c->ev[i].kind == RT_ERROR_PENDING) {
			unreported(f, end, i, buf, len);
			return;
		}
	}
	snprintf(buf, len, "%s never saw an error", f->name[end]);
}

/* The index of the end's first failure (a reset received, an error set or returned), c->nev
 * when none: a rule may blame only what came before it. */
static int first_failure(const struct conn *c, int end)
{
	for (int i = 0; i < c->nev; i++) {
		int k = c->ev[i].kind;

		if (c->ev[i].end == end && (k == RT_RST_RECV || k == RT_ERROR_PENDING ||
					     k == RT_WRITE_ERROR || k == RT_READ_ERROR))
			return i;
	}
	return c->nev;
}

/* ------------------------------------------------------------------------------------ */
/* rules                                                                                  */

/* The end's socket was closed or freed before index i (a vanished socket: its peer's reset
 * may be anyone's, a raw socket's) */
static bool gone_before(const struct conn *c, int end, int i)
{
	for (int k = 0; k < i; k++)
		if (c->ev[k].end == end && (c->ev[k].kind == RT_CLOSE || c->ev[k].kind == RT_DESTROY))
			return true;
	return false;
}

/* The peer of end is on this host and, if its socket was seen, alive at index r: its socket
 * reported here, or an address the kernel delivers through the loopback device (127/8, ::1,
 * or one address at both ends: a connection to one of the host's own addresses). */
static bool peer_here_alive(const struct conn *c, int end, int r)
{
	if (c->end[!end].has_socket)
		return !gone_before(c, !end, r);
	return addr_is_loopback(c->end[end].ep.addr) ||
	       !memcmp(c->end[0].ep.addr, c->end[1].ep.addr, 16);
}

/* an active reset is traced after its peer received it (joiner.c reorders; this is slack for
 * what that cannot see) */
#define RST_SENT_SLACK_NS 1000000ULL

/* A socket of this host sent the reset end received at index r: an rst_sent of the other
 * end (or of no socket, at its address) before it, or right after. */
static bool sender_traced(const struct conn *c, int end, int r)
{
	for (int i = 0; i < c->nev; i++)
		if (c->ev[i].kind == RT_RST_SENT && c->ev[i].end != end &&
		    (i < r || c->ev[i].ts_ns - c->ev[r].ts_ns <= RST_SENT_SLACK_NS))
			return true;
	return false;
}

/* The reset that made end fail came from the packet filter: seen leaving it (rst_filter),
 * or, same-host, received from a live peer socket that did not send one (the other sender
 * there would be a raw socket: README). The index of that evidence,
 * -1: not a packet filter's reset, or not the first failure. */
static int filter_reset(const struct conn *c, int *victim, bool *seen)
{
	int i = find(c, RT_RST_FILTER, -1, 0), r;

	*seen = i >= 0;
	if (*seen) {
		*victim = !c->ev[i].end; /* the reset claims to come from the other end */
		return i <= first_failure(c, *victim) ? i : -1;
	}
	r = find(c, RT_RST_RECV, -1, 0);
	if (r < 0)
		return -1;
	*victim = c->ev[r].end;
	if (r != first_failure(c, *victim) || !peer_here_alive(c, *victim, r) ||
	    sender_traced(c, *victim, r))
		return -1;
	return r;
}

/* the victim end was connecting: nothing answered at the other end, and the reset it got, if
 * any, came in SYN_SENT */
static bool was_connecting(const struct conn *c, int v)
{
	int r = find(c, RT_RST_RECV, v, 0);

	return !c->end[!v].has_socket && (r < 0 || c->ev[r].state == RT_TCP_SYN_SENT);
}

static bool firewall_reject(struct facts *f)
{
	const struct conn *c = f->c;
	struct end_view dst;
	char result[200];
	bool seen;
	int v;

	if (filter_reset(c, &v, &seen) < 0)
		return false;
	const char *how = seen ? "seen leaving the host's packet filter (netfilter REJECT), not a "
				 "socket" :
				 "both ends are on this host and no socket of it sent the reset";

	conn__end_view(c, !v, &dst);
	if (was_connecting(c, v)) {
		say(f, "firewall_reject",
		    "%s could not connect to %s:%u: a packet filter rule on this host rejected it "
		    "with a reset (%s), whether or not something listens there; find the rule "
		    "(nft list ruleset; iptables -S) rather than the server",
		    f->name[v], dst.addr[0] ? dst.addr : "?", dst.port, how);
		return true;
	}
	outcome(f, v, result, sizeof(result));
	say(f, "firewall_reject",
	    "%s's connection to %s was reset by a packet filter rule on this host, not by %s (%s); "
	    "%s; find the rule (nft list ruleset; iptables -S)",
	    f->name[v], f->name[!v], f->name[!v], how, result);
	return true;
}

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
	if (i == c->nev || i > first_failure(c, !c->ev[i].end))
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

/* The chain that led end p to act on this connection, from the cause (the connection p lost
 * just before): "curl (pid 9) gave up after 3.0 s: it closed its connection to nginx (pid
 * 8)", and when p learnt it only later, from a failed call, that too. */
static void chain_phrase(const struct facts *f, int p, char *buf, size_t len)
{
	const struct cause *k = f->in->cause;
	const struct conn *c = f->c;
	char actor[64] = "the client";
	__u64 left = k->departed ? k->departed_ts : k->ts_ns;
	double after_s = ((double)left - (double)c->ev[0].ts_ns) / NS_PER_S;
	int n;

	if (k->has_actor)
		snprintf(actor, sizeof(actor), "%.16s (pid %u)", k->actor.comm, k->actor.pid);
	if ((k->kind == RT_PEER_FIN || k->departed) && after_s > 0)
		n = snprintf(buf, len, "%s gave up after %.1f s: it closed its connection to %s",
			     actor, after_s, f->name[p]);
	else if (k->kind == RT_PEER_FIN || k->departed)
		n = snprintf(buf, len, "%s gave up: it closed its connection to %s", actor,
			     f->name[p]);
	else if (k->kind == RT_RST_RECV)
		n = snprintf(buf, len, "%s reset its connection to %s", actor, f->name[p]);
	else
		n = snprintf(buf, len, "%s's connection from %s failed (%s)", f->name[p], actor,
			     kind_name(k->kind));
	if (k->departed && k->kind != RT_PEER_FIN && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "; %s noticed %.1f s later, when its %s failed",
			 f->name[p], ((double)k->ts_ns - (double)k->departed_ts) / NS_PER_S,
			 k->kind == RT_WRITE_ERROR ? "write to it" :
			 k->kind == RT_READ_ERROR ? "read from it" : "connection to it");
}

static bool linger_abort(struct facts *f)
{
	const struct conn *c = f->c;
	char peer[200], chain[320];
	int i, p;

	for (i = 0; i < c->nev; i++)
		if ((c->ev[i].kind == RT_CLOSE || c->ev[i].kind == RT_RST_SENT) && c->ev[i].linger0)
			break;
	/* only an abort before the peer's first failure can have caused it */
	if (i == c->nev || i > first_failure(c, !c->ev[i].end))
		return false;
	p = c->ev[i].end;
	outcome(f, !p, peer, sizeof(peer));
	if (f->in->cause) {
		chain_phrase(f, p, chain, sizeof(chain));
		say(f, "linger_abort",
		    "%s; %s then closed this connection to %s with SO_LINGER {1, 0}, a deliberate "
		    "abortive close: its kernel sent a reset instead of a FIN, and %s; let %s finish "
		    "or close upstream requests gracefully after a client leaves",
		    chain, f->name[p], f->name[!p], peer, f->name[p]);
		return true;
	}
	say(f, "linger_abort",
	    "%s closed the connection with SO_LINGER {1, 0}, a deliberate abortive close: its "
	    "kernel sent a reset instead of a FIN, and %s",
	    f->name[p], peer);
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
	if (i == c->nev || i > first_failure(c, !c->ev[i].end))
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
	char result[200], bytes[48] = "data", cause[320];
	int at, w, p = fin_closer(c, &at);

	/* the close must come before the writer's first failure to have caused it */
	if (p < 0 || !reset_after(c, p, at) || at > first_failure(c, !p))
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
		chain_phrase(f, p, cause, sizeof(cause));
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
		firewall_reject,   refused,	      backlog_overflow, timeout_abort,
		linger_abort,	   abort_unread_data, wrote_into_closed, reset_by_remote,
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
