// SPDX-License-Identifier: GPL-2.0
/*
 * test_summary.c - --summary without a kernel: incidents handed to the emitter's sink (as the
 * joiner does for every timeline and flood) come out as one table per interval of tick time,
 * rows by (process name, peer, verdict) most frequent first, bounded, with everything that is
 * not shown counted.
 */
#include <stdlib.h>
#include "check.h"
#include "../../user/summary.h"

#define S (1000000000ULL)
#define T0 (1000 * S)

struct harness {
	char *buf;
	size_t len;
	FILE *f;
	struct clock_map clock; /* offset 1e18 ns: 2001-09-09, a fixed wall time */
	struct reason_names reasons;
	struct emitter out;
	struct summary *sum;
};

static void h_open(struct harness *h, enum emit_mode mode, __u64 interval_ns)
{
	memset(h, 0, sizeof(*h));
	h->f = open_memstream(&h->buf, &h->len);
	h->clock.mono_to_real_ns = 1000000000LL * 1000000000LL;
	reason_names_builtin(&h->reasons);
	emitter_init(&h->out, mode, h->f, &h->clock, &h->reasons);
	h->sum = summary__new(interval_ns, &h->out);
	h->out.sink = summary__count;
	h->out.sink_ctx = h->sum;
}

/* what was written so far, then forget it */
static char *h_take(struct harness *h)
{
	static char copy[1 << 16];

	fflush(h->f);
	snprintf(copy, sizeof(copy), "%s", h->buf ? h->buf : "");
	fclose(h->f);
	free(h->buf);
	h->buf = NULL;
	h->f = open_memstream(&h->buf, &h->len);
	h->out.f = h->f;
	h->out.json.f = h->f;
	return copy;
}

static void h_close(struct harness *h)
{
	summary__free(h->sum);
	fclose(h->f);
	free(h->buf);
}

static struct end_view end(const char *addr, unsigned port, unsigned pid, const char *comm)
{
	struct end_view v = { .port = port, .has_owner = pid != 0 };

	snprintf(v.addr, sizeof(v.addr), "%s", addr);
	v.owner.pid = pid;
	v.owner.tid = pid;
	snprintf(v.owner.comm, sizeof(v.owner.comm), "%s", comm);
	return v;
}

static void add(struct harness *h, const char *code, unsigned pid, const char *comm,
		unsigned peer_port, unsigned long long n)
{
	struct end_view a = end("127.0.0.1", 40000 + pid, pid, comm);
	struct end_view b = end("127.0.0.1", peer_port, 0, "");

	summary__count(h->sum, code, &a, &b, n);
}

static unsigned long long json_num(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	return p ? strtoull(p + strlen(k), NULL, 10) : ~0ULL;
}

static void test_interval(void)
{
	struct harness h;
	char *out;

	h_open(&h, EMIT_JSON, 5 * S);
	summary__tick(h.sum, T0);
	add(&h, "refused", 10, "curl", 80, 1);
	add(&h, "refused", 10, "curl", 80, 1);
	add(&h, "write_after_peer_close", 11, "gw", 8878, 1);
	summary__tick(h.sum, T0 + 5 * S - 1);
	CHECK("nothing before the interval is over", h_take(&h)[0] == '\0');
	summary__tick(h.sum, T0 + 5 * S);
	out = h_take(&h);
	CHECK("one summary record", strstr(out, "{\"type\":\"summary\",\"time\":\"2001-09-09T02:03:25.000000Z\"") &&
	      strchr(out, '\n') == out + strlen(out) - 1);
	CHECK("incidents and total", json_num(out, "incidents") == 3 && json_num(out, "total") == 3);
	CHECK("interval in seconds", strstr(out, "\"interval_s\":5,") ||
	      strstr(out, "\"interval_s\":5.000,"));
	CHECK("most frequent first",
	      strstr(out, "\"rows\":[{\"count\":2,\"verdict\":\"refused\",\"pid\":10,\"comm\":\"curl\"") &&
	      strstr(out, "{\"count\":1,\"verdict\":\"write_after_peer_close\",\"pid\":11"));
	CHECK("peer object", strstr(out, "\"peer\":{\"addr\":\"127.0.0.1\",\"port\":80,\"pid\":null,"
				       "\"comm\":null,\"cgroup\":null,\"container\":null,\"unit\":null}"));
	CHECK("nothing more", json_num(out, "rows_more") == 0 && json_num(out, "incidents_more") == 0 &&
	      json_num(out, "untracked") == 0);
	summary__tick(h.sum, T0 + 10 * S);
	out = h_take(&h);
	CHECK("next interval: empty, total kept", json_num(out, "incidents") == 0 &&
	      json_num(out, "total") == 3 && strstr(out, "\"rows\":[]"));
	CHECK("finish after an empty table: nothing", summary__finish(h.sum) == 0 &&
	      h_take(&h)[0] == '\0');
	add(&h, "refused", 12, "curl", 81, 1);
	summary__tick(h.sum, T0 + 11 * S);
	summary__finish(h.sum);
	out = h_take(&h);
	CHECK("finish: the partial interval up to the last tick",
	      json_num(out, "incidents") == 1 && json_num(out, "total") == 4 &&
	      (strstr(out, "\"interval_s\":1,") || strstr(out, "\"interval_s\":1.000,")));
	h_close(&h);
}

