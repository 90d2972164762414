// SPDX-License-Identifier: GPL-2.0
/* scen.c - TCP reset scenarios, for the rsttrace end-to-end tests.
 *
 * usage: scen SCENARIO [-6] [-a ADDR] [-n NETNS] PORT
 *
 * Each scenario makes the kernel really reset (or time out) a connection on 127.0.0.1 (::1
 * with -6, ADDR with -a) between a client rt_cli_<tag> (the process started) and a server
 * rt_srv_<tag> (its child), so the tracer has a known owner and trigger for every event. With
 * -n the server first enters the network namespace NETNS (a path such as /run/netns/NAME, see
 * tests/e2e/netns.sh) and listens on ADDR there. The facts behind each scenario are in
 * docs/kernel.md, §1a to §1d and §1f (keepalive, timeout, remote: §1h to §1j). Every
 * process prints one line per socket operation on its connection (listener closes are not
 * printed: they reset nothing, except in overflow, where the queued connections are accepted
 * and closed first):
 *
 *   scen=<name> role=<cli|srv> pid=<tgid> op=<connect|send|recv|close|accept|...> ret=<n> errno=<E..|0>
 *
 * Exit status: 0 when the kernel gave the expected errors, 1 when not (reason on stderr),
 * 2 on a usage error. Every blocking call is bounded (IO_TIMEOUT_MS), the server is reaped by
 * pid within REAP_TIMEOUT_MS, and the processes synchronise through two pipes and socket data.
 * The blind waits are where the kernel gives no signal: wait_delayed_ack() (wapc, keepalive)
 * and OVF_SETTLE_MS (overflow).
 *
 * The program never changes a sysctl: overflow needs net.ipv4.tcp_abort_on_overflow=1 in the
 * listener's namespace, set (and restored) by the caller. timeout adds a blackhole route to
 * the client inside NETNS and deletes it again, and refuses to run unless NETNS is not the
 * client's own namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS	 3000	/* SO_RCVTIMEO, SO_SNDTIMEO, pipe waits */
#define RST_WAIT_MS	 2000	/* wait for the peer's RST */
#define REAP_TIMEOUT_MS	 10000
#define REAP_STEP_MS	 10

#define UNREAD_BYTES	 1000
#define WAPC_REQUEST	 "GET / HTTP/1.0\r\n\r\n"	/* 18 bytes, as in docs/kernel.md §1d's recording */
#define WAPC_REQ_LEN	 (sizeof(WAPC_REQUEST) - 1)
#define WAPC_CHUNK	 16384
#define WAPC_CHUNKS	 13
#define WAPC_ACK_WAIT_MS 1000	/* bound of the wait for our delayed ACK of the FIN */
#define WAPC_SETTLE_MS	 20	/* for loopback to deliver that ACK */
#define WAPC_BLIND_MS	 60	/* fallback when TCP_INFO has no tcpi_segs_out */

/* bytes the server writes on the pipe to the client */
#define SYNC_LISTENING	 'L'
#define SYNC_REQ_READ	 'R'
#define SYNC_ACKED	 'A'	/* keepalive: the client has ACKed the response */
#define SYNC_CLOSED	 'C'	/* keepalive: the server has closed the idle connection */
#define SYNC_SILENT	 'S'	/* timeout: the server's namespace drops all to the client */
#define SYNC_RST_SENT	 'X'	/* remote: the socket vanished, the forged RST is sent */
/* bytes the client writes on the pipe to the server */
#define CSYNC_GO	 'G'	/* keepalive: close now */
#define CSYNC_PONG	 'P'	/* timeout, remote: the client has read the response */
#define CSYNC_DONE	 'T'	/* timeout, overflow: the client is done */

#define SCEN_NETNS	 1	/* -n required, and it must not be the client's namespace */
#define SCEN_V4		 2	/* IPv4 only */

struct scen {
	const char *name;		/* scen=<name> */
	const char *tag;		/* comm rt_<role>_<tag>, at most 15 chars */
	int (*client)(void);
	int (*server)(int lfd);		/* NULL: the client runs alone */
	int (*prepare)(int lfd);	/* the listener's options, before the client connects */
	int backlog;			/* listen(); 0: 16 */
	int flags;			/* SCEN_* */
};

static const struct scen *cur;
static const char *role = "main";
static struct sockaddr_storage peer;	/* the loopback address (or ADDR) and PORT */
static socklen_t peer_len;
static const char *netns_path;		/* -n: the server's network namespace */
static int sync_rd = -1;		/* client end of the server-to-client pipe */
static int sync_wr = -1;		/* server end */
static int csync_wr = -1;		/* client end of the client-to-server pipe */
static int csync_rd = -1;		/* server end */

static const char *errno_name(int err)
{
#define E(x) { x, #x }
	static const struct {
		int err;
		const char *name;
	} tab[] = {
		E(EPIPE), E(ECONNRESET), E(ECONNREFUSED), E(ECONNABORTED), E(ETIMEDOUT),
		E(EAGAIN), E(EINPROGRESS), E(EALREADY), E(EINTR), E(ENOTCONN), E(EISCONN),
		E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETUNREACH), E(EHOSTUNREACH),
		E(EAFNOSUPPORT), E(EBADF), E(EINVAL), E(ENOBUFS), E(ENOMEM), E(EMFILE),
		E(EACCES), E(EPERM), E(ESHUTDOWN),
	};
#undef E
	static char other[16];
	size_t i;

	if (!err)
		return "0";
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].err == err)
			return tab[i].name;
	snprintf(other, sizeof(other), "E%d", err);	/* still one token */
	return other;
}

/* Print the result line of one socket operation; errno is kept for the caller. */
static long op_done(const char *op, long ret)
{
	int err = ret < 0 ? errno : 0;

	printf("scen=%s role=%s pid=%d op=%s ret=%ld errno=%s\n", cur->name, role,
	       (int)getpid(), op, ret, errno_name(err));
	errno = err;
	return ret;
}

