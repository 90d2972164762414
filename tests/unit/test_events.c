// SPDX-License-Identifier: GPL-2.0
/* test_events.c - golden tests of decoding and output: canned struct rt_event records (the
 * sequences of docs/kernel.md §1) in, the exact JSON line and text line out, no kernel.
 * The expected lines are written from the JSON contract (schema/rsttrace.schema.json), not
 * copied from output.
 * Expected JSON is written with ' for " to stay readable; sq() swaps them back. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "check.h"
#include "addr.h"
#include "emit.h"

/* T0 (monotonic) is 2026-11-28T01:29:11.123456789Z: 1795829351 s is 2026-11-28T01:29:11Z */
#define T0 5000123456789ULL
static const struct clock_map clk = { .mono_to_real_ns = 1795829351000000000LL - 5000000000000LL };
static struct reason_names reasons;

/* T0 + us microseconds: the recorded sequences' times are in ms with 3 decimals */
#define AT(us) (T0 + (us) * 1000ULL)

#define EVENT_KEYS "type,kind,time,ts_ns,pid,comm,family,saddr,sport,daddr,dport,state,reason," \
		   "errno,ret,bytes,trigger_pid,trigger_comm,cookie,cgroup,container,unit"
#define STATS_KEYS "type,events,lost,malformed,timelines,evicted,flooded,owners_full,shed,probes,ignored"
#define STATS_KEYS_QUIET "type,events,lost,malformed,timelines,evicted,flooded,probes,ignored"

/* every JSON line produced, with the key list it must have, checked by python3 at the end */
static struct {
	FILE *f;
	char *buf;
	size_t len;
	int lines;
	const char *keys[256];
} corpus;

static void keep_json(const char *line, const char *keys)
{
	if (!line || corpus.lines >= (int)(sizeof(corpus.keys) / sizeof(corpus.keys[0])))
		return;
	fputs(line, corpus.f);
	corpus.keys[corpus.lines++] = keys;
}

/* ------------------------------------------------------------------------------------ */
/* building records                                                                       */

static struct rt_event record(__u8 kind, __u64 ts_ns)
{
	struct rt_event r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.ts_ns = ts_ns;
	r.family = RT_FAMILY_IPV4;
	r.reason = RT_REASON_NONE;
	r.ctx = RT_CTX_TASK;
	r.tuple.netns = 4026531840u;
	return r;
}


static void tuple(struct rt_event *r, const char *saddr, __u16 sport, const char *daddr,
		  __u16 dport)
{
	addr(r->tuple.saddr, saddr);
	addr(r->tuple.daddr, daddr);
	r->tuple.sport = sport;
	r->tuple.dport = dport;
}

/* comm: copied as 16 raw bytes, so it may lack a NUL */
static void task(struct rt_task *t, __u32 pid, const char *comm)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = pid;
	strncpy(t->comm, comm, sizeof(t->comm));
}

static void owned(struct rt_event *r, __u8 by, __u32 pid, const char *comm)
{
	r->owner_by = by;
	task(&r->owner, pid, comm);
}

static void running(struct rt_event *r, __u8 ctx, __u32 pid, const char *comm)
{
	r->ctx = ctx;
	task(&r->current, pid, comm);
	if (ctx == RT_CTX_KTHREAD)
		r->flags |= RT_F_CURRENT_UNRELATED;
}

/* ------------------------------------------------------------------------------------ */
/* rendering and checking                                                                 */

static char *sq(const char *s)
{
	char *d = strdup(s);

	for (char *c = d; *c; c++)
		if (*c == '\'')
			*c = '"';
	return d;
}

/* One record through a fresh emitter into memory; text: without the column header unless
 * asked. *rc: what emit_event returned. */
static char *render(enum emit_mode mode, const struct event *ev, bool keep_header, int *rc)
{
	struct emitter e;
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	emitter_init(&e, mode, f, &clk, &reasons);
	*rc = emit_event(&e, ev);
	fclose(f);
	if (mode == EMIT_TEXT && !keep_header && (nl = strchr(buf, '\n')))
		memmove(buf, nl + 1, strlen(nl + 1) + 1);
	return buf;
}

/* A text row: each column padded to the header's width and followed by one space, then the
 * details, each as " key=value" (so a row without details ends in that one space). */
static char *row(const char *time, const char *kind, const char *owner, const char *local,
		 const char *peer, const char *state, const char *details)
{
	char *s;

	if (asprintf(&s, "%-15s %-13s %-22s %-24s %-24s %-11s %s%s\n", time, kind, owner, local,
		     peer, state, *details ? " " : "", details) < 0)
		exit(1);
	return s;
}

static const char *label(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", name, what);
	return buf;
}

/* raw -> exactly want_json (with ') and want_text (a row(), freed here) */
static void golden(const char *name, const struct rt_event *raw, const char *want_json,
		   char *want_text)
{
	struct event ev;
	char *want = sq(want_json), *json, *text;
	int rc;

	CHECK(label(name, "decodes"), event_decode(raw, &ev));
	json = render(EMIT_JSON, &ev, false, &rc);
	CHECK(label(name, "json emit returns 0"), rc == 0);
	CHECK_STR(label(name, "json line"), json, want);
	keep_json(json, EVENT_KEYS);
	text = render(EMIT_TEXT, &ev, false, &rc);
	CHECK(label(name, "text emit returns 0"), rc == 0);
	CHECK_STR(label(name, "text line"), text, want_text);
	free(want);
	free(json);
	free(text);
	free(want_text);
}

