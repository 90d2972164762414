/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rsttrace.h - the record the BPF programs send to user space.
 *
 * Shared by bpf/rsttrace.bpf.c and user/. Uses only __u8..__u64 so it can be included after
 * vmlinux.h (BPF side) and after <linux/types.h> (user side); defines its own constants
 * because the kernel's (AF_INET, TCP_*) clash with vmlinux.h or are not in UAPI.
 */
#ifndef RSTTRACE_H
#define RSTTRACE_H

#define RT_COMM_LEN 16
#define RT_MAX_PIDS 16          /* -p PID,PID,... entries the kernel filter checks */
#define RT_PORT_BITMAP_BYTES 8192 /* one bit per TCP port */
#define RT_PORT_LIST 8          /* -P with this many ports or fewer: also given as a list */

/* Event kinds: the "kind" values of the JSON contract, in this order (user/names.c). */
enum rt_kind {
	RT_KIND_NONE = 0,
	RT_CONNECT,        /* CLOSE -> SYN_SENT by the connecting process */
	RT_ACCEPT,         /* first touch of a passively opened socket by its process */
	RT_PEER_FIN,       /* the peer closed its side: -> CLOSE_WAIT, FIN_WAIT1 -> CLOSING */
	RT_CLOSE,          /* this end closed (FIN or abort) in its owner's syscall */
	RT_RST_SENT,       /* the kernel sent an RST for this end */
	RT_RST_RECV,       /* this end received an RST; state = state before it */
	RT_ERROR_PENDING,  /* sk_err set: the owner's next call fails with it; ret = errno */
	RT_WRITE,          /* a successful send on a socket that is not ESTABLISHED */
	RT_WRITE_ERROR,    /* a send returned an error (not EAGAIN); ret = -errno */
	RT_READ_ERROR,     /* a recv returned an error (not EAGAIN); ret = -errno */
	RT_SIGPIPE,        /* SIGPIPE generated for a process that had a TCP write fail */
	RT_DESTROY,        /* the full socket is freed */
	RT_RST_FILTER,     /* a reset this host's packet filter made (bpf/nf_reset.bpf.c): no socket sent it */
	RT_KIND_MAX,
};

/* Where the program ran, from the address of its context (see on_task_stack()). */
enum rt_ctx {
	RT_CTX_IRQ = 0,    /* irq stack: softirq/hardirq; current is not the socket's owner */
	RT_CTX_KTHREAD,    /* a kernel thread (ksoftirqd, workqueues) */
	RT_CTX_TASK,       /* a user task in process context: current is the caller */
};

/* How the owner fields were found. */
enum rt_owner_by {
	RT_OWNER_NONE = 0,
	RT_OWNER_COOKIE,   /* learnt earlier for this socket cookie */
	RT_OWNER_TUPLE,    /* learnt earlier for this 4-tuple in this netns (dead/timewait sock) */
	RT_OWNER_CURRENT,  /* the event ran in the owner's own syscall */
};

#define RT_FAMILY_IPV4 4
#define RT_FAMILY_IPV6 6

#define RT_F_TUPLE_FROM_SKB (1u << 0) /* RST tuple read from the packet, not the socket */
#define RT_F_CURRENT_UNRELATED (1u << 1) /* current is a kthread or an interrupted task: no trigger */
#define RT_F_CAUSE (1u << 2)      /* outside the port filter, kept as a possible cause only */
#define RT_F_LINGER0 (1u << 3)    /* the socket had SO_LINGER {1, 0}: an abortive close */
/* A copy sent while the kernel holds the rest of a healthy connection's records (quiet mode,
 * see bpf/quiet.h): only for linking causes; the record itself comes again, with the
 * connection's others, if the connection has an incident. */
#define RT_F_QUIET (1u << 4)

#define RT_REASON_NONE 0xffff   /* kernel gives no reset reason (before 6.10, fallbacks) */