/* Explain on stderr why the scenario did not behave; returns the exit status 1. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "scen: %s %s: ", cur->name, role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int sys_fail(const char *what)
{
	return fail("%s: %s", what, strerror(errno));
}

/* ret is the result of op_done(): did the operation fail with want? */
static int expect_err(long ret, int want, const char *what)
{
	int err = ret < 0 ? errno : 0;

	if (ret == -1 && err == want)
		return 0;
	return fail("%s: expected %s, got ret=%ld errno=%s", what, errno_name(want), ret,
		    errno_name(err));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* poll one fd: its revents, 0 on timeout, -1 on error */
static int wait_event(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? p.revents : n;
}

/* The comm is what the tracer shows as owner and trigger, so each role gets its own. */
static void set_role(const char *r)
{
	char comm[16];

	role = r;
	snprintf(comm, sizeof(comm), "rt_%s_%s", r, cur->tag);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
}

/* ADDR (-a, NULL: loopback) and PORT; -1 if ADDR is not an address */
static int set_addr(const char *addr, int v6, int port)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&peer;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&peer;

	memset(&peer, 0, sizeof(peer));
	if (addr) {
		if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons(port);
			peer_len = sizeof(*a4);
		} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons(port);
			peer_len = sizeof(*a6);
		} else {
			return -1;
		}
	} else if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&peer;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		peer_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&peer;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		peer_len = sizeof(*a);
	}
	return 0;
}

/* Bound every blocking call on fd (connect and accept obey these too). */
static int set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return sys_fail("SO_RCVTIMEO/SO_SNDTIMEO");
	return 0;
}