/* raw -> a JSON line containing json_part (with ') and a text row containing text_part */
static void contains(const char *name, const struct rt_event *raw, const char *json_part,
		     const char *text_part)
{
	struct event ev;
	char *want = sq(json_part), *json, *text;
	int rc;

	if (!event_decode(raw, &ev)) {
		CHECK(label(name, "decodes"), 0);
		free(want);
		return;
	}
	json = render(EMIT_JSON, &ev, false, &rc);
	keep_json(json, EVENT_KEYS);
	if (!strstr(json, want))
		printf("  json: %s  want part: %s\n", json, want);
	CHECK(label(name, "json"), rc == 0 && strstr(json, want));
	text = render(EMIT_TEXT, &ev, false, &rc);
	if (text_part) {
		if (!strstr(text, text_part))
			printf("  text: %s  want part: %s\n", text, text_part);
		CHECK(label(name, "text"), rc == 0 && strstr(text, text_part));
	}
	free(want);
	free(json);
	free(text);
}

/* ------------------------------------------------------------------------------------ */
/* (a) connect() to a closed port                                                         */

static void test_refused(void)
{
	struct rt_event r;

	/* SEND_RST sk=NULL reason=NO_SOCKET rst=127.0.0.1:19001>127.0.0.1:42046
	 * [softirq-in:connect]: no socket, so no owner; current is the connecting process */
	r = record(RT_RST_SENT, AT(345));
	r.reason = 1; /* NO_SOCKET */
	r.flags = RT_F_TUPLE_FROM_SKB;
	tuple(&r, "127.0.0.1", 19001, "127.0.0.1", 42046);
	running(&r, RT_CTX_IRQ, 8585, "cli_a");
	golden("a rst_sent NO_SOCKET, no owner", &r,
	       "{'type':'event','kind':'rst_sent','time':'2026-11-28T01:29:11.123801Z',"
	       "'ts_ns':5000123801789,'pid':null,'comm':null,'family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19001,'daddr':'127.0.0.1','dport':42046,"
	       "'state':null,'reason':'NO_SOCKET','errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':8585,'trigger_comm':'cli_a','cookie':null,'cgroup':null,'container':null,'unit':null}\n",
	       /* spelled out once, column by column: 15 13 22 24 24 11 */
	       strdup("01:29:11.123801 "
		      "rst_sent      "
		      "-                      "
		      "127.0.0.1:19001          "
		      "127.0.0.1:42046          "
		      "-           "
		      " reason=NO_SOCKET trigger=8585/cli_a\n"));

	/* RECV_RST sk=A cookie=4099 127.0.0.1:42046>127.0.0.1:19001 [proc:connect/backlog] */
	r = record(RT_RST_RECV, AT(390));
	r.state = RT_TCP_SYN_SENT;
	r.cookie = 4099;
	tuple(&r, "127.0.0.1", 42046, "127.0.0.1", 19001);
	owned(&r, RT_OWNER_COOKIE, 8585, "cli_a");
	running(&r, RT_CTX_TASK, 8585, "cli_a");
	golden("a rst_recv by the client in its connect()", &r,
	       "{'type':'event','kind':'rst_recv','time':'2026-11-28T01:29:11.123846Z',"
	       "'ts_ns':5000123846789,'pid':8585,'comm':'cli_a','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':42046,'daddr':'127.0.0.1','dport':19001,"
	       "'state':'SYN_SENT','reason':null,'errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'4099','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.123846", "rst_recv", "8585/cli_a", "127.0.0.1:42046",
		   "127.0.0.1:19001", "SYN_SENT", ""));

	/* ERR_REPORT error=111 [proc:connect/backlog]; the socket is CLOSE by then */
	r = record(RT_ERROR_PENDING, AT(431));
	r.state = RT_TCP_CLOSE;
	r.ret = ECONNREFUSED;
	r.cookie = 4099;
	tuple(&r, "127.0.0.1", 42046, "127.0.0.1", 19001);
	owned(&r, RT_OWNER_COOKIE, 8585, "cli_a");
	running(&r, RT_CTX_TASK, 8585, "cli_a");
	golden("a error_pending ECONNREFUSED", &r,
	       "{'type':'event','kind':'error_pending','time':'2026-11-28T01:29:11.123887Z',"
	       "'ts_ns':5000123887789,'pid':8585,'comm':'cli_a','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':42046,'daddr':'127.0.0.1','dport':19001,"
	       "'state':'CLOSE','reason':null,'errno':'ECONNREFUSED','ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'4099','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.123887", "error_pending", "8585/cli_a", "127.0.0.1:42046",
		   "127.0.0.1:19001", "CLOSE", "errno=ECONNREFUSED"));
}

/* ------------------------------------------------------------------------------------ */
/* (b) close() with unread data: the client's socket is reset in the server's close()     */

