// SPDX-License-Identifier: GPL-2.0
/* main.c - rsttrace: who reset this TCP connection, and why.
 * A table of contents: parse, open and choose probes, load and attach, drain events until
 * told to stop, report, clean up. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio_ext.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include "clock.h"
#include "emit.h"
#include "events.h"
#include "joiner.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "names.h"
#include "nfreset.h"
#include "options.h"
#include "pipeline.h"
#include "privilege.h"
#include "replay.h"
#include "rotate.h"
#include "tracer.h"

static volatile sig_atomic_t stop_signal;

struct app {
	struct rt_options opts;
	struct tracer tracer;
	struct nfreset nf;            /* the packet filter's resets; skel NULL: not seen */
	struct clock_map clock;
	struct reason_names reasons;
	struct emitter out;
	struct pipeline pipe;     /* record, decode, join or print: live and replay alike */
	struct rec_writer *rec;   /* -w; NULL when not recording */
	struct rotator rot;       /* -w with -C/-G: the series of files */
	bool rotating;
	unsigned long long run_id; /* the recording's run: wall-clock ns at its start */
	int argc;                 /* the command line, for the recording's header */
	char **argv;
	struct emit_stats stats;
	struct metrics *metrics;  /* --metrics; NULL: none */
	struct metrics_http *http;
	int http_fd;              /* listening before the privileges go, served after */
	bool output_closed;       /* the reader went away: finish quietly */
	int output_error;         /* another output failure: exit 1 */
};

/* First signal: stop cleanly. A second one: the default action, so a stuck exit can be killed. */
static void on_signal(int sig)
{
	stop_signal = sig;
	signal(sig, SIG_DFL);
}

static void setup_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	/* a closed stdout must be an EPIPE we can see and handle, not a silent death */
	signal(SIGPIPE, SIG_IGN);
}

static void note_output_error(struct app *app, int err)
{
	if (err == -EPIPE)
		app->output_closed = true;
	else if (err && !app->output_error)
		app->output_error = err;
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct app *app = ctx;
	int err = pipeline_event(&app->pipe, data, size);

	note_output_error(app, err);
	return err ? -1 : 0; /* negative stops ring_buffer__poll */
}

/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns() */
static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double now_s(void)
{
	return now_ns() / 1e9;
}

static int start_pipeline(struct app *app)
{
	struct pipeline_config cfg = {
		.out = &app->out,
		.stats = &app->stats,
		.events = app->opts.events,
		.reasons = &app->reasons,
		.rec = app->rec,
		.ask_owner = tracer_owner_of,
		.ask_fin = tracer_fin_of,
		.ask_ctx = &app->tracer,
		.summary_s = app->opts.summary_s,
		.metrics = app->metrics,
		.by = app->opts.by,
		.ignore = &app->opts,
		.lookup_ids = true,
	};

	return pipeline_init(&app->pipe, &cfg);
}

static void fill_probe_stats(struct app *app)
{
	const struct probe_plan *plan = &app->tracer.plan;

	app->stats.nhooks = plan->nhooks < EMIT_MAX_HOOKS ? plan->nhooks : EMIT_MAX_HOOKS;
	for (int i = 0; i < app->stats.nhooks; i++) {
		app->stats.hook[i] = plan->hooks[i].name;
		app->stats.mechanism[i] = probes_chosen_name(plan, i);
	}
}

/* one line per hook that nothing could attach: what the user will not see, and why */
static void warn_unavailable(const struct probe_plan *plan)
{
	for (int i = 0; i < plan->nhooks; i++) {
		const struct hook_result *r = &plan->result[i];

		if (r->chosen >= 0)
			continue;
		warn("%s unavailable on this kernel: %s will not be reported (%s)", plan->hooks[i].name,
		     plan->hooks[i].what, r->why[0]);
	}
}

