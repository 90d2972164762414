/* SPDX-License-Identifier: GPL-2.0 */
/* tracer.h - the BPF side's lifecycle: open, configure the kernel filters, choose the probes,
 * load, attach, drain the ring buffer, count what was lost. */
#ifndef TRACER_H
#define TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include "options.h"
#include "probes.h"

#define TRACER_MAX_LINKS 32

struct rsttrace_bpf;

struct tracer {
	struct rsttrace_bpf *skel;
	struct btf *vmlinux;
	struct ring_buffer *rb;
	struct probe_plan plan;
	struct bpf_link *links[TRACER_MAX_LINKS];
	int nlinks;
};

/* Check privileges and BTF, open the object, set the filters, probe and choose.
 * 0, or -1 with a message in err saying what is missing and what to do. */
int tracer_open(struct tracer *t, const struct rt_options *o, char *err, size_t len);
/* the kernel's BTF is needed only to choose probes and read names: free it */
void tracer_release_btf(struct tracer *t);
int tracer_load_attach(struct tracer *t, ring_buffer_sample_fn on_event, void *ctx, char *err,
		       size_t len);
/* events lost in the kernel (ring buffer full) since start */
unsigned long long tracer_lost(const struct tracer *t);
/* one of the kernel's counters (enum rt_counter), summed over the CPUs */
unsigned long long tracer_counter(const struct tracer *t, enum rt_counter which);
struct bpf_object *tracer_object(const struct tracer *t);
/* the owner the kernel learnt for a socket with this tuple (joiner_config.owner_of) */
bool tracer_owner_of(void *tracer, const struct rt_tuple *tuple, struct rt_task *out);
/* the peer's FIN the kernel kept for a socket whose owner was not followed then
 * (joiner_config.fin_of) */
bool tracer_fin_of(void *tracer, __u64 cookie, __u64 *ts_ns, struct rt_task *trigger);
void tracer_close(struct tracer *t);

#endif