static void test_abort_unread(void)
{
	struct rt_event r;

	/* RECV_RST sk=C cookie=4100 127.0.0.1:44870>127.0.0.1:19002 [softirq-in:close],
	 * current = the server */
	r = record(RT_RST_RECV, AT(202022));
	r.state = RT_TCP_ESTABLISHED;
	r.cookie = 4100;
	tuple(&r, "127.0.0.1", 44870, "127.0.0.1", 19002);
	owned(&r, RT_OWNER_COOKIE, 8713, "cli_b");
	running(&r, RT_CTX_IRQ, 8754, "srv_b");
	golden("b rst_recv in the peer's close()", &r,
	       "{'type':'event','kind':'rst_recv','time':'2026-11-28T01:29:11.325478Z',"
	       "'ts_ns':5000325478789,'pid':8713,'comm':'cli_b','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':44870,'daddr':'127.0.0.1','dport':19002,"
	       "'state':'ESTABLISHED','reason':null,'errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':8754,'trigger_comm':'srv_b','cookie':'4100','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.325478", "rst_recv", "8713/cli_b", "127.0.0.1:44870",
		   "127.0.0.1:19002", "ESTABLISHED", "trigger=8754/srv_b"));

	/* RECV_LEN sk=C ret=-104: the client's recv */
	r = record(RT_READ_ERROR, AT(501462));
	r.state = RT_TCP_CLOSE;
	r.ret = -ECONNRESET;
	r.cookie = 4100;
	tuple(&r, "127.0.0.1", 44870, "127.0.0.1", 19002);
	owned(&r, RT_OWNER_CURRENT, 8713, "cli_b");
	running(&r, RT_CTX_TASK, 8713, "cli_b");
	golden("b read_error ECONNRESET", &r,
	       "{'type':'event','kind':'read_error','time':'2026-11-28T01:29:11.624918Z',"
	       "'ts_ns':5000624918789,'pid':8713,'comm':'cli_b','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':44870,'daddr':'127.0.0.1','dport':19002,"
	       "'state':'CLOSE','reason':null,'errno':'ECONNRESET','ret':-104,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'4100','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.624918", "read_error", "8713/cli_b", "127.0.0.1:44870",
		   "127.0.0.1:19002", "CLOSE", "errno=ECONNRESET ret=-104"));
}

/* ------------------------------------------------------------------------------------ */
/* (d) write after the peer closed: cli_d 9082 closed, srv_d 9123 writes                 */

static void test_write_after_peer_close(void)
{
	struct rt_event r;

	/* SEND_RST sk=TW state=TIME_WAIT reason=TCP_TIMEWAIT_SOCKET
	 * rst=127.0.0.1:58586>127.0.0.1:19004 [softirq-in:sendto]: the timewait sock kept the
	 * client's cookie, so the owner is the client; current is the writer */
	r = record(RT_RST_SENT, AT(501804));
	r.state = RT_TCP_TIME_WAIT;
	r.reason = 9; /* TCP_TIMEWAIT_SOCKET */
	r.flags = RT_F_TUPLE_FROM_SKB;
	r.cookie = 4103;
	tuple(&r, "127.0.0.1", 58586, "127.0.0.1", 19004);
	owned(&r, RT_OWNER_COOKIE, 9082, "cli_d");
	running(&r, RT_CTX_IRQ, 9123, "srv_d");
	golden("d rst_sent by the closed client's timewait sock", &r,
	       "{'type':'event','kind':'rst_sent','time':'2026-11-28T01:29:11.625260Z',"
	       "'ts_ns':5000625260789,'pid':9082,'comm':'cli_d','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':58586,'daddr':'127.0.0.1','dport':19004,"
	       "'state':'TIME_WAIT','reason':'TCP_TIMEWAIT_SOCKET','errno':null,'ret':null,"
	       "'bytes':null,'trigger_pid':9123,'trigger_comm':'srv_d','cookie':'4103','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625260", "rst_sent", "9082/cli_d", "127.0.0.1:58586",
		   "127.0.0.1:19004", "TIME_WAIT",
		   "reason=TCP_TIMEWAIT_SOCKET trigger=9123/srv_d"));

	/* RECV_RST sk=S cookie=5 [proc:sendto/backlog]: in the writer's own send() */
	r = record(RT_RST_RECV, AT(501882));
	r.state = RT_TCP_CLOSE_WAIT;
	r.cookie = 5;
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	owned(&r, RT_OWNER_COOKIE, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("d rst_recv in the writer's send()", &r,
	       "{'type':'event','kind':'rst_recv','time':'2026-11-28T01:29:11.625338Z',"
	       "'ts_ns':5000625338789,'pid':9123,'comm':'srv_d','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19004,'daddr':'127.0.0.1','dport':58586,"
	       "'state':'CLOSE_WAIT','reason':null,'errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'5','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625338", "rst_recv", "9123/srv_d", "127.0.0.1:19004",
		   "127.0.0.1:58586", "CLOSE_WAIT", ""));

	/* ERR_REPORT error=32: ret carries the errno, it is not a return value */
	r = record(RT_ERROR_PENDING, AT(501924));
	r.state = RT_TCP_CLOSE;
	r.ret = EPIPE;
	r.cookie = 5;
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	owned(&r, RT_OWNER_COOKIE, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("d error_pending EPIPE", &r,
	       "{'type':'event','kind':'error_pending','time':'2026-11-28T01:29:11.625380Z',"
	       "'ts_ns':5000625380789,'pid':9123,'comm':'srv_d','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19004,'daddr':'127.0.0.1','dport':58586,"
	       "'state':'CLOSE','reason':null,'errno':'EPIPE','ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'5','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625380", "error_pending", "9123/srv_d", "127.0.0.1:19004",
		   "127.0.0.1:58586", "CLOSE", "errno=EPIPE"));

	/* SEND_LEN sk=S ret=16384: the write that provoked the RST succeeds */
	r = record(RT_WRITE, AT(501943));
	r.state = RT_TCP_CLOSE;
	r.ret = 16384;
	r.cookie = 5;
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	owned(&r, RT_OWNER_CURRENT, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("d write 16384 (text shows the count once)", &r,
	       "{'type':'event','kind':'write','time':'2026-11-28T01:29:11.625399Z',"
	       "'ts_ns':5000625399789,'pid':9123,'comm':'srv_d','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19004,'daddr':'127.0.0.1','dport':58586,"
	       "'state':'CLOSE','reason':null,'errno':null,'ret':16384,'bytes':16384,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'5','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625399", "write", "9123/srv_d", "127.0.0.1:19004",
		   "127.0.0.1:58586", "CLOSE", "bytes=16384"));

	/* SIGNAL sig=13 result=1: no socket, so no tuple and no state; ret is the signal
	 * result (1: TRACE_SIGNAL_IGNORED, the process ignores SIGPIPE), shown because the
	 * signal was not delivered */
	r = record(RT_SIGPIPE, AT(501986));
	r.family = 0;
	r.ret = 1;
	memset(&r.tuple, 0, sizeof(r.tuple));
	owned(&r, RT_OWNER_CURRENT, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("d sigpipe: no tuple", &r,
	       "{'type':'event','kind':'sigpipe','time':'2026-11-28T01:29:11.625442Z',"
	       "'ts_ns':5000625442789,'pid':9123,'comm':'srv_d','family':null,"
	       "'saddr':null,'sport':null,'daddr':null,'dport':null,"
	       "'state':null,'reason':null,'errno':null,'ret':1,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':null,'cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625442", "sigpipe", "9123/srv_d", "-", "-", "-", "ret=1"));

	/* the same record with a stray tuple and state in it: still none (no socket) */
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	r.family = RT_FAMILY_IPV4;
	contains("d sigpipe ignores a stray tuple", &r,
		 "'family':null,'saddr':null,'sport':null,'daddr':null,'dport':null,", NULL);

	/* SEND_LEN sk=S ret=-32: the second send */
	r = record(RT_WRITE_ERROR, AT(502000));
	r.state = RT_TCP_CLOSE;
	r.ret = -EPIPE;
	r.cookie = 5;
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	owned(&r, RT_OWNER_CURRENT, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("d write_error EPIPE", &r,
	       "{'type':'event','kind':'write_error','time':'2026-11-28T01:29:11.625456Z',"
	       "'ts_ns':5000625456789,'pid':9123,'comm':'srv_d','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19004,'daddr':'127.0.0.1','dport':58586,"
	       "'state':'CLOSE','reason':null,'errno':'EPIPE','ret':-32,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'5','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.625456", "write_error", "9123/srv_d", "127.0.0.1:19004",
		   "127.0.0.1:58586", "CLOSE", "errno=EPIPE ret=-32"));
}

