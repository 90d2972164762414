// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nf_reset.bpf.c - the resets this host's packet filter makes (nf_send_reset, nf_send_reset6).
 *
 * A BPF_PROG_TYPE_NETFILTER program on LOCAL_OUT (IPv4 and IPv6), last in priority: it sees
 * every locally generated packet of the namespace it was attached in, so it is kept to a few
 * loads and an early return. A reset the TCP stack sends carries a socket (the connection's,
 * or the per-CPU control socket of tcp_v4_send_reset); the one netfilter's REJECT builds is a
 * fresh skb with none (net/ipv4/netfilter/nf_reject_ipv4.c: ip_local_out(net, nskb->sk, ...)
 * with nskb->sk unset). A REJECT at PREROUTING (or a bridge) leaves by dev_queue_xmit, not
 * LOCAL_OUT: not seen here (README, "What each kernel can tell").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rsttrace.h"
#include "nf_reset.h"

#define NF_ACCEPT 1
#define IPPROTO_TCP_ 6
#define TCP_FLAG_RST 0x04

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* -P: the port filter, as the main object's (user space copies the same bitmap) */
const volatile bool filter_ports_on;
const volatile __u8 filter_port_bitmap[RT_PORT_BITMAP_BYTES];
/* --netns: the hook sees only its own namespace's packets, but a filter for another one
 * must leave it silent */
const volatile bool filter_netns_on;
const volatile __u32 filter_netns;
/* -p/-c/--cgroup: a reset with no process cannot match them; it then only completes a
 * connection those filters follow (RT_F_CAUSE: not printed on its own) */
const volatile __u32 extra_flags;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024); /* resets of a packet filter: rare */
} nf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} nf_lost SEC(".maps");

static __always_inline bool port_wanted(__u16 port)
{
	return filter_port_bitmap[port >> 3] & (1u << (port & 7));
}

static __always_inline void map_v4(__u8 *dst, __be32 a)
{
	__builtin_memset(dst, 0, 16);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

/* the IP header's addresses into e; the TCP header's offset from it, 0: not plain TCP */
static __always_inline int read_ip(const unsigned char *nh, int pf, struct rt_event *e)
{
	if (pf == 2 /* NFPROTO_IPV4 */) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), nh) || ip.protocol != IPPROTO_TCP_)
			return 0;
		e->family = RT_FAMILY_IPV4;
		map_v4(e->tuple.saddr, ip.saddr);
		map_v4(e->tuple.daddr, ip.daddr);
		return ip.ihl * 4;
	}
	struct ipv6hdr ip6;

	/* nf_send_reset6 puts no extension header */
	if (bpf_probe_read_kernel(&ip6, sizeof(ip6), nh) || ip6.nexthdr != IPPROTO_TCP_)
		return 0;
	e->family = RT_FAMILY_IPV6;
	__builtin_memcpy(e->tuple.saddr, &ip6.saddr, 16);
	__builtin_memcpy(e->tuple.daddr, &ip6.daddr, 16);
	return sizeof(ip6);
}

/* The program's context (6.4+). Declared here, relocated by CO-RE against the running
 * kernel's struct bpf_nf_ctx: a vmlinux.h from an older kernel (arm64's is 6.1's) lacks it. */
struct bpf_nf_ctx___rt {
	const struct nf_hook_state *state;
	struct sk_buff *skb;
} __attribute__((preserve_access_index));

SEC("netfilter")
int nf_reset_out(struct bpf_nf_ctx___rt *ctx)
{
	const struct sk_buff *skb = ctx->skb;
	const unsigned char *nh;
	struct rt_event e = {};
	struct tcphdr th;
	__u32 zero = 0;
	__u64 *lost;
	int off;

	if (skb->sk) /* the fast exit: every packet a socket sends */
		return NF_ACCEPT;
	nh = skb->head + skb->network_header;
	off = read_ip(nh, ctx->state->pf, &e);
	if (off <= 0 || bpf_probe_read_kernel(&th, sizeof(th), nh + off) || !th.rst)
		return NF_ACCEPT;
	e.tuple.sport = bpf_ntohs(th.source);
	e.tuple.dport = bpf_ntohs(th.dest);
	if (filter_ports_on && !port_wanted(e.tuple.sport) && !port_wanted(e.tuple.dport))
		return NF_ACCEPT;
	e.tuple.netns = BPF_CORE_READ(ctx->state, net, ns.inum);
	if (filter_netns_on && e.tuple.netns != filter_netns)
		return NF_ACCEPT;
	e.kind = RT_RST_FILTER;
	e.ts_ns = bpf_ktime_get_ns();
	e.reason = RT_REASON_NONE;
	e.ctx = RT_CTX_IRQ;
	e.flags = RT_F_TUPLE_FROM_SKB | RT_F_CURRENT_UNRELATED | extra_flags;
	if (bpf_ringbuf_output(&nf_events, &e, sizeof(e), 0)) {
		lost = bpf_map_lookup_elem(&nf_lost, &zero);
		if (lost)
			__sync_fetch_and_add(lost, 1);
	}
	return NF_ACCEPT;
}
