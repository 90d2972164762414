// SPDX-License-Identifier: GPL-2.0
/* test_replay_filter.c - -p/-P/-c on a replay, against the kernel's rules (bpf/learn.h:
 * filter_scope, cause_pid, owner_learn, owner_resolve; bpf/rsttrace.bpf.c: on_signal),
 * record by record. */
#include <string.h>
#include "check.h"
#include "../../bpf/nf_reset.h"
#include "replay_filter.h"

static struct rt_event ev(int kind, int ctx, __u32 owner, __u16 sport, __u16 dport,
			  __u64 cookie)
{
	struct rt_event e = { .kind = kind, .family = RT_FAMILY_IPV4, .ctx = ctx,
			      .reason = RT_REASON_NONE, .cookie = cookie };

	e.tuple.sport = sport;
	e.tuple.dport = dport;
	if (owner) {
		e.owner_by = ctx == RT_CTX_TASK ? RT_OWNER_CURRENT : RT_OWNER_COOKIE;
		e.owner.pid = e.owner.tid = owner;
		snprintf(e.owner.comm, sizeof(e.owner.comm), "p%u", owner);
	}
	if (ctx == RT_CTX_TASK)
		e.current = e.owner;
	return e;
}

static void port(struct rt_options *o, unsigned p)
{
	o->port_bitmap[p >> 3] |= 1u << (p & 7);
	o->nports++;
}

static void test_none(void)
{
	struct rt_options o = { .json = true };
	bool oom = true;

	CHECK("no filter: no filter object, nothing to do", !replay_filter_new(&o, &oom) && !oom);
}

