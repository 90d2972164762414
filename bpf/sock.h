/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock.h - reading a socket (or the segment a reset answers) into a record: family, state,
 * ports, addresses, network namespace, cookie, linger. `btf`: the pointer is BTF-typed (direct
 * reads) or a plain address (bpf_probe_read_kernel); a constant, so one branch folds away.
 *
 * Part of the one BPF object: included by bpf/rsttrace.bpf.c only, in its order.
 */
#ifndef RSTTRACE_SOCK_H
#define RSTTRACE_SOCK_H

static __always_inline void addr4(__u8 *dst, __be32 a)
{
	/* IPv4 as IPv4-mapped IPv6: ::ffff:a.b.c.d */
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

/* This socket's local port. skc_num is zeroed by inet_put_port() when a full socket goes to
 * CLOSE (on 6.18 already when inet_sock_set_state reports the change); inet_sport survives
 * (the classic tracepoints use it) but lies outside struct sock, where direct BTF access is
 * refused, so it costs a probe read: paid only when skc_num is 0. Timewait and request
 * socks have no inet_sock. */
static __always_inline __u16 sk_sport(const struct sock *sk, __u8 state, const bool btf)
{
	__u16 num = RD(btf, sk, __sk_common.skc_num);

	if (num || state == RT_TCP_TIME_WAIT || state == RT_TCP_NEW_SYN_RECV)
		return num;
	return bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

static __always_inline __u32 sk_netns(const struct sock *sk, const bool btf)
{
	if (btf)
		return sk->__sk_common.skc_net.net->ns.inum;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Addresses and netns: read only for events that passed the filters. */
static __always_inline void sk_addrs(const struct sock *sk, struct rt_event *e, const bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	if (family == AF_INET6) {
		e->family = RT_FAMILY_IPV6;
		/* probe reads even where direct reads are allowed: sixteen-byte copies through a
		 * BTF pointer, at every place this is inlined, multiplied the verifier's work
		 * (start-up 0.7 s instead of 0.2) */
		BPF_CORE_READ_INTO(&e->tuple.saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->tuple.daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		e->family = RT_FAMILY_IPV4;
		addr4(e->tuple.saddr, RD(btf, sk, __sk_common.skc_rcv_saddr));
		addr4(e->tuple.daddr, RD(btf, sk, __sk_common.skc_daddr));
	}
	e->tuple.netns = sk_netns(sk, false); /* (as above: a pointer chase costs verifying) */
}

/* SO_LINGER {1, 0}: close() then aborts with an RST whose reason reads TCP_STATE (it goes
 * through tcp_disconnect), so the linger setting is what tells a deliberate abort apart. */
static __always_inline bool sk_linger0(const struct sock *sk, const bool btf)
{
	unsigned long flags = RD(btf, sk, __sk_common.skc_flags);
	int bit = bpf_core_enum_value(enum sock_flags, SOCK_LINGER);

	return (flags & (1UL << bit)) && RD(btf, sk, sk_lingertime) == 0;
}

/* Cheap part of a socket: is it TCP over IP, its state and ports. False: not ours. */
static __always_inline bool sk_basics(const struct sock *sk, struct rt_event *e, const bool btf)
{
	__u16 family = RD(btf, sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return false;
	e->state = RD(btf, sk, __sk_common.skc_state);
	e->tuple.sport = sk_sport(sk, e->state, btf);
	e->tuple.dport = bpf_ntohs(RD(btf, sk, __sk_common.skc_dport));
	return true;
}

static __always_inline bool sk_is_tcp(const struct sock *sk, const bool btf)
{
	return RD(btf, sk, sk_protocol) == IPPROTO_TCP && RD(btf, sk, sk_type) == 1 /* STREAM */;
}

/* The cookie is generated at the first event of every tracked socket so that the timewait
 * sock that replaces an orphan inherits it (docs/kernel.md §3b). raw_tp and kprobe programs
 * may not call the helper: they read a cookie someone else generated, or 0. */
static __always_inline __u64 sk_cookie(const struct sock *sk, const bool btf)
{
	__u64 cookie;

	if (!btf)
		return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	/* once generated, read directly: no helper call on every send and receive */
	cookie = sk->__sk_common.skc_cookie.counter;
	return cookie ? cookie : bpf_get_socket_cookie((void *)sk);
}

static __always_inline bool tuple_complete(const struct rt_tuple *t)
{
	return t->sport && t->dport;
}

/* Read the RST's tuple from the segment it answers: RST src = segment dst. Needed for
 * NULL, timewait and listener socks (a listener's own tuple is useless, docs/kernel.md §1f). */
static __always_inline bool skb_rst_tuple(const struct sk_buff *skb, struct rt_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th_off = BPF_CORE_READ(skb, transport_header);
	struct tcphdr th;
	__u8 ver;

	if (bpf_probe_read_kernel(&ver, 1, head + nh) ||
	    bpf_probe_read_kernel(&th, sizeof(th), head + th_off))
		return false;
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ih;

		if (bpf_probe_read_kernel(&ih, sizeof(ih), head + nh))
			return false;
		e->family = RT_FAMILY_IPV4;
		addr4(e->tuple.saddr, ih.daddr);
		addr4(e->tuple.daddr, ih.saddr);
	} else if (ver == 6) {
		struct ipv6hdr ih;

		if (bpf_probe_read_kernel(&ih, sizeof(ih), head + nh))
			return false;
		e->family = RT_FAMILY_IPV6;
		__builtin_memcpy(e->tuple.saddr, &ih.daddr, 16);
		__builtin_memcpy(e->tuple.daddr, &ih.saddr, 16);
	} else {
		return false;
	}
	e->tuple.sport = bpf_ntohs(th.dest);
	e->tuple.dport = bpf_ntohs(th.source);
	e->tuple.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	e->flags |= RT_F_TUPLE_FROM_SKB;
	return true;
}

#endif /* RSTTRACE_SOCK_H */