static void test_rows_bounded(void)
{
	struct harness h;
	unsigned long long sum = 0, shown = 0;
	char *out, *p;

	h_open(&h, EMIT_JSON, S);
	summary__tick(h.sum, T0);
	/* 30 rows: peer port 1000+i, i+1 incidents each */
	for (int i = 0; i < 30; i++) {
		add(&h, "refused", 7, "client", 1000 + i, i + 1);
		sum += i + 1;
	}
	summary__tick(h.sum, T0 + S);
	out = h_take(&h);
	for (p = out; (p = strstr(p, "{\"count\":")); p++)
		shown += strtoull(p + 9, NULL, 10);
	CHECK("top 20 shown, the first the largest",
	      strstr(out, "\"rows\":[{\"count\":30,") && json_num(out, "rows_more") == 10);
	CHECK("the 10 not shown: their incidents counted (1+..+10)",
	      json_num(out, "incidents_more") == 55);
	CHECK("shown + more = incidents", shown + 55 == sum && json_num(out, "incidents") == sum);
	h_close(&h);
}

/* more distinct rows than the table holds: counted as untracked, never lost */
static void test_table_bounded(void)
{
	struct harness h;
	unsigned long long n = 3 * SUMMARY_KEYS, rows, more, untracked, shown = 0;
	char *out, *p;

	h_open(&h, EMIT_JSON, S);
	summary__tick(h.sum, T0);
	for (unsigned i = 0; i < n; i++) {
		struct end_view a = end("10.0.0.1", 1, 5, "scanner");
		struct end_view b = end("10.0.0.2", 0, 0, "");

		b.port = 1 + i % 60000;
		snprintf(b.addr, sizeof(b.addr), "10.%u.%u.2", i / 60000, i % 250);
		summary__count(h.sum, "refused", &a, &b, 1);
	}
	summary__tick(h.sum, T0 + S);
	out = h_take(&h);
	for (p = out; (p = strstr(p, "{\"count\":")); p++)
		shown += strtoull(p + 9, NULL, 10);
	rows = json_num(out, "rows_more");
	more = json_num(out, "incidents_more");
	untracked = json_num(out, "untracked");
	CHECK("bounded: some incidents untracked", untracked > 0 && untracked < n);
	CHECK("bounded: at most SUMMARY_KEYS rows", rows + 20 <= SUMMARY_KEYS);
	CHECK("bounded: shown + more + untracked = incidents",
	      shown + more + untracked == n && json_num(out, "incidents") == n);
	h_close(&h);
}

static void test_same_program(void)
{
	struct harness h;
	char *out;

	h_open(&h, EMIT_JSON, S);
	summary__tick(h.sum, T0);
	add(&h, "refused", 100, "curl", 80, 1);
	add(&h, "refused", 101, "curl", 80, 1);
	add(&h, "refused", 102, "wget", 80, 1);
	summary__tick(h.sum, T0 + S);
	out = h_take(&h);
	CHECK("one program, several pids: one row, pid null",
	      strstr(out, "{\"count\":2,\"verdict\":\"refused\",\"pid\":null,\"comm\":\"curl\""));
	CHECK("another program: its own row",
	      strstr(out, "{\"count\":1,\"verdict\":\"refused\",\"pid\":102,\"comm\":\"wget\""));
	h_close(&h);
}

/* the seam: what the joiner prints goes to the summary instead */
static void test_emitter_sink(void)
{
	struct harness h;
	struct end_view a = end("127.0.0.1", 5000, 42, "nginx");
	struct end_view b = end("127.0.0.1", 8878, 43, "gateway");
	struct timeline_view tl = { .end = { a, b }, .verdict_code = "client_abort_propagated",
				    .verdict_summary = "..." };
	char *out;

	h_open(&h, EMIT_TEXT, S);
	summary__tick(h.sum, T0);
	CHECK("a timeline is counted, not printed",
	      emit_timeline(&h.out, &tl) == 0 && h_take(&h)[0] == '\0');
	CHECK("a flood is counted with its count, not printed",
	      emit_flood(&h.out, "client_abort_propagated", &a, &b, 41, T0, T0 + 1, "x") == 0 &&
	      h_take(&h)[0] == '\0');
	summary__tick(h.sum, T0 + S);
	out = h_take(&h);
	CHECK("text: header with the counts",
	      strstr(out, "rsttrace summary at ") &&
	      strstr(out, ": 42 incidents in the last 1.0 s, 42 since the start\n"));
	CHECK("text: column header", strstr(out, "  COUNT    VERDICT  "));
	CHECK("text: the row, peer and its process",
	      strstr(out, "  42       client_abort_propagated  42/nginx               "
			  "127.0.0.1:8878           43/gateway"));
	CHECK("text: a blank line after the table", strstr(out, "\n\n") == out + strlen(out) - 2);
	h_close(&h);
}

int main(void)
{
	test_interval();
	test_rows_bounded();
	test_table_bounded();
	test_same_program();
	test_emitter_sink();
	return CHECK_DONE();
}
