// SPDX-License-Identifier: GPL-2.0
/* regs.c - loader of tests/vm/regs.bpf.c: bpf/arch.h's user-mode-interrupt rule counted on
 * the running kernel's ticks.
 *
 * usage: regs SPIN_PID SYS_PID SECONDS
 *
 * Prints "regs spin user=N kernel=N sys user=N kernel=N" after SECONDS: the ticks that landed
 * on each process, split by what the rule said about its saved registers. Exit 1 when the
 * program cannot be loaded or attached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "regs.skel.h"

int main(int argc, char **argv)
{
	struct regs_bpf *skel;
	__u64 v[4] = {};

	if (argc != 4) {
		fprintf(stderr, "usage: regs SPIN_PID SYS_PID SECONDS\n");
		return 2;
	}
	skel = regs_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->spin_pid = atoi(argv[1]);
	skel->rodata->sys_pid = atoi(argv[2]);
#if defined(__aarch64__)
	/* as user/tracer.c does (bpf/arch.h) */
	if (sysconf(_SC_PAGESIZE) > (long)skel->rodata->arch_thread_size)
		skel->rodata->arch_thread_size = sysconf(_SC_PAGESIZE);
#endif
	if (regs_bpf__load(skel) || regs_bpf__attach(skel)) {
		fprintf(stderr, "regs: load or attach failed\n");
		regs_bpf__destroy(skel);
		return 1;
	}
	sleep(atoi(argv[3]));
	for (__u32 k = 0; k < 4; k++)
		bpf_map__lookup_elem(skel->maps.counts, &k, sizeof(k), &v[k], sizeof(v[k]), 0);
	printf("regs spin user=%llu kernel=%llu sys user=%llu kernel=%llu\n",
	       (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
	       (unsigned long long)v[3]);
	regs_bpf__destroy(skel);
	return 0;
}
