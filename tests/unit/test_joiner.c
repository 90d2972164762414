// SPDX-License-Identifier: GPL-2.0
/* test_joiner.c - the joiner (conns.c, causes.c, verdicts.c, emit.c's timelines) driven with
 * canned events, no kernel: events in, timelines out.
 *
 * The golden sequences are real ones, recorded on this machine with
 * `rsttrace --events -j -P PORT` around tests/scen (refused, unread, linger, wapc, keepalive,
 * overflow, timeout, remote; -6 for IPv6; overflow/timeout/remote with the server in a network
 * namespace behind tests/e2e/netns.sh) and around tests/e2e/incident/run.sh off|on (curl ->
 * nginx -> rt_gateway, docs/kernel.md §1g). Pids, ports, cookies, states, reasons and
 * the relative times (ms, 3 decimals) are the recorded ones, in the order the tracer delivered
 * them (out of time order where the kernel delivered them so); the netns inode numbers and
 * the Go gateway's thread ids are made up (the JSON does not show them). A test that departs
 * from a recording, or makes a sequence up, says so in its comment; the bounds test builds
 * its million connections itself.
 *
 * Expectations come from docs/design.md (verdicts), schema/rsttrace.schema.json (the JSON
 * contract) and docs/kernel.md,
 * not from the program's output. Every timeline is parsed by python3 (strict JSON, every key of
 * the contract) and reduced to a few fields that the checks compare.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "check.h"
#include "addr.h"
#include "conns.h"   /* CONN_MAX_EVENTS */
#include "joiner.h"

#ifdef __SANITIZE_ADDRESS__
/* compiler-rt's allocator statistics (sanitizer/allocator_interface.h, not shipped with gcc) */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HAVE_ASAN_STATS 1
#endif

/* T0 (monotonic) is 2026-11-28T01:29:11.123456789Z, as in test_events.c */
#define T0 5000123456789ULL
#define MS 1000000ULL
#define S (1000 * MS)
static const struct clock_map clk = { .mono_to_real_ns = 1795829351000000000LL - 5000000000000LL };
static struct reason_names reasons;

/* network namespaces (inode numbers): the host's, and two test namespaces */
#define NS_HOST 4026531840u
#define NS_B 4026532513u
#define NS_C 4026532600u

/* ------------------------------------------------------------------------------------ */
/* building events                                                                        */

struct task {
	__u32 pid, tid;
	const char *comm;
};

/* One socket as its events show it: its own end, its peer, its cookie and netns. A reset sent
 * for no socket (NO_SOCKET) is a sock with cookie 0. */
struct sock {
	const char *addr;
	__u16 port;
	const char *peer;
	__u16 pport;
	__u64 cookie;
	__u32 netns;       /* 0: NS_HOST */
};

/* tuple parts the kernel had not chosen yet or zeroed (docs/kernel.md §3c), and record flags */
enum {
	NOPORT = 1 << 0,   /* connect(): SYN_SENT before the local port is chosen */
	NOSADDR = 1 << 1,  /* tcp_disconnect(): saddr zeroed */
	NODPORT = 1 << 2,  /* tcp_disconnect(): dport zeroed */
	NOPEER = 1 << 3,   /* a listener: no peer at all */
	CAUSE = 1 << 4,    /* RT_F_CAUSE: outside the port filter, a possible cause only */
	LINGER0 = 1 << 5,  /* RT_F_LINGER0 */
	QUIET = 1 << 6,    /* RT_F_QUIET: a copy for cause linking, sent in quiet mode */
};


static int reason_value(const char *name)
{
	for (int i = 0; i < reasons.count; i++)
		if (!strcmp(reasons.name[i], name))
			return i;
	fprintf(stderr, "unknown reason %s\n", name);
	exit(1);
}

static void set_task(struct rt_task *t, const struct task *from)
{
	memset(t, 0, sizeof(*t));
	t->pid = from->pid;
	t->tid = from->tid ? from->tid : from->pid;
	strncpy(t->comm, from->comm, sizeof(t->comm));
}

/*
 * One event as main.c hands it to the joiner: a kernel record built from the arguments and
 * decoded by event_decode(). t_ms: since the start of the recording. s: the socket (NULL for a
 * sigpipe). owner/trigger: NULL for none; with a trigger the event ran in softirq (current =
 * the trigger), without one in the owner's syscall. val: the bytes of a write, the errno of an
 * error (error_pending, write_error, read_error).
 */
static struct event ev(int kind, double t_ms, const struct sock *s, const struct task *owner,
		       const struct task *trigger, int state, const char *reason, long val,
		       unsigned flags)
{
	struct rt_event r;
	struct event e;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts_ns = T0 + (__u64)(t_ms * 1e6 + 0.5);
	r.state = state;
	r.reason = reason ? reason_value(reason) : RT_REASON_NONE;
	if (s) {
		r.family = strchr(s->addr, ':') ? RT_FAMILY_IPV6 : RT_FAMILY_IPV4;
		r.cookie = s->cookie;
		r.tuple.netns = s->netns ? s->netns : NS_HOST;
		if (!(flags & NOSADDR))
			addr(r.tuple.saddr, s->addr);
		if (!(flags & NOPORT))
			r.tuple.sport = s->port;
		if (!(flags & NOPEER)) {
			addr(r.tuple.daddr, s->peer);
			if (!(flags & NODPORT))
				r.tuple.dport = s->pport;
		}
	}
	if (kind == RT_WRITE || kind == RT_ERROR_PENDING || kind == RT_SIGPIPE)
		r.ret = val; /* a sigpipe's: signal_generate's result (1: ignored) */
	else if (kind == RT_WRITE_ERROR || kind == RT_READ_ERROR)
		r.ret = -val;
	if (owner) {
		r.owner_by = trigger ? RT_OWNER_COOKIE : RT_OWNER_CURRENT;
		set_task(&r.owner, owner);
	}
	if (trigger) {
		r.ctx = RT_CTX_IRQ;
		set_task(&r.current, trigger);
	} else {
		r.ctx = owner ? RT_CTX_TASK : RT_CTX_IRQ;
		if (owner)
			r.current = r.owner;
	}
	if (flags & CAUSE)
		r.flags |= RT_F_CAUSE;
	if (flags & LINGER0)
		r.flags |= RT_F_LINGER0;
	if (flags & QUIET)
		r.flags |= RT_F_QUIET;
	if (!event_decode(&r, &e)) {
		fprintf(stderr, "test event does not decode (kind %d)\n", kind);
		exit(1);
	}
	return e;
}

#define SIGPIPE_OF(t_ms, task) ev(RT_SIGPIPE, (t_ms), NULL, (task), NULL, 0, NULL, 0, 0)
/* the same for a process that ignores SIGPIPE (TRACE_SIGNAL_IGNORED) */
#define SIGPIPE_IGN(t_ms, task) ev(RT_SIGPIPE, (t_ms), NULL, (task), NULL, 0, NULL, 1, 0)
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* short names, so that a sequence reads like a recorded event table */
#define CONNECT RT_CONNECT
#define ACCEPT RT_ACCEPT
#define PEER_FIN RT_PEER_FIN
#define CLOSE RT_CLOSE
#define RST_SENT RT_RST_SENT
#define RST_RECV RT_RST_RECV
#define ERR_PENDING RT_ERROR_PENDING
#define WRITE RT_WRITE
#define WRITE_ERR RT_WRITE_ERROR
#define READ_ERR RT_READ_ERROR
#define DESTROY RT_DESTROY
#define RST_FILTER RT_RST_FILTER
#define ESTABLISHED RT_TCP_ESTABLISHED
#define SYN_SENT RT_TCP_SYN_SENT
#define FIN_WAIT1 RT_TCP_FIN_WAIT1
#define TIME_WAIT RT_TCP_TIME_WAIT
#define CLOSED RT_TCP_CLOSE
#define CLOSE_WAIT RT_TCP_CLOSE_WAIT
#define LAST_ACK RT_TCP_LAST_ACK
#define LISTEN RT_TCP_LISTEN

/* ------------------------------------------------------------------------------------ */
/* running the joiner                                                                     */

struct rig {
	FILE *f;
	char *buf;
	size_t len;
	struct emitter em;
	struct joiner_config cfg;
	struct joiner *j;
};

static void rig_open(struct rig *r, enum emit_mode mode, const struct joiner_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->f = open_memstream(&r->buf, &r->len);
	if (!r->f) {
		perror("open_memstream");
		exit(1);
	}
	emitter_init(&r->em, mode, r->f, &clk, &reasons);
	if (cfg) {
		r->cfg = *cfg;
	} else {
		joiner_config_defaults(&r->cfg);
		r->cfg.reasons = &reasons;
	}
	r->j = joiner__new(&r->cfg, &r->em);
	if (!r->j) {
		fprintf(stderr, "joiner__new failed\n");
		exit(1);
	}
}

static int rig_add(struct rig *r, const struct event *evs, int n)
{
	int err = 0;

	for (int i = 0; i < n && !err; i++)
		err = joiner__add(r->j, &evs[i]);
	return err;
}

static struct joiner_stats rig_stats(const struct rig *r)
{
	struct joiner_stats s;

	joiner__stats(r->j, &s);
	return s;
}

/* lines written so far */
static int rig_lines(struct rig *r)
{
	int n = 0;

	fflush(r->f);
	for (size_t i = 0; i < r->len; i++)
		n += r->buf[i] == '\n';
	return n;
}

/* free the joiner; the output (to free) */
static char *rig_close(struct rig *r)
{
	joiner__free(r->j);
	fclose(r->f);
	return r->buf;
}

/* ------------------------------------------------------------------------------------ */
/* reading timelines back: python3 parses each JSON line and reduces it                  */

/* Per line: "key<TAB>value" lines, then "end". shape: "ok" or what is wrong with the line
 * against the JSON contract (schema/rsttrace.schema.json); extra: keys beyond the
 * contract's; a/b: "addr:port/pid/comm"
 * with "-" for null; events: "side:kind ..."; order: "ok" when t_ms starts at 0, never
 * decreases and matches ts_ns; cause: "-" or "<a> <b> <kind> <pid>/<comm>". */
static const char py_reduce[] =
	"import json, sys\n"
	"KINDS = {'connect','accept','peer_fin','close','rst_sent','rst_recv','error_pending',\n"
	"         'write','write_error','read_error','sigpipe','destroy','rst_filter'}\n"
	"CODES = {'refused','backlog_overflow','abort_unread_data','linger_abort',\n"
	"         'write_after_peer_close','client_abort_propagated','keepalive_race',\n"
	"         'timeout_abort','reset_by_remote','firewall_reject','unknown'}\n"
	"EVENT = ['kind','time','ts_ns','pid','comm','family','saddr','sport','daddr','dport',\n"
	"         'state','reason','errno','ret','bytes','trigger_pid','trigger_comm','cookie',\n"
	"         'side','t_ms']\n"
	"TOP = ['type','conn','events','caused_by','verdict']\n"
	"def bad(c): raise ValueError('non-JSON constant ' + c)\n"
	"def isint(v): return isinstance(v, int) and not isinstance(v, bool)\n"
	"def isnum(v): return isint(v) or isinstance(v, float)\n"
	"def show(v): return '-' if v is None else str(v)\n"
	"def out(k, v): print(k + '\\t' + str(v).replace('\\t', ' ').replace('\\n', ' '))\n"
	"def opt(v, t): return v is None or t(v)\n"
	"for raw in open(sys.argv[1], 'rb').read().split(b'\\n')[:-1]:\n"
	"    p = []\n"
	"    def need(o, keys, where):\n"
	"        if not isinstance(o, dict):\n"
	"            p.append(where + ' is not an object'); return False\n"
	"        miss = [k for k in keys if k not in o]\n"
	"        if miss: p.append(where + ' lacks ' + ','.join(miss))\n"
	"        return not miss\n"
	"    def end(e, where):\n"
	"        if not need(e, ['addr','port','pid','comm'], where): return '?'\n"
	"        if not (opt(e['addr'], lambda v: isinstance(v, str)) and opt(e['port'], isint)\n"
	"                and opt(e['pid'], isint) and opt(e['comm'], lambda v: isinstance(v, str))):\n"
	"            p.append(where + ' has a value of the wrong type')\n"
	"        if (e['pid'] is None) != (e['comm'] is None): p.append(where + ' pid/comm')\n"
	"        return '%s:%s/%s/%s' % (show(e['addr']), show(e['port']), show(e['pid']),\n"
	"                                show(e['comm']))\n"
	"    def conn(c, where):\n"
	"        if not need(c, ['a','b'], where): return ['?', '?']\n"
	"        return [end(c['a'], where + '.a'), end(c['b'], where + '.b')]\n"
	"    try:\n"
	"        o = json.loads(raw.decode('utf-8'), parse_constant=bad)\n"
	"    except Exception as x:\n"
	"        out('shape', 'not JSON: %s' % x); print('end'); continue\n"
	"    if not need(o, TOP, 'timeline'):\n"
	"        out('shape', '; '.join(p)); print('end'); continue\n"
	"    out('extra', ','.join(k for k in o if k not in TOP) or '-')\n"
	"    if o['type'] != 'timeline': p.append('type %r' % o['type'])\n"
	"    ab = conn(o['conn'], 'conn')\n"
	"    out('a', ab[0]); out('b', ab[1])\n"
	"    evs = o['events'] if isinstance(o['events'], list) else []\n"
	"    if not evs: p.append('no events')\n"
	"    order = 'ok'\n"
	"    sides = []\n"
	"    for i, e in enumerate(evs):\n"
	"        if not need(e, EVENT, 'events[%d]' % i): continue\n"
	"        if e['side'] not in ('a', 'b'): p.append('events[%d].side %r' % (i, e['side']))\n"
	"        if e['kind'] not in KINDS: p.append('events[%d].kind %r' % (i, e['kind']))\n"
	"        if not isnum(e['t_ms']) or not isint(e['ts_ns']):\n"
	"            p.append('events[%d] times' % i); order = 'bad'; continue\n"
	"        if not opt(e['cookie'], lambda v: isinstance(v, str) and v.isdigit()):\n"
	"            p.append('events[%d].cookie %r' % (i, e['cookie']))\n"
	"        if (e['pid'] is None) != (e['comm'] is None): p.append('events[%d] pid/comm' % i)\n"
	"        side = o['conn'].get(e['side'], {}) if isinstance(o['conn'], dict) else {}\n"
	"        if e['saddr'] is not None and (e['saddr'], e['sport']) != (side.get('addr'),\n"
	"                                                                side.get('port')):\n"
	"            p.append('events[%d] saddr/sport is not its side' % i)\n"
	"        if i == 0 and e['t_ms'] != 0: order = 'first t_ms %r' % e['t_ms']\n"
	"        if i and (e['t_ms'] < evs[i - 1]['t_ms'] or e['ts_ns'] < evs[i - 1]['ts_ns']):\n"
	"            order = 'bad at %d' % i\n"
	"        if abs(e['t_ms'] - (e['ts_ns'] - evs[0]['ts_ns']) / 1e6) > 0.0011:\n"
	"            order = 'ts_ns/t_ms differ at %d' % i\n"
	"        sides.append('%s:%s' % (e['side'], e['kind']))\n"
	"    out('events', ' '.join(sides))\n"
	"    out('order', order)\n"
	"    out('dropped', o.get('events_dropped', '-'))\n"
	"    k = o['caused_by']\n"
	"    if k is None:\n"
	"        out('cause', '-'); out('cause_t', 'nan')\n"
	"    elif need(k, ['conn','kind','pid','comm','t_ms'], 'caused_by'):\n"
	"        if k['kind'] not in KINDS: p.append('caused_by.kind %r' % k['kind'])\n"
	"        if not isnum(k['t_ms']): p.append('caused_by.t_ms')\n"
	"        kab = conn(k['conn'], 'caused_by.conn')\n"
	"        out('cause', '%s %s %s %s/%s' % (kab[0], kab[1], k['kind'], show(k['pid']),\n"
	"                                         show(k['comm'])))\n"
	"        out('cause_t', k['t_ms'])\n"
	"    v = o['verdict']\n"
	"    if need(v, ['code','summary'], 'verdict'):\n"
	"        if v['code'] not in CODES: p.append('verdict.code %r' % v['code'])\n"
	"        if not isinstance(v['summary'], str) or not v['summary']: p.append('summary')\n"
	"        out('code', v['code']); out('summary', v['summary'])\n"
	"    out('shape', '; '.join(p) or 'ok')\n"
	"    print('end')\n";

