// SPDX-License-Identifier: GPL-2.0
/* rotate.h - -w FILE with -C SIZE, -W COUNT, -G SECONDS: the recording as a series of files,
 * tcpdump's way (see rotate_name()), for an agent that keeps the last N megabytes. A file
 * ends only between two batches (a record, or a batch, never straddles two files) and every
 * file starts as a recording of its own (file head, header record with its place in the
 * series, the identities known so far), so each replays alone and in sequence with the rest. */
#ifndef ROTATE_H
#define ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "record.h"

/* what a new file starts with after its file head: the header and the known identities */
typedef int (*rotate_start_fn)(void *ctx, struct rec_writer *w, unsigned seq);

struct rotator {
	const char *pattern;              /* -w FILE, as given */
	unsigned long long max_bytes;     /* -C, 0: none */
	unsigned count;                   /* -W, 0: keep every file */
	__u64 every_ns;                   /* -G, 0: none */
	unsigned seq;                     /* the current file's number in the series, from 0 */
	__u64 opened_ns;                  /* when it was opened (monotonic) */
	char **names;                     /* -W: the last count files' names, by seq % count */
	char current[4096];
	rotate_start_fn start;
	void *start_ctx;
};

/* The name of file seq (tcpdump): FILE through strftime(3) at t when -G is given; then, when
 * the series is numbered (-C given, or -G with a FILE that has no conversion, which would
 * otherwise overwrite itself), a number: with -W COUNT, seq % COUNT padded to the width of
 * COUNT - 1 (FILE0..FILE9 for 10; no number for 1); without, none for the first file, then
 * 1, 2, ... 0, or -1 when the name does not fit. */
int rotate_name(const char *pattern, unsigned seq, unsigned count, bool by_size, bool by_time,
		time_t t, char *out, size_t size);

/* open the first file (before the privileges go): NULL with errno set */
struct rec_writer *rotate_open(struct rotator *r, __u64 now_ns);
/* after a batch was written: start the next file when the current is full or old enough.
 * 0, or -errno (the recording's error, as rec_flush's) */
int rotate_tick(struct rotator *r, struct rec_writer *w, __u64 now_ns);
void rotate_free(struct rotator *r);

#endif