static void test_ports(void)
{
	struct rt_options o = { 0 };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_CONNECT, RT_CTX_TASK, 42, 0, 8878, 1);
	CHECK("-P: the remote port matches (connect, no local port yet)",
	      replay_filter_pass(f, &e) && !(e.flags & RT_F_CAUSE));
	e = ev(RT_RST_RECV, RT_CTX_IRQ, 7, 5000, 6000, 2);
	CHECK("-P: another port of a process that owns no wanted socket: dropped",
	      !replay_filter_pass(f, &e));
	e = ev(RT_PEER_FIN, RT_CTX_IRQ, 42, 80, 50000, 3);
	CHECK("-P: another connection of a process owning a wanted one: a cause",
	      replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	e = ev(RT_DESTROY, RT_CTX_IRQ, 0, 0, 0, 1);
	CHECK("-P: a zeroed tuple of a socket that matched before passes, not as a cause",
	      replay_filter_pass(f, &e) && !(e.flags & RT_F_CAUSE));
	/* the owner learnt from an earlier record of the socket, the event itself has none */
	e = ev(RT_ACCEPT, RT_CTX_TASK, 42, 81, 50001, 4);
	CHECK("-P: accept outside the port, followed process: a cause",
	      replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	e = ev(RT_RST_RECV, RT_CTX_IRQ, 0, 81, 50001, 4);
	CHECK("-P: the owner of a record without one is the socket's, learnt before",
	      replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	e = ev(RT_RST_RECV, RT_CTX_IRQ, 0, 82, 50002, 5);
	CHECK("-P: unknown owner, other port: dropped", !replay_filter_pass(f, &e));
	replay_filter_free(f);
}

/* a matching port seen only in softirq does not make its owner followed: only its own
 * syscall does (owner_learn runs in process context) */
static void test_learning_in_process_context(void)
{
	struct rt_options o = { 0 };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_RST_RECV, RT_CTX_IRQ, 50, 8878, 40000, 9);
	CHECK("softirq record on a wanted port passes", replay_filter_pass(f, &e));
	e = ev(RT_PEER_FIN, RT_CTX_IRQ, 50, 90, 40001, 10);
	CHECK("its owner is not followed from a softirq record", !replay_filter_pass(f, &e));
	replay_filter_free(f);
}

static void test_sigpipe(void)
{
	struct rt_options o = { 0 };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_SIGPIPE, RT_CTX_TASK, 42, 0, 0, 0);
	CHECK("SIGPIPE before any write of its process: dropped", !replay_filter_pass(f, &e));
	e = ev(RT_WRITE_ERROR, RT_CTX_TASK, 42, 8878, 40000, 1);
	e.ret = -32;
	CHECK("write_error on the wanted port passes", replay_filter_pass(f, &e));
	e = ev(RT_SIGPIPE, RT_CTX_TASK, 42, 0, 0, 0);
	CHECK("its SIGPIPE passes, not a cause", replay_filter_pass(f, &e) && !(e.flags & RT_F_CAUSE));
	e = ev(RT_WRITE_ERROR, RT_CTX_TASK, 42, 80, 40001, 2);
	CHECK("write_error elsewhere by the same process: a cause",
	      replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	e = ev(RT_SIGPIPE, RT_CTX_TASK, 42, 0, 0, 0);
	CHECK("the SIGPIPE of a cause write is a cause too",
	      replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	replay_filter_free(f);
}

static void test_tasks(void)
{
	struct rt_options o = { .npids = 1, .pids = { 42 } };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	f = replay_filter_new(&o, &oom);
	e = ev(RT_CLOSE, RT_CTX_TASK, 42, 1, 2, 1);
	CHECK("-p: the owner matches", replay_filter_pass(f, &e));
	e = ev(RT_RST_SENT, RT_CTX_IRQ, 43, 1, 2, 2);
	CHECK("-p: another owner, no trigger: dropped", !replay_filter_pass(f, &e));
	e.current.pid = 42;
	CHECK("-p: another owner, triggered by the wanted process (loopback softirq): kept",
	      replay_filter_pass(f, &e));
	e.flags |= RT_F_CURRENT_UNRELATED;
	CHECK("-p: ... unless current was unrelated (an interrupted task)",
	      !replay_filter_pass(f, &e));
	e = ev(RT_SIGPIPE, RT_CTX_TASK, 43, 0, 0, 0);
	e.current.pid = 42;
	CHECK("-p: a SIGPIPE is its process's only", !replay_filter_pass(f, &e));
	replay_filter_free(f);

	memset(&o, 0, sizeof(o));
	strcpy(o.comm, "p42");
	f = replay_filter_new(&o, &oom);
	e = ev(RT_CLOSE, RT_CTX_TASK, 42, 1, 2, 1);
	CHECK("-c: exact name matches", replay_filter_pass(f, &e));
	e = ev(RT_CLOSE, RT_CTX_TASK, 421, 1, 2, 1);
	CHECK("-c: a longer name does not", !replay_filter_pass(f, &e));
	replay_filter_free(f);
}

/* both: a port match by an unwanted process is dropped, as in the kernel */
static void test_both(void)
{
	struct rt_options o = { .npids = 1, .pids = { 42 } };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_CLOSE, RT_CTX_TASK, 43, 8878, 2, 1);
	CHECK("-P and -p: port matches, process does not: dropped", !replay_filter_pass(f, &e));
	e = ev(RT_CLOSE, RT_CTX_TASK, 42, 8878, 2, 3);
	CHECK("-P and -p: both match: kept", replay_filter_pass(f, &e));
	replay_filter_free(f);
}

static void test_netns(void)
{
	struct rt_options o = { .netns = 4026531840u };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	f = replay_filter_new(&o, &oom);
	e = ev(RT_CLOSE, RT_CTX_TASK, 42, 1, 2, 1);
	e.tuple.netns = 4026531840u;
	CHECK("--netns: the recorded namespace matches", replay_filter_pass(f, &e));
	e = ev(RT_CLOSE, RT_CTX_TASK, 43, 1, 2, 2);
	e.tuple.netns = 4026532000u;
	CHECK("--netns: another namespace, another process: dropped", !replay_filter_pass(f, &e));
	replay_filter_free(f);
	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_CLOSE, RT_CTX_TASK, 43, 8878, 2, 3);
	e.tuple.netns = 4026532000u;
	CHECK("--netns and -P: the port in another namespace: dropped", !replay_filter_pass(f, &e));
	replay_filter_free(f);
}

/* the packet filter's resets (bpf/nf_reset.bpf.c): ports as any socket's; no process, so under
 * -p they only complete a followed connection (flagged a cause), as the kernel object does */
static void test_filter_reset(void)
{
	struct rt_options o = { 0 };
	struct replay_filter *f;
	struct rt_event e;
	bool oom;

	port(&o, 8878);
	f = replay_filter_new(&o, &oom);
	e = ev(RT_RST_FILTER, RT_CTX_IRQ, 0, 8878, 50000, 0);
	CHECK("rst_filter: -P port matches: kept, not a cause",
	      replay_filter_pass(f, &e) && !(e.flags & RT_F_CAUSE));
	e = ev(RT_RST_FILTER, RT_CTX_IRQ, 0, 9000, 50000, 0);
	CHECK("rst_filter: another port: dropped", !replay_filter_pass(f, &e));
	replay_filter_free(f);
	memset(&o, 0, sizeof(o));
	o.npids = 1;
	o.pids[0] = 42;
	f = replay_filter_new(&o, &oom);
	e = ev(RT_RST_FILTER, RT_CTX_IRQ, 0, 8878, 50000, 0);
	CHECK("rst_filter: -p: kept as a cause only", replay_filter_pass(f, &e) && (e.flags & RT_F_CAUSE));
	replay_filter_free(f);
}

int main(void)
{
	test_netns();
	test_filter_reset();
	test_none();
	test_ports();
	test_learning_in_process_context();
	test_sigpipe();
	test_tasks();
	test_both();
	return CHECK_DONE();
}
