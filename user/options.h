/* SPDX-License-Identifier: GPL-2.0 */
/* options.h - the command line: one struct of settings, one parser that validates all of it. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/rsttrace.h"

#define RSTTRACE_VERSION "0.1.0"

#define RT_EXIT_OK 0
#define RT_EXIT_RUNTIME 1
#define RT_EXIT_USAGE 2

enum rt_probe_family {
	RT_PROBES_AUTO = 0,
	RT_PROBES_FENTRY,
	RT_PROBES_KPROBE,
	RT_PROBES_TRACEPOINT,
	RT_PROBES_RAW_TP,  /* extension: raw_tp only, the fallback where tp_btf is missing */
};

#define RT_MAX_IGNORE 32       /* --ignore rules */
#define RT_MAX_READ 256        /* -r files (a directory counts its files) */
#define RT_VERDICT_LEN 32

/* --ignore VERDICT[:COMM]: an incident counted (metrics), not printed */
struct rt_ignore {
	char verdict[RT_VERDICT_LEN];
	char comm[RT_COMM_LEN];      /* "" = any process */
};

enum rt_output {
	RT_OUTPUT_TEXT = 0,
	RT_OUTPUT_JSON,
	RT_OUTPUT_NONE,              /* -o none: nothing on stdout (metrics, -w) */
};

struct rt_options {
	__u32 pids[RT_MAX_PIDS];      /* -p: tgids, in the order given, no duplicates */
	int npids;
	__u8 port_bitmap[RT_PORT_BITMAP_BYTES]; /* -P: bit p set = port p wanted */
	int nports;                   /* number of bits set */
	char comm[RT_COMM_LEN];       /* -c: exact task comm, "" = no filter */
	bool json;                    /* -j/--json */
	bool events;                  /* --events */
	bool list_probes;             /* --list-probes */
	int verbose;                  /* -v (repeatable) */
	double duration_s;            /* -d: 0 = until a signal */
	enum rt_probe_family probes;  /* --probes */
	__u32 netns;                  /* --netns: network namespace inode, 0 = no filter */
	__u64 cgroup_id;              /* --cgroup: cgroup v2 id, 0 = no filter */
	__u32 cgroup_level;           /* its depth below the hierarchy's root */
	double summary_s;             /* --summary: interval, 0 = timelines instead */
	const char *write_path;       /* -w: record to this file (argv's string), NULL = no */
	const char *read_path;        /* -r: replay this recording ("-": stdin), NULL = trace */
	/* -r FILE [FILE...]: every recording to replay, as given (a directory: its files) */
	const char *read_paths[RT_MAX_READ];
	int nread;
	enum rt_output output;        /* -o; -j is -o json (json above is set with it) */
	bool metrics;                 /* --metrics */
	int metrics_family;           /* AF_INET or AF_INET6 */
	char metrics_addr[64];        /* numeric address, no brackets */
	unsigned metrics_port;
	unsigned metrics_limit;       /* --metrics-limit: label sets per metric */
	int by;                       /* --by: enum metrics_by (comm, container, unit) */
	bool by_given;
	struct rt_ignore ignore[RT_MAX_IGNORE];
	int nignore;
	unsigned long long rotate_bytes; /* -C: a new file past this size, 0 = never */
	unsigned rotate_count;        /* -W: keep this many files, 0 = all */
	double rotate_s;              /* -G: a new file every SECONDS, 0 = never */
};

enum options_result {
	OPTIONS_RUN = 0,   /* go on and trace */
	OPTIONS_EXIT_OK,   /* --help or --version was printed: exit 0 */
	OPTIONS_USAGE,     /* a usage error was printed on err: exit 2 */
};

/* Parse argv into *o (which it zeroes first). Help and version go to out, every error to err,
 * naming the bad value. Never exits, never prints to out on error. */
enum options_result options_parse(struct rt_options *o, int argc, char **argv, FILE *out,
				  FILE *err);

static inline bool options_port_wanted(const struct rt_options *o, unsigned port)
{
	return port < 65536 && (o->port_bitmap[port >> 3] & (1u << (port & 7)));
}

const char *probe_family_name(enum rt_probe_family f);

/* --ignore: does a rule match an incident of this verdict whose ends' owners are comm_a and
 * comm_b (NULL: unknown)? A rule's COMM matches either end. */
bool options_ignored(const struct rt_options *o, const char *verdict, const char *comm_a,
		     const char *comm_b);

#endif