static int tcp_socket(void)
{
	int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		sys_fail("socket");
		return -1;
	}
	if (set_timeouts(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_listener(void)
{
	int one = 1, fd = tcp_socket();

	if (fd < 0)
		return -1;
	/* an earlier run may have left TIME_WAIT socks on PORT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&peer, peer_len) ||
	    listen(fd, cur->backlog ? cur->backlog : 16)) {
		sys_fail("listen socket");
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection; the listener is closed at once so that only the connection remains. */
static int accept_one(int lfd)
{
	int fd = op_done("accept", accept4(lfd, NULL, NULL, SOCK_CLOEXEC));

	close(lfd);
	if (fd < 0)
		return -1;
	if (set_timeouts(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_peer(void)
{
	int fd = tcp_socket();

	if (fd < 0)
		return -1;
	if (op_done("connect", connect(fd, (struct sockaddr *)&peer, peer_len))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int pipe_post(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : sys_fail("sync pipe");
}

static int pipe_wait(int fd, char want, int ms, const char *who)
{
	char c = 0;

	if (wait_event(fd, POLLIN, ms) <= 0 || read(fd, &c, 1) != 1 || c != want)
		return fail("%s sent no '%c' (exited, or %d ms passed)", who, want, ms);
	return 0;
}

/* server -> client */
static int sync_post(char c)
{
	return pipe_post(sync_wr, c);
}

static int sync_wait(char want)
{
	return pipe_wait(sync_rd, want, IO_TIMEOUT_MS, "server");
}

/* client -> server */
static int csync_post(char c)
{
	return pipe_post(csync_wr, c);
}

static int csync_wait(char want, int ms)
{
	return pipe_wait(csync_rd, want, ms, "client");
}

/*
 * After an RST in ESTABLISHED the first call consumes sk_err (ECONNRESET); every later send
 * fails with EPIPE and makes the kernel generate SIGPIPE (ignored here, seen by the tracer).
 * So: recv first, then two sends.
 */
static int expect_reset_then_epipe(int fd)
{
	char c;
	int rc = 0;

	if (wait_event(fd, POLLIN, RST_WAIT_MS) <= 0)
		return fail("no reset within %d ms", RST_WAIT_MS);
	rc |= expect_err(op_done("recv", recv(fd, &c, 1, 0)), ECONNRESET, "recv");
	rc |= expect_err(op_done("send", send(fd, "x", 1, 0)), EPIPE, "first send");
	rc |= expect_err(op_done("send", send(fd, "x", 1, 0)), EPIPE, "second send");
	return rc;
}

/* (a) connect() to a closed port: the RST NO_SOCKET makes it fail with ECONNREFUSED. */
static int cli_refused(void)
{
	int rc, fd = tcp_socket();

	if (fd < 0)
		return 1;
	rc = expect_err(op_done("connect", connect(fd, (struct sockaddr *)&peer, peer_len)),
			ECONNREFUSED, "connect");
	op_done("close", close(fd));
	return rc;
}

/* (b) the client sends data the server never reads, then gets the server's abort. */
static int cli_unread(void)
{
	char buf[UNREAD_BYTES];
	int rc, fd = connect_peer();

	if (fd < 0)
		return 1;
	memset(buf, 'u', sizeof(buf));
	if (op_done("send", send(fd, buf, sizeof(buf), 0)) != sizeof(buf))
		rc = fail("send of %d bytes did not complete", UNREAD_BYTES);
	else
		rc = expect_reset_then_epipe(fd);
	op_done("close", close(fd));
	return rc;
}

/* Wait until want bytes sit unread in fd's receive queue; with SO_RCVLOWAT poll reports
 * POLLIN only then, FIONREAD confirms. */
static int wait_unread(int fd, int want)
{
	int avail = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &want, sizeof(want)))
		return sys_fail("SO_RCVLOWAT");
	if (wait_event(fd, POLLIN, IO_TIMEOUT_MS) <= 0 || ioctl(fd, FIONREAD, &avail) ||
	    avail < want)
		return fail("%d bytes not queued within %d ms (%d)", want, IO_TIMEOUT_MS, avail);
	return 0;
}

static int srv_unread(int lfd)
{
	int rc, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	rc = wait_unread(fd, UNREAD_BYTES);
	/* close() with unread data aborts: RST, reason TCP_ABORT_ON_CLOSE */
	if (op_done("close", close(fd)))
		rc = 1;
	return rc;
}

/* (c) SO_LINGER {1,0}: close() resets through tcp_disconnect(), reason TCP_STATE. */
static int cli_linger(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int rc = 0, fd = connect_peer();
	char c;

	if (fd < 0)
		return 1;
	/* the sync byte proves the server has accepted; reading it empties the receive queue,
	 * so the close is a linger abort and not an unread-data abort as in (b) */
	if (op_done("recv", recv(fd, &c, 1, 0)) != 1)
		rc = fail("no sync byte from the server");
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		rc = sys_fail("SO_LINGER");
	if (op_done("close", close(fd)))
		rc = 1;
	return rc;
}

static int srv_linger(int lfd)
{
	int rc, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	if (op_done("send", send(fd, "s", 1, 0)) != 1)
		rc = fail("sync byte not sent");
	else
		rc = expect_reset_then_epipe(fd);
	op_done("close", close(fd));
	return rc;
}

/* (d) the client sends a request and closes normally (FIN, nothing unread). */
static int cli_wapc(void)
{
	int rc, fd = connect_peer();

	if (fd < 0)
		return 1;
	if (op_done("send", send(fd, WAPC_REQUEST, WAPC_REQ_LEN, 0)) != WAPC_REQ_LEN)
		rc = fail("request not sent");
	else
		rc = sync_wait(SYNC_REQ_READ);	/* unread data would make close() abort */
	if (op_done("close", close(fd)))
		rc = 1;
	return rc;
}

/* Read the whole request, tell the client, then read the EOF of its close(). */
static int wapc_read_request(int fd)
{
	char buf[64];
	size_t got = 0;
	long n;

	while (got < WAPC_REQ_LEN) {
		n = op_done("recv", recv(fd, buf + got, WAPC_REQ_LEN - got, 0));
		if (n <= 0)
			return fail("request: got %zu of %zu bytes", got, WAPC_REQ_LEN);
		got += n;
	}
	if (sync_post(SYNC_REQ_READ))
		return 1;
	n = op_done("recv", recv(fd, buf, sizeof(buf), 0));
	if (n)
		return fail("expected EOF, got ret=%ld errno=%s", n, errno_name(n < 0 ? errno : 0));
	return 0;
}

/* The start of the kernel's struct tcp_info, up to tcpi_segs_out (Linux 4.2). Declared here
 * because glibc's struct tcp_info stops before it and musl's does not. */
struct tcpi_head {
	uint8_t u8[8];
	uint32_t u32[24];	/* tcpi_rto .. tcpi_total_retrans */
	uint64_t u64[4];	/* tcpi_pacing_rate .. tcpi_bytes_received */
	uint32_t segs_out;
	uint32_t segs_in;
};

/* Segments fd has sent, or -1 if the kernel does not tell. */
static int64_t segs_out(int fd)
{
	struct tcpi_head ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
	    len < offsetof(struct tcpi_head, segs_in))
		return -1;
	return ti.segs_out;
}

/*
 * docs/kernel.md §1d: the client's close() left an orphan in FIN_WAIT1. Only when our ACK
 * of its FIN reaches it does it become a TIME_WAIT sock, the one that answers our data with RST
 * TCP_TIMEWAIT_SOCKET; writing before that gives variant d2 (TCP_ABORT_ON_DATA) instead.
 * tcp_fin() put us in pingpong mode, so that ACK is delayed (~40 ms, TCP_DELACK_MIN).
 * The client process cannot observe any of this. Our socket can see the ACK leave
 * (tcpi_segs_out grows; nothing else is sent after the EOF), which beats a fixed 60 ms
 * on a slow VM. Loopback then delivers it from the same softirq run, which nothing
 * observable marks: that is the one blind wait here, WAPC_SETTLE_MS. If the ACK had already
 * left, the bound only makes us late, never early.
 */
static void wait_delayed_ack(int fd, int64_t base)
{
	int waited;

	if (base < 0) {
		sleep_ms(WAPC_BLIND_MS);
		return;
	}
	for (waited = 0; waited < WAPC_ACK_WAIT_MS && segs_out(fd) == base; waited++)
		sleep_ms(1);
	sleep_ms(WAPC_SETTLE_MS);
}

static void wapc_wait_timewait(int fd)
{
	wait_delayed_ack(fd, segs_out(fd));
}

/* The first send hits the TIME_WAIT sock: it succeeds although its RST is processed inside
 * it (CLOSE_WAIT -> sk_err EPIPE). A later send fails with EPIPE; stop there. */
static int wapc_send_until_error(int fd)
{
	static char chunk[WAPC_CHUNK];
	long n;
	int i;

	memset(chunk, 'R', sizeof(chunk));
	n = op_done("send", send(fd, chunk, sizeof(chunk), 0));
	if (n != WAPC_CHUNK)
		return fail("first send: expected %d, got ret=%ld errno=%s", WAPC_CHUNK, n,
			    errno_name(n < 0 ? errno : 0));
	for (i = 1; i < WAPC_CHUNKS; i++) {
		n = op_done("send", send(fd, chunk, sizeof(chunk), 0));
		if (n < 0)
			return expect_err(n, EPIPE, "later send");
	}
	return fail("all %d sends succeeded, expected EPIPE", WAPC_CHUNKS);
}

static int srv_wapc(int lfd)
{
	int rc, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	rc = wapc_read_request(fd);
	if (!rc) {
		wapc_wait_timewait(fd);
		rc = wapc_send_until_error(fd);
	}
	op_done("close", close(fd));
	return rc;
}

/* ---- helpers of the scenarios below ---- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* send all of msg in one call */
static int send_msg(int fd, const char *msg, const char *what)
{
	size_t len = strlen(msg);
	long n = op_done("send", send(fd, msg, len, 0));

	if (n != (long)len)
		return fail("%s: expected %zu, got ret=%ld errno=%s", what, len, n,
			    errno_name(n < 0 ? errno : 0));
	return 0;
}

/* read exactly strlen(msg) bytes, which must be msg */
static int recv_msg(int fd, const char *msg, const char *what)
{
	char buf[256];
	size_t got = 0, len = strlen(msg);
	long n;

	while (got < len && got < sizeof(buf)) {
		n = op_done("recv", recv(fd, buf + got, len - got, 0));
		if (n <= 0)
			return fail("%s: got %zu of %zu bytes, then ret=%ld errno=%s", what, got,
				    len, n, errno_name(n < 0 ? errno : 0));
		got += n;
	}
	if (memcmp(buf, msg, len))
		return fail("%s: unexpected bytes", what);
	return 0;
}

/* connect() on a non-blocking socket, printed once with its final result */
static int connect_nb(void)
{
	int err = 0, fd = tcp_socket();
	socklen_t len = sizeof(err);
	long ret;

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
		sys_fail("O_NONBLOCK");
		close(fd);
		return -1;
	}
	ret = connect(fd, (struct sockaddr *)&peer, peer_len);
	if (ret && errno == EINPROGRESS) {
		if (wait_event(fd, POLLOUT, IO_TIMEOUT_MS) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		ret = err ? -1 : 0;
		errno = err;
	}
	if (op_done("connect", ret)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Segments fd has sent but not had ACKed (tcpi_unacked), or -1. */
static int unacked(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_unacked;
}

/* Wait (bounded, ACK_WAIT_MS) until everything fd sent has been ACKed. */
#define ACK_WAIT_MS 1000
static int wait_all_acked(int fd)
{
	int waited;

	for (waited = 0; waited < ACK_WAIT_MS; waited++) {
		if (unacked(fd) == 0)
			return 0;
		sleep_ms(1);
	}
	return fail("data still unacked after %d ms", ACK_WAIT_MS);
}

/*
 * TCP_REPAIR (CAP_NET_ADMIN): in repair mode close() goes through tcp_disconnect() without
 * sending anything, no FIN and no RST: the socket vanishes as if its host had lost power.
 * With snd and rcv non-NULL, first read the send queue's sequence (write_seq, which is snd_nxt
 * when everything has been sent) and the receive queue's (rcv_nxt).
 */
static int silent_close(int fd, uint32_t *snd, uint32_t *rcv)
{
	int one = 1, q;
	socklen_t len = sizeof(*snd);

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one))) {
		sys_fail("TCP_REPAIR (needs CAP_NET_ADMIN)");
		close(fd);
		return 1;
	}
	if (snd) {
		q = TCP_SEND_QUEUE;
		if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) ||
		    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, snd, &len)) {
			sys_fail("TCP_REPAIR_QUEUE/TCP_QUEUE_SEQ send queue");
			close(fd);
			return 1;
		}
		q = TCP_RECV_QUEUE;
		len = sizeof(*rcv);
		if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) ||
		    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, rcv, &len)) {
			sys_fail("TCP_REPAIR_QUEUE/TCP_QUEUE_SEQ receive queue");
			close(fd);
			return 1;
		}
	}
	return op_done("close", close(fd)) ? 1 : 0;
}

