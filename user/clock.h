/* SPDX-License-Identifier: GPL-2.0 */
/* clock.h - kernel timestamps (CLOCK_MONOTONIC, bpf_ktime_get_ns) to wall time, through an
 * offset calibrated once at start: an event's time is when it happened, not when printed. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <linux/types.h>

struct clock_map {
	__s64 mono_to_real_ns; /* add to a monotonic ns value to get realtime ns */
};

void clock_map_calibrate(struct clock_map *c);
/* RFC 3339, UTC, microseconds: 2026-11-28T01:29:11.123456Z */
void clock_format_rfc3339(const struct clock_map *c, __u64 mono_ns, char *buf, size_t len);
/* local time of day with microseconds, for text output: 01:29:11.123456 */
void clock_format_tod(const struct clock_map *c, __u64 mono_ns, char *buf, size_t len);

#endif
