/* SPDX-License-Identifier: GPL-2.0 */
/* names.h - the names the output uses for kernel numbers: event kinds, TCP states, errno
 * values, reset reasons. Reset reasons are read from the running kernel's BTF, because new
 * kernels add and may renumber them; an unknown value is printed as its number. */
#ifndef NAMES_H
#define NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

#define NAMES_MAX_REASONS 64
#define NAMES_REASON_LEN 40

struct reason_names {
	int count;                                   /* entries valid in name[] */
	char name[NAMES_MAX_REASONS][NAMES_REASON_LEN];
};

const char *kind_name(int kind);         /* "rst_sent", NULL when out of range */
const char *tcp_state_name(int state);   /* "ESTABLISHED", NULL when 0 or unknown */
/* "EPIPE" (glibc's strerrorname_np), "ERRNO_<n>" in buf for a value it does not know */
const char *errno_name(int err, char *buf, size_t len);

/* The 6.18 table (docs/kernel.md §7, reset reasons): what tests and replays without BTF use. */
void reason_names_builtin(struct reason_names *r);
/* From the kernel's enum sk_rst_reason; false (and *r untouched) when the kernel has none. */
bool reason_names_from_btf(struct reason_names *r, const struct btf *btf);
/* "TCP_TIMEWAIT_SOCKET"; writes "REASON_<n>" into buf for a value the table lacks */
const char *reason_name(const struct reason_names *r, unsigned value, char *buf, size_t len);

#endif