static char py_path[] = "/tmp/test_joiner.py.XXXXXX";

struct tl {
	char shape[512], extra[128], code[64], summary[1024], a[128], b[128], events[4096];
	char cause[512], order[64], dropped[32];
	double cause_t;
};

#define MAX_TL 16
static struct tl tls[MAX_TL];

/* every JSON timeline line the tests made, parsed once more at the end */
static struct {
	FILE *f;
	char *buf;
	size_t len;
	int lines;
} corpus;

static void field(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v);
}

/* parse the JSON lines in buf into tls[]; the number of timelines (-1: python failed) */
static int reduce(const char *buf)
{
	char data[] = "/tmp/test_joiner.json.XXXXXX", cmd[256], line[8192];
	int fd = mkstemp(data), n = 0, st;
	size_t len = strlen(buf);
	FILE *p;

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror("temporary file");
		exit(1);
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -S %s %s", py_path, data);
	p = popen(cmd, "r");
	if (!p) {
		unlink(data);
		return -1;
	}
	memset(tls, 0, sizeof(tls));
	while (fgets(line, sizeof(line), p)) {
		char *tab, *v;
		struct tl *t = &tls[n < MAX_TL ? n : MAX_TL - 1];

		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "end")) {
			n++;
			continue;
		}
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = 0;
		v = tab + 1;
		if (!strcmp(line, "shape"))
			field(t->shape, sizeof(t->shape), v);
		else if (!strcmp(line, "extra"))
			field(t->extra, sizeof(t->extra), v);
		else if (!strcmp(line, "code"))
			field(t->code, sizeof(t->code), v);
		else if (!strcmp(line, "summary"))
			field(t->summary, sizeof(t->summary), v);
		else if (!strcmp(line, "a"))
			field(t->a, sizeof(t->a), v);
		else if (!strcmp(line, "b"))
			field(t->b, sizeof(t->b), v);
		else if (!strcmp(line, "events"))
			field(t->events, sizeof(t->events), v);
		else if (!strcmp(line, "order"))
			field(t->order, sizeof(t->order), v);
		else if (!strcmp(line, "dropped"))
			field(t->dropped, sizeof(t->dropped), v);
		else if (!strcmp(line, "cause"))
			field(t->cause, sizeof(t->cause), v);
		else if (!strcmp(line, "cause_t"))
			t->cause_t = strtod(v, NULL);
	}
	st = pclose(p);
	unlink(data);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return n;
}

static const char *label(const char *name, const char *what, ...)
	__attribute__((format(printf, 2, 3)));

static const char *label(const char *name, const char *what, ...)
{
	static char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s: ", name);
	va_list ap;

	va_start(ap, what);
	vsnprintf(buf + n, sizeof(buf) - n, what, ap);
	va_end(ap);
	return buf;
}

/* the timeline in tls[] whose conn.a or conn.b is exactly `end` ("addr:port/pid/comm") */
static const struct tl *find_tl(int n, const char *end)
{
	for (int i = 0; i < n && i < MAX_TL; i++)
		if (!strcmp(tls[i].a, end) || !strcmp(tls[i].b, end))
			return &tls[i];
	return NULL;
}

/*
 * Play evs through a fresh joiner (defaults, or cfg), flush, and check the output: want
 * timelines, each valid against the contract. The text mode gets the same events and must
 * give the same number of timelines, each starting "<code>: <summary>". Returns the number
 * of timelines parsed into tls[].
 */
static int play(const char *name, const struct event *evs, int n, int want,
		const struct joiner_config *cfg)
{
	struct rig r;
	char *json, *text;
	int got, lines, tlines = 0;

	rig_open(&r, EMIT_JSON, cfg);
	CHECK(label(name, "every event accepted"), rig_add(&r, evs, n) == 0);
	CHECK(label(name, "flush returns 0"), joiner__flush(r.j) == 0);
	CHECK(label(name, "stats: %d timelines", want), rig_stats(&r).timelines == (unsigned)want);
	lines = rig_lines(&r);
	json = rig_close(&r);
	fputs(json, corpus.f);
	corpus.lines += lines;
	got = reduce(json);
	CHECK(label(name, "%d JSON line(s), python3 reads them", want), lines == want && got == want);
	for (int i = 0; i < got && i < MAX_TL; i++) {
		CHECK_STR(label(name, "timeline %d matches the contract", i + 1), tls[i].shape, "ok");
		CHECK_STR(label(name, "timeline %d t_ms from 0, in time order", i + 1), tls[i].order,
			  "ok");
	}

	rig_open(&r, EMIT_TEXT, cfg);
	rig_add(&r, evs, n);
	joiner__flush(r.j);
	text = rig_close(&r);
	for (int i = 0; i < got && i < MAX_TL; i++) {
		char head[1200];

		snprintf(head, sizeof(head), "%s: %s\n", tls[i].code, tls[i].summary);
		if (strstr(text, head))
			tlines++;
	}
	CHECK(label(name, "text: the same %d timeline(s), each headed by its verdict", got),
	      tlines == got);
	free(json);
	free(text);
	return got;
}

/* One timeline against the expectations: code, ends ("addr:port/pid/comm", "-" for null),
 * events ("side:kind ..."), cause ("-" for null), and words the summary must contain. */
static void expect(const char *name, const struct tl *t, const char *code, const char *a,
		   const char *b, const char *events, const char *cause, ...)
{
	va_list ap;
	const char *w;

	if (!t) {
		CHECK(label(name, "timeline found"), 0);
		return;
	}
	CHECK_STR(label(name, "verdict"), t->code, code);
	CHECK_STR(label(name, "conn.a (the connecting side)"), t->a, a);
	CHECK_STR(label(name, "conn.b"), t->b, b);
	if (events)
		CHECK_STR(label(name, "events, sides, in time order"), t->events, events);
	if (cause)
		CHECK_STR(label(name, "caused_by"), t->cause, cause);
	va_start(ap, cause);
	while ((w = va_arg(ap, const char *))) {
		if (!strstr(t->summary, w))
			printf("  summary: %s\n", t->summary);
		CHECK(label(name, "summary says \"%s\"", w), strstr(t->summary, w));
	}
	va_end(ap);
}

/* ------------------------------------------------------------------------------------ */
/* (a) refused: connect() to a closed port (scen refused 19001)                           */

static const struct task cli_ref = { 12559, 0, "rt_cli_ref" };