/* ------------------------------------------------------------------------------------ */
/* who is the trigger                                                                     */

static void check_trigger(const char *name, const struct rt_event *r, bool want)
{
	struct event ev;

	CHECK(label(name, "decoded trigger"), event_decode(r, &ev) && ev.has_trigger == want);
	contains(name, r,
		 want ? "'trigger_pid':9082,'trigger_comm':'cli_d','cookie'"
		      : "'trigger_pid':null,'trigger_comm':null,'cookie'",
		 NULL);
}

static void test_trigger_policy(void)
{
	struct rt_event r = record(RT_RST_RECV, T0);

	r.state = RT_TCP_ESTABLISHED;
	r.cookie = 5;
	tuple(&r, "127.0.0.1", 19004, "127.0.0.1", 58586);
	owned(&r, RT_OWNER_COOKIE, 9123, "srv_d");

	running(&r, RT_CTX_IRQ, 9082, "cli_d");
	check_trigger("trigger: softirq on another process's stack", &r, true);

	running(&r, RT_CTX_IRQ, 9123, "srv_d");
	r.current.tid = 9130; /* another thread of the owner */
	check_trigger("trigger: softirq on the owner's own stack -> null", &r, false);

	running(&r, RT_CTX_KTHREAD, 15, "ksoftirqd/1");
	check_trigger("trigger: kthread ctx -> null", &r, false);

	running(&r, RT_CTX_IRQ, 15, "kworker/1:1");
	r.flags |= RT_F_CURRENT_UNRELATED;
	check_trigger("trigger: kthread flag in irq ctx -> null", &r, false);
	r.flags = 0;

	running(&r, RT_CTX_IRQ, 0, "swapper/1");
	check_trigger("trigger: swapper (pid 0) -> null", &r, false);

	running(&r, RT_CTX_TASK, 9123, "srv_d");
	check_trigger("trigger: process context -> null", &r, false);

	/* no owner known: whoever ran it is the trigger, unless it is not a process */
	r.owner_by = RT_OWNER_NONE;
	running(&r, RT_CTX_IRQ, 9082, "cli_d");
	check_trigger("trigger: no owner, softirq in a process", &r, true);
	contains("no owner: pid and comm null", &r, "'pid':null,'comm':null,", NULL);
	running(&r, RT_CTX_IRQ, 0, "swapper/0");
	check_trigger("trigger: no owner, swapper -> null", &r, false);

	/* issue 12: nginx and curl in one namespace over its own address (not 127.0.0.1): the
	 * kernel routes it through the loopback device, softirq runs in the sender's call */
	owned(&r, RT_OWNER_COOKIE, 9123, "srv_d");
	tuple(&r, "10.77.0.1", 8080, "10.77.0.1", 58586);
	running(&r, RT_CTX_IRQ, 9082, "cli_d");
	check_trigger("trigger: one address at both ends (the namespace's own)", &r, true);
	tuple(&r, "fd00::7", 8080, "fd00::7", 58586);
	check_trigger("trigger: one IPv6 address at both ends", &r, true);
	/* a packet from another address came from a device: current is whoever was interrupted */
	tuple(&r, "10.77.0.1", 8080, "10.77.0.2", 58586);
	check_trigger("trigger: another host's address -> null", &r, false);
}

/* ------------------------------------------------------------------------------------ */
/* addresses                                                                              */

