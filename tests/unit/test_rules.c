// SPDX-License-Identifier: GPL-2.0
/* test_rules.c - bpf/rules.h, the rules the BPF object and user space share, driven without a
 * kernel: every state change the kernel side skips early makes no record, and the kinds'
 * predicates agree with each other. */
#include <stdbool.h>
#include <linux/types.h>
#include "../../bpf/rsttrace.h"
#include "../../bpf/rules.h"
#include "check.h"

static void state_changes(void)
{
	int skipped_but_kind = 0, kinds = 0;

	/* rt_state_may_matter() lets the kernel return before reading the socket: it must
	 * never skip a change that rt_state_kind() would make a record of */
	for (int old = 1; old <= RT_TCP_NEW_SYN_RECV; old++)
		for (int new = 1; new <= RT_TCP_NEW_SYN_RECV; new++)
			for (int task = 0; task < 2; task++) {
				int k = rt_state_kind(old, new, task, 0);

				kinds += k != 0;
				if (k && !rt_state_may_matter(old, new))
					skipped_but_kind++;
			}
	CHECK("no skipped state change makes a record", skipped_but_kind == 0);
	CHECK("some state changes make records", kinds > 0);
	CHECK("connect", rt_state_kind(RT_TCP_CLOSE, RT_TCP_SYN_SENT, true, 0) == RT_CONNECT);
	CHECK("peer's FIN in softirq",
	      rt_state_kind(RT_TCP_ESTABLISHED, RT_TCP_CLOSE_WAIT, false, 0) == RT_PEER_FIN);
	CHECK("simultaneous close is a peer's FIN",
	      rt_state_kind(RT_TCP_FIN_WAIT1, RT_TCP_CLOSING, false, 0) == RT_PEER_FIN);
	CHECK("close in the owner's syscall",
	      rt_state_kind(RT_TCP_ESTABLISHED, RT_TCP_FIN_WAIT1, true, 0) == RT_CLOSE);
	CHECK("a close needs the owner's syscall",
	      rt_state_kind(RT_TCP_ESTABLISHED, RT_TCP_FIN_WAIT1, false, 0) == 0);
	CHECK("abortive close", rt_state_kind(RT_TCP_ESTABLISHED, RT_TCP_CLOSE, true, 0) == RT_CLOSE);
	CHECK("-> CLOSE with an error set is the reset's doing, no close",
	      rt_state_kind(RT_TCP_ESTABLISHED, RT_TCP_CLOSE, true, 104) == 0);
	CHECK("LAST_ACK -> CLOSE is the normal end",
	      rt_state_kind(RT_TCP_LAST_ACK, RT_TCP_CLOSE, true, 0) == 0);
	CHECK("SYN_SENT -> ESTABLISHED is skipped early",
	      !rt_state_may_matter(RT_TCP_SYN_SENT, RT_TCP_ESTABLISHED));
	CHECK("listen() is looked at (its owner)", rt_state_may_matter(RT_TCP_CLOSE, RT_TCP_LISTEN));
}

static void kinds(void)
{
	int wrong = 0;

	for (int k = 1; k < RT_KIND_MAX; k++) {
		/* shed exactly what is neither an incident nor a SIGPIPE */
		if (rt_kind_sheddable(k) == (rt_kind_is_incident(k) || k == RT_SIGPIPE))
			wrong++;
	}
	CHECK("sheddable = not an incident, not a SIGPIPE", wrong == 0);
	CHECK("a reset is an incident", rt_kind_is_incident(RT_RST_SENT) && rt_kind_is_incident(RT_RST_RECV));
	CHECK("a destroy is shed first", rt_kind_sheddable(RT_DESTROY));
	CHECK("a peer's FIN is a loss, not an incident",
	      rt_kind_is_loss(RT_PEER_FIN) && !rt_kind_is_incident(RT_PEER_FIN));
	CHECK("a failed write arms SIGPIPE", rt_kind_arms_sigpipe(RT_WRITE_ERROR, false));
	CHECK("a write after the peer left arms SIGPIPE", rt_kind_arms_sigpipe(RT_WRITE, true));
	CHECK("a read's EOF arms nothing", !rt_kind_arms_sigpipe(RT_PEER_FIN, true));
	CHECK("an error pending arms only with its owner known",
	      rt_kind_arms_sigpipe(RT_ERROR_PENDING, true) &&
		      !rt_kind_arms_sigpipe(RT_ERROR_PENDING, false));
	CHECK("quiet copy: a client's FIN on an accepted socket",
	      rt_needs_quiet_copy(RT_PEER_FIN, RT_ACCEPT));
	CHECK("quiet copy: no FIN copy on a socket this end connected",
	      !rt_needs_quiet_copy(RT_PEER_FIN, RT_CONNECT));
	CHECK("quiet copy: the close of an upstream", rt_needs_quiet_copy(RT_CLOSE, RT_CONNECT));
	CHECK("quiet copy: no copy of an accepted socket's close",
	      !rt_needs_quiet_copy(RT_CLOSE, RT_ACCEPT));
}

static void send_recv(void)
{
	CHECK("a healthy send is nothing", rt_send_recv_kind(100, true, RT_TCP_ESTABLISHED, false) == 0);
	CHECK("EAGAIN is nothing", rt_send_recv_kind(-RT_EAGAIN, false, RT_TCP_ESTABLISHED, false) == 0);
	CHECK("a send after the peer's FIN", rt_send_recv_kind(100, true, RT_TCP_CLOSE_WAIT, false) == RT_WRITE);
	CHECK("EPIPE", rt_send_recv_kind(-32, true, RT_TCP_CLOSE, false) == RT_WRITE_ERROR);
	CHECK("ECONNRESET on a read", rt_send_recv_kind(-104, false, RT_TCP_CLOSE, false) == RT_READ_ERROR);
	CHECK("EOF on a followed cause", rt_send_recv_kind(0, false, RT_TCP_CLOSE_WAIT, true) == RT_PEER_FIN);
	CHECK("EOF otherwise nothing", rt_send_recv_kind(0, false, RT_TCP_CLOSE_WAIT, false) == 0);
}

int main(void)
{
	state_changes();
	kinds();
	send_recv();
	return CHECK_DONE();
}
