// SPDX-License-Identifier: GPL-2.0
/* metrics.h - --metrics: the counters behind the Prometheus endpoint, and their exposition
 * (text format 0.0.4, or OpenMetrics 1.0). Pure: no HTTP, no kernel; the drain thread counts,
 * the HTTP thread renders, one mutex between them, held only for an increment or a render of
 * a bounded table. */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_LIMIT_DEFAULT 500   /* label sets per metric; the rest fold into "other" */
#define METRICS_LIMIT_MAX 100000
#define METRICS_LABEL_LEN 128       /* a label value, sanitized, with its NUL */

/* what the process labels name: --by comm|container|unit */
enum metrics_by {
	METRICS_BY_COMM = 0,
	METRICS_BY_CONTAINER,
	METRICS_BY_UNIT,
};

struct metrics;

struct metrics *metrics_new(unsigned limit, enum metrics_by by);
void metrics_free(struct metrics *m);
const char *metrics_by_name(enum metrics_by by);   /* "comm", "container", "unit" */

/* rsttrace_build_info{version,kernel,probes} 1 */
void metrics_build_info(struct metrics *m, const char *version, const char *kernel,
			const char *probes);
/* n incidents of verdict between a (the connecting side) and b, named by group (a comm, a
 * container id or a unit, "" when unknown) */
void metrics_incident(struct metrics *m, const char *verdict, const char *group_a,
		      const char *group_b, unsigned long long n);
void metrics_reset_sent(struct metrics *m, const char *reason);
void metrics_reset_received(struct metrics *m, const char *state);
void metrics_socket_error(struct metrics *m, const char *op, const char *err, const char *group);
/* the totals so far (set, not added: the drain's own counters) */
void metrics_records(struct metrics *m, unsigned long long records, unsigned long long lost);

/* The exposition, malloc'd (the caller frees), its length in *len; NULL when out of memory.
 * openmetrics: OpenMetrics 1.0 (counter families without _total, "# EOF" last). */
char *metrics_render(struct metrics *m, bool openmetrics, size_t *len);

/* A label value from untrusted bytes (src up to srclen or its first NUL): valid UTF-8 kept,
 * every invalid byte as U+FFFD, control bytes but '\n' as '?', cut at a character boundary to
 * fit size. The escaping of '\\', '"' and '\n' is the renderer's. Returns the length. */
size_t metrics_label_value(const char *src, size_t srclen, char *dst, size_t size);

#endif
