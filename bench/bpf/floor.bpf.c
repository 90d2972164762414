// SPDX-License-Identifier: GPL-2.0
/* floor.bpf.c - the HTTP benchmark's floor: a program that does nothing on every hook
 * rsttrace attaches here (tp_btf, as `--probes auto` picks on this kernel). What these cost
 * is what any tool on these hooks pays (the tracepoints' own calls), so the benchmark reports
 * rsttrace's throughput over this floor's as well as over none. Used only by bench/run.sh
 * (through bench/anchor.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(floor_send_reset) { return 0; }

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(floor_receive_reset) { return 0; }

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(floor_error_report) { return 0; }

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_set_state) { return 0; }

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(floor_destroy) { return 0; }

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send) { return 0; }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_recv) { return 0; }

SEC("tp_btf/signal_generate")
int BPF_PROG(floor_signal) { return 0; }
