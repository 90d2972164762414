/* SPDX-License-Identifier: GPL-2.0 */
/* replay.h - what a recording says about its run (the header record), and `-r FILE`: a
 * recording through the same pipeline as a live run, without root or BPF. */
#ifndef REPLAY_H
#define REPLAY_H

#include <stdio.h>
#include "clock.h"
#include "emit.h"
#include "names.h"
#include "options.h"
#include "record.h"

/* The header record's text (docs/recording.md): format version, host name, kernel release,
 * the clock mapping, reason names, the probes chosen, the command line. 0 or -errno. */
int recording_write_header(struct rec_writer *w, const struct clock_map *clock,
			   const struct reason_names *reasons, const struct emit_stats *probes,
			   int argc, char **argv, unsigned seq, unsigned long long run);

/* Replay the recording in `in` (named `name` in messages) with o's filters and output mode,
 * to out; messages to err. Returns the exit code: 0, or 1 when the recording is truncated or
 * corrupt (what came before is still printed) or the output failed. */
int replay_stream(const struct rt_options *o, FILE *in, const char *name, FILE *out, FILE *err);
/* several recordings as one stream, in this order (a rotated series) */
int replay_streams(const struct rt_options *o, FILE **in, const char **names, int n, FILE *out,
		   FILE *err);
/* -r PATH... ("-": stdin; a directory: its files) to stdout, files of one series in the
 * order they were written */
int replay_main(const struct rt_options *o, const char *path);

#endif
