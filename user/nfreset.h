/* nfreset.h - the packet filter's resets (bpf/nf_reset.bpf.c): a second BPF object, its own
 * netfilter links (IPv4, IPv6) on LOCAL_OUT, its records read by the same ring buffer manager
 * as the main object's, so they reach the pipeline as any other record. */
#ifndef NFRESET_H
#define NFRESET_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include "options.h"

struct nf_reset_bpf;

struct nfreset {
	struct nf_reset_bpf *skel;
	int link_fd[2];
	int nlinks;              /* link_fd[0..nlinks) are attached */
};

/* Load and attach in the calling process's network namespace; add the object's ring buffer
 * to rb with fn and ctx (rb's own callback: one path for all records). 0, or -1 with why in err: the kernel has no
 * netfilter programs (before 6.4), or refuses them. */
int nfreset_start(struct nfreset *n, const struct rt_options *o, struct ring_buffer *rb,
		  ring_buffer_sample_fn fn, void *ctx, char *err, size_t len);
/* records the kernel could not queue (its ring buffer full) */
unsigned long long nfreset_lost(const struct nfreset *n);
void nfreset_stop(struct nfreset *n);

#endif