static void announce(const struct app *app)
{
	const struct rt_options *o = &app->opts;
	struct utsname u;

	char metrics[128] = "";

	if (o->metrics)
		snprintf(metrics, sizeof(metrics), ", metrics on %s%s%s:%u",
			 o->metrics_family == AF_INET6 ? "[" : "", o->metrics_addr,
			 o->metrics_family == AF_INET6 ? "]" : "", o->metrics_port);
	fprintf(stderr, "rsttrace: tracing TCP resets and socket errors (%s%s%s%s%s); Ctrl-C to stop\n",
		o->events ? "events" : "incidents",
		o->json ? ", JSON" : o->output == RT_OUTPUT_NONE ? ", no output" : "",
		o->nports || o->npids || o->comm[0] || o->netns || o->cgroup_id ? ", filtered" : "",
		o->duration_s > 0 ? ", for a set duration" : "", metrics);
	/* which kernel the hooks were chosen on: the kernel matrix's logs (tests/vm) */
	if (!uname(&u))
		info("kernel %s", u.release);
	for (int i = 0; i < app->stats.nhooks; i++)
		info("hook %-13s %s", app->stats.hook[i],
		     app->stats.mechanism[i] ? app->stats.mechanism[i] : "unavailable");
	/* the second object (user/nfreset.c): not in the stats' probes, whose values the
	 * contract fixes */
	info("hook %-13s %s", "filter_reset",
	     app->nf.skel ? "netfilter (LOCAL_OUT, this network namespace)" : "unavailable");
}

/* A reader that went away (`| head`) is noticed even when nothing more is written: output is
 * flushed per batch, so the last write may have succeeded before the reader left. */
static bool stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

#define LIVE_STATS_NS (5 * 1000000000ULL)

/* -v: every 5 s one line of counters and the table size, so that losses or a growing table
 * show while it runs, not only at exit */
static void live_stats(struct app *app, __u64 now, __u64 *next)
{
	struct joiner_stats js = { 0 };

	if (log_verbosity < 1 || now < *next)
		return;
	*next = now + LIVE_STATS_NS;
	if (app->pipe.joiner)
		joiner__stats(app->pipe.joiner, &js);
	info("live: %llu events, %llu lost, %llu malformed, %u connections in the table, "
	     "%llu timelines, %llu evicted, %llu flooded", app->stats.events,
	     tracer_lost(&app->tracer), app->stats.malformed, js.conns, js.timelines, js.evicted,
	     js.flooded);
}

static void run_loop(struct app *app)
{
	double end = app->opts.duration_s > 0 ? now_s() + app->opts.duration_s : 0;
	__u64 next_live = now_ns() + LIVE_STATS_NS;

	while (!stop_signal && !app->output_closed && !app->output_error) {
		int n = ring_buffer__poll(app->tracer.rb, 100);

		/* the kernel wakes us only for a filling buffer: what came since is read on the
		 * poll's timeout, at most 100 ms late */
		if (n >= 0 && !app->output_closed && !app->output_error)
			n = ring_buffer__consume(app->tracer.rb);

		if (!app->output_closed && !app->output_error)
			note_output_error(app, emit_flush(&app->out));
		if (n < 0 && n != -EINTR && !app->output_closed && !app->output_error) {
			warn("reading events failed: %s", strerror(-n));
			app->output_error = n;
		}
		note_output_error(app, pipeline_tick(&app->pipe, now_ns(),
						     app->rec ? tracer_lost(&app->tracer) : 0));
		if (app->rotating)
			rotate_tick(&app->rot, app->rec, now_ns()); /* errors: the recording's */
		if (pipeline_rec_error(&app->pipe))
			break; /* reported by finish() */
		live_stats(app, now_ns(), &next_live);
		if (app->metrics)
			metrics_records(app->metrics, app->stats.events, tracer_lost(&app->tracer));
		if (end && now_s() >= end)
			break;
		if (app->opts.output != RT_OUTPUT_NONE && stdout_gone())
			app->output_closed = true;
	}
	/* what is already queued happened before the stop: report it too */
	if (!app->output_closed && !app->output_error)
		ring_buffer__consume(app->tracer.rb);
}

