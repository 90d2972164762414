/* SPDX-License-Identifier: GPL-2.0 */
/* probes.h - which mechanism each hook uses on this kernel. One table of hooks and their
 * variants; each variant is tried for real (a minimal program loaded and attached to the same
 * target) in the order the --probes family gives; the first that works is chosen. */
#ifndef PROBES_H
#define PROBES_H

#include <stdbool.h>
#include <stdio.h>
#include "options.h"

struct bpf_object;
struct btf;

enum mechanism {
	MECH_TP_BTF,
	MECH_RAW_TP,
	MECH_FENTRY,   /* fentry or fexit */
	MECH_KPROBE,   /* kprobe or kretprobe */
	MECH_COUNT,
};

#define HOOK_MAX_VARIANTS 4
#define VARIANT_MAX_PROGS 3
#define PROBE_WHY_LEN 160

struct variant {
	enum mechanism mech;
	const char *progs[VARIANT_MAX_PROGS]; /* BPF program names (bpf/rsttrace.bpf.c) */
	/* the tracepoint must carry the reset reason: before 6.10 tcp_send_reset missed resets
	 * with no socket (refused connects) and from timewait socks */
	bool needs_rst_reason;
};

struct hook {
	const char *name;        /* "send_reset": the key of stats.probes */
	const char *what;        /* what the user loses without it */
	struct variant variants[HOOK_MAX_VARIANTS];
	int nvariants;
};

struct hook_result {
	int chosen;                                  /* variant index, -1: unavailable */
	bool tried[HOOK_MAX_VARIANTS];
	bool works[HOOK_MAX_VARIANTS];
	char why[HOOK_MAX_VARIANTS][PROBE_WHY_LEN];  /* the failure, when it failed */
};

struct probe_plan {
	int nhooks;
	const struct hook *hooks;
	struct hook_result result[16];
};

const char *mechanism_name(enum mechanism m);
/* Arguments of a tracepoint (tracepoint=true, without the ctx) or kernel function per the
 * kernel's BTF; -1 when it has none. Some grew arguments: the reset reason came in 6.10. */
int kernel_hook_nargs(const struct btf *btf, const char *name, bool tracepoint);

/* Probe and choose. all: probe every variant (--list-probes), not just until one works.
 * Returns 0, or -1 with *err set when a forced family cannot be honoured. */
int probes_choose(struct probe_plan *plan, struct bpf_object *obj, const struct btf *vmlinux,
		  enum rt_probe_family family, bool all, char *err, size_t errlen);
/* Disable every program but the chosen ones (before load). */
void probes_set_autoload(const struct probe_plan *plan, struct bpf_object *obj);
void probes_print(const struct probe_plan *plan, struct bpf_object *obj, FILE *f);
/* The chosen programs' names, in the order they must be attached. Returns the count. */
int probes_chosen_programs(const struct probe_plan *plan, const char **names, int max);
/* "tp_btf" or NULL when the hook is unavailable */
const char *probes_chosen_name(const struct probe_plan *plan, int hook);

#endif
