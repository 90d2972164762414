// SPDX-License-Identifier: GPL-2.0
/* probes.c - the hook table, real load-and-attach probing, the choice, --list-probes.
 *
 * Probing loads a two-instruction program of the variant's exact type against the variant's
 * exact target, and attaches fentry and kprobe ones: having BTF does not prove that fentry
 * works (this machine's 6.18 refuses it with EPERM) nor that kprobes exist (CONFIG_KPROBES off
 * here), and a function can be in BTF yet not traceable. A tracepoint program is only loaded:
 * the tracepoint is in the kernel's BTF (checked) and built in, so it attaches; attaching and
 * detaching one costs an RCU grace period at the detach (~15 ms here, 0.13 s of start-up for
 * nine hooks). The real object is then loaded once with only the chosen programs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probes.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct hook hooks[] = {
	{ "send_reset", "resets sent", {
		{ MECH_TP_BTF, { "send_reset_btf" }, true },
		{ MECH_RAW_TP, { "send_reset_raw" }, true },
		{ MECH_FENTRY, { "v4_send_reset_fentry", "v6_send_reset_fentry", "active_reset_fentry" } },
		{ MECH_KPROBE, { "v4_send_reset_kprobe", "v6_send_reset_kprobe", "active_reset_kprobe" } },
	}, 4 },
	{ "receive_reset", "resets received", {
		{ MECH_TP_BTF, { "receive_reset_btf" } },
		{ MECH_RAW_TP, { "receive_reset_raw" } },
		{ MECH_FENTRY, { "receive_reset_fentry" } },
		{ MECH_KPROBE, { "receive_reset_kprobe" } },
	}, 4 },
	{ "error_report", "pending socket errors", {
		{ MECH_TP_BTF, { "error_report_btf" } },
		{ MECH_RAW_TP, { "error_report_raw" } },
		{ MECH_FENTRY, { "error_report_fentry" } },
		{ MECH_KPROBE, { "error_report_kprobe" } },
	}, 4 },
	{ "set_state", "connects, accepts and closes", {
		{ MECH_TP_BTF, { "set_state_btf" } },
		{ MECH_RAW_TP, { "set_state_raw" } },
	}, 2 },
	{ "destroy", "socket ends", {
		{ MECH_TP_BTF, { "destroy_btf" } },
		{ MECH_RAW_TP, { "destroy_raw" } },
		{ MECH_FENTRY, { "destroy_fentry" } },
		{ MECH_KPROBE, { "destroy_kprobe" } },
	}, 4 },
	{ "send_length", "write errors and owners of senders", {
		{ MECH_TP_BTF, { "send_length_btf" } },
		{ MECH_RAW_TP, { "send_length_raw" } },
		{ MECH_FENTRY, { "send_length_fexit" } },
		{ MECH_KPROBE, { "send_length_kprobe", "send_length_kretprobe" } },
	}, 4 },
	{ "recv_length", "read errors and owners of receivers", {
		{ MECH_TP_BTF, { "recv_length_btf" } },
		{ MECH_RAW_TP, { "recv_length_raw" } },
		{ MECH_FENTRY, { "recv_length_fexit" } },
		{ MECH_KPROBE, { "recv_length_kprobe", "recv_length_kretprobe" } },
	}, 4 },
	{ "sigpipe", "SIGPIPE annotations", {
		{ MECH_TP_BTF, { "sigpipe_btf" } },
		{ MECH_RAW_TP, { "sigpipe_raw" } },
	}, 2 },
};

const char *mechanism_name(enum mechanism m)
{
	static const char *const names[MECH_COUNT] = { "tp_btf", "raw_tp", "fentry", "kprobe" };

	return m < MECH_COUNT ? names[m] : "?";
}

/* ------------------------------------------------------------------------------------ */
/* BTF questions                                                                          */

static int btf_id_of(const struct btf *btf, const char *name, bool tracepoint)
{
	char tname[128];

	if (!tracepoint)
		return btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
}

int kernel_hook_nargs(const struct btf *btf, const char *name, bool tracepoint)
{
	int id = btf_id_of(btf, name, tracepoint);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_ptr(t) || btf_is_func(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	/* a tracepoint's btf_trace_<name> takes the ctx first */
	return btf_vlen(t) - (tracepoint ? 1 : 0);
}

/* ------------------------------------------------------------------------------------ */
/* loading and attaching a minimal program                                               */

static const struct bpf_insn return_zero[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_minimal(enum bpf_prog_type type, enum bpf_attach_type at, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = at,
		    .attach_btf_id = btf_id > 0 ? btf_id : 0);
	int fd = bpf_prog_load(type, "rt_probe", "GPL", return_zero, ARRAY_SIZE(return_zero), &opts);

	return fd < 0 ? -errno : fd;
}

static int read_sysfs_int(const char *path, const char *fmt, int *v)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, fmt, v);
	fclose(f);
	return n == 1 ? 0 : -EINVAL;
}

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

