// SPDX-License-Identifier: GPL-2.0
/* lifecycle.bpf.c - the lifecycle benchmark's floor: programs that do nothing on the four
 * tracepoints a connection's lifecycle crosses (state changes, send and receive lengths,
 * destroy), as rsttrace attaches them here (tp_btf). Whatever any tool on these hooks must pay
 * per connection, the tracepoints' own dispatch and bpf_stats' clock reads included; bench/
 * run.sh reports rsttrace's BPF time per request over this floor's. Used only by bench/run.sh
 * (through bench/anchor.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(lc_set_state) { return 0; }

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(lc_destroy) { return 0; }

SEC("tp_btf/sock_send_length")
int BPF_PROG(lc_send) { return 0; }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(lc_recv) { return 0; }
