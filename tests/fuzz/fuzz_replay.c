// SPDX-License-Identifier: GPL-2.0
/* fuzz_replay.c - libFuzzer on the replay path: bytes -> recording reader -> pipeline (replay
 * filter, decode, joiner, verdicts) -> emitter, the same functions `rsttrace -r` runs. Every
 * input goes through three output modes, so one corpus covers them all:
 * text timelines, JSON events under -c, JSON timelines under -P (the user-space filters).
 * Inputs are plain recordings: `rsttrace -r FILE` replays a corpus entry or a crash as is.
 * Built by `make fuzz` (clang -fsanitize=fuzzer,address,undefined). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "options.h"
#include "replay.h"

static void run(const uint8_t *data, size_t size, const struct rt_options *o, FILE *sink)
{
	FILE *in = fmemopen((void *)data, size, "rb");

	if (!in)
		return; /* fmemopen refuses size 0 on some glibc versions */
	replay_stream(o, in, "fuzz", sink, sink);
	fclose(in);
}

static void port_filter(struct rt_options *o, unsigned port)
{
	o->port_bitmap[port >> 3] |= 1u << (port & 7);
	o->nports++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	static struct rt_options text, events, filtered;

	if (!sink) {
		sink = fopen("/dev/null", "w");
		events.json = events.events = true;
		filtered.json = true;
		/* the ports of the checked-in recordings (tests/golden) */
		port_filter(&filtered, 18878);
		port_filter(&filtered, 18880);
		strcpy(events.comm, "rt_srv_wapc");
	}
	if (!sink)
		return 0;
	run(data, size, &text, sink);
	run(data, size, &events, sink);
	run(data, size, &filtered, sink);
	return 0;
}
