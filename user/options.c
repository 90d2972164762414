// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * options.c - the command line: the argp table, one typed parser per kind of value, and error
 * messages that name the bad element, the whole argument and the rule it broke.
 *
 * Never exits and never touches process-wide parsing state for good: the unit tests call
 * options_parse() hundreds of times in one process, and main() maps the result to an exit code.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "nsfilter.h"
#include "options.h"
#include "verdicts.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STR(x) #x
#define XSTR(x) STR(x) /* so that messages and help follow the limits they state */

/* include/linux/threads.h: the largest pid_max a 64-bit kernel accepts */
#define PID_MAX_LIMIT 4194304
#define PORT_MAX 65535
#define DURATION_MAX_S 31536000 /* one year: anything longer is a typo */

#define PID_RULE "must be 1.." XSTR(PID_MAX_LIMIT)
#define PORT_RULE "must be 1.." XSTR(PORT_MAX)
#define DURATION_RULE "must be > 0 and <= " XSTR(DURATION_MAX_S) " seconds (one year)"
/* --summary: the loop ticks every 100 ms; an hour is the longest useful "top" period */
#define SUMMARY_DEFAULT_S 5
#define SUMMARY_MIN_S 0.1
#define SUMMARY_MAX_S 3600
#define SUMMARY_RULE "must be >= 0.1 and <= " XSTR(SUMMARY_MAX_S) " seconds"

#include "metrics.h"
#define METRICS_LIMIT_RULE "must be 1.." XSTR(METRICS_LIMIT_MAX)
#define COUNT_MAX 100000
#define ROTATE_MAX_S 31536000

/* the messages and the help say "15 bytes" */
_Static_assert(RT_COMM_LEN == 16, "update the comm messages");

/* Keys of long-only options: above every char so they cannot clash with a short option. */
enum {
	OPT_EVENTS = 0x100,
	OPT_LIST_PROBES,
	OPT_PROBES,
	OPT_USAGE,
	OPT_NETNS,
	OPT_CGROUP,
	OPT_SUMMARY,
	OPT_METRICS,
	OPT_METRICS_LIMIT,
	OPT_BY,
	OPT_IGNORE,
};

/* argp_help() takes a non-const name; messages always say "rsttrace", whatever argv[0] is. */
static char prog_name[] = "rsttrace";

static const char *const family_names[] = {
	[RT_PROBES_AUTO] = "auto",
	[RT_PROBES_FENTRY] = "fentry",
	[RT_PROBES_KPROBE] = "kprobe",
	[RT_PROBES_TRACEPOINT] = "tracepoint",
	[RT_PROBES_RAW_TP] = "raw_tp",
};

const char *probe_family_name(enum rt_probe_family f)
{
	if ((unsigned)f >= ARRAY_SIZE(family_names))
		return "unknown";
	return family_names[f];
}