/* the recorded sequence, moved by dt_ms, in netns ns, with the client's cookie and port */
static int seq_refused(struct event *e, double dt, __u32 ns, __u64 cookie, __u16 port)
{
	const struct sock cli = { "127.0.0.1", port, "127.0.0.1", 19001, cookie, ns };
	const struct sock nosock = { "127.0.0.1", 19001, "127.0.0.1", port, 0, ns };
	int n = 0;

	/*          kind         ms          sock     owner     trigger   state  reason  val  flags */
	e[n++] = ev(CONNECT,     dt + 0.000, &cli,    &cli_ref, NULL,     SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(RST_SENT,    dt + 0.126, &nosock, NULL,     &cli_ref, 0, "NO_SOCKET", 0, 0);
	e[n++] = ev(RST_RECV,    dt + 0.150, &cli,    &cli_ref, NULL,     SYN_SENT, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, dt + 0.174, &cli,    &cli_ref, NULL,     CLOSED, NULL, ECONNREFUSED,
		    0);
	e[n++] = ev(DESTROY,     dt + 0.251, &cli,    &cli_ref, NULL,     CLOSED, NULL, 0,
		    NOSADDR | NODPORT);
	return n;
}

static void test_refused(void)
{
	struct event e[8];
	int n = seq_refused(e, 0, NS_HOST, 748, 59164);

	if (play("refused", e, n, 1, NULL) == 1)
		expect("refused", &tls[0], "refused", "127.0.0.1:59164/12559/rt_cli_ref",
		       "127.0.0.1:19001/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-",
		       "rt_cli_ref (pid 12559)", "127.0.0.1:19001", "ECONNREFUSED", NULL);
}

/* the same over IPv6 (scen refused -6 19011) */
static void test_refused_v6(void)
{
	const struct task cli = { 17612, 0, "rt_cli_ref" };
	const struct sock c = { "::1", 57594, "::1", 19011, 4864, 0 };
	const struct sock nosock = { "::1", 19011, "::1", 57594, 0, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c,      &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_SENT,    0.210, &nosock, NULL, &cli, 0, "NO_SOCKET", 0, 0),
		ev(RST_RECV,    0.230, &c,      &cli, NULL, SYN_SENT, NULL, 0, 0),
		ev(ERR_PENDING, 0.248, &c,      &cli, NULL, CLOSED, NULL, ECONNREFUSED, 0),
		ev(DESTROY,     0.536, &c,      &cli, NULL, CLOSED, NULL, 0, NOSADDR | NODPORT),
	};

	if (play("refused ipv6", e, N(e), 1, NULL) == 1)
		expect("refused ipv6", &tls[0], "refused", "::1:57594/17612/rt_cli_ref",
		       "::1:19011/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-",
		       "rt_cli_ref (pid 17612)", "::1:19011", "ECONNREFUSED", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* (f) backlog overflow (scen overflow 19006, listener in namespace NS_B behind a veth,     */
/* tcp_abort_on_overflow=1 there): 4 connects, 2 reset by the listener, 2 accepted later  */

static void test_backlog_overflow(void)
{
	const struct task cli = { 18863, 0, "rt_cli_ovf" }, srv = { 18865, 0, "rt_srv_ovf" };
	const struct sock c1 = { "10.200.0.1", 60368, "10.200.0.2", 19006, 4901, 0 };
	const struct sock c2 = { "10.200.0.1", 60380, "10.200.0.2", 19006, 4902, 0 };
	const struct sock c3 = { "10.200.0.1", 60390, "10.200.0.2", 19006, 4903, 0 };
	const struct sock c4 = { "10.200.0.1", 60394, "10.200.0.2", 19006, 4905, 0 };
	/* the listener's resets: its cookie, the tuple from the SYN-ACK's ACK (skb) */
	const struct sock l1 = { "10.200.0.2", 19006, "10.200.0.1", 60368, 858, NS_B };
	const struct sock l2 = { "10.200.0.2", 19006, "10.200.0.1", 60380, 858, NS_B };
	const struct sock a3 = { "10.200.0.2", 19006, "10.200.0.1", 60390, 4904, NS_B };
	const struct sock a4 = { "10.200.0.2", 19006, "10.200.0.1", 60394, 4906, NS_B };
	const struct sock lsn = { "10.200.0.2", 19006, NULL, 0, 858, NS_B };
	struct event e[] = {
		ev(CONNECT,     0.000, &c1, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(CONNECT,     0.190, &c2, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(CONNECT,     0.237, &c3, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(CONNECT,     0.286, &c4, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_SENT,    0.319, &l1, &srv, &cli, LISTEN, "INVALID_SYN", 0, 0),
		ev(RST_RECV,    0.338, &c1, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.353, &c1, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(WRITE,       0.365, &c1, &cli, NULL, CLOSED, NULL, 1, 0),
		ev(RST_SENT,    0.372, &l2, &srv, &cli, LISTEN, "INVALID_SYN", 0, 0),
		ev(RST_RECV,    0.376, &c2, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.378, &c2, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(WRITE,       0.380, &c2, &cli, NULL, CLOSED, NULL, 1, 0),
		ev(READ_ERR,    0.414, &c1, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(READ_ERR,    0.419, &c2, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(DESTROY,   200.812, &c1, &cli, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,   200.851, &c2, &cli, NULL, CLOSED, NULL, 0, 0),
		/* the two queued connections: closed by the client, accepted and closed later */
		ev(CLOSE,     200.864, &c3, &cli, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,  200.896, &a3, NULL, &cli, CLOSE_WAIT, NULL, 0, 0),
		ev(CLOSE,     200.909, &c4, &cli, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,  200.915, &a4, NULL, &cli, CLOSE_WAIT, NULL, 0, 0),
		ev(ACCEPT,    201.049, &a3, &srv, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(CLOSE,     201.056, &a3, &srv, NULL, LAST_ACK, NULL, 0, 0),
		ev(DESTROY,   201.083, &c3, &cli, &srv, CLOSED, NULL, 0, 0),
		ev(CLOSE,     201.091, &a3, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,   201.092, &a3, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(ACCEPT,    201.106, &a4, &srv, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(CLOSE,     201.111, &a4, &srv, NULL, LAST_ACK, NULL, 0, 0),
		ev(DESTROY,   201.120, &c4, &cli, &srv, CLOSED, NULL, 0, 0),
		ev(CLOSE,     201.125, &a4, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,   201.126, &a4, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,   201.138, &lsn, &srv, NULL, CLOSED, NULL, 0, NOPEER),
	};
	const char *evs = "a:connect b:rst_sent a:rst_recv a:error_pending a:write a:read_error "
			  "a:destroy";
	struct rig r;
	int n = play("backlog_overflow", e, N(e), 2, NULL);

	if (n == 2) {
		expect("backlog_overflow 60368", find_tl(n, "10.200.0.1:60368/18863/rt_cli_ovf"),
		       "backlog_overflow", "10.200.0.1:60368/18863/rt_cli_ovf",
		       "10.200.0.2:19006/18865/rt_srv_ovf", evs, "-", "rt_srv_ovf (pid 18865)",
		       "port 19006", "rt_cli_ovf (pid 18863)", "tcp_abort_on_overflow=1", NULL);
		expect("backlog_overflow 60380", find_tl(n, "10.200.0.1:60380/18863/rt_cli_ovf"),
		       "backlog_overflow", "10.200.0.1:60380/18863/rt_cli_ovf",
		       "10.200.0.2:19006/18865/rt_srv_ovf", evs, "-", NULL);
	}
	/* the listener's own destroy belongs to no connection */
	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, N(e));
	CHECK("backlog_overflow: the listener's destroy is unplaced", rig_stats(&r).unplaced == 1);
	free(rig_close(&r));
}

/* The same first connection with a listener port in the ephemeral range above the client's:
 * "a" must still be the connecting side (it connected), not the higher port. */
static void test_backlog_overflow_high_port(void)
{
	const struct task cli = { 18863, 0, "rt_cli_ovf" }, srv = { 18865, 0, "rt_srv_ovf" };
	const struct sock c1 = { "10.200.0.1", 40000, "10.200.0.2", 50000, 4901, 0 };
	const struct sock l1 = { "10.200.0.2", 50000, "10.200.0.1", 40000, 858, NS_B };
	struct event e[] = {
		ev(CONNECT,     0.000, &c1, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_SENT,    0.319, &l1, &srv, &cli, LISTEN, "INVALID_SYN", 0, 0),
		ev(RST_RECV,    0.338, &c1, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.353, &c1, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(WRITE,       0.365, &c1, &cli, NULL, CLOSED, NULL, 1, 0),
		ev(READ_ERR,    0.414, &c1, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(DESTROY,   200.812, &c1, &cli, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("backlog_overflow, listener port 50000", e, N(e), 1, NULL) == 1)
		expect("backlog_overflow, listener port 50000", &tls[0], "backlog_overflow",
		       "10.200.0.1:40000/18863/rt_cli_ovf", "10.200.0.2:50000/18865/rt_srv_ovf",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:write a:read_error "
		       "a:destroy", "-", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* (b) abort_unread_data (scen unread 19002): the server closes without reading 1000 bytes */

static const struct task cli_unr = { 12569, 0, "rt_cli_unr" }, srv_unr = { 12570, 0, "rt_srv_unr" };
static const struct sock unr_c = { "127.0.0.1", 54086, "127.0.0.1", 19002, 4781, 0 };
static const struct sock unr_s = { "127.0.0.1", 19002, "127.0.0.1", 54086, 4782, 0 };
static const struct sock unr_l = { "127.0.0.1", 19002, NULL, 0, 749, 0 };

/* as delivered: the write_error at .507 came after the destroy at .509 */
static int seq_unread(struct event *e)
{
	int n = 0;

	e[n++] = ev(CONNECT,     0.000, &unr_c, &cli_unr, NULL,     SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(DESTROY,     0.285, &unr_l, &srv_unr, NULL,     CLOSED, NULL, 0, NOPEER);
	e[n++] = ev(ACCEPT,      0.336, &unr_s, &srv_unr, NULL,     CLOSED, NULL, 0, 0);
	e[n++] = ev(CLOSE,       0.336, &unr_s, &srv_unr, NULL,     CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_RECV,    0.408, &unr_c, &cli_unr, &srv_unr, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, 0.470, &unr_c, &cli_unr, &srv_unr, CLOSED, NULL, ECONNRESET, 0);
	e[n++] = ev(RST_SENT,    0.493, &unr_s, &srv_unr, NULL,     CLOSED, "TCP_ABORT_ON_CLOSE", 0, 0);
	e[n++] = ev(READ_ERR,    0.495, &unr_c, &cli_unr, NULL,     CLOSED, NULL, ECONNRESET, 0);
	e[n++] = SIGPIPE_OF(     0.505, &cli_unr);
	e[n++] = ev(DESTROY,     0.509, &unr_s, &srv_unr, NULL,     CLOSED, NULL, 0, 0);
	e[n++] = ev(WRITE_ERR,   0.507, &unr_c, &cli_unr, NULL,     CLOSED, NULL, EPIPE, 0);
	e[n++] = SIGPIPE_OF(     0.520, &cli_unr);
	e[n++] = ev(WRITE_ERR,   0.521, &unr_c, &cli_unr, NULL,     CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(DESTROY,     0.528, &unr_c, &cli_unr, NULL,     CLOSED, NULL, 0, 0);
	return n;
}

/* the server's active reset, traced at .493 after the client processed it at .408, is shown
 * where it happened: before the rst_recv it caused (joiner.c, order_active_resets) */
#define UNREAD_EVENTS                                                                       \
	"a:connect b:accept b:close b:rst_sent a:rst_recv a:error_pending a:read_error "    \
	"a:sigpipe a:write_error b:destroy a:sigpipe a:write_error a:destroy"

static void test_abort_unread(void)
{
	struct event e[16];
	int n = seq_unread(e);

	if (play("abort_unread_data", e, n, 1, NULL) == 1)
		expect("abort_unread_data", &tls[0], "abort_unread_data",
		       "127.0.0.1:54086/12569/rt_cli_unr", "127.0.0.1:19002/12570/rt_srv_unr",
		       UNREAD_EVENTS, "-", "rt_srv_unr (pid 12570) closed the connection",
		       "rt_cli_unr (pid 12569)", "read failed with ECONNRESET", NULL);
}

/* Delivered even later (§1b: an active reset is traced after the peer processed it): the
 * server's rst_sent comes last of all. The timeline is in kernel time order all the same. */
static void test_out_of_order(void)
{
	struct event e[16], rst;
	int n = seq_unread(e);

	rst = e[6];
	memmove(&e[6], &e[7], (n - 7) * sizeof(e[0]));
	e[n - 1] = rst;
	if (play("out of order", e, n, 1, NULL) == 1)
		expect("out of order", &tls[0], "abort_unread_data",
		       "127.0.0.1:54086/12569/rt_cli_unr", "127.0.0.1:19002/12570/rt_srv_unr",
		       UNREAD_EVENTS, "-", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* (c) linger_abort (scen linger 19003): the client closes with SO_LINGER {1, 0}          */

static void test_linger(void)
{
	const struct task cli = { 12742, 0, "rt_cli_lin" }, srv = { 12743, 0, "rt_srv_lin" };
	const struct sock c = { "127.0.0.1", 52720, "127.0.0.1", 19003, 4784, 0 };
	const struct sock s = { "127.0.0.1", 19003, "127.0.0.1", 52720, 4785, 0 };
	const struct sock l = { "127.0.0.1", 19003, NULL, 0, 4783, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(DESTROY,     0.154, &l, &srv, NULL, CLOSED, NULL, 0, NOPEER),
		ev(ACCEPT,      0.197, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,       0.408, &c, &cli, NULL, CLOSED, NULL, 0, LINGER0),
		ev(RST_RECV,    0.426, &s, &srv, &cli, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.439, &s, &srv, &cli, CLOSED, NULL, ECONNRESET, 0),
		/* reason TCP_STATE (tcp_disconnect), not TCP_ABORT_ON_LINGER: docs/kernel.md §1c */
		ev(RST_SENT,    0.449, &c, &cli, NULL, CLOSED, "TCP_STATE", 0, LINGER0),
		ev(ERR_PENDING, 0.453, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, NOSADDR | NODPORT),
		ev(DESTROY,     0.456, &c, &cli, NULL, CLOSED, NULL, 0, NOSADDR | NODPORT),
		ev(READ_ERR,    0.495, &s, &srv, NULL, CLOSED, NULL, ECONNRESET, 0),
		SIGPIPE_OF(     0.503, &srv),
		ev(WRITE_ERR,   0.506, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		SIGPIPE_OF(     0.509, &srv),
		ev(WRITE_ERR,   0.510, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     0.513, &s, &srv, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("linger_abort", e, N(e), 1, NULL) == 1)
		expect("linger_abort", &tls[0], "linger_abort", "127.0.0.1:52720/12742/rt_cli_lin",
		       "127.0.0.1:19003/12743/rt_srv_lin",
		       "a:connect b:accept a:close a:rst_sent b:rst_recv b:error_pending "
		       "a:error_pending a:destroy b:read_error b:sigpipe b:write_error b:sigpipe "
		       "b:write_error b:destroy", "-",
		       "rt_cli_lin (pid 12742) closed the connection with SO_LINGER {1, 0}",
		       "rt_srv_lin (pid 12743)", "ECONNRESET", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* (d) write_after_peer_close (scen wapc 19004): the client closes (FIN), the server writes */

static void test_write_after_peer_close(void)
{
	const struct task cli = { 12786, 0, "rt_cli_wapc" }, srv = { 12787, 0, "rt_srv_wapc" };
	const struct sock c = { "127.0.0.1", 54390, "127.0.0.1", 19004, 4792, 0 };
	const struct sock s = { "127.0.0.1", 19004, "127.0.0.1", 54390, 4793, 0 };
	const struct sock l = { "127.0.0.1", 19004, NULL, 0, 4791, 0 };
	struct event e[] = {
		ev(CONNECT,      0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(DESTROY,      0.165, &l, &srv, NULL, CLOSED, NULL, 0, NOPEER),
		ev(ACCEPT,       0.332, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,        0.492, &c, &cli, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,     0.566, &s, &srv, &cli, CLOSE_WAIT, NULL, 0, 0),
		ev(DESTROY,     41.468, &c, &cli, NULL, CLOSED, NULL, 0, 0),
		/* the client's timewait sock kept its cookie: owner the client, trigger the writer */
		ev(RST_SENT,    62.569, &c, &cli, &srv, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_RECV,    62.632, &s, &srv, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(ERR_PENDING, 62.654, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(WRITE,       62.675, &s, &srv, NULL, CLOSED, NULL, 16384, 0),
		SIGPIPE_OF(     62.705, &srv),
		ev(WRITE_ERR,   62.708, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     62.718, &s, &srv, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("write_after_peer_close", e, N(e), 1, NULL) == 1)
		expect("write_after_peer_close", &tls[0], "write_after_peer_close",
		       "127.0.0.1:54390/12786/rt_cli_wapc", "127.0.0.1:19004/12787/rt_srv_wapc",
		       "a:connect b:accept a:close b:peer_fin a:destroy a:rst_sent b:rst_recv "
		       "b:error_pending b:write b:sigpipe b:write_error b:destroy", "-",
		       "rt_cli_wapc (pid 12786) closed the connection", "0.062 s later",
		       "rt_srv_wapc (pid 12787) wrote 16384 bytes", "EPIPE", NULL);
}

/* The same across two namespaces (scen wapc -a 10.200.0.2 -n NS, server in NS_B): reversed
 * non-loopback tuples in different namespaces are the two ends of one connection. Here the
 * first reset killed the timewait sock and a second one came from no socket (docs/kernel.md §1d,
 * variants). */
static void test_wapc_two_namespaces(void)
{
	const struct task cli = { 19094, 0, "rt_cli_wapc" }, srv = { 19095, 0, "rt_srv_wapc" };
	const struct sock c = { "10.200.0.1", 55600, "10.200.0.2", 19009, 865, NS_HOST };
	const struct sock nosock = { "10.200.0.1", 55600, "10.200.0.2", 19009, 0, NS_HOST };
	const struct sock s = { "10.200.0.2", 19009, "10.200.0.1", 55600, 866, NS_B };
	const struct sock l = { "10.200.0.2", 19009, NULL, 0, 864, NS_B };
	struct event e[] = {
		ev(CONNECT,      0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(DESTROY,      0.139, &l, &srv, NULL, CLOSED, NULL, 0, NOPEER),
		ev(ACCEPT,       0.325, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,        0.368, &c, &cli, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,     0.455, &s, &srv, &cli, CLOSE_WAIT, NULL, 0, 0),
		ev(DESTROY,     44.490, &c, &cli, NULL, CLOSED, NULL, 0, 0),
		ev(RST_SENT,    65.011, &c, &cli, &srv, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_SENT,    65.060, &nosock, NULL, &srv, 0, "NO_SOCKET", 0, 0),
		ev(RST_RECV,    65.118, &s, &srv, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(ERR_PENDING, 65.152, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(WRITE,       65.166, &s, &srv, NULL, CLOSED, NULL, 16384, 0),
		SIGPIPE_OF(     65.198, &srv),
		ev(WRITE_ERR,   65.200, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     65.214, &s, &srv, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("wapc, two namespaces", e, N(e), 1, NULL) == 1)
		expect("wapc, two namespaces", &tls[0], "write_after_peer_close",
		       "10.200.0.1:55600/19094/rt_cli_wapc", "10.200.0.2:19009/19095/rt_srv_wapc",
		       "a:connect b:accept a:close b:peer_fin a:destroy a:rst_sent a:rst_sent "
		       "b:rst_recv b:error_pending b:write b:sigpipe b:write_error b:destroy", "-",
		       "rt_srv_wapc (pid 19095) wrote 16384 bytes", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* keepalive_race (scen keepalive 19005): the server closes the idle connection; the client */
/* sends request 2 on it 63 ms later                                                       */

static void test_keepalive_race(void)
{
	const struct task cli = { 12808, 0, "rt_cli_ka" }, srv = { 12809, 0, "rt_srv_ka" };
	const struct sock c = { "127.0.0.1", 36256, "127.0.0.1", 19005, 756, 0 };
	const struct sock s = { "127.0.0.1", 19005, "127.0.0.1", 36256, 757, 0 };
	const struct sock l = { "127.0.0.1", 19005, NULL, 0, 4794, 0 };
	struct event e[] = {
		ev(CONNECT,      0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(DESTROY,      0.215, &l, &srv, NULL, CLOSED, NULL, 0, NOPEER),
		ev(ACCEPT,       0.251, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,        0.393, &s, &srv, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,     0.411, &c, &cli, &srv, CLOSE_WAIT, NULL, 0, 0),
		ev(DESTROY,     42.775, &s, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(RST_SENT,    63.495, &s, &srv, &cli, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_RECV,    63.528, &c, &cli, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(ERR_PENDING, 63.552, &c, &cli, NULL, CLOSED, NULL, EPIPE, 0),
		ev(WRITE,       63.565, &c, &cli, NULL, CLOSED, NULL, 29, 0),
		SIGPIPE_OF(     63.680, &cli),
		ev(WRITE_ERR,   63.691, &c, &cli, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     63.801, &c, &cli, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("keepalive_race", e, N(e), 1, NULL) == 1)
		expect("keepalive_race", &tls[0], "keepalive_race", "127.0.0.1:36256/12808/rt_cli_ka",
		       "127.0.0.1:19005/12809/rt_srv_ka",
		       "a:connect b:accept b:close a:peer_fin b:destroy b:rst_sent a:rst_recv "
		       "a:error_pending a:write a:sigpipe a:write_error a:destroy", "-",
		       "rt_cli_ka (pid 12808) sent a new request",
		       "rt_srv_ka (pid 12809) had closed 0.063 s before", "EPIPE", NULL);
}

/* Made up from the above: a pooled client that had not processed the server's FIN (no
 * peer_fin, reset in ESTABLISHED) sends 100 ms after the server's close and sees its read
 * fail with ECONNRESET. */
static void test_keepalive_race_read(void)
{
	const struct task cli = { 12808, 0, "rt_cli_ka" }, srv = { 12809, 0, "rt_srv_ka" };
	const struct sock c = { "127.0.0.1", 36256, "127.0.0.1", 19005, 756, 0 };
	const struct sock s = { "127.0.0.1", 19005, "127.0.0.1", 36256, 757, 0 };
	struct event e[] = {
		ev(CONNECT,      0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,       0.251, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,        5.000, &s, &srv, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(DESTROY,     45.000, &s, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(RST_SENT,   105.000, &s, &srv, &cli, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_RECV,   105.040, &c, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING,105.060, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(READ_ERR,   105.300, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(DESTROY,    105.500, &c, &cli, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("keepalive_race, read", e, N(e), 1, NULL) == 1)
		expect("keepalive_race, read", &tls[0], "keepalive_race",
		       "127.0.0.1:36256/12808/rt_cli_ka", "127.0.0.1:19005/12809/rt_srv_ka",
		       "a:connect b:accept b:close b:destroy b:rst_sent a:rst_recv a:error_pending "
		       "a:read_error a:destroy", "-", "had closed 0.100 s before",
		       "read failed with ECONNRESET", NULL);
}

/* A busy server (one process, one thread) closes an idle keep-alive connection X 30 ms after
 * another client Y left (Y's FIN: a loss of the same process). X's client then sends its next
 * request: keepalive_race (docs/design.md, verdicts). X's close was not caused by Y: the
 * server accepted both, it proxies neither. (Made up, from the keepalive and wapc recordings.) */
static void test_busy_server(void)
{
	const struct task cli = { 12808, 0, "rt_cli_ka" }, srv = { 12809, 0, "rt_srv_ka" };
	const struct task other = { 12900, 0, "other_client" };
	const struct sock c = { "127.0.0.1", 36256, "127.0.0.1", 19005, 756, 0 };
	const struct sock s = { "127.0.0.1", 19005, "127.0.0.1", 36256, 757, 0 };
	const struct sock yc = { "127.0.0.1", 36300, "127.0.0.1", 19005, 800, 0 };
	const struct sock ys = { "127.0.0.1", 19005, "127.0.0.1", 36300, 801, 0 };
	struct event e[] = {
		ev(CONNECT,      0.000, &c,  &cli,   NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,       0.251, &s,  &srv,   NULL, ESTABLISHED, NULL, 0, 0),
		ev(CONNECT,      1.000, &yc, &other, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,       1.251, &ys, &srv,   NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,      100.000, &yc, &other, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,   100.050, &ys, &srv,  &other, CLOSE_WAIT, NULL, 0, 0),
		ev(CLOSE,      100.100, &ys, &srv,   NULL, LAST_ACK, NULL, 0, 0),
		ev(CLOSE,      130.000, &s,  &srv,   NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,   130.018, &c,  &cli,  &srv, CLOSE_WAIT, NULL, 0, 0),
		ev(DESTROY,    140.000, &yc, &other, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,    140.100, &ys, &srv,   NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,    172.000, &s,  &srv,   NULL, CLOSED, NULL, 0, 0),
		ev(RST_SENT,   193.100, &s,  &srv,  &cli, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_RECV,   193.128, &c,  &cli,   NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(ERR_PENDING,193.152, &c,  &cli,   NULL, CLOSED, NULL, EPIPE, 0),
		ev(WRITE,      193.165, &c,  &cli,   NULL, CLOSED, NULL, 29, 0),
		SIGPIPE_OF(    193.280, &cli),
		ev(WRITE_ERR,  193.291, &c,  &cli,   NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,    193.401, &c,  &cli,   NULL, CLOSED, NULL, 0, 0),
	};

	if (play("busy server", e, N(e), 1, NULL) != 1)
		return;
	expect("busy server", &tls[0], tls[0].code, "127.0.0.1:36256/12808/rt_cli_ka",
	       "127.0.0.1:19005/12809/rt_srv_ka", NULL, NULL, NULL);
	/* today: caused_by = the other client's connection, and client_abort_propagated with
	 * the advice proxy_ignore_client_abort: a link needs the proxy's shape (see the report) */
	CHECK(label("busy server", "keepalive_race, not linked to another client's FIN "
				       "(code %s, caused_by %s)", tls[0].code, tls[0].cause),
		  !strcmp(tls[0].code, "keepalive_race") && !strcmp(tls[0].cause, "-"));
}

/* ------------------------------------------------------------------------------------ */
/* timeout_abort (scen timeout: TCP_USER_TIMEOUT, the server in NS_B blackholes the client) */

static void test_timeout(void)
{
	const struct task cli = { 18313, 0, "rt_cli_tmo" }, srv = { 18314, 0, "rt_srv_tmo" };
	const struct sock c = { "10.200.0.1", 51260, "10.200.0.2", 19007, 4889, NS_HOST };
	const struct sock s = { "10.200.0.2", 19007, "10.200.0.1", 51260, 4890, NS_B };
	const struct sock l = { "10.200.0.2", 19007, NULL, 0, 4888, NS_B };
	struct event e[] = {
		ev(CONNECT,       0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(DESTROY,       0.379, &l, &srv, NULL, CLOSED, NULL, 0, NOPEER),
		ev(ACCEPT,        0.448, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 919.287, &c, &cli, NULL, CLOSED, NULL, ETIMEDOUT, 0),
		ev(READ_ERR,    919.364, &c, &cli, NULL, CLOSED, NULL, ETIMEDOUT, 0),
		SIGPIPE_OF(     919.400, &cli),
		ev(WRITE_ERR,   919.415, &c, &cli, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     919.432, &c, &cli, NULL, CLOSED, NULL, 0, 0),
		ev(CLOSE,       919.804, &s, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(ERR_PENDING, 919.834, &s, &srv, NULL, CLOSED, NULL, ECONNABORTED, NODPORT),
		ev(DESTROY,     919.838, &s, &srv, NULL, CLOSED, NULL, 0, NODPORT),
	};

	if (play("timeout_abort", e, N(e), 1, NULL) == 1)
		expect("timeout_abort", &tls[0], "timeout_abort", "10.200.0.1:51260/18313/rt_cli_tmo",
		       "10.200.0.2:19007/18314/rt_srv_tmo",
		       "a:connect b:accept a:error_pending a:read_error a:sigpipe a:write_error "
		       "a:destroy b:close b:error_pending b:destroy", "-",
		       "rt_cli_tmo (pid 18313)'s connection to rt_srv_tmo (pid 18314) timed out",
		       "ETIMEDOUT", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* reset_by_remote: the client side of scen remote (10.200.0.1:54904 -> 10.200.0.2:19008);  */
/* the server's socket events are left out, as for a peer on another host                  */

static void test_reset_by_remote(void)
{
	const struct task cli = { 18715, 0, "rt_cli_rmt" };
	const struct sock c = { "10.200.0.1", 54904, "10.200.0.2", 19008, 4899, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_RECV,    0.723, &c, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.728, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(READ_ERR,    0.834, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		SIGPIPE_OF(     0.873, &cli),
		ev(WRITE_ERR,   0.874, &c, &cli, NULL, CLOSED, NULL, EPIPE, 0),
		SIGPIPE_OF(     0.878, &cli),
		ev(WRITE_ERR,   0.879, &c, &cli, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     0.884, &c, &cli, NULL, CLOSED, NULL, 0, 0),
	};

	if (play("reset_by_remote", e, N(e), 1, NULL) == 1)
		expect("reset_by_remote", &tls[0], "reset_by_remote",
		       "10.200.0.1:54904/18715/rt_cli_rmt", "10.200.0.2:19008/-/-",
		       "a:connect a:rst_recv a:error_pending a:read_error a:sigpipe a:write_error "
		       "a:sigpipe a:write_error a:destroy", "-", "rt_cli_rmt (pid 18715)",
		       "10.200.0.2:19008", "no socket here sent the reset", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* unknown: a lone rst_recv; its sender is a live local socket that closed nothing, reset for  */
/* a reason no rule knows (made up, on the shape of the recordings)                       */

static const struct task unk_cli = { 4242, 0, "client" }, unk_srv = { 4343, 0, "server" };

static int seq_unknown(struct event *e, double dt)
{
	const struct sock c = { "127.0.0.1", 41000, "127.0.0.1", 8080, 11, 0 };
	const struct sock s = { "127.0.0.1", 8080, "127.0.0.1", 41000, 12, 0 };
	int n = 0;

	e[n++] = ev(CONNECT,     dt + 0.000, &c, &unk_cli, NULL,     SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,      dt + 0.200, &s, &unk_srv, NULL,     ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(RST_RECV,    dt + 7.000, &c, &unk_cli, &unk_srv, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, dt + 7.020, &c, &unk_cli, &unk_srv, CLOSED, NULL, ECONNRESET, 0);
	e[n++] = ev(RST_SENT,    dt + 7.050, &s, &unk_srv, &unk_cli, ESTABLISHED, "NOT_SPECIFIED", 0, 0);
	return n;
}

static void test_unknown(void)
{
	struct event e[8];
	int n = seq_unknown(e, 0);

	if (play("unknown", e, n, 1, NULL) == 1)
		expect("unknown", &tls[0], "unknown", "127.0.0.1:41000/4242/client",
		       "127.0.0.1:8080/4343/server",
		       "a:connect b:accept a:rst_recv a:error_pending b:rst_sent", "-",
		       "no known pattern fits", "server (pid 4343)", "client (pid 4242)", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* (g) the incident: curl -> nginx -> rt_gateway (tests/e2e/incident/run.sh off|on)       */

static const struct task curl = { 22512, 0, "curl" }, nginx = { 22497, 0, "nginx" };
/* Go: the handler's thread (made up; tgid 22480) writes and gets the SIGPIPE */
static const struct task gw = { 22480, 22484, "rt_gateway" };
static const struct task yes = { 19202, 0, "yes" }; /* ran the softirq that destroyed N2 */
static const struct sock g_k = { "127.0.0.1", 45204, "127.0.0.1", 55711, 932, 0 };  /* curl */
static const struct sock g_n1 = { "127.0.0.1", 55711, "127.0.0.1", 45204, 933, 0 }; /* nginx */
static const struct sock g_n2 = { "127.0.0.1", 52198, "127.0.0.1", 46709, 934, 0 }; /* nginx */
static const struct sock g_g = { "127.0.0.1", 46709, "127.0.0.1", 52198, 935, 0 };  /* gw */
static const struct sock g_nl = { "127.0.0.1", 55711, NULL, 0, 929, 0 };
static const struct sock g_gl = { "127.0.0.1", 46709, NULL, 0, 4972, 0 };

/*
 * proxy_ignore_client_abort off, as delivered with -P GW_PORT,NGINX_PORT. upstream_start:
 * false to leave out the upstream's connect and accept (the tracer started later); loss_ms:
 * when nginx's socket got curl's FIN (recorded: 3001.043).
 */
static int seq_incident_off(struct event *e, bool upstream_start, double loss_ms)
{
	int n = 0;

	e[n++] = ev(CONNECT,     0.000, &g_k,  &curl,  NULL,   SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,      4.907, &g_n1, &nginx, NULL,   ESTABLISHED, NULL, 0, 0);
	if (upstream_start) {
		e[n++] = ev(CONNECT, 5.032, &g_n2, &nginx, NULL,   SYN_SENT, NULL, 0, NOPORT);
		e[n++] = ev(ACCEPT,  5.309, &g_g,  &gw,    NULL,   ESTABLISHED, NULL, 0, 0);
	}
	e[n++] = ev(CLOSE,    3000.991, &g_k,  &curl,  NULL,   FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(PEER_FIN,  loss_ms, &g_n1, &nginx, &curl,  CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(CLOSE,    3003.874, &g_n2, &nginx, NULL,   FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(PEER_FIN, 3003.916, &g_g,  &gw,    &nginx, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(CLOSE,    3003.954, &g_n1, &nginx, NULL,   LAST_ACK, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3003.972, &g_k,  &curl,  &nginx, CLOSED, NULL, 0, 0);
	e[n++] = ev(CLOSE,    3003.984, &g_n1, &nginx, NULL,   CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3003.986, &g_n1, &nginx, NULL,   CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3044.707, &g_n2, &nginx, &yes,   CLOSED, NULL, 0, 0);
	/* nginx's timewait sock (its cookie) answers the gateway's write, on the gateway's stack */
	e[n++] = ev(RST_SENT, 3405.734, &g_n2, &nginx, &gw,    TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0);
	e[n++] = ev(RST_RECV, 3405.779, &g_g,  &gw,    NULL,   CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, 3405.791, &g_g, &gw,  NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(WRITE,    3405.802, &g_g,  &gw,    NULL,   CLOSED, NULL, 4096, 0);
	e[n++] = SIGPIPE_OF(  3405.815, &gw);
	e[n++] = ev(WRITE_ERR, 3405.818, &g_g, &gw,    NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(DESTROY,  3405.842, &g_g,  &gw,    NULL,   CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3435.081, &g_nl, &nginx, NULL,   CLOSED, NULL, 0, NOPEER);
	e[n++] = ev(DESTROY,  3442.280, &g_gl, &gw,    NULL,   CLOSED, NULL, 0, NOPEER);
	return n;
}

/*
 * The same run as the kernel side delivers it under -P GW_PORT (bpf/rsttrace.bpf.c at
 * 2fcf0eb; its timeline was checked against a real run): curl is not followed; nginx's client
 * socket becomes a cause when nginx, already following the upstream, closes it at 3003.954.
 * Then come its accept (remembered, at the close's time), the FIN nginx missed (at its own
 * time, 3001.043, trigger curl), the closes and the destroy, all flagged: the loss is
 * delivered after the upstream close it explains.
 */
static int seq_incident_off_filtered(struct event *e)
{
	int n = 0;

	e[n++] = ev(CONNECT,     5.032, &g_n2, &nginx, NULL,   SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,      5.309, &g_g,  &gw,    NULL,   ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(CLOSE,    3003.874, &g_n2, &nginx, NULL,   FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(PEER_FIN, 3003.916, &g_g,  &gw,    &nginx, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(ACCEPT,   3003.954, &g_n1, &nginx, NULL,   LAST_ACK, NULL, 0, CAUSE);
	e[n++] = ev(PEER_FIN, 3001.043, &g_n1, &nginx, &curl,  CLOSE_WAIT, NULL, 0, CAUSE);
	e[n++] = ev(CLOSE,    3003.954, &g_n1, &nginx, NULL,   LAST_ACK, NULL, 0, CAUSE);
	e[n++] = ev(CLOSE,    3003.984, &g_n1, &nginx, NULL,   CLOSED, NULL, 0, CAUSE);
	e[n++] = ev(DESTROY,  3003.986, &g_n1, &nginx, NULL,   CLOSED, NULL, 0, CAUSE);
	e[n++] = ev(DESTROY,  3044.707, &g_n2, &nginx, &yes,   CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_SENT, 3405.734, &g_n2, &nginx, &gw,    TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0);
	e[n++] = ev(RST_RECV, 3405.779, &g_g,  &gw,    NULL,   CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, 3405.791, &g_g, &gw,  NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(WRITE,    3405.802, &g_g,  &gw,    NULL,   CLOSED, NULL, 4096, 0);
	e[n++] = SIGPIPE_OF(  3405.815, &gw);
	e[n++] = ev(WRITE_ERR, 3405.818, &g_g, &gw,    NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(DESTROY,  3405.842, &g_g,  &gw,    NULL,   CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3442.280, &g_gl, &gw,    NULL,   CLOSED, NULL, 0, NOPEER);
	return n;
}

#define UPSTREAM_A "127.0.0.1:52198/22497/nginx"
#define UPSTREAM_B "127.0.0.1:46709/22480/rt_gateway"
#define UPSTREAM_EVENTS                                                                     \
	"a:connect b:accept a:close b:peer_fin a:destroy a:rst_sent b:rst_recv "            \
	"b:error_pending b:write b:sigpipe b:write_error b:destroy"

#define INCIDENT_CAUSE "127.0.0.1:45204/22512/curl 127.0.0.1:55711/22497/nginx peer_fin 22512/curl"

static void test_incident_off(void)
{
	struct event e[32];
	int n = seq_incident_off(e, true, 3001.043);
	const char *name = "client_abort_propagated";

	/* curl<->nginx ended with FINs only: no incident, no timeline of its own */
	if (play(name, e, n, 1, NULL) != 1)
		return;
	expect(name, &tls[0], "client_abort_propagated", UPSTREAM_A, UPSTREAM_B, UPSTREAM_EVENTS,
	       INCIDENT_CAUSE, "curl (pid 22512)", "after 3.0 s", "nginx (pid 22497)",
	       "rt_gateway (pid 22480)", "0.4 s later", "4096 bytes", "EPIPE",
	       "proxy_ignore_client_abort on", NULL);
	/* nginx saw curl's FIN at 3001.043, 2996.011 ms after the upstream's first event */
	CHECK(label(name, "caused_by.t_ms = +2996.011 (%.3f)", tls[0].cause_t),
	      tls[0].cause_t > 2996.0105 && tls[0].cause_t < 2996.0115);
}

/* -P GW_PORT: the client connection is a cause only, its loss delivered after the close it
 * explains; not printed, and still the cause, started by curl */
static void test_incident_off_filtered(void)
{
	struct event e[32];
	int n = seq_incident_off_filtered(e);
	const char *name = "client_abort_propagated under -P GW_PORT";

	if (play(name, e, n, 1, NULL) != 1)
		return;
	expect(name, &tls[0], "client_abort_propagated", UPSTREAM_A, UPSTREAM_B, UPSTREAM_EVENTS,
	       INCIDENT_CAUSE, "curl (pid 22512)", "nginx (pid 22497)", "rt_gateway (pid 22480)",
	       "EPIPE", "proxy_ignore_client_abort on", NULL);
	CHECK(label(name, "caused_by.t_ms = +2996.011 (%.3f)", tls[0].cause_t),
	      tls[0].cause_t > 2996.0105 && tls[0].cause_t < 2996.0115);
}

/*
 * The same run as the kernel delivers it in quiet mode (no filter, timelines): at first only
 * the copies cause linking needs, the close of each connection an end did not accept and the
 * FIN on each it did not open; then, at each socket's first incident, its held records before
 * it (connect with its port: the kernel keeps the socket's tuple). Between the loss and the
 * reset, `noise` losses of another process push curl's loss out of the ring of recent losses.
 */
static const struct task other = { 31000, 0, "other" };

static int seq_incident_off_quiet(struct event *e, int noise)
{
	int n = 0;

	e[n++] = ev(CLOSE,    3000.991, &g_k,  &curl,  NULL,   FIN_WAIT1, NULL, 0, QUIET);
	e[n++] = ev(PEER_FIN, 3001.043, &g_n1, &nginx, &curl,  CLOSE_WAIT, NULL, 0, QUIET);
	e[n++] = ev(CLOSE,    3003.874, &g_n2, &nginx, NULL,   FIN_WAIT1, NULL, 0, QUIET);
	e[n++] = ev(PEER_FIN, 3003.916, &g_g,  &gw,    &nginx, CLOSE_WAIT, NULL, 0, QUIET);
	for (int i = 0; i < noise; i++) {
		struct sock s = { "127.0.0.1", 8080, "127.0.0.1", (__u16)(20000 + i), 50000u + i, 0 };

		e[n++] = ev(PEER_FIN, 3010 + i * 0.1, &s, &other, NULL, CLOSE_WAIT, NULL, 0, QUIET);
	}
	e[n++] = ev(CONNECT,     5.032, &g_n2, &nginx, NULL,   SYN_SENT, NULL, 0, 0);
	e[n++] = ev(CLOSE,    3003.874, &g_n2, &nginx, NULL,   FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(DESTROY,  3044.707, &g_n2, &nginx, &yes,   CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_SENT, 3405.734, &g_n2, &nginx, &gw,    TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0);
	e[n++] = ev(ACCEPT,      5.309, &g_g,  &gw,    NULL,   ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(PEER_FIN, 3003.916, &g_g,  &gw,    &nginx, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(RST_RECV, 3405.779, &g_g,  &gw,    NULL,   CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, 3405.791, &g_g, &gw,  NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(WRITE,    3405.802, &g_g,  &gw,    NULL,   CLOSED, NULL, 4096, 0);
	e[n++] = SIGPIPE_OF(  3405.815, &gw);
	e[n++] = ev(WRITE_ERR, 3405.818, &g_g, &gw,    NULL,   CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(DESTROY,  3405.842, &g_g,  &gw,    NULL,   CLOSED, NULL, 0, 0);
	return n;
}

/* quiet mode: the copies print nothing; the upstream's timeline is the one of the full
 * stream, its cause kept by cookie though 2000 later losses pushed it out of the ring */
static void test_incident_off_quiet(void)
{
	static struct event e[2100];
	const char *name = "client_abort_propagated, quiet mode";
	int n = seq_incident_off_quiet(e, 0);

	if (play(name, e, n, 1, NULL) != 1)
		return;
	expect(name, &tls[0], "client_abort_propagated", UPSTREAM_A, UPSTREAM_B, UPSTREAM_EVENTS,
	       INCIDENT_CAUSE, "curl (pid 22512)", "after 3.0 s", "nginx (pid 22497)",
	       "rt_gateway (pid 22480)", "EPIPE", "proxy_ignore_client_abort on", NULL);
	CHECK(label(name, "caused_by.t_ms = +2996.011 (%.3f)", tls[0].cause_t),
	      tls[0].cause_t > 2996.0105 && tls[0].cause_t < 2996.0115);

	name = "client_abort_propagated, quiet mode, 2000 losses between";
	n = seq_incident_off_quiet(e, 2000);
	if (play(name, e, n, 1, NULL) != 1)
		return;
	expect(name, &tls[0], "client_abort_propagated", UPSTREAM_A, UPSTREAM_B, UPSTREAM_EVENTS,
	       INCIDENT_CAUSE, "curl (pid 22512)", NULL);
}

/* quiet copies alone (healthy connections): no timeline, no table entry */
static void test_quiet_copies_only(void)
{
	struct event e[32];
	struct rig r;

	seq_incident_off_quiet(e, 0); /* its first 4: the copies */
	rig_open(&r, EMIT_JSON, NULL);
	CHECK("quiet copies: accepted", rig_add(&r, e, 4) == 0);
	CHECK("quiet copies: no connection in the table", rig_stats(&r).conns == 0);
	CHECK("quiet copies: flush returns 0", joiner__flush(r.j) == 0);
	CHECK("quiet copies: no timeline", rig_stats(&r).timelines == 0 && rig_lines(&r) == 0);
	free(rig_close(&r));
}

/* The tracer started after the upstream connection: its first event is nginx's close, 2.8 ms
 * after the loss, so the cause has a negative t_ms. */
static void test_incident_off_negative_t(void)
{
	struct event e[32];
	int n = seq_incident_off(e, false, 3001.043);
	const char *name = "client_abort_propagated, cause before the timeline";

	if (play(name, e, n, 1, NULL) != 1)
		return;
	expect(name, &tls[0], "client_abort_propagated", UPSTREAM_A, UPSTREAM_B,
	       "a:close b:peer_fin a:destroy a:rst_sent b:rst_recv b:error_pending b:write "
	       "b:sigpipe b:write_error b:destroy", INCIDENT_CAUSE, "curl (pid 22512)", NULL);
	CHECK(label(name, "caused_by.t_ms = -2.831 (%.3f)", tls[0].cause_t),
	      tls[0].cause_t < -2.8305 && tls[0].cause_t > -2.8315);
}

/* A close 150 ms after the loss is not caused by it (window: 100 ms): the same reset is then
 * a plain write after the peer closed. */
static void test_incident_off_too_late(void)
{
	struct event e[32];
	int n = seq_incident_off(e, true, 3003.874 - 150);
	const char *name = "close 150 ms after the loss";

	if (play(name, e, n, 1, NULL) == 1)
		expect(name, &tls[0], "write_after_peer_close", UPSTREAM_A, UPSTREAM_B, NULL, "-",
		       NULL);
}

/* proxy_ignore_client_abort on (run.sh on, -P GW_PORT,NGINX_PORT) */
static const struct task curl_on = { 23465, 0, "curl" }, nginx_on = { 23441, 0, "nginx" };
static const struct task gw_on = { 23424, 23428, "rt_gateway" };
static const struct sock o_k = { "127.0.0.1", 47138, "127.0.0.1", 33715, 992, 0 };
static const struct sock o_n1 = { "127.0.0.1", 33715, "127.0.0.1", 47138, 993, 0 };
static const struct sock o_n2 = { "127.0.0.1", 58288, "127.0.0.1", 43709, 994, 0 };
static const struct sock o_g = { "127.0.0.1", 43709, "127.0.0.1", 58288, 995, 0 };
static const struct sock o_nl = { "127.0.0.1", 33715, NULL, 0, 982, 0 };
static const struct sock o_gl = { "127.0.0.1", 43709, NULL, 0, 981, 0 };

/* with -P GW_PORT,NGINX_PORT, as delivered */
static int seq_incident_on(struct event *e)
{
	const struct task *c = &curl_on, *x = &nginx_on, *g = &gw_on;
	int n = 0;

	e[n++] = ev(CONNECT,      0.000, &o_k,  c, NULL, SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,       0.203, &o_n1, x, NULL, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(CONNECT,      0.297, &o_n2, x, NULL, SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,       0.474, &o_g,  g, NULL, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(CLOSE,     3001.582, &o_k,  c, NULL, FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(PEER_FIN,  3001.657, &o_n1, x, c,    CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3045.589, &o_k,  c, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(CLOSE,     3402.592, &o_g,  g, NULL, FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(RST_SENT,  3402.785, &o_k,  c, x,    TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0);
	e[n++] = ev(RST_RECV,  3402.813, &o_n1, x, NULL, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING, 3402.822, &o_n1, x, NULL, CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(WRITE,     3402.833, &o_n1, x, NULL, CLOSED, NULL, 8238, 0);
	e[n++] = SIGPIPE_OF(   3402.842, x);
	e[n++] = ev(WRITE_ERR, 3402.845, &o_n1, x, NULL, CLOSED, NULL, EPIPE, 0);
	e[n++] = ev(PEER_FIN,  3402.901, &o_n2, x, NULL, CLOSE_WAIT, NULL, 0, 0);
	/* nginx closes the upstream with the response unread: an abort */
	e[n++] = ev(CLOSE,     3402.916, &o_n2, x, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_RECV,  3402.919, &o_g,  g, x,    FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3402.924, &o_g,  g, x,    CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_SENT,  3402.931, &o_n2, x, NULL, CLOSED, "TCP_ABORT_ON_CLOSE", 0, 0);
	e[n++] = ev(DESTROY,   3402.933, &o_n2, x, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3402.988, &o_n1, x, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3437.651, &o_nl, x, NULL, CLOSED, NULL, 0, NOPEER);
	e[n++] = ev(DESTROY,   3443.483, &o_gl, g, NULL, CLOSED, NULL, 0, NOPEER);
	return n;
}

/* With -P GW_PORT (bpf/rsttrace.bpf.c at 2fcf0eb): curl is not followed; nginx's client
 * socket is known from nginx's first send on it once nginx follows the upstream (its accept,
 * at that time), its write, write_error and destroy, flagged. The reset and error that came
 * before that send are not followed, and the SIGPIPE cannot be flagged (it has no socket). */
static int seq_incident_on_filtered(struct event *e)
{
	const struct task *x = &nginx_on, *g = &gw_on;
	int n = 0;

	e[n++] = ev(CONNECT,      0.297, &o_n2, x, NULL, SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,       0.474, &o_g,  g, NULL, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(CLOSE,     3402.592, &o_g,  g, NULL, FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(ACCEPT,    3402.833, &o_n1, x, NULL, CLOSED, NULL, 0, CAUSE);
	e[n++] = ev(WRITE,     3402.833, &o_n1, x, NULL, CLOSED, NULL, 8238, CAUSE);
	e[n++] = SIGPIPE_OF(   3402.842, x);
	e[n++] = ev(WRITE_ERR, 3402.845, &o_n1, x, NULL, CLOSED, NULL, EPIPE, CAUSE);
	e[n++] = ev(PEER_FIN,  3402.901, &o_n2, x, NULL, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(CLOSE,     3402.916, &o_n2, x, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_RECV,  3402.919, &o_g,  g, x,    FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3402.924, &o_g,  g, x,    CLOSED, NULL, 0, 0);
	e[n++] = ev(RST_SENT,  3402.931, &o_n2, x, NULL, CLOSED, "TCP_ABORT_ON_CLOSE", 0, 0);
	e[n++] = ev(DESTROY,   3402.933, &o_n2, x, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,   3402.988, &o_n1, x, NULL, CLOSED, NULL, 0, CAUSE);
	e[n++] = ev(DESTROY,   3443.483, &o_gl, g, NULL, CLOSED, NULL, 0, NOPEER);
	return n;
}

#define ON_UPSTREAM_A "127.0.0.1:58288/23441/nginx"
#define ON_UPSTREAM_B "127.0.0.1:43709/23424/rt_gateway"
/* nginx's active reset (traced after the gateway processed it) before the rst_recv */
#define ON_UPSTREAM_EVENTS                                                                  \
	"a:connect b:accept b:close a:peer_fin a:close a:rst_sent b:rst_recv b:destroy "    \
	"a:destroy"

static void test_incident_on(void)
{
	struct event e[32];
	int n = seq_incident_on(e);
	const char *name = "proxy_ignore_client_abort on";

	if ((n = play(name, e, n, 2, NULL)) != 2)
		return;
	/* the fix is confirmed: the upstream is an abort of unread data, not the incident */
	expect(name, find_tl(n, ON_UPSTREAM_A), "abort_unread_data", ON_UPSTREAM_A, ON_UPSTREAM_B,
	       ON_UPSTREAM_EVENTS,
	       "127.0.0.1:47138/23465/curl 127.0.0.1:33715/23441/nginx write_error 23465/curl",
	       "nginx (pid 23441) closed the connection", "rt_gateway (pid 23424)", NULL);
	/* and nginx's write to the client that left is its own incident */
	expect(name, find_tl(n, "127.0.0.1:47138/23465/curl"), "write_after_peer_close",
	       "127.0.0.1:47138/23465/curl", "127.0.0.1:33715/23441/nginx",
	       "a:connect b:accept a:close b:peer_fin a:destroy a:rst_sent b:rst_recv "
	       "b:error_pending b:write b:sigpipe b:write_error b:destroy", "-",
	       "curl (pid 23465) closed the connection", "nginx (pid 23441) wrote 8238 bytes",
	       "EPIPE", NULL);
}

/* -P GW_PORT: the client connection is a cause only, SIGPIPE included: one timeline, the
 * upstream's, still caused by nginx's failed write to the client */
static void test_incident_on_filtered(void)
{
	struct event e[32];
	int n = seq_incident_on_filtered(e);
	const char *name = "proxy_ignore_client_abort on, under -P GW_PORT";

	if (play(name, e, n, 1, NULL) == 1)
		expect(name, &tls[0], "abort_unread_data", ON_UPSTREAM_A, ON_UPSTREAM_B,
		       ON_UPSTREAM_EVENTS, NULL, "nginx (pid 23441) closed the connection", NULL);
	CHECK(label(name, "caused_by: the write_error on the client connection (%s)",
		    tls[0].cause),
	      strstr(tls[0].cause, "127.0.0.1:33715/23441/nginx") &&
		      strstr(tls[0].cause, " write_error "));
}

/* ------------------------------------------------------------------------------------ */
/* more than CONN_MAX_EVENTS events (made up: wapc's server writing on after EPIPE): the    */
/* rest counted, not kept                                                                  */

static void test_events_dropped(void)
{
	const struct task cli = { 12786, 0, "rt_cli_wapc" }, srv = { 12787, 0, "rt_srv_wapc" };
	const struct sock c = { "127.0.0.1", 54390, "127.0.0.1", 19004, 4792, 0 };
	const struct sock s = { "127.0.0.1", 19004, "127.0.0.1", 54390, 4793, 0 };
	struct event e[CONN_MAX_EVENTS + 10];
	char want[32];
	int n = 0;

	e[n++] = ev(CONNECT, 0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT, 0.332, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(CLOSE, 0.492, &c, &cli, NULL, FIN_WAIT1, NULL, 0, 0);
	e[n++] = ev(PEER_FIN, 0.566, &s, &srv, &cli, CLOSE_WAIT, NULL, 0, 0);
	e[n++] = ev(RST_SENT, 62.569, &c, &cli, &srv, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0);
	e[n++] = ev(RST_RECV, 62.632, &s, &srv, NULL, CLOSE_WAIT, NULL, 0, 0);
	for (; n < N(e); n++) /* a server that ignores EPIPE and keeps writing */
		e[n] = ev(WRITE_ERR, 63.0 + n, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0);
	snprintf(want, sizeof(want), "%d", n - CONN_MAX_EVENTS);
	if (play("events beyond the cap", e, n, 1, NULL) == 1)
		CHECK_STR("events beyond the cap: events_dropped", tls[0].dropped, want);
}

/* ------------------------------------------------------------------------------------ */
/* timing and lifecycle                                                                   */

static __u64 last_ts(const struct event *e, int n)
{
	__u64 t = 0;

	for (int i = 0; i < n; i++)
		if (e[i].ts_ns > t)
			t = e[i].ts_ns;
	return t;
}

static void test_linger_timing(void)
{
	struct event e[8];
	int n = seq_refused(e, 0, NS_HOST, 748, 59164);
	__u64 end = last_ts(e, n);
	struct rig r;

	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, n);
	joiner__tick(r.j, end + r.cfg.linger_ns / 2);
	CHECK("finished: kept while lingering", rig_lines(&r) == 0 && rig_stats(&r).conns == 1);
	joiner__tick(r.j, end + r.cfg.linger_ns - 1);
	CHECK("finished: not printed 1 ns before linger_ns of quiet", rig_lines(&r) == 0);
	joiner__tick(r.j, end + r.cfg.linger_ns);
	CHECK("finished: printed after linger_ns of quiet, then forgotten",
	      rig_lines(&r) == 1 && rig_stats(&r).conns == 0 && rig_stats(&r).timelines == 1);
	joiner__flush(r.j);
	CHECK("finished: flush prints it no second time", rig_lines(&r) == 1);
	free(rig_close(&r));
}

static void test_quiet_timing(void)
{
	struct event e[8];
	int n = seq_unknown(e, 0);
	__u64 end = last_ts(e, n);
	struct rig r;

	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, n);
	joiner__tick(r.j, end + r.cfg.linger_ns);
	CHECK("unfinished incident: not printed after linger_ns", rig_lines(&r) == 0);
	joiner__tick(r.j, end + r.cfg.quiet_ns - 1);
	CHECK("unfinished incident: not printed 1 ns before quiet_ns",
	      rig_lines(&r) == 0 && rig_stats(&r).conns == 1);
	joiner__tick(r.j, end + r.cfg.quiet_ns);
	CHECK("unfinished incident: printed after quiet_ns of quiet",
	      rig_lines(&r) == 1 && rig_stats(&r).conns == 0);
	free(rig_close(&r));

	/* a later event restarts the quiet time */
	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, n);
	e[0] = e[n - 1];
	e[0].ts_ns = end + r.cfg.quiet_ns - MS; /* one more error, late */
	rig_add(&r, e, 1);
	joiner__tick(r.j, end + r.cfg.quiet_ns);
	CHECK("unfinished incident: quiet counts from its last event", rig_lines(&r) == 0);
	joiner__tick(r.j, e[0].ts_ns + r.cfg.quiet_ns);
	CHECK("unfinished incident: printed quiet_ns after its last event", rig_lines(&r) == 1);
	free(rig_close(&r));
}

/* curl<->nginx of the incident alone: FINs only */
static void test_no_incident(void)
{
	struct event e[32], x[32];
	int n = seq_incident_off(x, true, 3001.043), m = 0;
	struct rig r;

	for (int i = 0; i < n; i++) /* its events only: curl's socket and nginx's client socket */
		if (x[i].cookie == g_k.cookie || x[i].cookie == g_n1.cookie)
			e[m++] = x[i];
	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, m);
	CHECK("no incident: in the table", rig_stats(&r).conns == 1);
	joiner__tick(r.j, last_ts(e, m) + r.cfg.linger_ns);
	CHECK("no incident: finished, forgotten unprinted",
	      rig_stats(&r).conns == 0 && rig_lines(&r) == 0);
	/* open, never closed: forgotten after idle_ns, never printed */
	rig_add(&r, e, 2);
	joiner__tick(r.j, e[1].ts_ns + r.cfg.quiet_ns);
	CHECK("no incident, open: still there after quiet_ns", rig_stats(&r).conns > 0);
	joiner__tick(r.j, e[1].ts_ns + r.cfg.idle_ns);
	CHECK("no incident, open: forgotten after idle_ns, unprinted",
	      rig_stats(&r).conns == 0 && rig_lines(&r) == 0);
	rig_add(&r, e, 2);
	joiner__flush(r.j);
	CHECK("no incident: flush prints nothing", rig_lines(&r) == 0 && rig_stats(&r).conns == 0);
	free(rig_close(&r));
}

static void test_flush(void)
{
	struct event e[16];
	int n = seq_unknown(e, 0);
	struct rig r;

	rig_open(&r, EMIT_JSON, NULL);
	n += seq_refused(e + n, 10, NS_HOST, 748, 59164);
	rig_add(&r, e, n);
	joiner__tick(r.j, last_ts(e, n) + MS);
	CHECK("flush: nothing printed by a tick 1 ms later", rig_lines(&r) == 0);
	CHECK("flush returns 0", joiner__flush(r.j) == 0);
	CHECK("flush: both pending incidents printed, table empty",
	      rig_lines(&r) == 2 && rig_stats(&r).conns == 0);
	joiner__flush(r.j);
	CHECK("flush again: nothing more", rig_lines(&r) == 2);
	free(rig_close(&r));
}

/* the same client port again, after the first connection was printed and forgotten; and
 * while the first one still lingers (a refused connection has no TIME_WAIT: the kernel may
 * reuse the port at once, docs/kernel.md §4: bound in time from SYN_SENT to DESTROY) */
static void test_port_reuse(void)
{
	struct event e[16];
	int n = seq_refused(e, 0, NS_HOST, 748, 59164), m;
	struct rig r;
	char *out;

	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, e, n);
	joiner__tick(r.j, last_ts(e, n) + 2 * S);
	m = seq_refused(e, 5000, NS_HOST, 9001, 59164);
	rig_add(&r, e, m);
	joiner__tick(r.j, last_ts(e, m) + 2 * S);
	out = rig_close(&r);
	if (reduce(out) == 2) {
		expect("port reused after", &tls[0], "refused", "127.0.0.1:59164/12559/rt_cli_ref",
		       "127.0.0.1:19001/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-", NULL);
		expect("port reused after, second", &tls[1], "refused",
		       "127.0.0.1:59164/12559/rt_cli_ref", "127.0.0.1:19001/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-", NULL);
	} else {
		CHECK("port reused after the first was forgotten: two timelines", 0);
	}
	free(out);

	rig_open(&r, EMIT_JSON, NULL);
	n = seq_refused(e, 0, NS_HOST, 748, 59164);
	n += seq_refused(e + n, 200, NS_HOST, 9001, 59164);
	rig_add(&r, e, n);
	joiner__flush(r.j);
	out = rig_close(&r);
	m = reduce(out);
	/* today: one timeline of 10 events, both attempts merged (see the report) */
	CHECK(label("port reused while the first lingers", "two timelines (%d), 5 events each",
			m),
		  m == 2 && !strcmp(tls[0].events, tls[1].events) &&
			  !strcmp(tls[1].events,
				  "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy"));
	free(out);
}

/* 127.0.0.1:59164 -> 127.0.0.1:19001 in two namespaces at once: two connections; reversed
 * non-loopback tuples in two namespaces pair (test_wapc_two_namespaces, test_timeout) */
static void test_netns(void)
{
	struct event a[8], b[8], e[16];
	int n = seq_refused(a, 0, NS_HOST, 748, 59164), k = 0;

	seq_refused(b, 0.05, NS_C, 9001, 59164);
	for (int i = 0; i < n; i++) { /* another client process; interleaved with the first */
		if (b[i].has_owner)
			b[i].owner.pid = 31000;
		e[k++] = a[i];
		e[k++] = b[i];
	}
	if (play("same loopback tuple, two namespaces", e, k, 2, NULL) == 2) {
		expect("netns host", find_tl(2, "127.0.0.1:59164/12559/rt_cli_ref"), "refused",
		       "127.0.0.1:59164/12559/rt_cli_ref", "127.0.0.1:19001/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-", NULL);
		expect("netns C", find_tl(2, "127.0.0.1:59164/31000/rt_cli_ref"), "refused",
		       "127.0.0.1:59164/31000/rt_cli_ref", "127.0.0.1:19001/-/-",
		       "a:connect b:rst_sent a:rst_recv a:error_pending a:destroy", "-", NULL);
	}
}

/* ------------------------------------------------------------------------------------ */
/* bounds: a million connections                                                          */

static size_t heap_in_use(void)
{
#ifdef HAVE_ASAN_STATS
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

struct synth {
	__u8 cli[16], srv[16];
	struct rt_task owner_c, owner_s;
};

static void quick(struct event *e, int kind, __u64 ts, const __u8 *sa, __u16 sp, const __u8 *da,
		  __u16 dp, __u64 cookie, const struct rt_task *owner, int state)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ts_ns = ts;
	e->family = RT_FAMILY_IPV4;
	memcpy(e->tuple.saddr, sa, 16);
	memcpy(e->tuple.daddr, da, 16);
	e->tuple.sport = e->sport = sp;
	e->tuple.dport = e->dport = dp;
	e->tuple.netns = e->netns = NS_HOST;
	e->state = state;
	e->reason = -1;
	e->bytes = -1;
	e->cookie = cookie;
	e->has_owner = true;
	e->owner = *owner;
}

/* connection i: 127.0.x.y:port -> 127.0.0.1:8080, by a client process of its own, connect,
 * close (FIN), destroy on both ends; every 100th is reset instead: the server aborts it with
 * unread data (close, its client's rst_recv and error_pending, the server's rst_sent). The
 * loads are spread over many processes, as on a host with many clients: the joiner's cause
 * look-up scans its whole loss memory on every close (see the report), which is what
 * dominates when every close belongs to the process that had the losses. */
static int synth_conn(struct event *e, unsigned long i, __u64 t, struct synth *s)
{
	__u16 port = 32768 + i % 28000, lport = 8080;
	__u64 ck = 2 * (__u64)i + 1, sk = ck + 1;
	bool rst = i % 100 == 0;
	int n = 0;

	s->cli[13] = (i / 28000) >> 8;
	s->cli[14] = (i / 28000) & 0xff;
	s->cli[15] = 2;
	s->owner_c.pid = s->owner_c.tid = 100000 + i % 50000;
	quick(&e[n++], RT_CONNECT, t, s->cli, 0, s->srv, lport, ck, &s->owner_c, SYN_SENT);
	if (rst) {
		quick(&e[n++], RT_ACCEPT, t + 1000, s->srv, lport, s->cli, port, sk, &s->owner_s,
		      ESTABLISHED);
		quick(&e[n++], RT_CLOSE, t + 2000, s->srv, lport, s->cli, port, sk, &s->owner_s, CLOSED);
		quick(&e[n++], RT_RST_RECV, t + 2100, s->cli, port, s->srv, lport, ck, &s->owner_c,
		      ESTABLISHED);
		quick(&e[n], RT_ERROR_PENDING, t + 2200, s->cli, port, s->srv, lport, ck, &s->owner_c,
		      CLOSED);
		e[n++].err = ECONNRESET;
		quick(&e[n], RT_RST_SENT, t + 2300, s->srv, lport, s->cli, port, sk, &s->owner_s, CLOSED);
		e[n++].reason = 11; /* TCP_ABORT_ON_CLOSE */
	} else {
		quick(&e[n++], RT_CLOSE, t + 2000, s->cli, port, s->srv, lport, ck, &s->owner_c, FIN_WAIT1);
	}
	quick(&e[n++], RT_DESTROY, t + 2400, s->cli, port, s->srv, lport, ck, &s->owner_c, CLOSED);
	quick(&e[n++], RT_DESTROY, t + 2500, s->srv, lport, s->cli, port, sk, &s->owner_s, CLOSED);
	return n;
}

static void million(const char *name, unsigned long count, unsigned max_conns, __u64 step_ns)
{
	struct joiner_config cfg;
	struct joiner_stats st;
	struct emitter em;
	struct synth s;
	struct event e[8];
	unsigned max_seen = 0;
	unsigned long rsts = 0, bad_adds = 0;
	size_t before, peak = 0, after, freed;
	struct timespec t0, t1;
	struct joiner *j;
	__u64 t = T0;
	FILE *devnull = fopen("/dev/null", "w");

	if (!devnull) {
		CHECK(label(name, "open /dev/null"), 0);
		return;
	}
	memset(&s, 0, sizeof(s));
	addr(s.cli, "127.0.0.2");
	addr(s.srv, "127.0.0.1");
	s.owner_c = (struct rt_task){ .pid = 1000, .tid = 1000, .comm = "loadgen" };
	s.owner_s = (struct rt_task){ .pid = 2000, .tid = 2000, .comm = "server" };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	before = heap_in_use();
	emitter_init(&em, EMIT_JSON, devnull, &clk, &reasons);
	joiner_config_defaults(&cfg);
	cfg.reasons = &reasons;
	if (max_conns)
		cfg.max_conns = max_conns;
	j = joiner__new(&cfg, &em);
	for (unsigned long i = 0; i < count; i++, t += step_ns) {
		int n = synth_conn(e, i, t, &s);

		rsts += i % 100 == 0;
		for (int k = 0; k < n; k++)
			bad_adds += joiner__add(j, &e[k]) != 0;
		joiner__stats(j, &st);
		if (st.conns > max_seen)
			max_seen = st.conns;
		if ((i + 1) % 1000 == 0) {
			size_t now;

			joiner__tick(j, t + 3000);
			now = heap_in_use();
			if (now > peak)
				peak = now;
		}
	}
	joiner__stats(j, &st);
	after = heap_in_use();
	CHECK(label(name, "every add returned 0"), bad_adds == 0);
	CHECK(label(name, "conns never above max_conns %u (max seen %u)", cfg.max_conns, max_seen),
	      max_seen <= cfg.max_conns);
	CHECK(label(name, "flush returns 0"), joiner__flush(j) == 0);
	joiner__stats(j, &st);
	printf("%s: %lu connections, %lu with a reset: timelines %llu, evicted %llu, unplaced "
	       "%llu, max conns %u\n",
	       name, count, rsts, st.timelines, st.evicted, st.unplaced, max_seen);
	CHECK(label(name, "every reset printed once, none lost (%llu of %lu)", st.timelines, rsts),
	      st.timelines == rsts);
	CHECK(label(name, "nothing unplaced"), st.unplaced == 0);
	if (max_conns && max_conns < count)
		CHECK(label(name, "evictions counted (%llu)", st.evicted), st.evicted > 0);
	else
		CHECK(label(name, "no eviction when ticks keep up (%llu)", st.evicted), st.evicted == 0);
	CHECK(label(name, "table empty after flush"), st.conns == 0);
	joiner__free(j);
	fclose(devnull);
	freed = heap_in_use();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (peak < after)
		peak = after;
	printf("%s: heap in use (%s): start %zu B, peak %zu B (+%.2f MB), end %zu B (+%.2f MB), "
	       "after joiner__free %zu B; %.1f s\n",
	       name,
#ifdef HAVE_ASAN_STATS
	       "ASan allocator",
#else
	       "mallinfo2 uordblks",
#endif
	       before, peak, (peak - before) / 1048576.0, after,
	       ((double)after - (double)before) / 1048576.0, freed,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("%s: mallinfo2().uordblks now %zu B (the glibc heap; ASan's allocator is separate)\n",
	       name, (size_t)mallinfo2().uordblks);
	CHECK(label(name, "heap stays bounded: peak under start + %u MB", max_conns ? 4 : 32),
	      peak - before < (size_t)(max_conns ? 4 : 32) * 1048576);
	CHECK(label(name, "heap back to the start after joiner__free"), freed <= before + 65536);
}

/* ------------------------------------------------------------------------------------ */
/* every JSON line once more, together: one valid object per line                         */

static void test_corpus(void)
{
	int n;

	fflush(corpus.f);
	n = reduce(corpus.buf);
	printf("(%d JSON timelines parsed by python3)\n", n);
	CHECK("all JSON timelines: python3 parsed every line", n == corpus.lines && n > 0);
	/* beyond the original timeline keys (conn, events, caused_by, verdict): events_dropped
	 * only (an extension in schema/rsttrace.schema.json) */
	CHECK_STR("timeline keys beyond the original contract's: events_dropped only", tls[0].extra,
		  "events_dropped");
}

/* ------------------------------------------------------------------------------------ */
/* issue 12: packet-filter resets, causality, the cause's originator under filters         */

static const struct task fw_cli = { 6001, 0, "client" }, fw_srv = { 6002, 0, "server" };

/* nft `reject with tcp reset` on a port with a listener, same host (made up on the shape of
 * the refused recording): the client's SYN is answered by a reset no socket sent, so no
 * rst_sent (the kernel's NO_SOCKET reset is what `refused` has) */
static void test_firewall_syn_same_host(void)
{
	const struct sock c = { "127.0.0.1", 50000, "127.0.0.1", 8081, 101, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_RECV,    0.200, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, 0),
		ev(ERR_PENDING, 0.210, &c, &fw_cli, NULL, CLOSED, NULL, ECONNREFUSED, 0),
		ev(DESTROY,     0.300, &c, &fw_cli, NULL, CLOSED, NULL, 0, NOSADDR | NODPORT),
	};
	const char *name = "firewall_reject, SYN, same host, from the records";

	if (play(name, e, N(e), 1, NULL) == 1)
		expect(name, &tls[0], "firewall_reject", "127.0.0.1:50000/6001/client",
		       "127.0.0.1:8081/-/-", "a:connect a:rst_recv a:error_pending a:destroy", "-",
		       "client (pid 6001) could not connect to 127.0.0.1:8081",
		       "a packet filter rule on this host", "no socket of it sent the reset", NULL);
}

/* A connection to another host rejected by this host's OUTPUT rule: the reset seen leaving
 * netfilter (bpf/nf_reset.bpf.c) decides it; without it the same records say refused. */
static void test_firewall_syn_remote(void)
{
	const struct sock c = { "10.9.0.1", 50001, "192.0.2.7", 443, 102, 0 };
	const struct sock r = { "192.0.2.7", 443, "10.9.0.1", 50001, 0, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(RST_FILTER,  0.100, &r, NULL,    NULL, 0, NULL, 0, 0),
		ev(RST_RECV,    0.150, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, 0),
		ev(ERR_PENDING, 0.160, &c, &fw_cli, NULL, CLOSED, NULL, ECONNREFUSED, 0),
		ev(DESTROY,     0.250, &c, &fw_cli, NULL, CLOSED, NULL, 0, NOSADDR | NODPORT),
	};
	struct event no_hook[4] = { e[0], e[2], e[3], e[4] };
	const char *name = "firewall_reject, SYN to another host, seen by the netfilter hook";

	if (play(name, e, N(e), 1, NULL) == 1)
		expect(name, &tls[0], "firewall_reject", "10.9.0.1:50001/6001/client",
		       "192.0.2.7:443/-/-", "a:connect b:rst_filter a:rst_recv a:error_pending "
		       "a:destroy", "-", "could not connect to 192.0.2.7:443",
		       "a packet filter rule on this host", "seen leaving the host's packet filter",
		       NULL);
	name = "another host's reset without the hook: refused";
	if (play(name, no_hook, N(no_hook), 1, NULL) == 1)
		expect(name, &tls[0], "refused", "10.9.0.1:50001/6001/client", "192.0.2.7:443/-/-",
		       NULL, "-", "nothing listens there", NULL);
}

/* The issue's case: the rule resets an established same-host connection when the client
 * writes; the client's next write fails; 1.7 s later the server closes with SO_LINGER {1, 0}.
 * The linger close came after the failure: it may not be blamed (was linger_abort). */
static int seq_firewall_then_linger(struct event *e, bool hook)
{
	const struct sock c = { "127.0.0.1", 50010, "127.0.0.1", 8090, 201, 0 };
	const struct sock s = { "127.0.0.1", 8090, "127.0.0.1", 50010, 202, 0 };
	const struct sock r = { "127.0.0.1", 8090, "127.0.0.1", 50010, 0, 0 };
	int n = 0;

	e[n++] = ev(CONNECT,        0.000, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, NOPORT);
	e[n++] = ev(ACCEPT,         0.200, &s, &fw_srv, NULL, ESTABLISHED, NULL, 0, 0);
	if (hook)
		e[n++] = ev(RST_FILTER, 99.990, &r, NULL, NULL, 0, NULL, 0, 0);
	e[n++] = ev(RST_RECV,     100.000, &c, &fw_cli, NULL, ESTABLISHED, NULL, 0, 0);
	e[n++] = ev(ERR_PENDING,  100.010, &c, &fw_cli, NULL, CLOSED, NULL, ECONNRESET, 0);
	e[n++] = ev(WRITE_ERR,    100.100, &c, &fw_cli, NULL, CLOSED, NULL, ECONNRESET, 0);
	e[n++] = ev(CLOSE,        100.200, &c, &fw_cli, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(DESTROY,      100.300, &c, &fw_cli, NULL, CLOSED, NULL, 0, 0);
	e[n++] = ev(CLOSE,       1800.000, &s, &fw_srv, NULL, CLOSED, NULL, 0, LINGER0);
	e[n++] = ev(RST_SENT,    1800.020, &s, &fw_srv, NULL, CLOSED, "TCP_STATE", 0, LINGER0);
	e[n++] = ev(DESTROY,     1800.030, &s, &fw_srv, NULL, CLOSED, NULL, 0, 0);
	return n;
}

static void test_firewall_then_linger(void)
{
	struct event e[16];
	int n = seq_firewall_then_linger(e, false);
	const char *name = "firewall_reject, established, then a linger close 1.7 s later";

	if (play(name, e, n, 1, NULL) == 1)
		expect(name, &tls[0], "firewall_reject", "127.0.0.1:50010/6001/client",
		       "127.0.0.1:8090/6002/server", NULL, "-",
		       "reset by a packet filter rule on this host, not by server (pid 6002)",
		       "client (pid 6001)'s next write failed with ECONNRESET", NULL);
	name = "the same with the hook's rst_filter";
	n = seq_firewall_then_linger(e, true);
	if (play(name, e, n, 1, NULL) == 1)
		expect(name, &tls[0], "firewall_reject", "127.0.0.1:50010/6001/client",
		       "127.0.0.1:8090/6002/server", NULL, "-", "seen leaving", NULL);
}

/* Causality alone, no packet filter: the server's linger close 1.7 s after the client's
 * write had failed on a reset the server's kernel sent for another reason (made up: a reset
 * the rules do not know, NOT_SPECIFIED) must not make it linger_abort. */
static void test_linger_after_failure(void)
{
	const struct sock c = { "127.0.0.1", 50020, "127.0.0.1", 8091, 211, 0 };
	const struct sock s = { "127.0.0.1", 8091, "127.0.0.1", 50020, 212, 0 };
	struct event e[] = {
		ev(CONNECT,        0.000, &c, &fw_cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,         0.200, &s, &fw_srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(RST_SENT,      99.990, &s, &fw_srv, &fw_cli, ESTABLISHED, "NOT_SPECIFIED", 0, 0),
		ev(RST_RECV,     100.000, &c, &fw_cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING,  100.010, &c, &fw_cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(WRITE_ERR,    100.100, &c, &fw_cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(CLOSE,       1800.000, &s, &fw_srv, NULL, CLOSED, NULL, 0, LINGER0),
		ev(RST_SENT,    1800.020, &s, &fw_srv, NULL, CLOSED, "TCP_STATE", 0, LINGER0),
		ev(DESTROY,     1800.030, &s, &fw_srv, NULL, CLOSED, NULL, 0, 0),
	};
	const char *name = "linger close after the peer's failure: not linger_abort";

	if (play(name, e, N(e), 1, NULL) == 1)
		expect(name, &tls[0], "unknown", "127.0.0.1:50020/6001/client",
		       "127.0.0.1:8091/6002/server", NULL, "-", NULL);
}

/* The remote recording's shape (tests/scen remote), with the server's socket on this host
 * (another namespace): it vanished (closed, freed) before a raw socket sent the reset. A
 * reset from a peer socket that is gone is not the packet filter's: reset_by_remote. */
static void test_vanished_peer(void)
{
	const struct task cli = { 18715, 0, "rt_cli_rmt" }, srv = { 18716, 0, "rt_srv_rmt" };
	const struct sock c = { "10.200.0.1", 54904, "10.200.0.2", 19008, 4899, NS_HOST };
	const struct sock s = { "10.200.0.2", 19008, "10.200.0.1", 54904, 4900, NS_B };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,      0.300, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,       0.600, &s, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(DESTROY,     0.610, &s, &srv, NULL, CLOSED, NULL, 0, 0),
		ev(RST_RECV,    0.723, &c, &cli, NULL, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.728, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(READ_ERR,    0.834, &c, &cli, NULL, CLOSED, NULL, ECONNRESET, 0),
		ev(DESTROY,     0.884, &c, &cli, NULL, CLOSED, NULL, 0, 0),
	};
	const char *name = "a vanished peer socket: reset_by_remote, not firewall_reject";

	if (play(name, e, N(e), 1, NULL) == 1)
		expect(name, &tls[0], "reset_by_remote", "10.200.0.1:54904/18715/rt_cli_rmt",
		       "10.200.0.2:19008/18716/rt_srv_rmt", NULL, "-", NULL);
	/* the same peer alive (no close, no destroy before the reset): the packet filter */
	memmove(&e[2], &e[4], 4 * sizeof(e[0]));
	name = "the peer socket alive, no socket sent the reset: firewall_reject";
	if (play(name, e, N(e) - 2, 1, NULL) == 1)
		expect(name, &tls[0], "firewall_reject", "10.200.0.1:54904/18715/rt_cli_rmt",
		       "10.200.0.2:19008/18716/rt_srv_rmt", NULL, "-", NULL);
}

/* the linger recording with the server ignoring SIGPIPE: the summary says so */
static void test_sigpipe_ignored(void)
{
	const struct task cli = { 12742, 0, "rt_cli_lin" }, srv = { 12743, 0, "rt_srv_lin" };
	const struct sock c = { "127.0.0.1", 52720, "127.0.0.1", 19003, 4784, 0 };
	const struct sock s = { "127.0.0.1", 19003, "127.0.0.1", 52720, 4785, 0 };
	struct event e[] = {
		ev(CONNECT,     0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,      0.197, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,       0.408, &c, &cli, NULL, CLOSED, NULL, 0, LINGER0),
		ev(RST_RECV,    0.426, &s, &srv, &cli, ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 0.439, &s, &srv, &cli, CLOSED, NULL, ECONNRESET, 0),
		ev(RST_SENT,    0.449, &c, &cli, NULL, CLOSED, "TCP_STATE", 0, LINGER0),
		ev(DESTROY,     0.456, &c, &cli, NULL, CLOSED, NULL, 0, NOSADDR | NODPORT),
		SIGPIPE_IGN(    0.503, &srv),
		ev(WRITE_ERR,   0.506, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     0.513, &s, &srv, NULL, CLOSED, NULL, 0, 0),
	};
	const char *name = "sigpipe ignored";

	if (play(name, e, N(e), 1, NULL) == 1)
		expect(name, &tls[0], "linger_abort", "127.0.0.1:52720/12742/rt_cli_lin",
		       "127.0.0.1:19003/12743/rt_srv_lin",
		       "a:connect b:accept a:close a:rst_sent b:rst_recv b:error_pending a:destroy "
		       "b:sigpipe b:write_error b:destroy", "-",
		       "rt_srv_lin (pid 12743)'s next write failed with EPIPE, and it ignores "
		       "SIGPIPE", NULL);
	e[7] = SIGPIPE_OF(0.503, &srv);
	name = "sigpipe delivered: nothing said";
	if (play(name, e, N(e), 1, NULL) == 1)
		CHECK(label(name, "no \"ignores SIGPIPE\""), !strstr(tls[0].summary, "ignores"));
}

/* write_after_peer_close's recording without the server's write: the error stays pending on
 * a socket whose peer had closed, where a read returns end-of-file; "it made no further
 * call" would claim what was not seen (successful reads are not traced) */
static void test_pending_after_eof(void)
{
	const struct task cli = { 12786, 0, "rt_cli_wapc" }, srv = { 12787, 0, "rt_srv_wapc" };
	const struct sock c = { "127.0.0.1", 54390, "127.0.0.1", 19004, 4792, 0 };
	const struct sock s = { "127.0.0.1", 19004, "127.0.0.1", 54390, 4793, 0 };
	struct event e[] = {
		ev(CONNECT,      0.000, &c, &cli, NULL, SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,       0.332, &s, &srv, NULL, ESTABLISHED, NULL, 0, 0),
		ev(CLOSE,        0.492, &c, &cli, NULL, FIN_WAIT1, NULL, 0, 0),
		ev(PEER_FIN,     0.566, &s, &srv, &cli, CLOSE_WAIT, NULL, 0, 0),
		ev(DESTROY,     41.468, &c, &cli, NULL, CLOSED, NULL, 0, 0),
		ev(RST_SENT,    62.569, &c, &cli, &srv, TIME_WAIT, "TCP_TIMEWAIT_SOCKET", 0, 0),
		ev(RST_RECV,    62.632, &s, &srv, NULL, CLOSE_WAIT, NULL, 0, 0),
		ev(ERR_PENDING, 62.654, &s, &srv, NULL, CLOSED, NULL, EPIPE, 0),
		ev(DESTROY,     90.718, &s, &srv, NULL, CLOSED, NULL, 0, 0),
	};
	const char *name = "error pending after the peer's FIN";

	if (play(name, e, N(e), 1, NULL) != 1)
		return;
	expect(name, &tls[0], "write_after_peer_close", "127.0.0.1:54390/12786/rt_cli_wapc",
	       "127.0.0.1:19004/12787/rt_srv_wapc", NULL, "-", "reads return end-of-file", NULL);
	CHECK(label(name, "not \"no further call\""), !strstr(tls[0].summary, "no further call"));
}

/*
 * HAProxy's shape under -P 9000 (made up on the shape of the e2e run, test_realsw.sh): curl
 * gives up at 1000 ms (its FIN reaches haproxy, which does not notice); at 2700 ms haproxy's
 * response write to curl is answered by a reset, its next write fails, and it closes the
 * upstream with SO_LINGER {1, 0}. Only haproxy is followed on the client connection (cause
 * only): the loss nearest the close is the failed write, 1.7 s after curl left; curl is named
 * by the trigger of the earlier FIN.
 */
/* the kernel's fin_seen entry for haproxy's client socket (cookie 302): curl's FIN at 1000 ms */
static bool kept_fin_of(void *ctx, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger)
{
	const struct task curl_ = { 7001, 0, "curl" };

	(void)ctx;
	if (cookie != 302)
		return false;
	*ts_ns = T0 + 1000 * MS;
	set_task(trigger, &curl_);
	return true;
}

static void test_haproxy_filtered(void)
{
	const struct task curl_ = { 7001, 0, "curl" }, hap = { 7002, 0, "haproxy" };
	const struct task srv = { 7003, 0, "rt_srv" };
	const struct sock h1 = { "127.0.0.1", 8000, "127.0.0.1", 40001, 302, 0 };
	const struct sock h2 = { "127.0.0.1", 40002, "127.0.0.1", 9000, 303, 0 };
	const struct sock sv = { "127.0.0.1", 9000, "127.0.0.1", 40002, 304, 0 };
	struct event e[] = {
		ev(CONNECT,        0.500, &h2, &hap, NULL,  SYN_SENT, NULL, 0, NOPORT),
		ev(ACCEPT,         0.600, &sv, &srv, NULL,  ESTABLISHED, NULL, 0, 0),
		ev(PEER_FIN,    1000.000, &h1, &hap, &curl_, CLOSE_WAIT, NULL, 0, CAUSE),
		ev(RST_RECV,    2700.000, &h1, &hap, NULL,  CLOSE_WAIT, NULL, 0, CAUSE),
		ev(ERR_PENDING, 2700.010, &h1, &hap, NULL,  CLOSED, NULL, EPIPE, CAUSE),
		ev(WRITE_ERR,   2700.050, &h1, &hap, NULL,  CLOSED, NULL, EPIPE, CAUSE),
		ev(CLOSE,       2700.100, &h2, &hap, NULL,  CLOSED, NULL, 0, LINGER0),
		ev(RST_RECV,    2700.110, &sv, &srv, &hap,  ESTABLISHED, NULL, 0, 0),
		ev(ERR_PENDING, 2700.115, &sv, &srv, &hap,  CLOSED, NULL, ECONNRESET, 0),
		ev(RST_SENT,    2700.120, &h2, &hap, NULL,  CLOSED, "TCP_STATE", 0, LINGER0),
		ev(DESTROY,     2700.130, &h2, &hap, NULL,  CLOSED, NULL, 0, 0),
		ev(CLOSE,       2700.200, &h1, &hap, NULL,  CLOSED, NULL, 0, CAUSE),
		ev(DESTROY,     2700.210, &h1, &hap, NULL,  CLOSED, NULL, 0, CAUSE),
		ev(READ_ERR,    2700.300, &sv, &srv, NULL,  CLOSED, NULL, ECONNRESET, 0),
		ev(DESTROY,     2700.400, &sv, &srv, NULL,  CLOSED, NULL, 0, 0),
	};
	const char *name = "linger_abort through haproxy, -P upstream";

	if (play(name, e, N(e), 1, NULL) != 1)
		return;
	expect(name, &tls[0], "linger_abort", "127.0.0.1:40002/7002/haproxy",
	       "127.0.0.1:9000/7003/rt_srv",
	       "a:connect b:accept a:close a:rst_sent b:rst_recv b:error_pending a:destroy "
	       "b:read_error b:destroy",
	       "127.0.0.1:40001/7001/curl 127.0.0.1:8000/7002/haproxy write_error 7001/curl",
	       "curl (pid 7001) gave up after 1.0 s: it closed its connection to haproxy (pid 7002)",
	       "haproxy (pid 7002) noticed 1.7 s later, when its write to it failed",
	       "SO_LINGER {1, 0}", "rt_srv (pid 7003)'s next read failed with ECONNRESET", NULL);

	/* As the kernel really delivers it (the e2e run): the FIN stays in the kernel's map
	 * (fin_seen) because haproxy closes that socket after the reset, not from CLOSE_WAIT;
	 * the joiner asks for it (fin_of) */
	struct joiner_config cfg;

	joiner_config_defaults(&cfg);
	cfg.reasons = &reasons;
	cfg.fin_of = kept_fin_of;
	memmove(&e[2], &e[3], (N(e) - 3) * sizeof(e[0]));
	name = "linger_abort through haproxy, -P upstream, the FIN kept by the kernel";
	if (play(name, e, N(e) - 1, 1, &cfg) != 1)
		return;
	expect(name, &tls[0], "linger_abort", "127.0.0.1:40002/7002/haproxy",
	       "127.0.0.1:9000/7003/rt_srv", NULL,
	       "127.0.0.1:40001/7001/curl 127.0.0.1:8000/7002/haproxy write_error 7001/curl",
	       "curl (pid 7001) gave up after 1.0 s", "noticed 1.7 s later", NULL);
	cfg.fin_of = NULL;
	name = "the same without the kernel's answer: no originator";
	if (play(name, e, N(e) - 1, 1, &cfg) != 1)
		return;
	CHECK(label(name, "caused_by without pid"), strstr(tls[0].cause, "write_error -/-"));
}

/* Quiet mode (no filter): the server end's records are held in the kernel until its own
 * incident, the linger close 1.7 s after the client's failure. The client's end is over at
 * once, but an established loopback connection has a server socket: the timeline waits for
 * it (up to quiet_ns) and comes out whole, firewall_reject, both ends named. */
static void test_await_held_peer(void)
{
	struct event all[16], cli[16], srv[16];
	int n = seq_firewall_then_linger(all, false), nc = 0, ns = 0;
	struct rig r;

	for (int i = 0; i < n; i++) {
		if (all[i].sport == 8090)
			srv[ns++] = all[i];
		else
			cli[nc++] = all[i];
	}
	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, cli, nc);
	joiner__tick(r.j, last_ts(cli, nc) + 1000 * MS);
	CHECK("held peer: the client's end over, the timeline waits for the server's",
	      rig_lines(&r) == 0 && rig_stats(&r).conns == 1);
	rig_add(&r, srv, ns);
	joiner__tick(r.j, last_ts(srv, ns) + r.cfg.linger_ns);
	CHECK("held peer: one timeline once both ends are over", rig_lines(&r) == 1);
	joiner__flush(r.j);
	if (reduce(r.buf) == 1)
		expect("held peer", &tls[0], "firewall_reject", "127.0.0.1:50010/6001/client",
		       "127.0.0.1:8090/6002/server", NULL, "-", NULL);
	free(rig_close(&r));

	rig_open(&r, EMIT_JSON, NULL);
	rig_add(&r, cli, nc);
	joiner__tick(r.j, last_ts(cli, nc) + r.cfg.quiet_ns);
	CHECK("held peer that never comes: printed after quiet_ns", rig_lines(&r) == 1);
	free(rig_close(&r));
}

int main(int argc, char **argv)
{
	bool big = !(argc > 1 && !strcmp(argv[1], "--quick"));
	int fd;

	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	tzset();
	reason_names_builtin(&reasons);
	fd = mkstemp(py_path);
	if (fd < 0 || write(fd, py_reduce, sizeof(py_reduce) - 1) != (ssize_t)sizeof(py_reduce) - 1) {
		perror("python script");
		return 1;
	}
	close(fd);
	corpus.f = open_memstream(&corpus.buf, &corpus.len);

	test_refused();
	test_refused_v6();
	test_backlog_overflow();
	test_backlog_overflow_high_port();
	test_abort_unread();
	test_out_of_order();
	test_linger();
	test_write_after_peer_close();
	test_wapc_two_namespaces();
	test_keepalive_race();
	test_keepalive_race_read();
	test_busy_server();
	test_timeout();
	test_reset_by_remote();
	test_unknown();
	test_incident_off();
	test_incident_off_filtered();
	test_incident_off_quiet();
	test_quiet_copies_only();
	test_incident_off_negative_t();
	test_incident_off_too_late();
	test_incident_on();
	test_incident_on_filtered();
	test_events_dropped();
	test_firewall_syn_same_host();
	test_firewall_syn_remote();
	test_firewall_then_linger();
	test_linger_after_failure();
	test_vanished_peer();
	test_sigpipe_ignored();
	test_pending_after_eof();
	test_haproxy_filtered();

	test_linger_timing();
	test_await_held_peer();
	test_quiet_timing();
	test_no_incident();
	test_flush();
	test_port_reuse();
	test_netns();
	test_corpus();

	if (big) {
		million("1M connections, max_conns 1000", 1000000, 1000, 50000);
		million("100k connections, default max_conns", 100000, 0, 100000);
	}

	fclose(corpus.f);
	free(corpus.buf);
	unlink(py_path);
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return CHECK_DONE();
}