/* TCP states as the kernel numbers them (include/net/tcp_states.h); stable ABI. */
#define RT_TCP_ESTABLISHED 1
#define RT_TCP_SYN_SENT 2
#define RT_TCP_SYN_RECV 3
#define RT_TCP_FIN_WAIT1 4
#define RT_TCP_FIN_WAIT2 5
#define RT_TCP_TIME_WAIT 6
#define RT_TCP_CLOSE 7
#define RT_TCP_CLOSE_WAIT 8
#define RT_TCP_LAST_ACK 9
#define RT_TCP_LISTEN 10
#define RT_TCP_CLOSING 11
#define RT_TCP_NEW_SYN_RECV 12

struct rt_task {
	__u32 pid;                 /* tgid */
	__u32 tid;
	char comm[RT_COMM_LEN];
};

/* Addresses are 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that an AF_INET
 * socket and a v4-mapped AF_INET6 socket of the same connection compare equal. */
struct rt_tuple {                /* 40 bytes, no padding: hashed as ten 4-byte words */
	__u8 saddr[16];            /* this socket's own end */
	__u8 daddr[16];            /* its peer */
	__u16 sport;               /* host byte order */
	__u16 dport;
	__u32 netns;               /* network namespace inode */
};

struct rt_event {
	__u8 kind;                 /* enum rt_kind */
	__u8 family;               /* RT_FAMILY_* of the socket (or of the RST packet) */
	__u8 state;                /* TCP state: new state, or state before an RST received */
	__u8 old_state;            /* state before, for lifecycle events */
	__u8 ctx;                  /* enum rt_ctx */
	__u8 owner_by;             /* enum rt_owner_by */
	__u16 reason;              /* kernel sk_rst_reason value, or RT_REASON_NONE */
	__s32 ret;                 /* send/recv return value; errno for RT_ERROR_PENDING */
	__u32 flags;               /* RT_F_* */
	__u64 ts_ns;               /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;              /* socket cookie, 0 when unknown */
	struct rt_tuple tuple;
	struct rt_task owner;      /* valid when owner_by != RT_OWNER_NONE */
	struct rt_task current;    /* the task running when it happened (trigger) */
};

/* A peer's FIN the kernel kept for a socket whose owner was not followed yet (the BPF map
 * fin_seen, by socket cookie): user space reads it too (user/tracer.c, tracer_fin_of). */
struct rt_fin {
	__u64 ts_ns;
	struct rt_task trigger;    /* the task whose syscall ran it; pid 0: none */
};

/* The kernel's counters (a per-CPU array, summed by user space): records lost because the ring
 * buffer was full, lifecycle records shed to keep room for incidents (one slot per kind), and
 * sockets whose owner could not get an entry in the owner table (it was full). */
enum rt_counter {
	RT_CNT_LOST = 0,
	RT_CNT_OWNERS_FULL,
	RT_CNT_SHED,               /* + kind: RT_CNT_SHED + RT_CONNECT, ... */
	RT_CNT_MAX = RT_CNT_SHED + RT_KIND_MAX,
};

/* The last owner of a 4-tuple (the BPF map owner_by_tuple, an array): the slot is a hash of the
 * tuple, the tuple is kept to check a hit. Shared by the kernel side and user space, which
 * computes the same slot. */
#define RT_TUPLE_SLOTS_LOG2 16
#define RT_TUPLE_SLOTS (1u << RT_TUPLE_SLOTS_LOG2)

struct rt_tuple_owner {
	struct rt_tuple tuple;
	struct rt_task task;
};

static inline __u32 rt_tuple_slot(const struct rt_tuple *t)
{
	const __u32 *w = (const __u32 *)t; /* 40 bytes, 4-byte aligned: ten words */
	__u64 h = 0;

	for (int i = 0; i < 10; i++)
		h = (h ^ w[i]) * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing, a word at a time */
	return (__u32)(h >> (64 - RT_TUPLE_SLOTS_LOG2));
}

#endif /* RSTTRACE_H */