static const struct argp_option option_table[] = {
	{ NULL, 0, NULL, 0,
	  "Filters (applied in the kernel; a connection is shown when it matches every "
	  "filter given):", 1 },
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Only sockets whose owner process (tgid) is one of these; at most "
	  XSTR(RT_MAX_PIDS) " pids, repeatable", 1 },
	{ "port", 'P', "PORT[,PORT...]", 0,
	  "Only connections whose local or remote port is one of these; LO-HI ranges "
	  "allowed, repeatable", 1 },
	{ "comm", 'c', "COMM", 0,
	  "Only sockets whose owner process has this exact name (at most 15 bytes, as in "
	  "/proc/PID/comm)", 1 },
	{ "netns", OPT_NETNS, "PATH|INODE", 0,
	  "Only sockets in this network namespace: a file such as /run/netns/NAME or "
	  "/proc/PID/ns/net, or its inode number (the NS column of `lsns -t net`)", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0,
	  "Only sockets created in this cgroup v2 directory or below it (a container's "
	  "cgroup, e.g. /sys/fs/cgroup/system.slice/NAME.service)", 1 },
	{ NULL, 0, NULL, 0, "Output:", 2 },
	{ "json", 'j', NULL, 0, "JSON lines on stdout, nothing else on stdout (-o json)", 2 },
	{ "output", 'o', "FORMAT", 0,
	  "text (default), json (as -j) or none: nothing on stdout, for an agent that only "
	  "serves --metrics or records with -w", 2 },
	{ "ignore", OPT_IGNORE, "VERDICT[:COMM]", 0,
	  "Do not print incidents of this verdict (whose a or b end is owned by COMM, when "
	  "given): expected resets; still counted in --metrics. Repeatable, at most "
	  XSTR(RT_MAX_IGNORE), 2 },
	{ "by", OPT_BY, "GROUP", 0,
	  "comm, container or unit: what the --summary rows and the --metrics process labels "
	  "name: the process name (default), the owner's container id or its systemd unit (from "
	  "its cgroup)", 2 },
	{ "events", OPT_EVENTS, NULL, 0,
	  "Every raw event as it happens, instead of one timeline per incident", 2 },
	{ "summary", OPT_SUMMARY, "SECONDS", OPTION_ARG_OPTIONAL,
	  "Instead of timelines, a table every SECONDS (default " XSTR(SUMMARY_DEFAULT_S)
	  ") of the incidents reported in that interval, by process, peer and verdict, "
	  "with counts, most frequent first", 2 },
	{ NULL, 0, NULL, 0, "Metrics (docs/agent.md):", 2 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics over HTTP on ADDR (default 127.0.0.1; IPv6 in brackets: "
	  "[::1]:9464) and PORT, at /metrics, beside any output", 2 },
	{ "metrics-limit", OPT_METRICS_LIMIT, "N", 0,
	  "At most N label sets per metric (default " XSTR(METRICS_LIMIT_DEFAULT) "); the "
	  "rest are counted with their process labels set to \"other\"", 2 },
	{ NULL, 0, NULL, 0, "Probes:", 3 },
	{ "probes", OPT_PROBES, "FAMILY", 0,
	  "Use this probe family: auto (default: the best the kernel allows, per hook), "
	  "fentry, kprobe, tracepoint (tp_btf, else raw_tp) or raw_tp (what kernels without "
	  "tp_btf use)", 3 },
	{ "list-probes", OPT_LIST_PROBES, NULL, 0,
	  "Show which probe each hook would use, and why", 3 },
	{ NULL, 0, NULL, 0, "General:", 4 },
	{ "duration", 'd', "SECONDS", 0,
	  "Stop after SECONDS (fractions allowed, e.g. 0.5); default: until SIGINT or SIGTERM",
	  4 },
	{ "verbose", 'v', NULL, 0, "More detail on stderr (repeatable)", 4 },
	{ NULL, 0, NULL, 0, "Record and replay (docs/recording.md):", 5 },
	{ "write", 'w', "FILE", 0,
	  "While tracing, also record the raw event stream to FILE (written once per batch: a "
	  "crash loses at most the last one)", 5 },
	{ "read", 'r', "FILE", 0,
	  "Replay a recording instead of tracing (no root, no BPF; '-' reads stdin), with "
	  "the filters and output options given. Further FILEs after the options, or a "
	  "directory, are replayed with it as one stream, in the order they were written", 5 },
	{ "file-size", 'C', "SIZE", 0,
	  "With -w: start a new file once the current one holds SIZE million bytes (k, m, g: "
	  "thousand, million, billion bytes), named FILE, FILE1, FILE2... (tcpdump's -C)", 5 },
	{ "file-count", 'W', "COUNT", 0,
	  "With -w and -C or -G: keep only the last COUNT files, a ring FILE0..FILE<COUNT-1> "
	  "(tcpdump's -W)", 5 },
	{ "rotate-seconds", 'G', "SECONDS", 0,
	  "With -w: start a new file every SECONDS; FILE may hold strftime(3) conversions "
	  "(tcpdump's -G)", 5 },
	/* group -1: argp always moves --help and --version last; keep --usage with them */
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the version and the libbpf version", -1 },
	{ 0 },
};

static const char doc[] =
	"Trace TCP resets and socket errors: one timeline per connection that ended in a "
	"reset or a socket error, joining both ends and naming the process that owns each."
	"\v"
	"-p and -c match the process that owns the socket, not the task that happens to run "
	"when a reset is sent (often another process, in softirq). -P matches the local or the "
	"remote port. The filters do not hide the connection whose loss caused a matching "
	"one.\n\n"
	"Exit status: 0 ok, 1 runtime failure (privileges, BTF, load or attach), 2 usage error.";

/* Everything a parse needs, passed to argp as its input: no globals. */
struct parse_ctx {
	struct rt_options *o;
	FILE *out;
	FILE *err;
	bool exit_ok;  /* help or version was printed */
	bool reported; /* an error message already went to err */
	bool have_comm;
	bool have_probes; /* --probes given: meaningless with -r */
	bool have_output, have_metrics_limit;
	const char *netns_arg, *cgroup_arg; /* as given, for the "given twice" message */
};

