// SPDX-License-Identifier: GPL-2.0
/* evcount.c - count rsttrace's JSON lines on stdin, for `make bench` (bench/run.sh).
 *
 * usage: rsttrace -j ... | evcount OUTFILE
 *
 * Reads fast (large reads, memchr) so that the reader of rsttrace's stdout is never the
 * bottleneck of the measurement. At EOF writes OUTFILE as shell assignments:
 *   lines=N events=N timelines=N stats_lines=N other=N
 *   kind_<kind>=N ...     (events, by "kind")
 *   verdict_<code>=N ...  (timelines, by verdict code)
 *   tl_events=N           (sum over timelines of their events: count of "side" keys)
 *   floods=N flood_count=N  ("type":"flood" lines: N more incidents like one printed, each)
 *   floodn_<code>=N ...   (the sum of the flood counts, by verdict)
 *   stats='<the stats line>'
 * Unknown kinds and codes are counted under their own name (letters, digits, _ only).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXK 64

struct counter {
	char name[32];
	long n;
};

static struct counter kinds[MAXK], verdicts[MAXK], floodn[MAXK];
static long lines, events, timelines, stats_lines, other, tl_events, floods, flood_count;
static char stats[4096];

static void bump(struct counter *c, const char *p, const char *end, long by)
{
	char name[32];
	size_t n = 0;

	while (p < end && *p != '"' && n < sizeof(name) - 1) {
		char ch = *p++;
		name[n++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9')) ? ch : '_';
	}
	name[n] = 0;
	for (int i = 0; i < MAXK; i++) {
		if (!c[i].name[0]) {
			strcpy(c[i].name, name);
			c[i].n = by;
			return;
		}
		if (!strcmp(c[i].name, name)) {
			c[i].n += by;
			return;
		}
	}
}

static const char *find(const char *p, const char *end, const char *key)
{
	size_t k = strlen(key);

	if (end - p < (long)k)
		return NULL;
	const char *r = memmem(p, end - p, key, k);
	return r ? r + k : NULL;
}

static void line(const char *p, const char *end)
{
	const char *v;

	lines++;
	if ((v = find(p, end, "\"type\":\"event\""))) {
		events++;
		if ((v = find(p, end, "\"kind\":\"")))
			bump(kinds, v, end, 1);
	} else if ((v = find(p, end, "\"type\":\"timeline\""))) {
		timelines++;
		if ((v = find(p, end, "\"verdict\":{\"code\":\"")))
			bump(verdicts, v, end, 1);
		for (const char *q = p; (q = find(q, end, "\"side\":\"")); )
			tl_events++;
	} else if (find(p, end, "\"type\":\"flood\"")) {
		long n = 0;

		floods++;
		if ((v = find(p, end, "\"count\":")))
			n = strtol(v, NULL, 10);
		flood_count += n;
		if ((v = find(p, end, "\"verdict\":\"")))
			bump(floodn, v, end, n);
	} else if (find(p, end, "\"type\":\"stats\"")) {
		stats_lines++;
		size_t n = end - p < (long)sizeof(stats) - 1 ? (size_t)(end - p) : sizeof(stats) - 1;
		memcpy(stats, p, n);
		stats[n] = 0;
		for (char *s = stats; *s; s++)
			if (*s == '\'')
				*s = ' ';
	} else {
		other++;
	}
}

int main(int argc, char **argv)
{
	static char buf[1 << 22];
	size_t have = 0;
	ssize_t r;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: evcount OUTFILE < rsttrace-json\n");
		return 2;
	}
	while ((r = read(0, buf + have, sizeof(buf) - have)) > 0) {
		char *p = buf, *end = buf + have + r, *nl;

		while ((nl = memchr(p, '\n', end - p))) {
			line(p, nl);
			p = nl + 1;
		}
		have = end - p;
		if (have == sizeof(buf)) { /* a line longer than the buffer: count it, skip it */
			line(buf, buf + have);
			have = 0;
		} else {
			memmove(buf, p, have);
		}
	}
	if (have)
		line(buf, buf + have);
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "lines=%ld\nevents=%ld\ntimelines=%ld\nstats_lines=%ld\nother=%ld\ntl_events=%ld\n",
		lines, events, timelines, stats_lines, other, tl_events);
	for (int i = 0; i < MAXK && kinds[i].name[0]; i++)
		fprintf(out, "kind_%s=%ld\n", kinds[i].name, kinds[i].n);
	for (int i = 0; i < MAXK && verdicts[i].name[0]; i++)
		fprintf(out, "verdict_%s=%ld\n", verdicts[i].name, verdicts[i].n);
	fprintf(out, "floods=%ld\nflood_count=%ld\n", floods, flood_count);
	for (int i = 0; i < MAXK && floodn[i].name[0]; i++)
		fprintf(out, "floodn_%s=%ld\n", floodn[i].name, floodn[i].n);
	fprintf(out, "stats='%s'\n", stats);
	return fclose(out) ? 1 : 0;
}