/* ---- (f) overflow: the listener's accept queue is full, tcp_abort_on_overflow=1 ---- */

#define OVF_CONNS	 4
#define OVF_BACKLOG	 1
#define OVF_DEFER_S	 5	/* TCP_DEFER_ACCEPT: the handshake's bare ACK is dropped */
#define OVF_SETTLE_MS	 200

static int ovf_prepare(int lfd)
{
	int v = OVF_DEFER_S;
	char c = 0;
	FILE *f;

	/* per network namespace: read in the listener's */
	f = fopen("/proc/sys/net/ipv4/tcp_abort_on_overflow", "r");
	if (!f)
		return sys_fail("/proc/sys/net/ipv4/tcp_abort_on_overflow");
	if (fread(&c, 1, 1, f) != 1)
		c = 0;
	fclose(f);
	if (c != '1')
		return fail("needs net.ipv4.tcp_abort_on_overflow=1 in the listener's network "
			    "namespace (the caller sets it, and restores it afterwards)");
	if (setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)))
		return sys_fail("TCP_DEFER_ACCEPT");
	return 0;
}

/*
 * docs/kernel.md §1f: with DEFER_ACCEPT the handshake's bare ACK leaves the connection a
 * request sock;
 * the first data byte makes the kernel create the child, and when the accept queue (backlog
 * 1) is full it answers that byte with RST, reason INVALID_SYN, sk = the listener. The RST is
 * processed inside the client's own send() on loopback (proc:sendto/backlog), so the send
 * still "succeeds" and the error waits on the socket. The connections that made it into the
 * queue get no answer at all, and nothing marks that none is coming: hence the one blind
 * wait, OVF_SETTLE_MS in all, before reading every connection without blocking.
 */