/* What went wrong with one number; the caller words the message for its own option. */
enum num_status {
	NUM_OK = 0,
	NUM_EMPTY,
	NUM_SYNTAX,
	NUM_RANGE,
};

/*
 * s[0..len) must be exactly one decimal integer in lo..hi. The span ends at a ',', '-' or NUL
 * (never a digit), so strtoul cannot read past it. strtoul itself would skip blanks, take '+'
 * and even negate a '-' into a huge value: the first byte must be a digit.
 */
static enum num_status parse_uint(const char *s, size_t len, unsigned long lo, unsigned long hi,
				  unsigned long *v)
{
	unsigned long x;
	char *end;

	if (len == 0)
		return NUM_EMPTY;
	if (!isdigit((unsigned char)s[0]))
		return NUM_SYNTAX;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (end != s + len)
		return NUM_SYNTAX;
	if (errno == ERANGE || x < lo || x > hi)
		return NUM_RANGE;
	*v = x;
	return NUM_OK;
}

/*
 * A decimal number of seconds in (0, max]. Only digits, '.', exponent and sign bytes are let
 * through to strtod, which would also accept blanks, hex floats, "inf" and "nan". A sign is
 * allowed so that "-5" reads as out of range rather than as not a number. Assumes the "C"
 * locale's '.', which rsttrace never changes.
 */
static enum num_status parse_seconds(const char *s, double max, double *v)
{
	double x;
	char *end;

	if (*s == '\0')
		return NUM_EMPTY;
	if (s[strspn(s, "0123456789.eE+-")] != '\0')
		return NUM_SYNTAX;
	errno = 0;
	x = strtod(s, &end);
	if (end == s || *end != '\0')
		return NUM_SYNTAX;
	/* ERANGE: overflow to HUGE_VAL, or underflow of a tiny value: both out of range */
	if (errno == ERANGE || !(x > 0) || x > max)
		return NUM_RANGE;
	*v = x;
	return NUM_OK;
}

/* "-P" for options with a short name, "--probes" for the others. */
static void option_label(int key, char *buf, size_t size)
{
	const struct argp_option *opt;

	if (key > 0 && key < 0x100 && isalpha(key)) {
		snprintf(buf, size, "-%c", key);
		return;
	}
	for (opt = option_table; opt->name || opt->key || opt->doc; opt++) {
		if (opt->key == key && opt->name) {
			snprintf(buf, size, "--%s", opt->name);
			return;
		}
	}
	snprintf(buf, size, "?");
}

static int __attribute__((format(printf, 2, 3))) usage_error(struct parse_ctx *c,
							      const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	c->reported = true;
	return EINVAL;
}

/* "invalid port '70000' in '-P 80,70000': must be 1..65535" */
static int bad_value(struct parse_ctx *c, const char *what, const char *elem, size_t len, int key,
		     const char *arg, const char *rule)
{
	char label[32];

	option_label(key, label, sizeof(label));
	return usage_error(c, "invalid %s '%.*s' in '%s %s': %s", what, (int)len, elem, label, arg,
			   rule);
}

static const char *num_rule(enum num_status st, const char *range_rule)
{
	return st == NUM_SYNTAX ? "not a decimal number" : range_rule;
}

typedef int (*element_fn)(struct parse_ctx *c, int key, const char *arg, const char *elem,
			  size_t len);

