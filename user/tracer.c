// SPDX-License-Identifier: GPL-2.0
/* tracer.c - open, configure, choose, load, attach; the only file that sees the skeleton. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "rsttrace.skel.h"
#include "log.h"
#include "tracer.h"

#define CAP_BIT(caps, c) ((caps)[(c) / 32].effective & (1u << ((c) % 32)))

/* CAP_BPF + CAP_PERFMON (5.8+), or CAP_SYS_ADMIN; CAP_PERFMON also covers reading the
 * context address that tells process context from softirq. */
static bool has_bpf_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2] = {};

	if (syscall(SYS_capget, &hdr, caps))
		return false;
	if (CAP_BIT(caps, CAP_SYS_ADMIN))
		return true;
	return CAP_BIT(caps, CAP_BPF) && CAP_BIT(caps, CAP_PERFMON);
}

static void set_filters(struct rsttrace_bpf *skel, const struct rt_options *o)
{
	struct rsttrace_bpf__rodata *ro = skel->rodata;

	ro->filter_ports_on = o->nports > 0;
	memcpy((void *)ro->filter_port_bitmap, o->port_bitmap, sizeof(o->port_bitmap));
	ro->filter_npids = o->npids;
	for (int i = 0; i < o->npids; i++)
		ro->filter_pids[i] = o->pids[i];
	ro->filter_comm_on = o->comm[0] != 0;
	memcpy((void *)ro->filter_comm, o->comm, sizeof(o->comm));
	ro->filter_netns_on = o->netns != 0;
	ro->filter_netns = o->netns;
	ro->filter_cgroup_on = o->cgroup_id != 0;
	ro->filter_cgroup_id = o->cgroup_id;
	ro->filter_cgroup_level = o->cgroup_level;
}

/* Quiet mode (bpf/quiet.h, report_in()): the kernel keeps a healthy connection's records
 * to itself. Only where nothing but incidents is printed: not with --events, not when
 * recording (a recording keeps every record, for any later output), and not under filters,
 * whose cause following needs every record of the followed processes. */
static bool quiet_mode(const struct rt_options *o)
{
	return !o->events && !o->write_path && !o->nports && !o->npids && !o->comm[0] &&
	       !o->netns && !o->cgroup_id;
}

/* The reset reason is an argument only since 6.10 (docs/kernel.md §7: 6.1 has none). */
static void set_kernel_shape(struct rsttrace_bpf *skel, const struct btf *btf)
{
	skel->rodata->send_reset_has_reason = kernel_hook_nargs(btf, "tcp_send_reset", true) >= 3;
	skel->rodata->v4_send_reset_has_reason =
		kernel_hook_nargs(btf, "tcp_v4_send_reset", false) >= 3;
	skel->rodata->active_reset_has_reason =
		kernel_hook_nargs(btf, "tcp_send_active_reset", false) >= 3;
#if defined(__aarch64__)
	/* arm64's task stacks are a page when pages are larger than 16 KiB (bpf/arch.h) */
	long page = sysconf(_SC_PAGESIZE);

	if (page > (long)skel->rodata->arch_thread_size)
		skel->rodata->arch_thread_size = page;
#endif
}

static bool plan_uses(const struct probe_plan *plan, const char *prog)
{
	const char *names[TRACER_MAX_LINKS];
	int n = probes_chosen_programs(plan, names, TRACER_MAX_LINKS);

	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], prog))
			return true;
	return false;
}

/* Maps are preallocated: one entry for those this run never uses (the socket filters'
 * bookkeeping without socket filters, the kprobe fallback's without kprobes) instead of
 * their megabytes of kernel memory. */
static void size_unused_maps(struct tracer *t, const struct rt_options *o)
{
	struct rsttrace_bpf *s = t->skel;

	if (!o->nports && !o->netns && !o->cgroup_id) {
		bpf_map__set_max_entries(s->maps.followed, 1);
		bpf_map__set_max_entries(s->maps.fin_seen, 1);
	}
	if (!plan_uses(&t->plan, "send_length_kprobe") && !plan_uses(&t->plan, "recv_length_kprobe"))
		bpf_map__set_max_entries(s->maps.sk_by_tid, 1);
}