static int cli_overflow(void)
{
	int fds[OVF_CONNS], i, resets = 0, rc = 0, left, ev;
	long n, deadline;
	char c;

	for (i = 0; i < OVF_CONNS; i++)
		fds[i] = -1;
	for (i = 0; i < OVF_CONNS && !rc; i++) {
		fds[i] = connect_nb();
		if (fds[i] < 0)
			rc = fail("connection %d not established", i);
	}
	for (i = 0; i < OVF_CONNS && !rc; i++)
		if (op_done("send", send(fds[i], "o", 1, 0)) != 1)
			rc = fail("connection %d: send of 1 byte did not return 1", i);
	deadline = now_ms() + OVF_SETTLE_MS;
	for (i = 0; i < OVF_CONNS && !rc; i++) {
		left = deadline - now_ms();
		ev = wait_event(fds[i], POLLIN, left > 0 ? left : 0);
		n = op_done("recv", recv(fds[i], &c, 1, MSG_DONTWAIT));
		if (n == -1 && errno == ECONNRESET)
			resets++;
		else if (!(n == -1 && errno == EAGAIN))
			rc = fail("connection %d: expected ECONNRESET or EAGAIN, got ret=%ld "
				  "errno=%s (poll %d)", i, n, errno_name(n < 0 ? errno : 0), ev);
	}
	if (!rc && !resets)
		rc = fail("no connection was reset (is tcp_abort_on_overflow=1?)");
	for (i = 0; i < OVF_CONNS; i++)
		if (fds[i] >= 0)
			op_done("close", close(fds[i]));
	/* after our FINs, so that the server's accepted sockets read EOF and close cleanly */
	if (csync_post(CSYNC_DONE))
		rc = 1;
	return rc;
}

/* Never accept until the client is done; then accept what is queued, read its byte and
 * EOF, and close it (a FIN, not the TCP_STATE reset a listener close gives queued children). */
static int srv_overflow(int lfd)
{
	int fd, rc, i;
	long n;
	char c;

	/* the client's connects are bounded too; stay within the client's reap bound */
	rc = csync_wait(CSYNC_DONE, REAP_TIMEOUT_MS - 1000);
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK))
		rc = sys_fail("O_NONBLOCK");
	for (i = 0; i < OVF_CONNS; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 && errno == EAGAIN)
			break;
		op_done("accept", fd);
		if (fd < 0) {
			rc = 1;
			break;
		}
		/* its byte, then EOF; or EOF alone: on a slow machine (the arm64 guest under
		 * TCG, 1 run in ~7) the segment that carried the byte can meet the full queue
		 * and be dropped, and the child is made from a later one */
		if (set_timeouts(fd) || (n = op_done("recv", recv(fd, &c, 1, 0))) < 0 ||
		    (n == 1 && op_done("recv", recv(fd, &c, 1, 0)) != 0))
			rc = fail("queued connection: expected its byte, then EOF");
		op_done("close", close(fd));
	}
	close(lfd);
	return rc;
}

/* ---- keepalive: a pooled idle connection the server just closed ---- */

#define KA_REQUEST	"GET /1 HTTP/1.1\r\nHost: rt\r\n\r\n"
#define KA_RESPONSE	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
#define KA_REQUEST2	"GET /2 HTTP/1.1\r\nHost: rt\r\n\r\n"

/*
 * The pool client: request 1, response 1, then the connection sits idle (nobody reads it).
 * The server closes it (idle timeout, FIN). Like wapc, our delayed ACK of that FIN (~40 ms,
 * pingpong mode) turns the server's orphan into a TIME_WAIT sock; we measure it leave with
 * tcpi_segs_out from a base taken before the FIN (our ACK of response 1 is known to be out:
 * the server saw it). Request 2 then hits the TIME_WAIT sock: RST TCP_TIMEWAIT_SOCKET,
 * processed inside our send(), which still succeeds. We were in CLOSE_WAIT, so tcp_reset()
 * sets EPIPE, not ECONNRESET; the "response" read returns 0 (EOF: the FIN is still queued
 * and SOCK_DONE wins over sk_err in tcp_recvmsg), and only a later send fails, with EPIPE.
 */
static int cli_keepalive(void)
{
	int64_t base;
	int rc, fd = connect_peer();
	long n;
	char c;

	if (fd < 0)
		return 1;
	rc = send_msg(fd, KA_REQUEST, "request 1");
	if (!rc)
		rc = recv_msg(fd, KA_RESPONSE, "response 1");
	if (!rc)
		rc = sync_wait(SYNC_ACKED);
	if (!rc) {
		base = segs_out(fd);
		rc = csync_post(CSYNC_GO) || sync_wait(SYNC_CLOSED);
		if (!rc)
			wait_delayed_ack(fd, base);
	}
	if (!rc)	/* the write that provokes the RST succeeds */
		rc = send_msg(fd, KA_REQUEST2, "request 2");
	if (!rc) {
		/* the reset's error, not POLLIN, which the queued FIN gives at once: the RST is
		 * processed inside our send() only while softirqs are not being deferred to
		 * ksoftirqd (on a loaded machine they are, and the last send below then raced it) */
		if (wait_event(fd, 0, RST_WAIT_MS) <= 0)
			rc = fail("response 2: no reset within %d ms", RST_WAIT_MS);
		n = op_done("recv", recv(fd, &c, 1, 0));
		if (n != 0)
			rc = fail("response 2: expected EOF (0), got ret=%ld errno=%s", n,
				  errno_name(n < 0 ? errno : 0));
		rc |= expect_err(op_done("send", send(fd, KA_REQUEST2, strlen(KA_REQUEST2), 0)),
				 EPIPE, "send after the reset");
	}
	op_done("close", close(fd));
	return rc;
}

static int srv_keepalive(int lfd)
{
	int rc, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	rc = recv_msg(fd, KA_REQUEST, "request 1");
	if (!rc)
		rc = send_msg(fd, KA_RESPONSE, "response 1");
	if (!rc)
		rc = wait_all_acked(fd) || sync_post(SYNC_ACKED) ||
		     csync_wait(CSYNC_GO, IO_TIMEOUT_MS);
	/* the idle timeout: a normal close, FIN, nothing unread */
	if (op_done("close", close(fd)))
		rc = 1;
	if (!rc)
		rc = sync_post(SYNC_CLOSED);
	return rc;
}

/* ---- timeout: TCP_USER_TIMEOUT gives up, the peer has gone silent ---- */