/* Calls fn on every comma-separated element of arg; an empty one is an error of its own. */
static int for_each_element(struct parse_ctx *c, int key, const char *arg, const char *what,
			    element_fn fn)
{
	const char *p = arg;
	int n, err;

	for (n = 1;; n++) {
		size_t len = strcspn(p, ",");
		char label[32];

		if (len == 0) {
			option_label(key, label, sizeof(label));
			return usage_error(c, "empty element %d in '%s %s': expected %s[,%s...]",
					   n, label, arg, what, what);
		}
		err = fn(c, key, arg, p, len);
		if (err)
			return err;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int add_pid(struct parse_ctx *c, int key, const char *arg, const char *elem, size_t len)
{
	struct rt_options *o = c->o;
	unsigned long pid;
	enum num_status st;
	int i;

	st = parse_uint(elem, len, 1, PID_MAX_LIMIT, &pid);
	if (st)
		return bad_value(c, "pid", elem, len, key, arg, num_rule(st, PID_RULE));
	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return 0;
	/* the kernel filter checks a fixed array: more would be silently ignored */
	if (o->npids == RT_MAX_PIDS)
		return bad_value(c, "pid", elem, len, key, arg,
				 "too many pids, at most " XSTR(RT_MAX_PIDS)
				 " distinct pids can be filtered");
	o->pids[o->npids++] = pid;
	return 0;
}

static void want_port(struct rt_options *o, unsigned port)
{
	__u8 bit = 1u << (port & 7);

	if (!(o->port_bitmap[port >> 3] & bit)) {
		o->port_bitmap[port >> 3] |= bit;
		o->nports++;
	}
}

static int add_port_range(struct parse_ctx *c, int key, const char *arg, const char *elem,
			  size_t len, const char *dash)
{
	size_t lo_len = dash - elem, hi_len = len - lo_len - 1;
	unsigned long lo, hi, p;
	enum num_status st;

	st = parse_uint(elem, lo_len, 1, PORT_MAX, &lo);
	if (!st)
		st = parse_uint(dash + 1, hi_len, 1, PORT_MAX, &hi);
	if (st == NUM_EMPTY)
		return bad_value(c, "port range", elem, len, key, arg, "expected LO-HI");
	if (st)
		return bad_value(c, "port range", elem, len, key, arg,
				 st == NUM_SYNTAX ? "LO and HI must be decimal numbers"
						  : "LO and HI " PORT_RULE);
	if (lo > hi)
		return bad_value(c, "port range", elem, len, key, arg, "LO must be <= HI");
	for (p = lo; p <= hi; p++)
		want_port(c->o, p);
	return 0;
}

static int add_port(struct parse_ctx *c, int key, const char *arg, const char *elem, size_t len)
{
	const char *dash = memchr(elem, '-', len);
	unsigned long port;
	enum num_status st;

	if (dash)
		return add_port_range(c, key, arg, elem, len, dash);
	st = parse_uint(elem, len, 1, PORT_MAX, &port);
	if (st)
		return bad_value(c, "port", elem, len, key, arg, num_rule(st, PORT_RULE));
	want_port(c->o, port);
	return 0;
}

static int set_comm(struct parse_ctx *c, int key, const char *arg)
{
	size_t len = strlen(arg);
	char rule[160];

	if (len == 0)
		return bad_value(c, "comm", arg, len, key, arg, "must not be empty");
	/* task->comm is 16 bytes with its NUL: the kernel truncates longer names to 15 */
	if (len > RT_COMM_LEN - 1) {
		snprintf(rule, sizeof(rule),
			 "longer than 15 bytes; the kernel truncates process names to 15 bytes, "
			 "so it could never match (did you mean '%.15s'?)", arg);
		return bad_value(c, "comm", arg, len, key, arg, rule);
	}
	/* a second name would silently replace the first: the user may expect both */
	if (c->have_comm)
		return usage_error(c, "-c given twice ('%s', then '%s'): only one COMM can be "
				      "filtered", c->o->comm, arg);
	memcpy(c->o->comm, arg, len + 1);
	c->have_comm = true;
	return 0;
}

static int set_duration(struct parse_ctx *c, int key, const char *arg)
{
	enum num_status st = parse_seconds(arg, DURATION_MAX_S, &c->o->duration_s);

	if (st)
		return bad_value(c, "duration", arg, strlen(arg), key, arg,
				 st == NUM_EMPTY ? "must not be empty" :
				 num_rule(st, DURATION_RULE));
	return 0;
}

/* one namespace, one cgroup: a second would silently replace the first */
static int given_twice(struct parse_ctx *c, int key, const char *first, const char *arg)
{
	char label[32];

	option_label(key, label, sizeof(label));
	return usage_error(c, "%s given twice ('%s', then '%s'): only one can be filtered", label,
			   first, arg);
}

static int set_netns(struct parse_ctx *c, int key, const char *arg)
{
	char why[160];

	if (c->netns_arg)
		return given_twice(c, key, c->netns_arg, arg);
	if (netns_resolve(arg, &c->o->netns, why, sizeof(why)))
		return bad_value(c, "network namespace", arg, strlen(arg), key, arg, why);
	c->netns_arg = arg;
	return 0;
}

static int set_cgroup(struct parse_ctx *c, int key, const char *arg)
{
	char why[200];

	if (c->cgroup_arg)
		return given_twice(c, key, c->cgroup_arg, arg);
	if (cgroup_resolve(arg, &c->o->cgroup_id, &c->o->cgroup_level, why, sizeof(why)))
		return bad_value(c, "cgroup", arg, strlen(arg), key, arg, why);
	c->cgroup_arg = arg;
	return 0;
}

/* --summary alone: the default interval; --summary=SECONDS */
static int set_summary(struct parse_ctx *c, int key, const char *arg)
{
	enum num_status st;

	if (!arg) {
		c->o->summary_s = SUMMARY_DEFAULT_S;
		return 0;
	}
	st = parse_seconds(arg, SUMMARY_MAX_S, &c->o->summary_s);
	if (!st && c->o->summary_s < SUMMARY_MIN_S)
		st = NUM_RANGE;
	if (st)
		return bad_value(c, "summary interval", arg, strlen(arg), key, arg,
				 st == NUM_EMPTY ? "must not be empty" :
				 num_rule(st, SUMMARY_RULE));
	return 0;
}

/* options that cannot go together, once all are known */
static int check_combinations(struct parse_ctx *c)
{
	if (c->o->summary_s > 0 && c->o->events)
		return usage_error(c, "--summary and --events cannot be combined: the summary "
				      "counts timelines, which --events does not build");
	return 0;
}

/* -w FILE, -r FILE: a path, given once */
static int set_path(struct parse_ctx *c, int key, const char *arg, const char **path)
{
	char label[32];

	option_label(key, label, sizeof(label));
	if (*path)
		return usage_error(c, "%s given twice ('%s', then '%s')", label, *path, arg);
	if (!arg[0])
		return usage_error(c, "invalid file '' in '%s': must not be empty", label);
	*path = arg;
	return 0;
}

/* a replay has no kernel: what only a live trace does is a usage error, named */
static int check_replay(struct parse_ctx *c)
{
	const struct rt_options *o = c->o;
	const char *what = o->write_path ? "-w" : c->have_probes ? "--probes" :
			   o->list_probes ? "--list-probes" : o->duration_s > 0 ? "-d" :
			   o->cgroup_id ? "--cgroup" : NULL;

	if (!o->read_path || !what)
		return 0;
	return usage_error(c, "-r '%s' cannot be combined with %s: a replay reads a recording, "
			      "it does not trace%s", o->read_path, what,
			   o->cgroup_id ? " (a recording holds no cgroups)" : "");
}

static int set_probes(struct parse_ctx *c, int key, const char *arg)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(family_names); i++) {
		if (!strcmp(arg, family_names[i])) {
			c->o->probes = i;
			c->have_probes = true;
			return 0;
		}
	}
	return bad_value(c, "probe family", arg, strlen(arg), key, arg,
			 "must be auto, fentry, kprobe, tracepoint or raw_tp");
}