static int attach_kprobe_fd(int prog_fd, const char *func, bool ret, char *why, size_t len)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type, bit = 0, pfd, err;

	if (read_sysfs_int(KPROBE_PMU "/type", "%d", &type)) {
		snprintf(why, len, "no kprobe PMU (%s): kernel without CONFIG_KPROBES", KPROBE_PMU);
		return -ENOENT;
	}
	if (ret && read_sysfs_int(KPROBE_PMU "/format/retprobe", "config:%d", &bit)) {
		snprintf(why, len, "kretprobes unsupported");
		return -ENOENT;
	}
	attr.type = type;
	attr.config = ret ? 1ULL << bit : 0;
	attr.config1 = (__u64)(unsigned long)func;
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		snprintf(why, len, "kprobe on %s: %s", func, strerror(-err));
		return err;
	}
	err = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) ? -errno : 0;
	if (err)
		snprintf(why, len, "kprobe on %s: attach: %s", func, strerror(-err));
	close(pfd);
	return err;
}

/* Load and attach a minimal program like `p`. 0 = works; else why says what failed. */
static int probe_program(const struct bpf_program *p, const struct btf *btf, bool need_reason,
			 char *why, size_t len)
{
	const char *sec = bpf_program__section_name(p);
	const char *target = strchr(sec, '/') ? strchr(sec, '/') + 1 : sec;
	enum bpf_prog_type type = bpf_program__type(p);
	enum bpf_attach_type at = bpf_program__expected_attach_type(p);
	bool tracepoint = type != BPF_PROG_TYPE_KPROBE &&
			  (type == BPF_PROG_TYPE_RAW_TRACEPOINT || at == BPF_TRACE_RAW_TP);
	int btf_id = -1, fd, lfd, err = 0;

	if (type != BPF_PROG_TYPE_KPROBE) {
		btf_id = btf_id_of(btf, target, tracepoint);
		if (btf_id < 0) {
			snprintf(why, len, "%s: not in this kernel", target);
			return -ENOENT;
		}
	}
	if (need_reason && kernel_hook_nargs(btf, target, true) < 3) {
		snprintf(why, len, "%s has no reset reason (kernel < 6.10): it misses resets "
			 "without a socket and from timewait socks", target);
		return -ENOTSUP;
	}
	fd = load_minimal(type, at, type == BPF_PROG_TYPE_TRACING ? btf_id : 0);
	if (fd < 0) {
		snprintf(why, len, "%s: load refused: %s", target, strerror(-fd));
		return fd;
	}
	if (type == BPF_PROG_TYPE_KPROBE) {
		err = attach_kprobe_fd(fd, target, strncmp(sec, "kretprobe", 9) == 0, why, len);
	} else if (!tracepoint) { /* fentry/fexit: a trampoline on the function */
		lfd = bpf_raw_tracepoint_open(type == BPF_PROG_TYPE_TRACING ? NULL : target, fd);
		if (lfd < 0) {
			err = -errno;
			snprintf(why, len, "%s: attach refused: %s", target, strerror(-err));
		} else {
			close(lfd);
		}
	}
	close(fd);
	return err;
}

