// SPDX-License-Identifier: GPL-2.0
/* clock.c - monotonic -> wall clock. */
#include <stdio.h>
#include <time.h>
#include "clock.h"

static __s64 ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__s64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Read realtime between two monotonic reads, keep the pair with the narrowest window: the
 * offset is then right to well under a microsecond. */
void clock_map_calibrate(struct clock_map *c)
{
	__s64 best_window = -1;

	for (int i = 0; i < 10; i++) {
		__s64 m0 = ts_ns(CLOCK_MONOTONIC);
		__s64 r = ts_ns(CLOCK_REALTIME);
		__s64 m1 = ts_ns(CLOCK_MONOTONIC);

		if (best_window < 0 || m1 - m0 < best_window) {
			best_window = m1 - m0;
			c->mono_to_real_ns = r - (m0 + (m1 - m0) / 2);
		}
	}
}

static void split(const struct clock_map *c, __u64 mono_ns, time_t *sec, long *usec)
{
	/* added unsigned: a corrupt recording's time must not be a signed overflow (found by
	 * tests/fuzz, input kept in tests/fuzz/regress/); before 1970 the remainder is negative */
	__s64 real = (__s64)(mono_ns + (__u64)c->mono_to_real_ns);

	*sec = real / 1000000000LL;
	*usec = (real % 1000000000LL) / 1000;
	if (*usec < 0) {
		*sec -= 1;
		*usec += 1000000;
	}
}

/* "2026-12-07T01:02:03" of a second, remembered: records come in bursts of the same second,
 * and strftime was a tenth of the cost of an event line */
static const char *utc_second(time_t sec)
{
	static __thread time_t last = -1;
	static __thread char date[32];
	struct tm tm;

	if (sec != last) {
		gmtime_r(&sec, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
		last = sec;
	}
	return date;
}

void clock_format_rfc3339(const struct clock_map *c, __u64 mono_ns, char *buf, size_t len)
{
	time_t sec;
	long usec;
	char frac[8];

	split(c, mono_ns, &sec, &usec);
	for (int i = 6; i >= 1; i--, usec /= 10)
		frac[i] = '0' + usec % 10;
	frac[0] = '.';
	frac[7] = 0;
	snprintf(buf, len, "%s%sZ", utc_second(sec), frac);
}

void clock_format_tod(const struct clock_map *c, __u64 mono_ns, char *buf, size_t len)
{
	struct tm tm;
	time_t sec;
	long usec;
	char tod[16];

	split(c, mono_ns, &sec, &usec);
	localtime_r(&sec, &tm);
	strftime(tod, sizeof(tod), "%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ld", tod, usec);
}