#define TMO_USER_TIMEOUT_MS 500
#define TMO_WAIT_MS	 3000
#define TMO_MIN_MS	 (TMO_USER_TIMEOUT_MS - 50)
#define PING		 "ping"
#define PONG		 "pong"

/*
 * `ip route add|del blackhole ADDR` (a host route) in this process's namespace, through
 * rtnetlink: what the server sends to the client is then dropped before it leaves, as if
 * the network between them had died. Printed as op=blackhole / op=unblackhole.
 */
static int route_blackhole(int add, const struct sockaddr_storage *dst)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req;
	union {
		struct nlmsghdr nh;
		char buf[512];
	} ack;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };
	struct rtattr *rta;
	const void *addr;
	int fd, alen, err = 0;
	long n;

	if (dst->ss_family == AF_INET) {
		addr = &((const struct sockaddr_in *)dst)->sin_addr;
		alen = 4;
	} else {
		addr = &((const struct sockaddr_in6 *)dst)->sin6_addr;
		alen = 16;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = dst->ss_family;
	req.rt.rtm_dst_len = alen * 8;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_STATIC;
	req.rt.rtm_scope = RT_SCOPE_UNIVERSE;
	req.rt.rtm_type = RTN_BLACKHOLE;
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = RTA_DST;
	rta->rta_len = RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), addr, alen);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return sys_fail("netlink socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		err = errno;
	else if ((n = recv(fd, &ack, sizeof(ack), 0)) < 0)
		err = errno;
	else if (n < (long)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || ack.nh.nlmsg_type != NLMSG_ERROR)
		err = EPROTO;
	else
		err = -((struct nlmsgerr *)NLMSG_DATA(&ack.nh))->error;
	close(fd);
	errno = err;
	if (op_done(add ? "blackhole" : "unblackhole", err ? -1 : 0))
		return sys_fail(add ? "adding the blackhole route" : "deleting the blackhole route");
	return 0;
}

/*
 * One exchange proves the path; then the server's namespace gets a blackhole route to the
 * client (SYNC_SILENT): request 2 reaches the server's socket, but no ACK ever comes back,
 * and the client's host gets no local signal at all (its link stays up: a dead peer, not a
 * dead local link). Nothing answers: on 6.18 the tail loss probe goes at ~200 ms, the first
 * RTO retransmission at ~400 ms, and the user timeout is counted from that one, so the
 * timer gives up at ~920 ms: tcp_write_err() sets sk_err = ETIMEDOUT and closes the socket
 * without an RST. poll() reports POLLERR; recv returns ETIMEDOUT, a later send EPIPE (the
 * socket is CLOSE).
 */
static int cli_timeout(void)
{
	int rc, ut = TMO_USER_TIMEOUT_MS, fd = connect_peer();
	long n, t0, dt = 0;
	char c;

	if (fd < 0)
		return 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)))
		rc = sys_fail("TCP_USER_TIMEOUT");
	else
		rc = send_msg(fd, PING, "request 1");
	if (!rc)
		rc = recv_msg(fd, PONG, "response 1");
	if (!rc)
		rc = csync_post(CSYNC_PONG) || sync_wait(SYNC_SILENT);
	if (!rc)
		rc = send_msg(fd, "req2", "request 2");	/* queued: it succeeds */
	if (!rc) {
		t0 = now_ms();
		if (wait_event(fd, POLLIN, TMO_WAIT_MS) <= 0)
			rc = fail("no error within %d ms", TMO_WAIT_MS);
		dt = now_ms() - t0;
		n = op_done("recv", recv(fd, &c, 1, 0));
		rc |= expect_err(n, ETIMEDOUT, "recv after the timeout");
		if (!rc && dt < TMO_MIN_MS)
			rc = fail("timed out after %ld ms, expected about %d", dt, ut);
		rc |= expect_err(op_done("send", send(fd, "x", 1, 0)), EPIPE,
				 "send after the timeout");
	}
	if (csync_post(CSYNC_DONE))
		rc = 1;
	op_done("close", close(fd));
	return rc;
}

static int srv_timeout(int lfd)
{
	struct sockaddr_storage client;
	socklen_t cl = sizeof(client);
	int rc, routed = 0, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	rc = getpeername(fd, (struct sockaddr *)&client, &cl) ? sys_fail("getpeername") : 0;
	if (!rc)
		rc = recv_msg(fd, PING, "request 1");
	if (!rc)
		rc = send_msg(fd, PONG, "response 1");
	if (!rc)
		rc = csync_wait(CSYNC_PONG, IO_TIMEOUT_MS);
	if (!rc) {
		rc = route_blackhole(1, &client);
		routed = !rc;
	}
	if (!rc)
		rc = sync_post(SYNC_SILENT) || csync_wait(CSYNC_DONE, TMO_WAIT_MS + 1000);
	/* Our socket must stay until the client has given up (closing it would make this
	 * namespace answer the retransmissions with NO_SOCKET resets), and then vanish without
	 * a word: it holds request 2, unread and unacknowledged */
	rc |= silent_close(fd, NULL, NULL);
	if (routed)
		rc |= route_blackhole(0, &client);
	return rc;
}

/* ---- remote: an RST no local TCP socket sent ---- */