/* -o text|json|none; -j is -o json: a contradiction between them is an error */
static int set_output(struct parse_ctx *c, int key, const char *arg)
{
	static const char *const names[] = { "text", "json", "none" };
	struct rt_options *o = c->o;

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(arg, names[i]))
			continue;
		if ((c->have_output && o->output != i) || (o->json && i != RT_OUTPUT_JSON))
			return usage_error(c, "-o %s contradicts an earlier -o or -j", arg);
		o->output = i;
		o->json = i == RT_OUTPUT_JSON;
		c->have_output = true;
		return 0;
	}
	return bad_value(c, "output format", arg, strlen(arg), key, arg,
			 "must be text, json or none");
}

static int set_json(struct parse_ctx *c)
{
	if (c->have_output && c->o->output != RT_OUTPUT_JSON)
		return usage_error(c, "-j contradicts -o %s", c->o->output ? "none" : "text");
	c->o->json = true;
	c->o->output = RT_OUTPUT_JSON;
	return 0;
}

/* --metrics [ADDR:]PORT: ADDR an IPv4 address or a bracketed IPv6 one, numeric (a name
 * would need a resolver at start and could mean several addresses) */
static int set_metrics(struct parse_ctx *c, int key, const char *arg)
{
	struct rt_options *o = c->o;
	const char *port = arg, *colon = strrchr(arg, ':');
	char addr[64] = "127.0.0.1";
	unsigned char buf[16];
	unsigned long p;
	enum num_status st;

	if (o->metrics)
		return usage_error(c, "--metrics given twice ('%s:%u', then '%s')", o->metrics_addr,
				   o->metrics_port, arg);
	if (colon) {
		size_t len = colon - arg;

		if (arg[0] == '[' && len >= 2 && arg[len - 1] == ']')
			snprintf(addr, sizeof(addr), "%.*s", (int)(len - 2), arg + 1);
		else if (len < sizeof(addr) && !memchr(arg, ':', len))
			snprintf(addr, sizeof(addr), "%.*s", (int)len, arg);
		else
			return bad_value(c, "address", arg, len, key, arg,
					 "expected PORT, IPV4:PORT or [IPV6]:PORT");
		port = colon + 1;
	}
	if (inet_pton(AF_INET, addr, buf) == 1)
		o->metrics_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		o->metrics_family = AF_INET6;
	else
		return bad_value(c, "address", addr, strlen(addr), key, arg,
				 "not a numeric IPv4 or IPv6 address (IPv6 in brackets)");
	st = parse_uint(port, strlen(port), 1, PORT_MAX, &p);
	if (st)
		return bad_value(c, "port", port, strlen(port), key, arg,
				 st == NUM_EMPTY ? "must not be empty" : num_rule(st, PORT_RULE));
	snprintf(o->metrics_addr, sizeof(o->metrics_addr), "%s", addr);
	o->metrics_port = p;
	o->metrics = true;
	return 0;
}

