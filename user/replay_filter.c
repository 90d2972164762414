// SPDX-License-Identifier: GPL-2.0
/* replay_filter.c - the kernel's filters, replayed in user space (see replay_filter.h). */
#include <stdlib.h>
#include <string.h>
#include "../bpf/nf_reset.h"
#include "replay_filter.h"
#include "../bpf/rules.h"

/* the kernel's owner table has 65536 slots; a replayed recording is what reached user space,
 * far fewer sockets: 16384 slots keep every socket of a busy minute */
#define RF_SOCKS 16384
#define RF_PIDS 4096     /* as the kernel's sigpipe_armed (its followed pids: 32768 slots) */

struct rf_sock {
	__u64 cookie;        /* 0: free */
	__u32 pid;           /* last known owner */
	bool has_owner;
	bool matched;        /* its ports passed the port filter in its owner's syscall */
};

struct rf_pid {
	__u32 pid;           /* 0: free */
	__u32 value;         /* followed: 1; sigpipe: 1 | the arming event's RT_F_CAUSE */
};

struct replay_filter {
	struct rt_options o;
	bool sock_on, task_on;     /* -P or --netns; -p or -c */
	struct rf_sock socks[RF_SOCKS];
	struct rf_pid cause_pids[RF_PIDS];
	struct rf_pid sigpipe[RF_PIDS];
};

static unsigned hash64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (unsigned)x;
}

static struct rf_sock *sock_slot(struct replay_filter *f, __u64 cookie)
{
	return &f->socks[hash64(cookie) % RF_SOCKS];
}

static const struct rf_sock *sock_find(struct replay_filter *f, __u64 cookie)
{
	const struct rf_sock *s = sock_slot(f, cookie);

	return cookie && s->cookie == cookie ? s : NULL;
}

static __u32 pid_get(const struct rf_pid *t, __u32 pid)
{
	const struct rf_pid *p = &t[hash64(pid) % RF_PIDS];

	return pid && p->pid == pid ? p->value : 0;
}

static void pid_set(struct rf_pid *t, __u32 pid, __u32 value)
{
	struct rf_pid *p = &t[hash64(pid) % RF_PIDS];

	if (pid) {
		p->pid = pid;
		p->value = value;
	}
}

static bool task_wanted(const struct rt_options *o, const struct rt_task *t)
{
	bool pid_ok = o->npids == 0;

	for (int i = 0; i < o->npids && !pid_ok; i++)
		pid_ok = o->pids[i] == t->pid;
	return pid_ok && (!o->comm[0] || !strncmp(o->comm, t->comm, RT_COMM_LEN));
}

/* owner_resolve()/on_signal(): the owner, or the task that triggered it */
static bool task_scope(const struct replay_filter *f, const struct rt_event *e)
{
	if (!f->task_on)
		return true;
	if (e->owner_by != RT_OWNER_NONE && task_wanted(&f->o, &e->owner))
		return true;
	if (e->kind == RT_SIGPIPE)
		return false;
	return !(e->flags & RT_F_CURRENT_UNRELATED) && e->current.pid &&
	       task_wanted(&f->o, &e->current);
}

static __u32 owner_pid(struct replay_filter *f, const struct rt_event *e)
{
	const struct rf_sock *s;

	if (e->owner_by != RT_OWNER_NONE)
		return e->owner.pid;
	s = sock_find(f, e->cookie);
	return s && s->has_owner ? s->pid : 0;
}

/* sk_wanted(): every socket filter given matches (the ports, the recorded netns) */
static bool sock_wanted(const struct replay_filter *f, const struct rt_event *e)
{
	bool ports = !f->o.nports || options_port_wanted(&f->o, e->tuple.sport) ||
		     options_port_wanted(&f->o, e->tuple.dport);

	return ports && (!f->o.netns || e->tuple.netns == f->o.netns);
}

/* the kernel's filter_scope()/cause_pid() (bpf/learn.h); a SIGPIPE has no socket:
 * sigpipe_armed decides */
static bool port_scope(struct replay_filter *f, struct rt_event *e, bool *matched)
{
	const struct rf_sock *s;
	__u32 armed;

	*matched = false;
	if (!f->sock_on)
		return true;
	if (e->kind == RT_SIGPIPE) {
		armed = pid_get(f->sigpipe, e->owner.pid);
		e->flags |= armed & RT_F_CAUSE;
		return armed != 0;
	}
	if (sock_wanted(f, e)) {
		*matched = true;
		return true;
	}
	s = sock_find(f, e->cookie);
	if (s && s->matched)
		return true;
	if (!pid_get(f->cause_pids, owner_pid(f, e)))
		return false;
	e->flags |= RT_F_CAUSE;
	return true;
}

/* owner_learn(): owners by cookie from every record; a socket matched, and its process
 * followed, when its ports matched in the owner's own syscall */
static void learn(struct replay_filter *f, const struct rt_event *e, bool matched)
{
	struct rf_sock *s;
	bool own = e->ctx == RT_CTX_TASK && e->owner_by == RT_OWNER_CURRENT;

	if (!e->cookie || e->kind == RT_SIGPIPE)
		return;
	s = sock_slot(f, e->cookie);
	if (s->cookie != e->cookie)
		memset(s, 0, sizeof(*s));
	s->cookie = e->cookie;
	if (e->owner_by != RT_OWNER_NONE) {
		s->pid = e->owner.pid;
		s->has_owner = true;
	}
	if (matched && own) {
		s->matched = true;
		pid_set(f->cause_pids, e->owner.pid, 1);
	}
}

/* sigpipe_arm(): a failed or late write, or a pending error, of a kept record */
static void arm_sigpipe(struct replay_filter *f, const struct rt_event *e)
{
	if (rt_kind_arms_sigpipe(e->kind, e->owner_by != RT_OWNER_NONE))
		pid_set(f->sigpipe, e->owner.pid, 1 | (e->flags & RT_F_CAUSE));
}

/* nf_reset.bpf.c's filters: its ports and netns as any socket's; a reset with no process
 * cannot match -p/-c, so under them it only completes a followed connection (a cause) */
static bool filter_reset_pass(const struct replay_filter *f, struct rt_event *e)
{
	if (f->sock_on && !sock_wanted(f, e))
		return false;
	if (f->task_on)
		e->flags |= RT_F_CAUSE;
	return true;
}

bool replay_filter_pass(struct replay_filter *f, struct rt_event *e)
{
	bool matched, keep;

	if (e->kind == RT_RST_FILTER)
		return filter_reset_pass(f, e);
	keep = port_scope(f, e, &matched);
	learn(f, e, matched);
	keep = keep && task_scope(f, e);
	if (keep)
		arm_sigpipe(f, e);
	return keep;
}

struct replay_filter *replay_filter_new(const struct rt_options *o, bool *oom)
{
	struct replay_filter *f;

	*oom = false;
	if (!o->nports && !o->netns && !o->npids && !o->comm[0])
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		*oom = true;
		return NULL;
	}
	f->o = *o;
	f->sock_on = o->nports > 0 || o->netns;
	f->task_on = o->npids || o->comm[0];
	return f;
}

void replay_filter_free(struct replay_filter *f)
{
	free(f);
}