static uint16_t csum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* RST|ACK from local to remote with seq and ack, through a raw IPv4 socket (IP_HDRINCL) */
static long send_forged_rst(const struct sockaddr_in *local, const struct sockaddr_in *remote,
			    uint32_t seq, uint32_t ack)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} pkt;
	struct {
		uint32_t saddr, daddr;
		uint8_t zero, proto;
		uint16_t len;
		struct tcphdr tcp;
	} pseudo;
	int fd;
	long n;

	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.frag_off = htons(IP_DF);
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.saddr = local->sin_addr.s_addr;
	pkt.ip.daddr = remote->sin_addr.s_addr;	/* id and checksum: the kernel fills them */
	pkt.tcp.source = local->sin_port;
	pkt.tcp.dest = remote->sin_port;
	pkt.tcp.seq = htonl(seq);
	pkt.tcp.ack_seq = htonl(ack);
	pkt.tcp.doff = sizeof(struct tcphdr) / 4;
	pkt.tcp.rst = 1;
	pkt.tcp.ack = 1;
	memset(&pseudo, 0, sizeof(pseudo));
	pseudo.saddr = pkt.ip.saddr;
	pseudo.daddr = pkt.ip.daddr;
	pseudo.proto = IPPROTO_TCP;
	pseudo.len = htons(sizeof(struct tcphdr));
	pseudo.tcp = pkt.tcp;
	pkt.tcp.check = htons(csum16(&pseudo, sizeof(pseudo), 0));

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);	/* implies IP_HDRINCL */
	if (fd < 0)
		return sys_fail("raw socket"), -1;
	n = op_done("rawsend", sendto(fd, &pkt, sizeof(pkt), 0, (const struct sockaddr *)remote,
				      sizeof(*remote)));
	close(fd);
	return n;
}

/*
 * The server's socket disappears without a word (TCP_REPAIR close), and an RST built by hand
 * with the exact sequence number the client expects (our snd_nxt = its rcv_nxt: it has read
 * everything we sent) is sent from a raw socket in the server's namespace: to the client's
 * host it looks like a middlebox's or a rebooted peer's reset. No TCP socket sends it, so a
 * tracer sees the client's rst_recv and no rst_sent. The client was ESTABLISHED: recv
 * ECONNRESET, then send EPIPE.
 */
static int cli_remote(void)
{
	int rc, fd = connect_peer();

	if (fd < 0)
		return 1;
	rc = send_msg(fd, PING, "request");
	if (!rc)
		rc = recv_msg(fd, PONG, "response");
	if (!rc)
		rc = csync_post(CSYNC_PONG) || sync_wait(SYNC_RST_SENT);
	if (!rc)
		rc = expect_reset_then_epipe(fd);
	op_done("close", close(fd));
	return rc;
}

static int srv_remote(int lfd)
{
	struct sockaddr_in local, remote;
	socklen_t ll = sizeof(local), rl = sizeof(remote);
	uint32_t snd = 0, rcv = 0;
	int rc, fd = accept_one(lfd);

	if (fd < 0)
		return 1;
	rc = recv_msg(fd, PING, "request");
	if (!rc)
		rc = send_msg(fd, PONG, "response");
	if (!rc)
		rc = csync_wait(CSYNC_PONG, IO_TIMEOUT_MS);
	if (!rc && (getsockname(fd, (struct sockaddr *)&local, &ll) ||
		    getpeername(fd, (struct sockaddr *)&remote, &rl)))
		rc = sys_fail("getsockname/getpeername");
	if (rc) {
		op_done("close", close(fd));
		return rc;
	}
	if (silent_close(fd, &snd, &rcv))
		return 1;
	if (send_forged_rst(&local, &remote, snd, rcv) != sizeof(struct iphdr) +
							  sizeof(struct tcphdr))
		return fail("forged RST not sent");
	return sync_post(SYNC_RST_SENT);
}

static const struct scen scens[] = {
	{ "refused", "ref", cli_refused, NULL },
	{ "unread", "unr", cli_unread, srv_unread },
	{ "linger", "lin", cli_linger, srv_linger },
	{ "wapc", "wapc", cli_wapc, srv_wapc },
	{ "overflow", "ovf", cli_overflow, srv_overflow, ovf_prepare, OVF_BACKLOG },
	{ "keepalive", "ka", cli_keepalive, srv_keepalive },
	{ "timeout", "tmo", cli_timeout, srv_timeout, .flags = SCEN_NETNS },
	{ "remote", "rmt", cli_remote, srv_remote, .flags = SCEN_NETNS | SCEN_V4 },
};

/* The server's exit status; 1 if it died of a signal or had to be killed. */
static int reap(pid_t pid)
{
	int st, waited;
	pid_t r;

	for (waited = 0; waited < REAP_TIMEOUT_MS; waited += REAP_STEP_MS) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (WIFEXITED(st))
				return WEXITSTATUS(st);
			return fail("server %d killed by signal %d", (int)pid, WTERMSIG(st));
		}
		if (r < 0 && errno != EINTR)
			return sys_fail("waitpid");
		sleep_ms(REAP_STEP_MS);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return fail("server %d still running after %d ms, killed", (int)pid, REAP_TIMEOUT_MS);
}

/* -n: move this process (the server) into NETNS before it creates any socket */
static int enter_netns(void)
{
	struct stat before, after;
	int fd;

	if (stat("/proc/self/ns/net", &before))
		return sys_fail("/proc/self/ns/net");
	fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sys_fail(netns_path);
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return sys_fail("setns (needs CAP_SYS_ADMIN)");
	}
	close(fd);
	if (stat("/proc/self/ns/net", &after))
		return sys_fail("/proc/self/ns/net");
	/* timeout adds a blackhole route: never in the namespace the client (and host) uses */
	if ((cur->flags & SCEN_NETNS) && before.st_dev == after.st_dev &&
	    before.st_ino == after.st_ino)
		return fail("%s is the client's own network namespace", netns_path);
	return 0;
}