static int finish(struct app *app)
{
	int rec_err;

	app->stats.lost = tracer_lost(&app->tracer) + nfreset_lost(&app->nf);
	app->stats.owners_full = tracer_counter(&app->tracer, RT_CNT_OWNERS_FULL);
	for (int k = 0; k < RT_KIND_MAX; k++) {
		app->stats.shed[k] = tracer_counter(&app->tracer, RT_CNT_SHED + k);
		app->stats.shed_total += app->stats.shed[k];
	}
	rec_err = pipeline_end_recording(&app->pipe, now_ns(), app->stats.lost);
	rec_err = rec_writer_close(app->rec) ?: rec_err;
	app->rec = NULL;
	if (rec_err)
		warn("writing the recording %s failed: %s", app->opts.write_path, strerror(-rec_err));
	if (!app->output_closed && !app->output_error)
		note_output_error(app, pipeline_flush(&app->pipe));
	if (!app->output_closed && !app->output_error) {
		note_output_error(app, emit_stats(&app->out, &app->stats));
		note_output_error(app, emit_flush(&app->out));
	}
	if (app->output_closed)
		return rec_err ? RT_EXIT_RUNTIME : RT_EXIT_OK;
	if (app->opts.verbose || app->stats.lost || app->stats.shed_total || !app->opts.json)
		fprintf(stderr, "rsttrace: %llu events, %llu lost%s, %llu shed%s\n", app->stats.events,
			app->stats.lost, app->stats.lost ? " (ring buffer full)" : "",
			app->stats.shed_total,
			app->stats.shed_total ? " (lifecycle records dropped to keep room for "
						"incidents)" : "");
	if ((app->opts.verbose || app->stats.lost || !app->opts.json) && app->stats.ignored)
		fprintf(stderr, "rsttrace: %llu incidents not printed (--ignore), counted in the "
			"metrics\n", app->stats.ignored);
	if (app->output_error) {
		warn("writing the output failed: %s", strerror(-app->output_error));
		return RT_EXIT_RUNTIME;
	}
	return rec_err ? RT_EXIT_RUNTIME : RT_EXIT_OK;
}

/* the identities found so far (a pid whose lookup found nothing prints as unknown anyway) */
static void write_identity(void *ctx, const struct rec_identity *r)
{
	struct rec_identity buf;

	if (r->found)
		rec_write(ctx, REC_IDENTITY, &buf, identity_encode(r, &buf));
}

/* what every file of the recording starts with: the header, with its place in the series,
 * and (a rotated file) the identities known so far, for a replay of this file on */
static int start_file(void *ctx, struct rec_writer *w, unsigned seq)
{
	struct app *app = ctx;
	int err = recording_write_header(w, &app->clock, &app->reasons, &app->stats, app->argc,
					 app->argv, seq, app->run_id);

	if (!err && app->pipe.ids)
		identity_each(app->pipe.ids, write_identity, w);
	return err ?: w->error;
}

/* -w: opened before the privileges are dropped; the header says what replay needs */
static int open_recording(struct app *app)
{
	const struct rt_options *o = &app->opts;
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	app->run_id = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	app->rotating = o->rotate_bytes || o->rotate_s > 0;
	if (app->rotating) {
		app->rot = (struct rotator){ .pattern = o->write_path, .max_bytes = o->rotate_bytes,
					     .count = o->rotate_count,
					     .every_ns = (__u64)(o->rotate_s * 1e9),
					     .start = start_file, .start_ctx = app };
		app->rec = rotate_open(&app->rot, now_ns());
	} else {
		app->rec = rec_writer_open(o->write_path);
	}
	if (!app->rec) {
		warn("cannot write the recording %s: %s", app->rotating && app->rot.current[0] ?
		     app->rot.current : o->write_path, strerror(errno));
		return -1;
	}
	fill_probe_stats(app);
	err = start_file(app, app->rec, 0) ?: rec_flush(app->rec);
	if (err)
		warn("cannot write the recording %s: %s", app->rotating ? app->rot.current :
		     o->write_path, strerror(-err));
	return err;
}

/* rsttrace_build_info's probes label: the mechanisms in use, each once ("tp_btf", or
 * "fentry,tp_btf" on an older kernel) */
static void set_build_info(struct app *app)
{
	char probes[128] = "";
	struct utsname u;
	size_t len = 0;

	for (int i = 0; i < app->stats.nhooks; i++) {
		const char *m = app->stats.mechanism[i];
		bool seen = false;

		for (int k = 0; k < i && m; k++)
			seen |= app->stats.mechanism[k] && !strcmp(app->stats.mechanism[k], m);
		if (m && !seen && len < sizeof(probes))
			len += snprintf(probes + len, sizeof(probes) - len, "%s%s", len ? "," : "", m);
	}
	if (uname(&u))
		strcpy(u.release, "");
	metrics_build_info(app->metrics, RSTTRACE_VERSION, u.release, probes);
}

/* --metrics: the counters, and the socket bound while the privileges allow any port */
static int open_metrics(struct app *app, char *err, size_t len)
{
	const struct rt_options *o = &app->opts;

	app->http_fd = -1;
	if (!o->metrics)
		return 0;
	app->metrics = metrics_new(o->metrics_limit, o->by);
	if (!app->metrics) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	app->http_fd = metrics_http_listen(o->metrics_family, o->metrics_addr, o->metrics_port,
					   err, len);
	return app->http_fd < 0 ? -1 : 0;
}

/* Off the fast path and optional: without it, a same-host reset by the packet filter is still
 * told from the records (user/verdicts.c); one to or from another host is not. */