static bool probe_variant(const struct variant *v, struct bpf_object *obj, const struct btf *btf,
			  char *why, size_t len)
{
	for (int i = 0; i < VARIANT_MAX_PROGS && v->progs[i]; i++) {
		const struct bpf_program *p = bpf_object__find_program_by_name(obj, v->progs[i]);

		if (!p) {
			snprintf(why, len, "program %s missing from the BPF object", v->progs[i]);
			return false;
		}
		if (probe_program(p, btf, v->needs_rst_reason, why, len))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------------------ */
/* choosing                                                                               */

static bool hook_has(const struct hook *h, enum mechanism m)
{
	for (int i = 0; i < h->nvariants; i++)
		if (h->variants[i].mech == m)
			return true;
	return false;
}

/* May variant v be used for hook h under the requested family? A forced fentry/kprobe
 * family applies to the hooks that have such a variant; the others keep tracepoints. */
static bool family_allows(const struct hook *h, enum mechanism m, enum rt_probe_family family)
{
	switch (family) {
	case RT_PROBES_TRACEPOINT:
		return m == MECH_TP_BTF || m == MECH_RAW_TP;
	case RT_PROBES_RAW_TP:
		return m == MECH_RAW_TP;
	case RT_PROBES_FENTRY:
		return hook_has(h, MECH_FENTRY) ? m == MECH_FENTRY : m <= MECH_RAW_TP;
	case RT_PROBES_KPROBE:
		return hook_has(h, MECH_KPROBE) ? m == MECH_KPROBE : m <= MECH_RAW_TP;
	default:
		return true;
	}
}

static void choose_hook(const struct hook *h, struct hook_result *r, struct bpf_object *obj,
			const struct btf *btf, enum rt_probe_family family, bool all)
{
	r->chosen = -1;
	for (int i = 0; i < h->nvariants; i++) {
		const struct variant *v = &h->variants[i];

		if (!family_allows(h, v->mech, family)) {
			snprintf(r->why[i], PROBE_WHY_LEN, "excluded by --probes %s",
				 probe_family_name(family));
			continue;
		}
		if (r->chosen >= 0 && !all)
			continue;
		r->tried[i] = true;
		r->works[i] = probe_variant(v, obj, btf, r->why[i], PROBE_WHY_LEN);
		if (r->works[i] && r->chosen < 0)
			r->chosen = i;
	}
}

int probes_choose(struct probe_plan *plan, struct bpf_object *obj, const struct btf *vmlinux,
		  enum rt_probe_family family, bool all, char *err, size_t errlen)
{
	memset(plan, 0, sizeof(*plan));
	plan->hooks = hooks;
	plan->nhooks = ARRAY_SIZE(hooks);
	for (int i = 0; i < plan->nhooks; i++) {
		const struct hook *h = &hooks[i];
		struct hook_result *r = &plan->result[i];

		choose_hook(h, r, obj, vmlinux, family, all);
		if (r->chosen < 0 && family != RT_PROBES_AUTO && !all) {
			int forced = -1;

			for (int v = 0; v < h->nvariants; v++)
				if (family_allows(h, h->variants[v].mech, family))
					forced = v;
			snprintf(err, errlen, "--probes %s: %s cannot use %s: %s",
				 probe_family_name(family), h->name,
				 forced >= 0 ? mechanism_name(h->variants[forced].mech) : "it",
				 forced >= 0 ? r->why[forced] : "no variant");
			return -1;
		}
	}
	return 0;
}

void probes_set_autoload(const struct probe_plan *plan, struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (int i = 0; i < plan->nhooks; i++) {
		const struct hook_result *r = &plan->result[i];
		const struct variant *v;

		if (r->chosen < 0)
			continue;
		v = &plan->hooks[i].variants[r->chosen];
		for (int k = 0; k < VARIANT_MAX_PROGS && v->progs[k]; k++)
			bpf_program__set_autoload(bpf_object__find_program_by_name(obj, v->progs[k]),
						  true);
	}
}

int probes_chosen_programs(const struct probe_plan *plan, const char **names, int max)
{
	int n = 0;

	for (int i = 0; i < plan->nhooks; i++) {
		const struct hook_result *r = &plan->result[i];
		const struct variant *v;

		if (r->chosen < 0)
			continue;
		v = &plan->hooks[i].variants[r->chosen];
		for (int k = 0; k < VARIANT_MAX_PROGS && v->progs[k] && n < max; k++)
			names[n++] = v->progs[k];
	}
	return n;
}

const char *probes_chosen_name(const struct probe_plan *plan, int hook)
{
	const struct hook_result *r = &plan->result[hook];

	return r->chosen < 0 ? NULL : mechanism_name(plan->hooks[hook].variants[r->chosen].mech);
}

/* "fentry/tcp_v4_send_reset,fentry/tcp_send_active_reset": where the variant attaches */
static void variant_targets(const struct variant *v, struct bpf_object *obj, char *buf,
			    size_t len)
{
	buf[0] = 0;
	for (int k = 0; k < VARIANT_MAX_PROGS && v->progs[k]; k++) {
		const struct bpf_program *p = bpf_object__find_program_by_name(obj, v->progs[k]);
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "%s%s", k ? "," : "",
			 p ? bpf_program__section_name(p) : v->progs[k]);
	}
}

static void print_variant(const struct variant *v, const struct hook_result *r, int i,
			  struct bpf_object *obj, FILE *f)
{
	char targets[160];

	variant_targets(v, obj, targets, sizeof(targets));
	if (r->chosen == i)
		fprintf(f, "    chosen    %s\n", targets);
	else if (r->works[i])
		fprintf(f, "    works     %s (not needed)\n", targets);
	else if (r->tried[i])
		fprintf(f, "    no        %s: %s\n", targets, r->why[i]);
	else if (r->why[i][0])
		fprintf(f, "    skipped   %s: %s\n", targets, r->why[i]);
	else
		fprintf(f, "    skipped   %s: an earlier variant works\n", targets);
}

void probes_print(const struct probe_plan *plan, struct bpf_object *obj, FILE *f)
{
	for (int i = 0; i < plan->nhooks; i++) {
		const struct hook *h = &plan->hooks[i];
		const struct hook_result *r = &plan->result[i];

		fprintf(f, "%-14s %-8s (%s)\n", h->name, r->chosen < 0 ? "NONE" : probes_chosen_name(plan, i),
			h->what);
		for (int v = 0; v < h->nvariants; v++)
			print_variant(&h->variants[v], r, v, obj, f);
	}
}
