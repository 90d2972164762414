/* scen.c - TCP reset scenarios on loopback, for the rsttrace end-to-end tests.
 *
 * usage: scen SCENARIO [-6] PORT
 *
 * Each scenario makes the kernel really reset a connection on 127.0.0.1 (::1 with -6) between
 * a client rt_cli_<tag> (the process started) and a server rt_srv_<tag> (its child), so the
 * tracer has a known owner and trigger for every event. The facts behind each scenario are in
 * notes/kernel-events.md, sections (a) to (d). Every process prints one line per socket
 * operation on its connection (listener closes are not printed: they reset nothing):
 *
 *   scen=<name> role=<cli|srv> pid=<tgid> op=<connect|send|recv|close|accept> ret=<n> errno=<E..|0>
 *
 * Exit status: 0 when the kernel gave the expected errors, 1 when not (reason on stderr),
 * 2 on a usage error. Every blocking call is bounded (IO_TIMEOUT_MS), the server is reaped by
 * pid within REAP_TIMEOUT_MS, and the processes synchronise through a pipe and socket data.
 * The only blind wait is the short one documented at wapc_wait_timewait().
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS	 3000	/* SO_RCVTIMEO, SO_SNDTIMEO, pipe waits */
#define RST_WAIT_MS	 2000	/* wait for the peer's RST */
#define REAP_TIMEOUT_MS	 10000
#define REAP_STEP_MS	 10

#define UNREAD_BYTES	 1000
#define WAPC_REQUEST	 "GET / HTTP/1.0\r\n\r\n"	/* 18 bytes, as in the notes */
#define WAPC_REQ_LEN	 (sizeof(WAPC_REQUEST) - 1)
#define WAPC_CHUNK	 16384
#define WAPC_CHUNKS	 13
#define WAPC_ACK_WAIT_MS 1000	/* bound of the wait for our delayed ACK of the FIN */
#define WAPC_SETTLE_MS	 20	/* for loopback to deliver that ACK */
#define WAPC_BLIND_MS	 60	/* fallback when TCP_INFO has no tcpi_segs_out */

/* bytes the server writes on the pipe to the client */
#define SYNC_LISTENING	 'L'
#define SYNC_REQ_READ	 'R'

struct scen {
	const char *name;		/* scen=<name> */
	const char *tag;		/* comm rt_<role>_<tag>, at most 15 chars */
	int (*client)(void);
	int (*server)(int lfd);		/* NULL: the client runs alone */
};

static const struct scen *cur;
static const char *role = "main";
static struct sockaddr_storage peer;	/* the loopback address and PORT */
static socklen_t peer_len;
static int sync_rd = -1;		/* client end of the server-to-client pipe */
static int sync_wr = -1;		/* server end */

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

