// SPDX-License-Identifier: GPL-2.0
/* test_causes.c - user/causes.c's look-back: a close links to the closing process's most
 * recent loss within the window, never to its own connection's other end (a process that owns
 * both ends of a connection: its close makes the other end's FIN, not the reverse). */
#include <string.h>
#include "../../user/causes.h"
#include "check.h"

static struct end_view end(const char *addr, unsigned port)
{
	struct end_view v;

	memset(&v, 0, sizeof(v));
	strcpy(v.addr, addr);
	v.port = port;
	return v;
}

int main(void)
{
	static struct cause_memory m;
	struct cause loss = { .conn_id = 0, .kind = RT_PEER_FIN, .ts_ns = 1000000,
			      .loser_pid = 7, .loser_tid = 7 };
	struct end_view self[2] = { end("127.0.0.1", 41868), end("127.0.0.1", 45433) };
	struct end_view other[2] = { end("127.0.0.1", 5000), end("127.0.0.1", 6000) };
	struct cause out;

	/* a quiet copy's loss: its ends only, a = the connecting side */
	loss.end[0] = self[0];
	loss.end[1] = self[1];
	causes__record(&m, &loss);
	CHECK("a close 1 ms after a loss of its process links to it",
	      causes__find(&m, 7, 7, 2000000, ~0u, NULL, &out) && out.kind == RT_PEER_FIN);
	CHECK("the same close of another connection links to it",
	      causes__find(&m, 7, 7, 2000000, ~0u, other, &out));
	CHECK("not to the closing connection's own other end (same order)",
	      !causes__find(&m, 7, 7, 2000000, ~0u, self, &out));
	{
		struct end_view rev[2] = { self[1], self[0] };

		CHECK("nor with its ends the other way round",
		      !causes__find(&m, 7, 7, 2000000, ~0u, rev, &out));
	}
	CHECK("another process's close: no link", !causes__find(&m, 8, 8, 2000000, ~0u, NULL, &out));
	CHECK("before the loss: no link", !causes__find(&m, 7, 7, 999999, ~0u, NULL, &out));
	return CHECK_DONE();
}
