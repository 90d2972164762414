// SPDX-License-Identifier: GPL-2.0
/* rstgen.c - RST storm generator for `make bench` (bench/run.sh).
 *
 * usage: rstgen [-p PROCS] [-s SECONDS] [-P PORT]
 *
 * PROCS processes (1..16) each loop socket(); blocking connect() to 127.0.0.1:PORT, where
 * nothing listens (ECONNREFUSED: the kernel answers the SYN with one RST, reason
 * NO_SOCKET); close(); for SECONDS (0 < s <= 60). Prints one line of shell assignments:
 *   connects=N refused=N other=N elapsed=S rate=R
 * refused is the number of RSTs generated. Children are forked, started together
 * (a pipe closed by the parent), and reaped by pid; each also has an alarm() so nothing can
 * outlive its bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 16

struct result {
	long connects, refused, other;
	double elapsed;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: rstgen [-p PROCS(1..%d)] [-s SECONDS(0<s<=60)] [-P PORT]\n",
		MAX_PROCS);
	exit(2);
}

static struct result run(int port, double secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct result r = { 0 };
	double start = now(), end = start + secs;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (;;) {
		if ((r.connects & 63) == 0 && now() >= end)
			break;
		int s = socket(AF_INET, SOCK_STREAM, 0);
		r.connects++;
		if (s < 0) {
			r.other++;
			continue;
		}
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED)
			r.refused++;
		else
			r.other++;
		close(s);
	}
	r.elapsed = now() - start;
	return r;
}

int main(int argc, char **argv)
{
	int procs = 1, port = 19001, opt;
	double secs = 3;
	int go[2], res[2];
	pid_t pids[MAX_PROCS];

	while ((opt = getopt(argc, argv, "p:s:P:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 's': secs = atof(optarg); break;
		case 'P': port = atoi(optarg); break;
		default: usage();
		}
	}
	if (procs < 1 || procs > MAX_PROCS || !(secs > 0 && secs <= 60) || port < 1 || port > 65535)
		usage();
	if (pipe(go) || pipe(res)) {
		perror("rstgen: pipe");
		return 1;
	}
	for (int p = 0; p < procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("rstgen: fork");
			for (int q = 0; q < p; q++)
				kill(pids[q], SIGKILL);
			return 1;
		}
		if (pids[p] == 0) {
			char c;
			struct result r;

			alarm((unsigned)secs + 10);
			close(go[1]);
			if (read(go[0], &c, 1) < 0) /* EOF when the parent closes: start */
				_exit(1);
			r = run(port, secs);
			if (write(res[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	close(res[1]);

	struct result tot = { 0 };
	int got = 0;
	for (int p = 0; p < procs; p++) {
		struct result r;
		if (read(res[0], &r, sizeof(r)) != sizeof(r))
			break;
		got++;
		tot.connects += r.connects;
		tot.refused += r.refused;
		tot.other += r.other;
		if (r.elapsed > tot.elapsed)
			tot.elapsed = r.elapsed;
	}
	for (int p = 0; p < procs; p++)
		waitpid(pids[p], NULL, 0);
	if (got != procs) {
		fprintf(stderr, "rstgen: only %d of %d processes reported\n", got, procs);
		return 1;
	}
	printf("connects=%ld refused=%ld other=%ld elapsed=%.3f rate=%.0f\n", tot.connects,
	       tot.refused, tot.other, tot.elapsed, tot.elapsed > 0 ? tot.refused / tot.elapsed : 0);
	return 0;
}