static int server_main(pid_t parent)
{
	int lfd, rc;

	set_role("srv");
	/* never outlive the client, e.g. when a test harness kills it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		return 1;
	if (netns_path && enter_netns())
		return 1;
	lfd = tcp_listener();
	if (lfd < 0 || (cur->prepare && cur->prepare(lfd)) || sync_post(SYNC_LISTENING))
		return 1;
	rc = cur->server(lfd);
	fflush(stdout);
	return rc;
}

/* The server is a child so that its listener exists before the client connects and each
 * socket is only ever touched by the process whose role it belongs to. */
static int run_pair(void)
{
	pid_t pid, parent = getpid();
	int fds[2], cfds[2], rc, srv;

	if (pipe2(fds, O_CLOEXEC))
		return sys_fail("pipe");
	if (pipe2(cfds, O_CLOEXEC))
		return sys_fail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return sys_fail("fork");
	if (!pid) {
		close(fds[0]);
		close(cfds[1]);
		sync_wr = fds[1];
		csync_rd = cfds[0];
		_exit(server_main(parent));
	}
	close(fds[1]);
	close(cfds[0]);
	sync_rd = fds[0];
	csync_wr = cfds[1];
	set_role("cli");
	rc = sync_wait(SYNC_LISTENING) ? 1 : cur->client();
	close(sync_rd);
	close(csync_wr);	/* a server still waiting for us sees EOF */
	srv = reap(pid);
	return rc || srv ? 1 : 0;
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: scen SCENARIO [-6] [-a ADDR] [-n NETNS] PORT\n"
		"  refused  connect to the closed PORT: ECONNREFUSED      (rt_cli_ref)\n"
		"  unread   server closes with unread data: client recv ECONNRESET, send EPIPE\n"
		"           (rt_cli_unr, rt_srv_unr)\n"
		"  linger   client closes with SO_LINGER {1,0}: server recv ECONNRESET,\n"
		"           send EPIPE (rt_cli_lin, rt_srv_lin)\n"
		"  wapc     server writes after the client closed: send 16384, later send EPIPE\n"
		"           (rt_cli_wapc, rt_srv_wapc)\n"
		"  overflow listener (backlog 1, TCP_DEFER_ACCEPT, never accepts) and %d\n"
		"           connections sending 1 byte: at least one recv ECONNRESET, the others\n"
		"           EAGAIN (rt_cli_ovf, rt_srv_ovf). Needs net.ipv4.tcp_abort_on_overflow=1\n"
		"           in the listener's namespace: set it (and restore it) yourself\n"
		"  keepalive client sends request 2 on an idle connection the server closed:\n"
		"           send succeeds, recv 0 (EOF), later send EPIPE (rt_cli_ka, rt_srv_ka)\n"
		"  timeout  TCP_USER_TIMEOUT %d ms; after one exchange the server's namespace\n"
		"           drops all it sends to the client (blackhole route): recv ETIMEDOUT,\n"
		"           send EPIPE (rt_cli_tmo, rt_srv_tmo).\n"
		"           Needs -a and -n (a namespace other than the client's)\n"
		"  remote   the server's socket vanishes (TCP_REPAIR), a raw socket sends the RST:\n"
		"           client recv ECONNRESET, send EPIPE (rt_cli_rmt, rt_srv_rmt).\n"
		"           IPv4, needs -a and -n\n"
		"  -6       use ::1 instead of 127.0.0.1\n"
		"  -a ADDR  connect to ADDR (IPv4 or IPv6) instead of the loopback address\n"
		"  -n NETNS the server enters the network namespace NETNS (a path, e.g.\n"
		"           /run/netns/NAME from tests/e2e/netns.sh) and listens on ADDR there\n"
		"One line per socket operation on stdout:\n"
		"  scen=S role=cli|srv pid=N op=connect|send|recv|close|accept|rawsend|\n"
		"       blackhole|unblackhole ret=N errno=NAME|0\n"
		"Exit: 0 as expected, 1 not as expected, 2 usage.\n",
		OVF_CONNS, TMO_USER_TIMEOUT_MS);
	return status;
}

static int parse_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -1;
	return v;
}

static int bad_args(const char *msg)
{
	fprintf(stderr, "scen: %s\n", msg);
	return -1;
}

/* SCENARIO first, then -6, -a ADDR, -n NETNS and PORT in any order; sets peer. */
static int parse_args(int argc, char **argv)
{
	const char *addr = NULL;
	int a, port = -1, v6 = 0;
	size_t i;

	if (argc < 3)
		return -1;
	for (i = 0; i < sizeof(scens) / sizeof(scens[0]); i++)
		if (!strcmp(argv[1], scens[i].name))
			cur = &scens[i];
	if (!cur)
		return -1;
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "-6") && !v6) {
			v6 = 1;
			continue;
		}
		if (!strcmp(argv[a], "-a") && !addr && a + 1 < argc) {
			addr = argv[++a];
			continue;
		}
		if (!strcmp(argv[a], "-n") && !netns_path && a + 1 < argc) {
			netns_path = argv[++a];
			continue;
		}
		if (port >= 0 || (port = parse_port(argv[a])) < 0)
			return -1;	/* a second PORT, a repeated option, or a bad PORT */
	}
	if (port < 0)
		return -1;
	if (addr && v6)
		return bad_args("-6 and -a exclude each other");
	if (set_addr(addr, v6, port))
		return bad_args("-a: not an IPv4 or IPv6 address");
	if (netns_path && !cur->server)
		return bad_args("-n: this scenario has no server");
	if (netns_path && !addr)
		return bad_args("-n needs -a (an address of the namespace)");
	if ((cur->flags & SCEN_NETNS) && !netns_path)
		return bad_args("this scenario needs -a ADDR and -n NETNS");
	if ((cur->flags & SCEN_V4) && peer.ss_family != AF_INET)
		return bad_args("this scenario is IPv4 only");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	if (parse_args(argc, argv))
		return usage(stderr, 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the kernel still generates SIGPIPE on EPIPE, where the tracer sees it; we survive it */
	signal(SIGPIPE, SIG_IGN);
	if (!cur->server) {
		set_role("cli");
		return cur->client() ? 1 : 0;
	}
	return run_pair();
}