static void test_addresses(void)
{
	struct rt_event r;

	/* (a) over IPv6 (logs/a6.txt) */
	r = record(RT_RST_SENT, T0);
	r.family = RT_FAMILY_IPV6;
	r.reason = 1;
	r.flags = RT_F_TUPLE_FROM_SKB;
	tuple(&r, "::1", 19001, "::1", 42046);
	running(&r, RT_CTX_IRQ, 8585, "cli_a");
	golden("a6 rst_sent over IPv6", &r,
	       "{'type':'event','kind':'rst_sent','time':'2026-11-28T01:29:11.123456Z',"
	       "'ts_ns':5000123456789,'pid':null,'comm':null,'family':'ipv6',"
	       "'saddr':'::1','sport':19001,'daddr':'::1','dport':42046,"
	       "'state':null,'reason':'NO_SOCKET','errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':8585,'trigger_comm':'cli_a','cookie':null,'cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.123456", "rst_sent", "-", "[::1]:19001", "[::1]:42046", "-",
		   "reason=NO_SOCKET trigger=8585/cli_a"));

	/* an IPv6 socket talking to IPv4: printed as the kernel would */
	r = record(RT_RST_RECV, T0);
	r.family = RT_FAMILY_IPV6;
	r.state = RT_TCP_ESTABLISHED;
	r.cookie = 77;
	tuple(&r, "::ffff:127.0.0.1", 19004, "::ffff:127.0.0.1", 58586);
	owned(&r, RT_OWNER_COOKIE, 9123, "srv_d");
	running(&r, RT_CTX_TASK, 9123, "srv_d");
	golden("v4-mapped address on an IPv6 socket", &r,
	       "{'type':'event','kind':'rst_recv','time':'2026-11-28T01:29:11.123456Z',"
	       "'ts_ns':5000123456789,'pid':9123,'comm':'srv_d','family':'ipv6',"
	       "'saddr':'::ffff:127.0.0.1','sport':19004,"
	       "'daddr':'::ffff:127.0.0.1','dport':58586,"
	       "'state':'ESTABLISHED','reason':null,'errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'77','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:11.123456", "rst_recv", "9123/srv_d", "[::ffff:127.0.0.1]:19004",
		   "[::ffff:127.0.0.1]:58586", "ESTABLISHED", ""));

	/* byte order of addresses and ports */
	r = record(RT_RST_RECV, T0);
	r.state = RT_TCP_ESTABLISHED;
	tuple(&r, "10.1.2.3", 443, "192.168.200.1", 65535);
	owned(&r, RT_OWNER_COOKIE, 1, "init");
	contains("ipv4 byte order", &r,
		 "'family':'ipv4','saddr':'10.1.2.3','sport':443,'daddr':'192.168.200.1',"
		 "'dport':65535,",
		 "10.1.2.3:443             192.168.200.1:65535      ");
	r.family = RT_FAMILY_IPV6;
	tuple(&r, "2001:db8::1", 443, "fe80::1:2", 1);
	contains("ipv6 compressed", &r,
		 "'family':'ipv6','saddr':'2001:db8::1','sport':443,'daddr':'fe80::1:2','dport':1,",
		 "[2001:db8::1]:443        [fe80::1:2]:1            ");

	/* (c) srv_c's listener: DESTROY 127.0.0.1:19003>0.0.0.0:0, no peer */
	r = record(RT_DESTROY, AT(1000000)); /* one second later */
	r.state = RT_TCP_CLOSE;
	r.cookie = 4;
	tuple(&r, "127.0.0.1", 19003, "0.0.0.0", 0);
	owned(&r, RT_OWNER_COOKIE, 8945, "srv_c");
	running(&r, RT_CTX_TASK, 8945, "srv_c");
	golden("zeroed peer: null, '-' in text", &r,
	       "{'type':'event','kind':'destroy','time':'2026-11-28T01:29:12.123456Z',"
	       "'ts_ns':5001123456789,'pid':8945,'comm':'srv_c','family':'ipv4',"
	       "'saddr':'127.0.0.1','sport':19003,'daddr':null,'dport':null,"
	       "'state':'CLOSE','reason':null,'errno':null,'ret':null,'bytes':null,"
	       "'trigger_pid':null,'trigger_comm':null,'cookie':'4','cgroup':null,'container':null,'unit':null}\n",
	       row("01:29:12.123456", "destroy", "8945/srv_c", "127.0.0.1:19003", "-", "CLOSE",
		   ""));
	r.family = RT_FAMILY_IPV6;
	tuple(&r, "::1", 19003, "::", 0);
	contains("zeroed IPv6 peer", &r, "'saddr':'::1','sport':19003,'daddr':null,'dport':null,",
		 "[::1]:19003              -                        CLOSE");
	/* nothing known about either end */
	tuple(&r, "::", 0, "::", 0);
	contains("zeroed IPv6 tuple", &r,
		 "'family':'ipv6','saddr':null,'sport':null,'daddr':null,'dport':null,",
		 "8945/srv_c             -                        -                        CLOSE");
	r.family = RT_FAMILY_IPV4;
	tuple(&r, "0.0.0.0", 0, "0.0.0.0", 0);
	contains("zeroed IPv4 tuple", &r,
		 "'family':'ipv4','saddr':null,'sport':null,'daddr':null,'dport':null,", NULL);

	/* connect reports SYN_SENT before the local port is chosen: the port is unknown */
	r = record(RT_CONNECT, AT(0));
	r.state = RT_TCP_SYN_SENT;
	tuple(&r, "127.0.0.1", 0, "127.0.0.1", 19001);
	owned(&r, RT_OWNER_CURRENT, 8585, "cli_a");
	running(&r, RT_CTX_TASK, 8585, "cli_a");
	contains("connect: local port not chosen yet -> null", &r,
		 "'saddr':'127.0.0.1','sport':null,'daddr':'127.0.0.1','dport':19001,",
		 " 127.0.0.1:-              127.0.0.1:19001          SYN_SENT");

	/* an sk_err the table of names never listed (ICMP can set ENOPROTOOPT) and one no libc
	 * knows: named by the C library, or by number; never null, or the error is lost */
	r = record(RT_ERROR_PENDING, AT(1));
	r.state = RT_TCP_CLOSE;
	r.ret = ENOPROTOOPT;
	tuple(&r, "127.0.0.1", 42046, "127.0.0.1", 19001);
	contains("error_pending ENOPROTOOPT named", &r, "'errno':'ENOPROTOOPT','ret':null,",
		 "errno=ENOPROTOOPT");
	r.ret = 4000;
	contains("error_pending unknown errno by number", &r, "'errno':'ERRNO_4000',",
		 "errno=ERRNO_4000");

	/* (a) DESTROY after the failed connect: tcp_disconnect() zeroed the local address and
	 * dport but left daddr (logs/a.txt: 0.0.0.0:42046>127.0.0.1:0): each zeroed part is
	 * unknown on its own */
	r = record(RT_DESTROY, AT(536));
	r.state = RT_TCP_CLOSE;
	r.cookie = 4099;
	tuple(&r, "0.0.0.0", 42046, "127.0.0.1", 0);
	owned(&r, RT_OWNER_COOKIE, 8585, "cli_a");
	running(&r, RT_CTX_TASK, 8585, "cli_a");
	contains("a destroy: zeroed parts null, kept parts shown", &r,
		 "'saddr':null,'sport':42046,'daddr':'127.0.0.1','dport':null,'state':'CLOSE',",
		 " -:42046                  127.0.0.1:-              CLOSE");
}