static void start_nfreset(struct app *app)
{
	char err[256];

	if (nfreset_start(&app->nf, &app->opts, app->tracer.rb, on_ring_event, app, err,
			  sizeof(err))) {
		info("packet filter resets of connections to other hosts will not be reported: %s",
		     err);
		nfreset_stop(&app->nf);
	}
}

static int run(struct app *app)
{
	char err[512];

	if (tracer_open(&app->tracer, &app->opts, err, sizeof(err))) {
		warn("%s", err);
		return RT_EXIT_RUNTIME;
	}
	if (app->opts.list_probes) {
		probes_print(&app->tracer.plan, tracer_object(&app->tracer), stdout);
		return RT_EXIT_OK;
	}
	warn_unavailable(&app->tracer.plan);
	clock_map_calibrate(&app->clock);
	if (!reason_names_from_btf(&app->reasons, app->tracer.vmlinux))
		reason_names_builtin(&app->reasons);
	tracer_release_btf(&app->tracer); /* MBs not needed any more: before libbpf loads its own */
	emitter_init(&app->out, app->opts.output == RT_OUTPUT_NONE ? EMIT_NONE :
		     app->opts.json ? EMIT_JSON : EMIT_TEXT, stdout, &app->clock, &app->reasons);
	emitter_batch(&app->out);
	/* one thread writes stdout: no stdio locking per call, and a buffer large enough
	 * that a flood is written in few system calls (flushed once per batch anyway) */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (app->opts.write_path && open_recording(app))
		return RT_EXIT_RUNTIME;
	if (open_metrics(app, err, sizeof(err))) {
		warn("%s", err);
		return RT_EXIT_RUNTIME;
	}
	if (start_pipeline(app)) {
		warn("out of memory");
		return RT_EXIT_RUNTIME;
	}
	if (tracer_load_attach(&app->tracer, on_ring_event, app, err, sizeof(err))) {
		warn("%s", err);
		return RT_EXIT_RUNTIME;
	}
	start_nfreset(app);
	/* the last privileged step is done: from here on only the fds held (privilege.h); the
	 * loss counter's map is the one look-up that must keep working */
	if (privilege_drop_all(bpf_map__fd(bpf_object__find_map_by_name(
				       tracer_object(&app->tracer), "counters")),
			       err, sizeof(err))) {
		warn("%s", err);
		return RT_EXIT_RUNTIME;
	}
	fill_probe_stats(app);
	if (app->metrics) {
		set_build_info(app);
		app->http = metrics_http_start(app->http_fd, app->metrics, err, sizeof(err));
		app->http_fd = -1;
		if (!app->http) {
			warn("%s", err);
			return RT_EXIT_RUNTIME;
		}
	}
	announce(app);
	run_loop(app);
	return finish(app);
}

/* A descriptor 0-2 closed at exec (`>&-`) would be the number the next open() returns: the
 * output or the messages would go into a BPF map or the BTF file. stdin and stderr become
 * /dev/null; without a stdout there is nothing to report to (false). */
static bool std_fds_open(void)
{
	bool out_open = fcntl(STDOUT_FILENO, F_GETFD) != -1;

	for (int fd = 0; fd <= 2; fd++) {
		/* in order: the lower ones are open, so open() returns fd itself */
		if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) != fd)
			return false;
	}
	return out_open;
}

int main(int argc, char **argv)
{
	static struct app app;
	int rc;

	if (!std_fds_open()) {
		warn("standard output is closed: nothing to write the output to");
		return RT_EXIT_RUNTIME;
	}
	switch (options_parse(&app.opts, argc, argv, stdout, stderr)) {
	case OPTIONS_EXIT_OK:
		return RT_EXIT_OK;
	case OPTIONS_USAGE:
		return RT_EXIT_USAGE;
	default:
		break;
	}
	log_verbosity = app.opts.verbose;
	log_setup_libbpf();
	setup_signals();
	if (app.opts.read_path)
		return replay_main(&app.opts, app.opts.read_path);
	app.http_fd = -1;
	app.argc = argc;
	app.argv = argv;
	rc = run(&app);
	metrics_http_stop(app.http); /* before the counters it serves go */
	if (app.http_fd >= 0)
		close(app.http_fd);
	metrics_free(app.metrics);
	pipeline_free(&app.pipe);
	rec_writer_close(app.rec);
	rotate_free(&app.rot);
	nfreset_stop(&app.nf);
	tracer_close(&app.tracer);
	return rc;
}
