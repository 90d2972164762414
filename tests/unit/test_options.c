// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_options.c - options_parse() row by row: every kind of bad value for every option must
 * be a usage error that names it on err (with nothing on out), and every good command line
 * must give exactly the settings described in its row.
 *
 * All rows run in one process, in order: this also checks that nothing carries over from one
 * parse to the next (argp/getopt state, the borrowed stderr, the caller's argv).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "check.h"
#include <sys/socket.h>
#include "../../user/options.h"

#define MAX_ARGS 24
#define MAX_HAS 6

enum want {
	RUN = OPTIONS_RUN,
	EXIT_OK = OPTIONS_EXIT_OK,
	USAGE = OPTIONS_USAGE,
};

struct row {
	const char *name;
	const char *args[MAX_ARGS]; /* after argv[0], NULL-terminated */
	enum want want;
	/* RUN: [0] is describe() of the result; USAGE: substrings of err; EXIT_OK: of out */
	const char *has[MAX_HAS];
};

#define DEFAULTS "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto"
#define PIDS_1_TO_16 "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"

static const struct row rows[] = {
	/* good command lines */
	{ "no options", {}, RUN, { DEFAULTS } },
	{ "pid list", { "-p", "1,2,3" }, RUN,
	  { "pids=1,2,3 ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "pid duplicates merged, order kept", { "-p", "30,1,30,1" }, RUN,
	  { "pids=30,1 ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "pids accumulate", { "-p", "7", "--pid=8,7", "-p9" }, RUN,
	  { "pids=7,8,9 ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "pid limits", { "-p", "1,4194304" }, RUN,
	  { "pids=1,4194304 ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "16 pids", { "-p", PIDS_1_TO_16 }, RUN,
	  { "pids=" PIDS_1_TO_16 " ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 "
	  "probes=auto" } },
	{ "16 pids and a duplicate", { "-p", PIDS_1_TO_16, "-p", "16,1" }, RUN,
	  { "pids=" PIDS_1_TO_16 " ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 "
	  "probes=auto" } },
	{ "pid with leading zeros", { "-p", "007" }, RUN,
	  { "pids=7 ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "port list", { "-P", "443,80" }, RUN,
	  { "pids= ports=80,443 nports=2 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "port limits", { "-P", "1,65535" }, RUN,
	  { "pids= ports=1,65535 nports=2 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "port range", { "-P", "8000-8002" }, RUN,
	  { "pids= ports=8000-8002 nports=3 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "port range overlapping a port", { "-P", "8000-8002,8001,22" }, RUN,
	  { "pids= ports=22,8000-8002 nports=4 comm= json=0 events=0 list=0 v=0 d=0 "
	  "probes=auto" } },
	{ "port range of one", { "-P", "80-80" }, RUN,
	  { "pids= ports=80 nports=1 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "all ports", { "-P", "1-65535" }, RUN,
	  { "pids= ports=1-65535 nports=65535 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "ports accumulate", { "-P", "80", "--port", "81", "--port=80,82", "-P83" }, RUN,
	  { "pids= ports=80-83 nports=4 comm= json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "comm", { "-c", "nginx" }, RUN,
	  { "pids= ports= nports=0 comm=nginx json=0 events=0 list=0 v=0 d=0 probes=auto" } },
	{ "comm of 15 bytes", { "--comm=abcdefghijklmno" }, RUN,
	  { "pids= ports= nports=0 comm=abcdefghijklmno json=0 events=0 list=0 v=0 d=0 "
	  "probes=auto" } },
	{ "duration 0.5", { "-d", "0.5" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0.5 probes=auto" } },
	{ "duration one year", { "--duration=31536000" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=31536000 probes=auto" } },
	{ "duration with exponent", { "-d", "1e3" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=1000 probes=auto" } },
	{ "duration .25", { "-d.25" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0.25 probes=auto" } },
	{ "probes kprobe", { "--probes", "kprobe" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=kprobe" } },
	{ "probes raw_tp", { "--probes", "raw_tp" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=raw_tp" } },
	{ "probes fentry", { "--probes=fentry" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=fentry" } },
	{ "probes tracepoint", { "--probes", "tracepoint" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=0 d=0 probes=tracepoint" } },
	{ "probes last wins", { "--probes", "kprobe", "--probes", "auto" }, RUN,
	  { DEFAULTS } },
	{ "list probes", { "--list-probes" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=1 v=0 d=0 probes=auto" } },
	{ "-jv --events", { "-jv", "--events" }, RUN,
	  { "pids= ports= nports=0 comm= json=1 events=1 list=0 v=1 d=0 probes=auto" } },
	{ "verbose counts", { "-vvv", "--verbose", "-v" }, RUN,
	  { "pids= ports= nports=0 comm= json=0 events=0 list=0 v=5 d=0 probes=auto" } },
	{ "long names, prefixes", { "--json", "--verb", "--even", "--list" }, RUN,
	  { "pids= ports= nports=0 comm= json=1 events=1 list=1 v=1 d=0 probes=auto" } },
	{ "everything", { "-p", "42", "-P", "8878,80-81", "-c", "gateway", "-j", "--events",
			  "-d", "3", "--probes", "tracepoint", "-v", "--list-probes" }, RUN,
	  { "pids=42 ports=80-81,8878 nports=3 comm=gateway json=1 events=1 list=1 v=1 d=3 "
	  "probes=tracepoint" } },

	/* help and version: text on out, nothing on err, exit 0 */
	{ "--help", { "--help" }, EXIT_OK,
	  { "Usage: rsttrace", "Filters (applied in the kernel", "Output:", "Probes:", "General:",
	    "-P matches the local or the remote port" } },
	{ "-h mentions the owner", { "-h" }, EXIT_OK,
	  { "-p and -c match the process that owns the socket", "--pid=PID[,PID...]",
	    "--probes=FAMILY", "Exit status: 0 ok, 1 runtime failure" } },
	{ "--help wins over what follows", { "-j", "--help", "--bogus", "-P", "0" }, EXIT_OK,
	  { "Usage: rsttrace" } },
	{ "--usage", { "--usage" }, EXIT_OK, { "Usage: rsttrace [-", "[--probes=FAMILY]" } },
	{ "--version", { "--version" }, EXIT_OK, { "rsttrace " RSTTRACE_VERSION " (libbpf 1." } },
	{ "-V", { "-V" }, EXIT_OK, { "rsttrace " RSTTRACE_VERSION } },

	/* -p */
	{ "-p 0", { "-p", "0" }, USAGE, { "invalid pid '0' in '-p 0': must be 1..4194304" } },
	{ "-p 4194305", { "-p", "4194305" }, USAGE,
	  { "invalid pid '4194305' in '-p 4194305': must be 1..4194304" } },
	{ "-p overflow", { "-p", "99999999999999999999" }, USAGE,
	  { "invalid pid '99999999999999999999' in '-p 99999999999999999999': must be "
	    "1..4194304" } },
	{ "-p 2^64 wraps in strtoul", { "-p", "18446744073709551617" }, USAGE,
	  { "invalid pid '18446744073709551617'", "must be 1..4194304" } },
	{ "-p abc", { "-p", "abc" }, USAGE,
	  { "invalid pid 'abc' in '-p abc': not a decimal number" } },
	{ "-p trailing garbage", { "-p", "1,12x" }, USAGE,
	  { "invalid pid '12x' in '-p 1,12x': not a decimal number" } },
	{ "-p negative", { "-p", "-1" }, USAGE, { "invalid pid '-1' in '-p -1'" } },
	{ "-p plus sign", { "-p", "+5" }, USAGE, { "invalid pid '+5' in '-p +5'" } },
	{ "-p leading blank", { "-p", " 5" }, USAGE, { "invalid pid ' 5' in '-p  5'" } },
	{ "-p hex", { "-p", "0x10" }, USAGE, { "invalid pid '0x10'", "not a decimal number" } },
	{ "-p empty middle", { "-p", "1,,2" }, USAGE, { "empty element 2 in '-p 1,,2'" } },
	{ "-p empty first", { "-p", ",1" }, USAGE, { "empty element 1 in '-p ,1'" } },
	{ "-p empty last", { "-p", "1," }, USAGE, { "empty element 2 in '-p 1,'" } },
	{ "-p empty", { "--pid=" }, USAGE,
	  { "empty element 1 in '-p '", "expected PID[,PID...]" } },
	{ "-p 17 pids", { "-p", PIDS_1_TO_16 ",17" }, USAGE,
	  { "invalid pid '17' in '-p " PIDS_1_TO_16 ",17': too many pids, at most 16" } },
	{ "-p 17 pids accumulated", { "-p", PIDS_1_TO_16, "-p", "3,17" }, USAGE,
	  { "invalid pid '17' in '-p 3,17': too many pids" } },
	{ "-p missing argument", { "-j", "-p" }, USAGE,
	  { "rsttrace: option requires an argument -- 'p'" } },
	{ "--pid missing argument", { "--pid" }, USAGE,
	  { "rsttrace: option '--pid' requires an argument" } },

	/* -P */
	{ "-P 70000", { "-P", "70000" }, USAGE,
	  { "invalid port '70000' in '-P 70000': must be 1..65535" } },
	{ "-P 80,70000", { "-P", "80,70000" }, USAGE,
	  { "rsttrace: invalid port '70000' in '-P 80,70000': must be 1..65535\n" } },
	{ "-P 0", { "-P", "0" }, USAGE, { "invalid port '0' in '-P 0': must be 1..65535" } },
	{ "-P overflow", { "--port=99999999999999999999" }, USAGE,
	  { "invalid port '99999999999999999999'", "must be 1..65535" } },
	{ "-P 80x", { "-P", "80x" }, USAGE,
	  { "invalid port '80x' in '-P 80x': not a decimal number" } },
	{ "-P abc", { "-P", "abc" }, USAGE, { "invalid port 'abc' in '-P abc'" } },
	{ "-P 80,,81", { "-P", "80,,81" }, USAGE,
	  { "empty element 2 in '-P 80,,81': expected PORT[,PORT...]" } },
	{ "-P ,80", { "-P", ",80" }, USAGE, { "empty element 1 in '-P ,80'" } },
	{ "-P 80,", { "-P", "80," }, USAGE, { "empty element 2 in '-P 80,'" } },
	{ "-P empty", { "-P", "" }, USAGE, { "empty element 1 in '-P '" } },
	{ "-P 90-80", { "-P", "90-80" }, USAGE,
	  { "invalid port range '90-80' in '-P 90-80': LO must be <= HI" } },
	{ "-P 80-", { "-P", "22,80-" }, USAGE,
	  { "invalid port range '80-' in '-P 22,80-': expected LO-HI" } },
	{ "-P -80", { "-P", "-80" }, USAGE, { "invalid port range '-80' in '-P -80'" } },
	{ "-P 0-80", { "-P", "0-80" }, USAGE,
	  { "invalid port range '0-80' in '-P 0-80': LO and HI must be 1..65535" } },
	{ "-P 80-70000", { "-P", "80-70000" }, USAGE, { "invalid port range '80-70000'" } },
	{ "-P 80-9x", { "-P", "80-9x" }, USAGE,
	  { "invalid port range '80-9x'", "decimal numbers" } },
	{ "-P 1-2-3", { "-P", "1-2-3" }, USAGE, { "invalid port range '1-2-3'" } },
	{ "-P 80 then bad", { "-P", "80", "-P", "81,x" }, USAGE,
	  { "invalid port 'x' in '-P 81,x'" } },
	{ "-P missing argument", { "-P" }, USAGE,
	  { "rsttrace: option requires an argument -- 'P'" } },

	/* -c */
	{ "-c too long", { "-c", "abcdefghijklmnop" }, USAGE,
	  { "invalid comm 'abcdefghijklmnop' in '-c abcdefghijklmnop': longer than 15 bytes",
	    "could never match", "'abcdefghijklmno'" } },
	{ "-c empty", { "-c", "" }, USAGE, { "invalid comm '' in '-c ': must not be empty" } },
	{ "-c twice", { "-c", "nginx", "-c", "curl" }, USAGE,
	  { "-c given twice ('nginx', then 'curl')" } },
	{ "-c missing argument", { "--comm" }, USAGE,
	  { "option '--comm' requires an argument" } },

	/* -d */
	{ "-d 0", { "-d", "0" }, USAGE,
	  { "invalid duration '0' in '-d 0': must be > 0 and <= 31536000" } },
	{ "-d -5", { "-d", "-5" }, USAGE, { "invalid duration '-5' in '-d -5': must be > 0" } },
	{ "-d 1e99", { "-d", "1e99" }, USAGE,
	  { "invalid duration '1e99' in '-d 1e99': must be > 0 and <= 31536000" } },
	{ "-d overflow", { "-d", "1e999" }, USAGE, { "invalid duration '1e999'", "must be" } },
	{ "-d underflow", { "-d", "1e-999" }, USAGE, { "invalid duration '1e-999'", "must be" } },
	{ "-d just over a year", { "-d", "31536000.5" }, USAGE, { "invalid duration" } },
	{ "-d x", { "-d", "x" }, USAGE,
	  { "invalid duration 'x' in '-d x': not a decimal number" } },
	{ "-d 5s", { "-d", "5s" }, USAGE,
	  { "invalid duration '5s' in '-d 5s': not a decimal number" } },
	{ "-d empty", { "--duration=" }, USAGE,
	  { "invalid duration '' in '-d ': must not be empty" } },
	{ "-d hex", { "-d", "0x10" }, USAGE,
	  { "invalid duration '0x10'", "not a decimal number" } },
	{ "-d inf", { "-d", "inf" }, USAGE, { "invalid duration 'inf'" } },
	{ "-d nan", { "-d", "nan" }, USAGE, { "invalid duration 'nan'" } },
	{ "-d leading blank", { "-d", " 5" }, USAGE, { "invalid duration ' 5'" } },
	{ "-d lone dot", { "-d", "." }, USAGE, { "invalid duration '.'", "not a decimal number" } },
	{ "-d missing argument", { "-v", "-d" }, USAGE,
	  { "option requires an argument -- 'd'" } },

	/* --probes */
	{ "--probes foo", { "--probes", "foo" }, USAGE,
	  { "invalid probe family 'foo' in '--probes foo': must be auto, fentry, kprobe, "
	    "tracepoint or raw_tp" } },
	{ "--probes is case sensitive", { "--probes=KPROBE" }, USAGE,
	  { "invalid probe family 'KPROBE'" } },
	{ "--probes empty", { "--probes=" }, USAGE, { "invalid probe family '' in '--probes '" } },
	{ "--probes missing argument", { "--probes" }, USAGE,
	  { "option '--probes' requires an argument" } },

	/* --netns, --cgroup: checked against the system (good values: test_ns_filters) */
	{ "--netns no such file", { "--netns", "/nonexistent/netns" }, USAGE,
	  { "invalid network namespace '/nonexistent/netns' in '--netns /nonexistent/netns': "
	    "no such file" } },
	{ "--netns a regular file", { "--netns=/proc/self/status" }, USAGE,
	  { "invalid network namespace '/proc/self/status'", "not a namespace file" } },
	{ "--netns another namespace kind", { "--netns", "/proc/self/ns/mnt" }, USAGE,
	  { "invalid network namespace '/proc/self/ns/mnt'",
	    "a mount namespace, not a network namespace" } },
	{ "--netns 0", { "--netns", "0" }, USAGE,
	  { "invalid network namespace '0' in '--netns 0': an inode number must be "
	    "1..4294967295" } },
	{ "--netns 2^32", { "--netns", "4294967296" }, USAGE,
	  { "invalid network namespace '4294967296'", "must be 1..4294967295" } },
	{ "--netns empty", { "--netns=" }, USAGE,
	  { "invalid network namespace '' in '--netns ': must not be empty" } },
	{ "--netns twice", { "--netns", "4026531840", "--netns", "/proc/self/ns/net" }, USAGE,
	  { "--netns given twice ('4026531840', then '/proc/self/ns/net')" } },
	{ "--netns missing argument", { "--netns" }, USAGE,
	  { "option '--netns' requires an argument" } },
	{ "--cgroup not cgroup v2", { "--cgroup", "/proc" }, USAGE,
	  { "invalid cgroup '/proc' in '--cgroup /proc': not a cgroup v2 directory" } },
	{ "--cgroup no such directory", { "--cgroup=/nonexistent/cg" }, USAGE,
	  { "invalid cgroup '/nonexistent/cg' in '--cgroup /nonexistent/cg': no such directory" } },
	{ "--cgroup a file", { "--cgroup", "/proc/self/status" }, USAGE,
	  { "invalid cgroup '/proc/self/status'", "not a directory" } },
	{ "--cgroup empty", { "--cgroup", "" }, USAGE,
	  { "invalid cgroup '' in '--cgroup ': must not be empty" } },
	{ "--cgroup missing argument", { "--cgroup" }, USAGE,
	  { "option '--cgroup' requires an argument" } },

	/* --summary */
	{ "--summary 0", { "--summary=0" }, USAGE,
	  { "invalid summary interval '0' in '--summary 0': must be >= 0.1 and <= 3600 "
	    "seconds" } },
	{ "--summary too short", { "--summary=0.05" }, USAGE,
	  { "invalid summary interval '0.05'", "must be >= 0.1" } },
	{ "--summary too long", { "--summary=3601" }, USAGE,
	  { "invalid summary interval '3601'", "<= 3600 seconds" } },
	{ "--summary negative", { "--summary=-1" }, USAGE, { "invalid summary interval '-1'" } },
	{ "--summary 5s", { "--summary=5s" }, USAGE,
	  { "invalid summary interval '5s' in '--summary 5s': not a decimal number" } },
	{ "--summary empty", { "--summary=" }, USAGE,
	  { "invalid summary interval '' in '--summary ': must not be empty" } },
	{ "--summary with --events", { "--events", "--summary" }, USAGE,
	  { "--summary and --events cannot be combined" } },
	{ "--summary takes = only", { "--summary", "2" }, USAGE,
	  { "unexpected argument '2'" } },

	/* the audit of issue 5.3, every option x every kind of bad value: the cells the rows
	 * above left open (missing argument in the other spelling, overflow inside a range,
	 * trailing garbage, a value to an option that takes none, -w/-r) */
	{ "--port missing argument", { "--port" }, USAGE,
	  { "rsttrace: option '--port' requires an argument" } },
	{ "-P range overflow", { "-P", "1-99999999999999999999" }, USAGE,
	  { "invalid port range '1-99999999999999999999'", "LO and HI must be 1..65535" } },
	{ "-P range trailing garbage", { "-P", "80-81x" }, USAGE,
	  { "invalid port range '80-81x' in '-P 80-81x': LO and HI must be decimal numbers" } },
	{ "-P trailing blank", { "-P", "80 " }, USAGE,
	  { "invalid port '80 ' in '-P 80 ': not a decimal number" } },
	{ "-c missing argument (short)", { "-j", "-c" }, USAGE,
	  { "rsttrace: option requires an argument -- 'c'" } },
	{ "--duration missing argument", { "--duration" }, USAGE,
	  { "rsttrace: option '--duration' requires an argument" } },
	{ "-d two dots", { "-d", "1.5.5" }, USAGE,
	  { "invalid duration '1.5.5' in '-d 1.5.5': not a decimal number" } },
	{ "-d trailing blank", { "-d", "5 " }, USAGE,
	  { "invalid duration '5 ' in '-d 5 ': not a decimal number" } },
	{ "--probes trailing garbage", { "--probes", "kprobe2" }, USAGE,
	  { "invalid probe family 'kprobe2' in '--probes kprobe2'" } },
	{ "--probes no abbreviation", { "--probes=kp" }, USAGE,
	  { "invalid probe family 'kp' in '--probes kp'" } },
	{ "--probes trailing blank", { "--probes", "auto " }, USAGE,
	  { "invalid probe family 'auto ' in '--probes auto '" } },
	{ "--netns overflow", { "--netns", "99999999999999999999" }, USAGE,
	  { "invalid network namespace '99999999999999999999'", "an inode number must be" } },
	{ "--netns trailing garbage", { "--netns", "4026531840x" }, USAGE,
	  { "invalid network namespace '4026531840x' in '--netns 4026531840x'" } },
	{ "--summary overflow", { "--summary=1e999" }, USAGE,
	  { "invalid summary interval '1e999'", "must be >= 0.1 and <= 3600" } },
	{ "--summary inf", { "--summary=inf" }, USAGE,
	  { "invalid summary interval 'inf'", "not a decimal number" } },
	{ "--summary trailing garbage", { "--summary=1.5.5" }, USAGE,
	  { "invalid summary interval '1.5.5'", "not a decimal number" } },
	{ "-w missing argument", { "-j", "-w" }, USAGE,
	  { "rsttrace: option requires an argument -- 'w'" } },
	{ "--write missing argument", { "--write" }, USAGE,
	  { "rsttrace: option '--write' requires an argument" } },
	{ "-w empty", { "-w", "" }, USAGE, { "invalid file '' in '-w': must not be empty" } },
	{ "-w twice", { "-w", "a.rec", "--write=b.rec" }, USAGE,
	  { "-w given twice ('a.rec', then 'b.rec')" } },
	{ "-r missing argument", { "-r" }, USAGE,
	  { "rsttrace: option requires an argument -- 'r'" } },
	{ "--read missing argument", { "-j", "--read" }, USAGE,
	  { "rsttrace: option '--read' requires an argument" } },
	{ "-r empty", { "--read=" }, USAGE, { "invalid file '' in '-r': must not be empty" } },
	{ "-r with --metrics", { "-r", "a.rec", "b.rec", "--metrics", "9464" }, USAGE,
	  { "-r 'a.rec' cannot be combined with --metrics" } },
	{ "-r with -w", { "-r", "a.rec", "-w", "b.rec" }, USAGE,
	  { "-r 'a.rec' cannot be combined with -w" } },
	{ "-r with -d", { "-d", "1", "-r", "a.rec" }, USAGE,
	  { "-r 'a.rec' cannot be combined with -d" } },
	{ "-r with --probes", { "-r", "a.rec", "--probes", "auto" }, USAGE,
	  { "-r 'a.rec' cannot be combined with --probes" } },
	{ "-r with --list-probes", { "-r", "a.rec", "--list-probes" }, USAGE,
	  { "-r 'a.rec' cannot be combined with --list-probes" } },
	/* the agent's options (issue 13) */
	{ "--metrics port 0", { "--metrics", "0" }, USAGE,
	  { "invalid port '0' in '--metrics 0': must be 1..65535" } },
	{ "--metrics port too big", { "--metrics", "127.0.0.1:65536" }, USAGE,
	  { "invalid port '65536' in '--metrics 127.0.0.1:65536'" } },
	{ "--metrics name", { "--metrics", "localhost:9464" }, USAGE,
	  { "invalid address 'localhost' in '--metrics localhost:9464': not a numeric" } },
	{ "--metrics bare IPv6", { "--metrics", "::1:9464" }, USAGE,
	  { "invalid address '::1' in '--metrics ::1:9464': expected PORT, IPV4:PORT or [IPV6]:PORT" } },
	{ "--metrics empty port", { "--metrics", "127.0.0.1:" }, USAGE,
	  { "invalid port '' in '--metrics 127.0.0.1:': must not be empty" } },
	{ "--metrics twice", { "--metrics", "1", "--metrics", "2" }, USAGE,
	  { "--metrics given twice" } },
	{ "--metrics-limit 0", { "--metrics", "9", "--metrics-limit", "0" }, USAGE,
	  { "invalid limit '0' in '--metrics-limit 0': must be 1..100000" } },
	{ "--metrics-limit alone", { "--metrics-limit", "5" }, USAGE,
	  { "--metrics-limit needs --metrics" } },
	{ "-o bad", { "-o", "yaml" }, USAGE,
	  { "invalid output format 'yaml' in '-o yaml': must be text, json or none" } },
	{ "-o none alone", { "-o", "none" }, USAGE, { "-o none needs --metrics or -w" } },
	{ "-o none --events", { "-o", "none", "--events", "--metrics", "9" }, USAGE,
	  { "-o none cannot be combined with --events" } },
	{ "-j then -o text", { "-j", "-o", "text" }, USAGE, { "-o text contradicts" } },
	{ "-o none then -j", { "-o", "none", "-j" }, USAGE, { "-j contradicts -o none" } },
	{ "--ignore bad verdict", { "--ignore", "refusd:curl" }, USAGE,
	  { "invalid verdict 'refusd' in '--ignore refusd:curl': not a verdict code" } },
	{ "--ignore empty comm", { "--ignore", "refused:" }, USAGE,
	  { "invalid comm '' in '--ignore refused:': must be 1..15 bytes" } },
	{ "--ignore long comm", { "--ignore", "refused:0123456789abcdef" }, USAGE,
	  { "invalid comm '0123456789abcdef'" } },
	{ "--by bad", { "--by", "pod", "--summary" }, USAGE,
	  { "invalid grouping 'pod' in '--by pod': must be comm, container or unit" } },
	{ "--by alone", { "--by", "unit" }, USAGE, { "--by groups --summary rows" } },
	{ "-C without -w", { "-C", "10" }, USAGE, { "-C needs -w FILE" } },
	{ "-C 0", { "-w", "f", "-C", "0" }, USAGE,
	  { "invalid file size '0' in '-C 0': must be 1..1000000" } },
	{ "-C bad suffix", { "-w", "f", "-C", "10x" }, USAGE, { "invalid file size '10x'" } },
	{ "-W without -C", { "-w", "f", "-W", "3" }, USAGE, { "-W needs -C or -G" } },
	{ "-G 0.5", { "-w", "f", "-G", "0.5" }, USAGE,
	  { "invalid rotation interval '0.5' in '-G 0.5': must be >= 1" } },
	{ "-v takes no value", { "-v3" }, USAGE, { "rsttrace: invalid option -- '3'" } },
	{ "--verbose=2", { "--verbose=2" }, USAGE,
	  { "option '--verbose' doesn't allow an argument" } },
	{ "--events=1", { "--events=1" }, USAGE, { "option '--events' doesn't allow an argument" } },
	{ "--list-probes=x", { "--list-probes=x" }, USAGE,
	  { "option '--list-probes' doesn't allow an argument" } },
	{ "--help=x", { "--help=x" }, USAGE, { "option '--help' doesn't allow an argument" } },

	/* what is not an option of rsttrace */
	{ "stray positional", { "foo" }, USAGE, { "unexpected argument 'foo'" } },
	{ "stray positional after options", { "-j", "-P", "80", "8080" }, USAGE,
	  { "unexpected argument '8080'" } },
	{ "stray positional after --", { "--", "-j" }, USAGE, { "unexpected argument '-j'" } },
	{ "lone dash", { "-" }, USAGE, { "unexpected argument '-'" } },
	{ "--bogus", { "--bogus" }, USAGE, { "rsttrace: unrecognized option '--bogus'" } },
	{ "--bogus=1", { "-j", "--bogus=1" }, USAGE, { "unrecognized option '--bogus=1'" } },
	{ "-x", { "-x" }, USAGE, { "rsttrace: invalid option -- 'x'" } },
	{ "-jx cluster", { "-jx" }, USAGE, { "invalid option -- 'x'" } },
	{ "ambiguous --p", { "--p", "1" }, USAGE,
	  { "option '--p' is ambiguous", "'--pid'", "'--port'", "'--probes'" } },
	{ "--json=1", { "--json=1" }, USAGE, { "option '--json' doesn't allow an argument" } },
	{ "first error wins", { "-P", "0", "--help" }, USAGE, { "invalid port '0'" } },
};

/* The settings as one line, ports as sorted ranges: what a row's "opts" compares with. */
static void describe(const struct rt_options *o, char *buf, size_t size)
{
	FILE *f = fmemopen(buf, size, "w");
	unsigned p, lo;
	int i;

	fputs("pids=", f);
	for (i = 0; i < o->npids; i++)
		fprintf(f, "%s%u", i ? "," : "", o->pids[i]);
	fputs(" ports=", f);
	for (p = 1, i = 0; p < 65536; p++) {
		if (!options_port_wanted(o, p))
			continue;
		for (lo = p; options_port_wanted(o, p + 1); p++)
			;
		fprintf(f, i++ ? ",%u" : "%u", lo);
		if (p > lo)
			fprintf(f, "-%u", p);
	}
	fprintf(f, " nports=%d comm=%s json=%d events=%d list=%d v=%d d=%.9g probes=%s", o->nports,
		o->comm, o->json, o->events, o->list_probes, o->verbose, o->duration_s,
		probe_family_name(o->probes));
	fclose(f);
}

static int count_ports(const struct rt_options *o)
{
	int n = 0;
	unsigned p;

	for (p = 0; p < 65536; p++)
		n += options_port_wanted(o, p);
	return n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Help text is wrapped by argp (ARGP_HELP_FMT can change where): compare it as one line. */
static void squeeze_blanks(char *s)
{
	bool blank = false;
	char *d = s;

	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			blank = true;
			continue;
		}
		if (blank)
			*d++ = ' ';
		blank = false;
		*d++ = *s;
	}
	*d = '\0';
}

static void check_output(const struct row *r, char *out, const char *err)
{
	const char *text = r->want == USAGE ? err : out;
	char name[200];
	int i;

	if (r->want == EXIT_OK)
		squeeze_blanks(out);
	for (i = 0; r->want != RUN && i < MAX_HAS && r->has[i]; i++) {
		snprintf(name, sizeof(name), "%s: has \"%s\"", r->name, r->has[i]);
		CHECK(name, strstr(text, r->has[i]) != NULL);
		if (!strstr(text, r->has[i]))
			printf("  it was: %s\n", text);
	}
	if (r->want == USAGE) {
		snprintf(name, sizeof(name), "%s: nothing on out", r->name);
		CHECK(name, out[0] == '\0');
		snprintf(name, sizeof(name), "%s: err starts with the program name", r->name);
		CHECK(name, !strncmp(err, "rsttrace: ", 10));
		snprintf(name, sizeof(name), "%s: err ends with the hint", r->name);
		CHECK(name, ends_with(err, "\nTry 'rsttrace --help' for more information.\n"));
	} else {
		snprintf(name, sizeof(name), "%s: nothing on err", r->name);
		CHECK(name, err[0] == '\0');
	}
	if (r->want == EXIT_OK) {
		snprintf(name, sizeof(name), "%s: text on out", r->name);
		CHECK(name, out[0] != '\0');
	}
}

static void check_options(const struct row *r, const struct rt_options *o, const char *out)
{
	char name[200], got[512];

	describe(o, got, sizeof(got));
	snprintf(name, sizeof(name), "%s: options", r->name);
	CHECK_STR(name, got, r->has[0]);
	snprintf(name, sizeof(name), "%s: nports counts the bits", r->name);
	CHECK(name, o->nports == count_ports(o));
	snprintf(name, sizeof(name), "%s: nothing on out", r->name);
	CHECK(name, out[0] == '\0');
}

static void run_row(const struct row *r)
{
	char *argv[MAX_ARGS + 2] = { "/usr/local/sbin/not-rsttrace" }, *out, *err;
	size_t out_len, err_len;
	FILE *out_f = open_memstream(&out, &out_len), *err_f = open_memstream(&err, &err_len);
	FILE *stderr_before = stderr;
	struct rt_options o;
	enum options_result res;
	char name[200];
	int argc = 1, i;

	while (r->args[argc - 1]) {
		argv[argc] = (char *)r->args[argc - 1];
		argc++;
	}
	/* options_parse() must zero what it does not set */
	memset(&o, 0xa5, sizeof(o));
	res = options_parse(&o, argc, argv, out_f, err_f);
	fclose(out_f);
	fclose(err_f);

	snprintf(name, sizeof(name), "%s: result", r->name);
	CHECK(name, res == (enum options_result)r->want);
	if (res != (enum options_result)r->want)
		printf("  got %d; out: %s  err: %s\n", res, out, err);
	check_output(r, out, err);
	if (r->want == RUN)
		check_options(r, &o, out);

	snprintf(name, sizeof(name), "%s: argv untouched, stderr restored", r->name);
	for (i = 1; i < argc && argv[i] == r->args[i - 1]; i++)
		;
	CHECK(name, i == argc && argv[argc] == NULL && stderr == stderr_before);
	free(out);
	free(err);
}

static void test_family_names(void)
{
	CHECK_STR("family auto", probe_family_name(RT_PROBES_AUTO), "auto");
	CHECK_STR("family fentry", probe_family_name(RT_PROBES_FENTRY), "fentry");
	CHECK_STR("family kprobe", probe_family_name(RT_PROBES_KPROBE), "kprobe");
	CHECK_STR("family tracepoint", probe_family_name(RT_PROBES_TRACEPOINT), "tracepoint");
	CHECK_STR("family raw_tp", probe_family_name(RT_PROBES_RAW_TP), "raw_tp");
	CHECK_STR("family out of range", probe_family_name((enum rt_probe_family)99), "unknown");
}

/* The values of --netns, --cgroup and --summary (not in describe(): every row would change). */
static bool parse_ok(struct rt_options *o, const char **args, int n)
{
	char *argv[32] = { "rsttrace" };
	FILE *null = fopen("/dev/null", "w");
	bool ok;

	if (n > 31)
		n = 31;
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	ok = options_parse(o, n + 1, argv, null, null) == OPTIONS_RUN;
	fclose(null);
	return ok;
}

/* the cgroup2 mount point from /proc/self/mounts, "" when there is none */
static void cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[256], dir[256], type[64];

	buf[0] = '\0';
	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			break;
		}
	if (f)
		fclose(f);
}

static void test_ns_filters(void)
{
	struct rt_options o;
	struct stat st;
	char mnt[256];

	CHECK("defaults: no netns, cgroup, summary",
	      parse_ok(&o, NULL, 0) && !o.netns && !o.cgroup_id && o.summary_s == 0);
	CHECK("--netns by path: its inode",
	      parse_ok(&o, (const char *[]){ "--netns", "/proc/self/ns/net" }, 2) &&
	      !stat("/proc/self/ns/net", &st) && o.netns == st.st_ino);
	CHECK("--netns by inode", parse_ok(&o, (const char *[]){ "--netns=4026531840" }, 1) &&
	      o.netns == 4026531840u);
	CHECK("--summary alone: 5 s", parse_ok(&o, (const char *[]){ "--summary" }, 1) &&
	      o.summary_s == 5);
	CHECK("--summary=0.5", parse_ok(&o, (const char *[]){ "-j", "--summary=0.5" }, 2) &&
	      o.summary_s == 0.5 && o.json);
	cgroup2_mount(mnt, sizeof(mnt));
	if (!mnt[0]) {
		printf("SKIP --cgroup: no cgroup2 mounted here\n");
		return;
	}
	CHECK("--cgroup the hierarchy's root: id and level 0",
	      parse_ok(&o, (const char *[]){ "--cgroup", mnt }, 2) && !stat(mnt, &st) &&
	      o.cgroup_id == st.st_ino && o.cgroup_level == 0);
	CHECK("--cgroup twice is an error",
	      !parse_ok(&o, (const char *[]){ "--cgroup", mnt, "--cgroup", mnt }, 4));
}

/* argc 0 happens (execve with an empty argv): it must parse as "no options", not crash. */
/* the agent's options parse into the values the run uses */
static void test_agent_options(void)
{
	struct rt_options o;
	const char *a1[] = { "--metrics", "[::1]:9464", "-o", "none", "--by", "container",
			     "--metrics-limit", "7", "--ignore", "refused", "--ignore",
			     "linger_abort:haproxy", "-w", "r.rec", "-C", "20k", "-W", "3", "-G", "60" };
	const char *a2[] = { "--metrics", "9464", "-r", "a.rec", "b.rec", "dir" };

	CHECK("agent: parses", parse_ok(&o, a1, sizeof(a1) / sizeof(a1[0])));
	CHECK("agent: metrics [::1]:9464", o.metrics && o.metrics_family == AF_INET6 &&
	      !strcmp(o.metrics_addr, "::1") && o.metrics_port == 9464);
	CHECK("agent: -o none", o.output == RT_OUTPUT_NONE && !o.json);
	CHECK("agent: --by container, limit 7", o.by == 1 && o.metrics_limit == 7);
	CHECK("agent: two ignore rules", o.nignore == 2 &&
	      !strcmp(o.ignore[1].verdict, "linger_abort") && !strcmp(o.ignore[1].comm, "haproxy"));
	CHECK("agent: ignored refused, any process", options_ignored(&o, "refused", NULL, NULL));
	CHECK("agent: ignored linger_abort by haproxy (b end)",
	      options_ignored(&o, "linger_abort", "curl", "haproxy"));
	CHECK("agent: not ignored linger_abort by curl",
	      !options_ignored(&o, "linger_abort", "curl", NULL));
	CHECK("agent: -C 20k -W 3 -G 60", o.rotate_bytes == 20000 && o.rotate_count == 3 &&
	      o.rotate_s == 60);
	CHECK("agent: --metrics 9464 with -r is refused", !parse_ok(&o, a2, 6));
	CHECK("agent: -r with files and a directory", parse_ok(&o, a2 + 2, 4) && o.nread == 3 &&
	      !strcmp(o.read_paths[2], "dir") && !strcmp(o.read_path, "a.rec"));
	CHECK("agent: metrics default address and limit",
	      parse_ok(&o, a2, 2) && !strcmp(o.metrics_addr, "127.0.0.1") &&
	      o.metrics_family == AF_INET && o.metrics_limit == 500);
}

static void test_empty_argv(void)
{
	char *argv[] = { NULL };
	struct rt_options o;

	CHECK("argc 0 runs", options_parse(&o, 0, argv, stdout, stderr) == OPTIONS_RUN);
	CHECK("argc 0 gives defaults", o.npids == 0 && o.nports == 0 && !o.json);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_family_names();
	test_ns_filters();
	test_agent_options();
	test_empty_argv();
	return CHECK_DONE();
}
