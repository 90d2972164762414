// SPDX-License-Identifier: GPL-2.0
/* empty.bpf.c - the measuring floor of the per-hook benchmark: programs that do nothing,
 * attached where rsttrace's send/recv programs are. With kernel.bpf_stats_enabled=1 the
 * kernel's own timing of each call (two clock reads) is part of every run_time_ns; these
 * programs' ns per call is that floor on this machine, which rsttrace's figure includes
 * too. Used only by bench/run.sh (through bench/anchor.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send, struct sock *sk, int ret) { return 0; }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv, struct sock *sk, int ret) { return 0; }
