/* nfreset.c - load and attach bpf/nf_reset.bpf.c. libbpf 1.1 (Debian 12) knows neither the
 * program type nor its link: both are set and created by number here (uapi/linux/bpf.h of
 * 6.4+), so the build needs no newer libbpf. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "nf_reset.skel.h"
#include "nfreset.h"

#define PROG_TYPE_NETFILTER 32   /* enum bpf_prog_type: BPF_PROG_TYPE_NETFILTER */
#define ATTACH_NETFILTER 45      /* enum bpf_attach_type: BPF_NETFILTER */
#define CMD_LINK_CREATE 28       /* enum bpf_cmd: BPF_LINK_CREATE */
#define PF_INET4 2               /* NFPROTO_IPV4 */
#define PF_INET6 10              /* NFPROTO_IPV6 */
#define HOOK_LOCAL_OUT 3         /* NF_INET_LOCAL_OUT */
/* after every filter table (NF_IP_PRI_LAST is INT_MAX, which the kernel refuses for BPF):
 * a rule that drops the reset on its way out has had its say */
#define PRIORITY_LAST 0x7ffffffe

/* the BPF_LINK_CREATE part of union bpf_attr for a netfilter link */
struct link_create_nf {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u32 pf;
	__u32 hooknum;
	__s32 priority;
	__u32 nf_flags;
	__u8 pad[64];            /* the rest of union bpf_attr's link_create: zero */
};

static int link_netfilter(int prog_fd, int pf)
{
	struct link_create_nf a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = ATTACH_NETFILTER;
	a.pf = pf;
	a.hooknum = HOOK_LOCAL_OUT;
	a.priority = PRIORITY_LAST;
	return syscall(__NR_bpf, CMD_LINK_CREATE, &a, sizeof(a));
}

static void set_filters(struct nf_reset_bpf *s, const struct rt_options *o)
{
	s->rodata->filter_ports_on = o->nports > 0;
	memcpy((void *)s->rodata->filter_port_bitmap, o->port_bitmap, sizeof(o->port_bitmap));
	s->rodata->filter_netns_on = o->netns != 0;
	s->rodata->filter_netns = o->netns;
	if (o->npids || o->comm[0] || o->cgroup_id)
		s->rodata->extra_flags = RT_F_CAUSE;
}

int nfreset_start(struct nfreset *n, const struct rt_options *o, struct ring_buffer *rb,
		  ring_buffer_sample_fn fn, void *ctx, char *err, size_t len)
{
	static const int pfs[2] = { PF_INET4, PF_INET6 };
	int e, fd;

	memset(n, 0, sizeof(*n));
	n->link_fd[0] = n->link_fd[1] = -1;
	n->skel = nf_reset_bpf__open();
	if (!n->skel) {
		snprintf(err, len, "cannot open its BPF object: %s", strerror(errno));
		return -1;
	}
	set_filters(n->skel, o);
	bpf_program__set_type(n->skel->progs.nf_reset_out, PROG_TYPE_NETFILTER);
	bpf_program__set_expected_attach_type(n->skel->progs.nf_reset_out, ATTACH_NETFILTER);
	e = nf_reset_bpf__load(n->skel);
	if (e) {
		snprintf(err, len, "the kernel refuses netfilter programs (%s; they came in 6.4)",
			 strerror(-e));
		return -1;
	}
	fd = bpf_program__fd(n->skel->progs.nf_reset_out);
	for (int i = 0; i < 2; i++) {
		n->link_fd[i] = link_netfilter(fd, pfs[i]);
		if (n->link_fd[i] < 0) {
			snprintf(err, len, "cannot attach to netfilter's LOCAL_OUT (%s): %s",
				 i ? "IPv6" : "IPv4", strerror(errno));
			return -1;
		}
		n->nlinks++;
	}
	e = ring_buffer__add(rb, bpf_map__fd(n->skel->maps.nf_events), fn, ctx);
	if (e) {
		snprintf(err, len, "cannot read its ring buffer: %s", strerror(-e));
		return -1;
	}
	return 0;
}

unsigned long long nfreset_lost(const struct nfreset *n)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long sum = 0;
	__u32 zero = 0;

	if (!n->skel || ncpu <= 0)
		return 0;
	{
		__u64 per_cpu[ncpu];

		if (bpf_map_lookup_elem(bpf_map__fd(n->skel->maps.nf_lost), &zero, per_cpu))
			return 0;
		for (int i = 0; i < ncpu; i++)
			sum += per_cpu[i];
	}
	return sum;
}

void nfreset_stop(struct nfreset *n)
{
	/* only the links it made: a never started struct is zeroed (fd 0 is not ours) */
	for (int i = 0; i < n->nlinks; i++)
		close(n->link_fd[i]);
	nf_reset_bpf__destroy(n->skel);
	memset(n, 0, sizeof(*n));
}
