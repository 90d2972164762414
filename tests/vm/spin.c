// SPDX-License-Identifier: GPL-2.0
/* spin.c - a process that stays in user mode, for tests/vm/context.sh.
 *
 * usage: spin CPU SECONDS [NICE]
 *
 * Pins itself to CPU, takes the nice value NICE (default 0), prints "spin pid=N cpu=C" once, then loops in user mode for SECONDS
 * (bounded by itself, in case nobody stops it): the clock is read through the vDSO every
 * 2^20 iterations, so no system call is made while it spins. Interrupts then land on it in
 * user mode, and on arm64 its saved registers show EL0 and syscallno -1 (bpf/arch.h).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	cpu_set_t set;
	volatile unsigned long n = 0;
	double end;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: spin CPU SECONDS [NICE]\n");
		return 2;
	}
	if (argc == 4 && setpriority(PRIO_PROCESS, 0, atoi(argv[3]))) {
		perror("spin: setpriority");
		return 1;
	}
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[1]), &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("spin: sched_setaffinity");
		return 1;
	}
	end = now() + atof(argv[2]);
	printf("spin pid=%d cpu=%d\n", getpid(), atoi(argv[1]));
	fflush(stdout);
	while (now() < end)
		for (unsigned long i = 0; i < (1UL << 20); i++)
			n++;
	return 0;
}