static int set_metrics_limit(struct parse_ctx *c, int key, const char *arg)
{
	unsigned long v;
	enum num_status st = parse_uint(arg, strlen(arg), 1, METRICS_LIMIT_MAX, &v);

	if (st)
		return bad_value(c, "limit", arg, strlen(arg), key, arg,
				 num_rule(st, METRICS_LIMIT_RULE));
	c->o->metrics_limit = v;
	c->have_metrics_limit = true;
	return 0;
}

static int set_by(struct parse_ctx *c, int key, const char *arg)
{
	static const char *const names[] = { "comm", "container", "unit" };

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i])) {
			c->o->by = i;
			c->o->by_given = true;
			return 0;
		}
	}
	return bad_value(c, "grouping", arg, strlen(arg), key, arg,
			 "must be comm, container or unit");
}

/* --ignore VERDICT[:COMM] */
static int add_ignore(struct parse_ctx *c, int key, const char *arg)
{
	struct rt_options *o = c->o;
	const char *colon = strchr(arg, ':');
	size_t vlen = colon ? (size_t)(colon - arg) : strlen(arg);
	struct rt_ignore *r;
	char verdict[RT_VERDICT_LEN];

	if (vlen == 0 || vlen >= sizeof(verdict))
		return bad_value(c, "verdict", arg, vlen, key, arg,
				 "expected VERDICT or VERDICT:COMM, VERDICT a verdict code");
	snprintf(verdict, sizeof(verdict), "%.*s", (int)vlen, arg);
	if (!verdict_code_known(verdict))
		return bad_value(c, "verdict", arg, vlen, key, arg,
				 "not a verdict code (refused, backlog_overflow, abort_unread_data, "
				 "linger_abort, write_after_peer_close, client_abort_propagated, "
				 "keepalive_race, timeout_abort, reset_by_remote, unknown)");
	if (colon && (!colon[1] || strlen(colon + 1) > RT_COMM_LEN - 1))
		return bad_value(c, "comm", colon + 1, strlen(colon + 1), key, arg,
				 "must be 1..15 bytes, as in /proc/PID/comm");
	if (o->nignore == RT_MAX_IGNORE)
		return usage_error(c, "too many --ignore rules at '%s': at most " XSTR(RT_MAX_IGNORE),
				   arg);
	r = &o->ignore[o->nignore++];
	snprintf(r->verdict, sizeof(r->verdict), "%s", verdict);
	snprintf(r->comm, sizeof(r->comm), "%s", colon ? colon + 1 : "");
	return 0;
}

bool options_ignored(const struct rt_options *o, const char *verdict, const char *comm_a,
		     const char *comm_b)
{
	for (int i = 0; i < o->nignore; i++) {
		const struct rt_ignore *r = &o->ignore[i];

		if (!verdict || strcmp(r->verdict, verdict))
			continue;
		if (!r->comm[0] || (comm_a && !strncmp(r->comm, comm_a, RT_COMM_LEN)) ||
		    (comm_b && !strncmp(r->comm, comm_b, RT_COMM_LEN)))
			return true;
	}
	return false;
}