/* ------------------------------------------------------------------------------------ */
/* names: kinds, reasons, states, errno                                                  */

static void test_kinds(void)
{
	static const char *const names[] = {
		"connect", "accept", "peer_fin", "close", "rst_sent", "rst_recv",
		"error_pending", "write", "write_error", "read_error", "sigpipe", "destroy",
		"rst_filter",
	};
	struct rt_event r;
	struct event ev;
	char want[64];

	for (int k = RT_CONNECT; k < RT_KIND_MAX; k++) {
		r = record(k, T0);
		tuple(&r, "127.0.0.1", 1, "127.0.0.1", 2);
		snprintf(want, sizeof(want), "{'type':'event','kind':'%s','time'", names[k - 1]);
		contains(names[k - 1], &r, want, NULL);
	}
	CHECK("13 kinds (the last, rst_filter, from the packet filter's object)", RT_KIND_MAX == 14);
	r = record(RT_RST_FILTER, T0);
	tuple(&r, "127.0.0.1", 1, "127.0.0.1", 2);
	contains("rst_filter", &r, "{'type':'event','kind':'rst_filter','time'", NULL);
	r = record(RT_KIND_NONE, T0);
	CHECK("kind 0 does not decode", !event_decode(&r, &ev));
	r = record(RT_RST_FILTER + 1, T0);
	CHECK("kind RT_RST_FILTER + 1 does not decode", !event_decode(&r, &ev));
	r = record(255, T0);
	CHECK("kind 255 does not decode", !event_decode(&r, &ev));
}

static void test_names(void)
{
	struct rt_event r = record(RT_RST_SENT, T0);

	r.state = RT_TCP_ESTABLISHED;
	tuple(&r, "127.0.0.1", 19001, "127.0.0.1", 42046);
	owned(&r, RT_OWNER_CURRENT, 9123, "srv_d");

	r.reason = 200;
	contains("reason 200 not in the table", &r, "'reason':'REASON_200',", " reason=REASON_200");
	r.reason = 24;
	contains("reason 24, the table's last", &r, "'reason':'ERROR',", " reason=ERROR\n");
	r.reason = 25;
	contains("reason 25, one past it", &r, "'reason':'REASON_25',", " reason=REASON_25");
	r.reason = 0;
	contains("reason 0 is a reason", &r, "'reason':'NOT_SPECIFIED',", " reason=NOT_SPECIFIED");
	r.reason = 11;
	contains("reason 11", &r, "'reason':'TCP_ABORT_ON_CLOSE',", " reason=TCP_ABORT_ON_CLOSE");
	r.reason = 14;
	contains("reason 14", &r, "'reason':'TCP_STATE',", " reason=TCP_STATE");
	r.reason = RT_REASON_NONE;
	contains("no reason (kernel < 6.10)", &r, "'state':'ESTABLISHED','reason':null,",
		 "ESTABLISHED \n");

	r.state = 99;
	contains("state 99 unknown", &r, "'dport':42046,'state':null,",
		 "127.0.0.1:42046          -           \n");
	r.state = 13;
	contains("state 13 unknown", &r, "'state':null,", NULL);
	r.state = 0;
	contains("state 0 unknown", &r, "'state':null,", NULL);
	r.state = RT_TCP_NEW_SYN_RECV;
	contains("state 12", &r, "'state':'NEW_SYN_RECV',", " NEW_SYN_RECV ");
	r.state = RT_TCP_LISTEN;
	contains("state 10", &r, "'state':'LISTEN',", " LISTEN ");

	/* a reason belongs to rst_sent only */
	r = record(RT_RST_RECV, T0);
	r.reason = 1;
	tuple(&r, "127.0.0.1", 19001, "127.0.0.1", 42046);
	contains("rst_recv has no reason", &r, "'reason':null,", NULL);

	r = record(RT_READ_ERROR, T0);
	tuple(&r, "127.0.0.1", 19001, "127.0.0.1", 42046);
	r.ret = -ETIMEDOUT;
	contains("read_error ETIMEDOUT", &r, "'errno':'ETIMEDOUT','ret':-110,'bytes':null,",
		 " errno=ETIMEDOUT ret=-110\n");

	r = record(RT_RST_RECV, T0);
	tuple(&r, "127.0.0.1", 19001, "127.0.0.1", 42046);
	r.cookie = ~0ULL;
	contains("cookie 2^64-1 as a string", &r, "'cookie':'18446744073709551615','cgroup':null,'container':null,'unit':null}\n", NULL);
}