static void set_addr(int v6, int port)
{
	memset(&peer, 0, sizeof(peer));
	if (v6) {
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
	    bind(fd, (struct sockaddr *)&peer, peer_len) || listen(fd, 16)) {
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

static int sync_post(char c)
{
	return write(sync_wr, &c, 1) == 1 ? 0 : sys_fail("sync pipe");
}

static int sync_wait(char want)
{
	char c = 0;

	if (wait_event(sync_rd, POLLIN, IO_TIMEOUT_MS) <= 0 || read(sync_rd, &c, 1) != 1 ||
	    c != want)
		return fail("server sent no '%c' (exited, or %d ms passed)", want, IO_TIMEOUT_MS);
	return 0;
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
 * Notes (d): the client's close() left an orphan in FIN_WAIT1. Only when our ACK of its FIN
 * reaches it does it become a TIME_WAIT sock, the one that answers our data with RST
 * TCP_TIMEWAIT_SOCKET; writing before that gives variant d2 (TCP_ABORT_ON_DATA) instead.
 * tcp_fin() put us in pingpong mode, so that ACK is delayed (~40 ms, TCP_DELACK_MIN).
 * The client process cannot observe any of this. Our socket can see the ACK leave
 * (tcpi_segs_out grows; nothing else is sent after the EOF), which beats a fixed 60 ms
 * on a slow VM. Loopback then delivers it from the same softirq run, which nothing
 * observable marks: that is the one blind wait here, WAPC_SETTLE_MS. If the ACK had already
 * left, the bound only makes us late, never early.
 */
static void wapc_wait_timewait(int fd)
{
	int64_t base = segs_out(fd);
	int waited;

	if (base < 0) {
		sleep_ms(WAPC_BLIND_MS);
		return;
	}
	for (waited = 0; waited < WAPC_ACK_WAIT_MS && segs_out(fd) == base; waited++)
		sleep_ms(1);
	sleep_ms(WAPC_SETTLE_MS);
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

static const struct scen scens[] = {
	{ "refused", "ref", cli_refused, NULL },
	{ "unread", "unr", cli_unread, srv_unread },
	{ "linger", "lin", cli_linger, srv_linger },
	{ "wapc", "wapc", cli_wapc, srv_wapc },
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

static int server_main(pid_t parent)
{
	int lfd, rc;

	set_role("srv");
	/* never outlive the client, e.g. when a test harness kills it */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		return 1;
	lfd = tcp_listener();
	if (lfd < 0 || sync_post(SYNC_LISTENING))
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
	int fds[2], rc, srv;

	if (pipe2(fds, O_CLOEXEC))
		return sys_fail("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return sys_fail("fork");
	if (!pid) {
		close(fds[0]);
		sync_wr = fds[1];
		_exit(server_main(parent));
	}
	close(fds[1]);
	sync_rd = fds[0];
	set_role("cli");
	rc = sync_wait(SYNC_LISTENING) ? 1 : cur->client();
	close(sync_rd);
	srv = reap(pid);
	return rc || srv ? 1 : 0;
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: scen SCENARIO [-6] PORT\n"
		"  refused  connect to the closed PORT: ECONNREFUSED      (rt_cli_ref)\n"
		"  unread   server closes with unread data: client recv ECONNRESET, send EPIPE\n"
		"           (rt_cli_unr, rt_srv_unr)\n"
		"  linger   client closes with SO_LINGER {1,0}: server recv ECONNRESET,\n"
		"           send EPIPE (rt_cli_lin, rt_srv_lin)\n"
		"  wapc     server writes after the client closed: send 16384, later send EPIPE\n"
		"           (rt_cli_wapc, rt_srv_wapc)\n"
		"  -6       use ::1 instead of 127.0.0.1\n"
		"One line per socket operation on stdout:\n"
		"  scen=S role=cli|srv pid=N op=connect|send|recv|close|accept ret=N errno=NAME|0\n"
		"Exit: 0 as expected, 1 not as expected, 2 usage.\n");
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

/* SCENARIO first, then -6 and PORT in any order. */
static int parse_args(int argc, char **argv, int *port, int *v6)
{
	size_t i;
	int a;

	if (argc < 3)
		return -1;
	for (i = 0; i < sizeof(scens) / sizeof(scens[0]); i++)
		if (!strcmp(argv[1], scens[i].name))
			cur = &scens[i];
	if (!cur)
		return -1;
	*port = -1;
	*v6 = 0;
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "-6") && !*v6) {
			*v6 = 1;
			continue;
		}
		if (*port >= 0 || (*port = parse_port(argv[a])) < 0)
			return -1;	/* a second PORT, a second -6, or a bad PORT */
	}
	return *port < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	int port, v6;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout, 0);
	if (parse_args(argc, argv, &port, &v6))
		return usage(stderr, 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the kernel still generates SIGPIPE on EPIPE, where the tracer sees it; we survive it */
	signal(SIGPIPE, SIG_IGN);
	set_addr(v6, port);
	if (!cur->server) {
		set_role("cli");
		return cur->client() ? 1 : 0;
	}
	return run_pair();
}