/* -C SIZE: millions of bytes as tcpdump, or a number with k, m or g */
static int set_rotate_size(struct parse_ctx *c, int key, const char *arg)
{
	size_t len = strlen(arg);
	unsigned long long mult = 1000000;
	unsigned long v;
	enum num_status st;
	char last = len ? arg[len - 1] : 0;

	if (last == 'k' || last == 'm' || last == 'g') {
		mult = last == 'k' ? 1000ULL : last == 'm' ? 1000000ULL : 1000000000ULL;
		len--;
	}
	st = parse_uint(arg, len, 1, 1000000, &v);
	if (st)
		return bad_value(c, "file size", arg, strlen(arg), key, arg,
				 st == NUM_EMPTY ? "must not be empty" :
				 "must be 1..1000000 (million bytes), or with k, m or g");
	c->o->rotate_bytes = v * mult;
	return 0;
}

static int set_rotate_count(struct parse_ctx *c, int key, const char *arg)
{
	unsigned long v;
	enum num_status st = parse_uint(arg, strlen(arg), 1, COUNT_MAX, &v);

	if (st)
		return bad_value(c, "file count", arg, strlen(arg), key, arg,
				 num_rule(st, "must be 1.." XSTR(COUNT_MAX)));
	c->o->rotate_count = v;
	return 0;
}

static int set_rotate_seconds(struct parse_ctx *c, int key, const char *arg)
{
	enum num_status st = parse_seconds(arg, ROTATE_MAX_S, &c->o->rotate_s);

	if (!st && c->o->rotate_s < 1)
		st = NUM_RANGE;
	if (st)
		return bad_value(c, "rotation interval", arg, strlen(arg), key, arg,
				 st == NUM_EMPTY ? "must not be empty" :
				 num_rule(st, "must be >= 1 and <= " XSTR(ROTATE_MAX_S) " seconds"));
	return 0;
}

/* -r FILE, and the FILEs after the options */
static int add_read(struct parse_ctx *c, const char *arg)
{
	struct rt_options *o = c->o;

	if (!arg[0])
		return usage_error(c, "invalid file '' in '-r': must not be empty");
	if (o->nread == RT_MAX_READ)
		return usage_error(c, "too many recordings at '%s': at most " XSTR(RT_MAX_READ),
				   arg);
	if (!o->read_path)
		o->read_path = arg;
	o->read_paths[o->nread++] = arg;
	return 0;
}

/* the agent's options, once all are known */
static int check_agent(struct parse_ctx *c)
{
	const struct rt_options *o = c->o;

	if (o->output == RT_OUTPUT_NONE && (o->events || o->summary_s > 0))
		return usage_error(c, "-o none cannot be combined with %s: it prints nothing",
				   o->events ? "--events" : "--summary");
	if (o->output == RT_OUTPUT_NONE && !o->metrics && !o->write_path && !o->list_probes)
		return usage_error(c, "-o none needs --metrics or -w: otherwise nothing is reported");
	if (c->have_metrics_limit && !o->metrics)
		return usage_error(c, "--metrics-limit needs --metrics");
	if (o->by_given && !o->metrics && o->summary_s <= 0)
		return usage_error(c, "--by groups --summary rows and --metrics labels: give one "
				      "of them");
	if ((o->rotate_bytes || o->rotate_count || o->rotate_s > 0) && !o->write_path)
		return usage_error(c, "%s needs -w FILE", o->rotate_bytes ? "-C" :
				   o->rotate_count ? "-W" : "-G");
	if (o->rotate_count && !o->rotate_bytes && o->rotate_s <= 0)
		return usage_error(c, "-W needs -C or -G: without them there is only one file");
	if (o->metrics && o->read_path)
		return usage_error(c, "-r '%s' cannot be combined with --metrics: a replay ends "
				      "when the recording does", o->read_path);
	return 0;
}

/* Help and version end the parse successfully; the non-zero return only stops argp. */
static int print_help(struct parse_ctx *c, const struct argp_state *state, unsigned flags)
{
	argp_help(state->root_argp, c->out, flags, prog_name);
	c->exit_ok = true;
	return ECANCELED;
}