int tracer_open(struct tracer *t, const struct rt_options *o, char *err, size_t len)
{
	memset(t, 0, sizeof(*t));
	if (!has_bpf_privileges()) {
		snprintf(err, len, "needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) to load "
			 "BPF programs: run it with sudo");
		return -1;
	}
	t->vmlinux = btf__load_vmlinux_btf();
	if (!t->vmlinux) {
		/* libbpf says ESRCH ("No such process") when no file exists in any place it
		 * looks: say what that means */
		snprintf(err, len, "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): %s; "
			 "rsttrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			 errno == ESRCH || errno == ENOENT ? "not found" : strerror(errno));
		return -1;
	}
	t->skel = rsttrace_bpf__open();
	if (!t->skel) {
		snprintf(err, len, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	set_filters(t->skel, o);
	t->skel->rodata->quiet_healthy = quiet_mode(o);
	set_kernel_shape(t->skel, t->vmlinux);
	if (probes_choose(&t->plan, t->skel->obj, t->vmlinux, o->probes, o->list_probes, err, len))
		return -1;
	probes_set_autoload(&t->plan, t->skel->obj);
	size_unused_maps(t, o);
	return 0;
}

/* in the plan's order: a hook's programs may depend on each other's order (softirq) */
static int attach_chosen(struct tracer *t, char *err, size_t len)
{
	const char *names[TRACER_MAX_LINKS];
	int n = probes_chosen_programs(&t->plan, names, TRACER_MAX_LINKS);

	for (int i = 0; i < n; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(t->skel->obj, names[i]);
		struct bpf_link *l = p ? bpf_program__attach(p) : NULL;

		if (!l) {
			snprintf(err, len, "cannot attach %s: %s", names[i], strerror(errno));
			return -1;
		}
		t->links[t->nlinks++] = l;
	}
	return 0;
}

int tracer_load_attach(struct tracer *t, ring_buffer_sample_fn on_event, void *ctx, char *err,
		       size_t len)
{
	int e = rsttrace_bpf__load(t->skel);

	if (e) {
		snprintf(err, len, "cannot load the BPF programs: %s (run with -v for the verifier's "
			 "log)", strerror(-e));
		return -1;
	}
	if (attach_chosen(t, err, len))
		return -1;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, ctx, NULL);
	if (!t->rb) {
		snprintf(err, len, "cannot open the ring buffer: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void tracer_release_btf(struct tracer *t)
{
	btf__free(t->vmlinux);
	t->vmlinux = NULL;
}

unsigned long long tracer_counter(const struct tracer *t, enum rt_counter which)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u32 key = which;

	if (ncpu <= 0 || !t->skel)
		return 0;
	{
		__u64 per_cpu[ncpu];

		if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &key, per_cpu)) {
			static bool warned; /* once: the counters are read every few seconds */

			if (!warned)
				warn("cannot read the kernel's counters (%s): the lost and shed counts "
				     "shown are 0 but unknown", strerror(errno));
			warned = true;
			return 0;
		}
		for (int i = 0; i < ncpu; i++)
			sum += per_cpu[i];
	}
	return sum;
}

unsigned long long tracer_lost(const struct tracer *t)
{
	return tracer_counter(t, RT_CNT_LOST);
}

/* owner_by_tuple is a direct-mapped table: the tuple's slot, if it still holds that tuple */
bool tracer_owner_of(void *tracer, const struct rt_tuple *tuple, struct rt_task *out)
{
	const struct tracer *t = tracer;
	struct rt_tuple_owner v;
	__u32 slot = rt_tuple_slot(tuple);

	if (!t->skel || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.owner_by_tuple), &slot, &v))
		return false;
	if (!v.task.pid || memcmp(&v.tuple, tuple, sizeof(v.tuple)))
		return false;
	*out = v.task;
	return true;
}

bool tracer_fin_of(void *tracer, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger)
{
	const struct tracer *t = tracer;
	struct rt_fin f;

	if (!t->skel || bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.fin_seen), &cookie, &f))
		return false;
	*ts_ns = f.ts_ns;
	*trigger = f.trigger;
	return true;
}

struct bpf_object *tracer_object(const struct tracer *t)
{
	return t->skel ? t->skel->obj : NULL;
}

void tracer_close(struct tracer *t)
{
	ring_buffer__free(t->rb);
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	rsttrace_bpf__destroy(t->skel);
	btf__free(t->vmlinux);
	memset(t, 0, sizeof(*t));
}