/* ------------------------------------------------------------------------------------ */
/* comm: arbitrary bytes, 16 of them with no NUL                                          */

static void test_comm(void)
{
	struct rt_event r = record(RT_RST_SENT, T0);

	r.state = RT_TCP_TIME_WAIT;
	r.reason = 9;
	r.cookie = 4103;
	tuple(&r, "127.0.0.1", 58586, "127.0.0.1", 19004);
	owned(&r, RT_OWNER_COOKIE, 9082, "");
	running(&r, RT_CTX_IRQ, 9123, "");
	/* ESC [2J, DEL, 0xff, 0xc3 not followed by a continuation byte; 16 bytes, no NUL */
	memcpy(r.owner.comm, "bad\x1b[2J\x7f\xff\xc3(zzzzz", 16);
	memcpy(r.current.comm, "tab\there\nx\"\\y", 14);
	golden("comm: escapes, invalid UTF-8, 16 bytes without NUL", &r,
	       "{'type':'event','kind':'rst_sent','time':'2026-11-28T01:29:11.123456Z',"
	       "'ts_ns':5000123456789,'pid':9082,'comm':'bad\\u001b[2J\\u007f\\u00ff\\u00c3(zzzzz',"
	       "'family':'ipv4','saddr':'127.0.0.1','sport':58586,'daddr':'127.0.0.1',"
	       "'dport':19004,'state':'TIME_WAIT','reason':'TCP_TIMEWAIT_SOCKET','errno':null,"
	       "'ret':null,'bytes':null,'trigger_pid':9123,"
	       "'trigger_comm':'tab\\there\\nx\\\"\\\\y','cookie':'4103','cgroup':null,'container':null,'unit':null}\n",
	       /* text: no byte that a terminal could act on; every other byte as \xNN, a
		* backslash doubled: what the process chose stays readable, unambiguous */
	       row("01:29:11.123456", "rst_sent", "9082/bad\\x1b[2J\\x7f\\xff\\xc3(zzzzz",
		   "127.0.0.1:58586", "127.0.0.1:19004", "TIME_WAIT",
		   "reason=TCP_TIMEWAIT_SOCKET trigger=9123/tab\\x09here\\x0ax\"\\\\y"));

	memcpy(r.owner.comm, "0123456789abcdef", 16);
	memcpy(r.current.comm, "caf\xc3\xa9\0garbage", 14);
	contains("comm: 16 printable bytes, none more", &r,
		 "'pid':9082,'comm':'0123456789abcdef','family'", "9082/0123456789abcdef ");
	contains("comm: valid UTF-8 kept in JSON, stops at NUL", &r,
		 "'trigger_pid':9123,'trigger_comm':'caf\xc3\xa9','cookie'", NULL);
	memset(r.owner.comm, 0, 16);
	contains("comm: empty", &r, "'pid':9082,'comm':'','family'", " 9082/                  ");
}

/* ------------------------------------------------------------------------------------ */
/* time                                                                                   */

static void test_time(void)
{
	struct rt_event r = record(RT_RST_RECV, T0);
	struct event ev;
	char *text;
	int rc;

	tuple(&r, "127.0.0.1", 1, "127.0.0.1", 2);
	event_decode(&r, &ev);
	text = render(EMIT_TEXT, &ev, true, &rc);
	CHECK_STR("text header, then the row", text,
		  "TIME            EVENT         OWNER                  LOCAL                    "
		  "PEER                     STATE       DETAILS\n"
		  "01:29:11.123456 rst_recv      -                      127.0.0.1:1              "
		  "127.0.0.1:2              -           \n");
	free(text);

	/* text is local time, JSON stays UTC */
	setenv("TZ", "XST-5:30", 1);
	tzset();
	contains("TZ=UTC+5:30: text local, JSON UTC", &r,
		 "'time':'2026-11-28T01:29:11.123456Z','ts_ns':5000123456789,", "06:59:11.123456 ");
	setenv("TZ", "UTC", 1);
	tzset();

	/* across midnight, microseconds truncated */
	/* 01:29:11.123456789 + 22:30:48.876543210 = 23:59:59.999999999 */
	r.ts_ns = T0 + (22ULL * 3600 + 30 * 60 + 48) * 1000000000ULL + 876543210;
	contains("last ns of the day, truncated to .999999", &r,
		 "'time':'2026-11-28T23:59:59.999999Z','ts_ns':86048999999999,", "23:59:59.999999 ");
	r.ts_ns += 1;
	contains("midnight", &r, "'time':'2026-11-29T00:00:00.000000Z','ts_ns':86049000000000,",
		 "00:00:00.000000 ");
}

/* ------------------------------------------------------------------------------------ */
/* stats                                                                                  */