static int print_version(struct parse_ctx *c)
{
	fprintf(c->out, "%s %s (libbpf %u.%u)\n", prog_name, RSTTRACE_VERSION,
		libbpf_major_version(), libbpf_minor_version());
	c->exit_ok = true;
	return ECANCELED;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *c = state->input;

	switch (key) {
	case 'p':
		return for_each_element(c, key, arg, "PID", add_pid);
	case 'P':
		return for_each_element(c, key, arg, "PORT", add_port);
	case 'c':
		return set_comm(c, key, arg);
	case 'j':
		return set_json(c);
	case 'o':
		return set_output(c, key, arg);
	case OPT_METRICS:
		return set_metrics(c, key, arg);
	case OPT_METRICS_LIMIT:
		return set_metrics_limit(c, key, arg);
	case OPT_BY:
		return set_by(c, key, arg);
	case OPT_IGNORE:
		return add_ignore(c, key, arg);
	case 'C':
		return set_rotate_size(c, key, arg);
	case 'W':
		return set_rotate_count(c, key, arg);
	case 'G':
		return set_rotate_seconds(c, key, arg);
	case OPT_EVENTS:
		c->o->events = true;
		return 0;
	case OPT_LIST_PROBES:
		c->o->list_probes = true;
		return 0;
	case 'v':
		c->o->verbose++;
		return 0;
	case 'd':
		return set_duration(c, key, arg);
	case OPT_NETNS:
		return set_netns(c, key, arg);
	case OPT_CGROUP:
		return set_cgroup(c, key, arg);
	case OPT_SUMMARY:
		return set_summary(c, key, arg);
	case ARGP_KEY_END:
		return check_combinations(c) || check_agent(c) ? EINVAL : check_replay(c);
	case 'w':
		return set_path(c, key, arg, &c->o->write_path);
	case 'r':
		return add_read(c, arg);
	case OPT_PROBES:
		return set_probes(c, key, arg);
	case 'h':
		return print_help(c, state, ARGP_HELP_STD_HELP);
	case OPT_USAGE:
		return print_help(c, state, ARGP_HELP_USAGE);
	case 'V':
		return print_version(c);
	case ARGP_KEY_ARG:
		if (c->o->read_path)
			return add_read(c, arg);
		return usage_error(c, "unexpected argument '%s': rsttrace takes no arguments, "
				      "only options", arg);
	case ARGP_KEY_INIT:
		/* after a getopt error argp prints its own "Try ... or --usage" line on
		 * err_stream: silence it, options_parse() prints ours */
		state->err_stream = NULL;
		state->out_stream = c->out;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = option_table,
	.parser = parse_opt,
	.doc = doc,
};

/*
 * argp_parse() with argv[0] replaced by "rsttrace" (getopt starts its messages with argv[0])
 * and with getopt's messages sent to err. ARGP_NO_HELP: argp's own --help/--version would
 * print to stdout and exit. ARGP_IN_ORDER: getopt would otherwise permute the caller's argv.
 */
static error_t run_argp(struct parse_ctx *c, int argc, char **argv)
{
	int n = argc > 0 ? argc : 1, i;
	char **args = calloc(n + 1, sizeof(*args));
	FILE *saved_stderr;
	error_t ret;

	if (!args)
		return usage_error(c, "out of memory");
	args[0] = prog_name;
	for (i = 1; i < argc; i++)
		args[i] = argv[i];
	/*
	 * getopt reports an unknown option or a missing argument on stderr itself, not on
	 * argp's err_stream. glibc documents stderr as an assignable variable: borrow it (not
	 * thread-safe: parse before starting threads, as main() does anyway).
	 */
	saved_stderr = stderr;
	stderr = c->err;
	ret = argp_parse(&argp, n, args, ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_IN_ORDER, NULL, c);
	stderr = saved_stderr;
	free(args);
	return ret;
}

enum options_result options_parse(struct rt_options *o, int argc, char **argv, FILE *out,
				  FILE *err)
{
	struct parse_ctx c = { .o = o, .out = out, .err = err };
	error_t ret;

	memset(o, 0, sizeof(*o));
	o->metrics_limit = METRICS_LIMIT_DEFAULT;
	ret = run_argp(&c, argc, argv);
	if (c.exit_ok)
		return OPTIONS_EXIT_OK;
	if (!ret)
		return OPTIONS_RUN;
	/* EINVAL without our own message: getopt already said what was wrong */
	if (!c.reported && ret != EINVAL)
		fprintf(err, "%s: %s\n", prog_name, strerror(ret));
	fprintf(err, "Try '%s --help' for more information.\n", prog_name);
	return OPTIONS_USAGE;
}