static void test_stats(void)
{
	struct emit_stats s = {
		.events = 7, .lost = 1, .malformed = 2, .timelines = 0, .nhooks = 3,
		.hook = { "send_reset", "receive_reset", "signal" },
		.mechanism = { "tp_btf", "raw_tp", NULL },
		.owners_full = 4,
		.shed = { [RT_CONNECT] = 3, [RT_DESTROY] = 2 },
		.shed_total = 5,
	};
	char *buf = NULL, *want;
	size_t len = 0;
	struct emitter e;
	FILE *f = open_memstream(&buf, &len);

	emitter_init(&e, EMIT_JSON, f, &clk, &reasons);
	CHECK("stats json returns 0", emit_stats(&e, &s) == 0);
	fflush(f);
	want = sq("{'type':'stats','events':7,'lost':1,'malformed':2,'timelines':0,'evicted':0,'flooded':0,"
		  "'owners_full':4,'shed':{'connect':3,'destroy':2},"
		  "'probes':{'send_reset':'tp_btf','receive_reset':'raw_tp','signal':null},"
		  "'ignored':0}\n");
	CHECK_STR("stats line", buf, want);
	keep_json(buf, STATS_KEYS);
	free(want);
	fclose(f);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	emitter_init(&e, EMIT_JSON, f, &clk, &reasons);
	s.nhooks = 0;
	s.events = 18446744073709551615ULL;
	s.owners_full = 0;
	memset(s.shed, 0, sizeof(s.shed));
	s.shed_total = 0;
	CHECK("stats without hooks returns 0", emit_stats(&e, &s) == 0);
	fflush(f);
	want = sq("{'type':'stats','events':18446744073709551615,'lost':1,'malformed':2,"
		  "'timelines':0,'evicted':0,'flooded':0,'probes':{},'ignored':0}\n");
	CHECK_STR("stats line, no hooks", buf, want);
	keep_json(buf, STATS_KEYS_QUIET);
	free(want);
	fclose(f);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	emitter_init(&e, EMIT_TEXT, f, &clk, &reasons);
	CHECK("stats text returns 0", emit_stats(&e, &s) == 0);
	fflush(f);
	CHECK("stats text writes nothing (not even the header)", len == 0);
	fclose(f);
	free(buf);
}

/* ------------------------------------------------------------------------------------ */
/* output failures                                                                        */

static int emit_to(FILE *f, enum emit_mode mode, const struct event *ev, bool stats)
{
	static const struct emit_stats s = { .nhooks = 1, .hook = { "send_reset" } };
	struct emitter e;

	emitter_init(&e, mode, f, &clk, &reasons);
	return stats ? emit_stats(&e, &s) : emit_event(&e, ev);
}

static void test_output_errors(void)
{
	struct rt_event r = record(RT_RST_RECV, T0);
	struct event ev;
	FILE *f;
	int fd[2];

	tuple(&r, "127.0.0.1", 1, "127.0.0.1", 2);
	event_decode(&r, &ev);
	for (int mode = EMIT_TEXT; mode <= EMIT_JSON; mode++) {
		const char *m = mode == EMIT_JSON ? "json" : "text";

		f = fopen("/dev/full", "w");
		CHECK(label(m, "open /dev/full"), f);
		if (f) {
			CHECK(label(m, "event to /dev/full -> -ENOSPC"),
			      emit_to(f, mode, &ev, false) == -ENOSPC);
			fclose(f);
		}
		/* a reader that went away (| head): -EPIPE, SIGPIPE is ignored */
		if (pipe(fd) == 0) {
			close(fd[0]);
			f = fdopen(fd[1], "w");
			CHECK(label(m, "event to a closed pipe -> -EPIPE"),
			      emit_to(f, mode, &ev, false) == -EPIPE);
			fclose(f);
		}
	}
	f = fopen("/dev/full", "w");
	if (f) {
		CHECK("json stats to /dev/full -> -ENOSPC", emit_to(f, EMIT_JSON, NULL, true) == -ENOSPC);
		fclose(f);
	}
}

/* ------------------------------------------------------------------------------------ */
/* every JSON line: strict UTF-8 JSON with exactly the contract's keys, in order          */

#define PY_KEYS                                                                              \
	"python3 -c 'import json, sys\n"                                                     \
	"bad = lambda c: sys.exit(\"non-JSON constant \" + c)\n"                             \
	"for l in open(sys.argv[1], \"rb\").read().split(b\"\\n\")[:-1]:\n"                  \
	"    o = json.loads(l.decode(\"utf-8\"), parse_constant=bad,\n"                      \
	"                   object_pairs_hook=lambda p: p)\n"                                \
	"    print(\",\".join(k for k, v in o))' %s"

static void test_keys(void)
{
	char path[] = "/tmp/test_events.XXXXXX", cmd[1024], line[512];
	FILE *p;
	int fd, n = 0, st;

	fflush(corpus.f);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, corpus.buf, corpus.len) != (ssize_t)corpus.len) {
		CHECK("write the JSON lines to a temporary file", 0);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), PY_KEYS, path);
	p = popen(cmd, "r");
	if (!p) {
		CHECK("popen python3", 0);
		unlink(path);
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		char name[64];

		line[strcspn(line, "\n")] = 0;
		snprintf(name, sizeof(name), "keys of JSON line %d", n + 1);
		if (n < corpus.lines)
			CHECK_STR(name, line, corpus.keys[n]);
		n++;
	}
	st = pclose(p);
	unlink(path);
	printf("(%d JSON lines checked by python3)\n", n);
	CHECK("python3 parsed every line (strict UTF-8, no NaN)",
	      st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK("one key list per JSON line", n == corpus.lines && n > 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	tzset();
	reason_names_builtin(&reasons);
	corpus.f = open_memstream(&corpus.buf, &corpus.len);
	if (!corpus.f) {
		perror("open_memstream");
		return 1;
	}
	test_refused();
	test_abort_unread();
	test_write_after_peer_close();
	test_trigger_policy();
	test_addresses();
	test_kinds();
	test_names();
	test_comm();
	test_time();
	test_stats();
	test_output_errors();
	test_keys();
	fclose(corpus.f);
	free(corpus.buf);
	return CHECK_DONE();
}
