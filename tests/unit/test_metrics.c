// SPDX-License-Identifier: GPL-2.0
/* test_metrics.c - the metrics' exposition: label values made valid and escaped, the
 * cardinality bound (folded into "other" and counted), both formats' shapes. */
#include <stdlib.h>
#include "check.h"
#include "../../user/metrics.h"

static char *render(struct metrics *m, bool om)
{
	size_t len;
	char *s = metrics_render(m, om, &len);

	CHECK("render returns text of its length", s && strlen(s) == len);
	return s;
}

static void test_label_values(void)
{
	char out[METRICS_LABEL_LEN];

	metrics_label_value("nginx", 16, out, sizeof(out));
	CHECK_STR("plain comm kept", out, "nginx");
	metrics_label_value("a\"b\\c\nd", 16, out, sizeof(out));
	CHECK_STR("quote, backslash, newline kept for the renderer", out, "a\"b\\c\nd");
	metrics_label_value("x\x01y\x7f", 16, out, sizeof(out));
	CHECK_STR("control bytes as ?", out, "x?y?");
	metrics_label_value("\xff\xfe" "ab", 16, out, sizeof(out));
	CHECK_STR("invalid UTF-8 as U+FFFD", out, "\xef\xbf\xbd\xef\xbf\xbd" "ab");
	metrics_label_value("\xc3\xa9t\xc3", 16, out, sizeof(out));
	CHECK_STR("valid é kept, a cut sequence replaced", out, "\xc3\xa9t\xef\xbf\xbd");
	metrics_label_value("\xc0\xaf", 16, out, sizeof(out));
	CHECK_STR("overlong form rejected", out, "\xef\xbf\xbd\xef\xbf\xbd");
	metrics_label_value("\xed\xa0\x80", 16, out, sizeof(out));
	CHECK_STR("surrogate rejected", out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	metrics_label_value("0123456789abcdefXYZ", 16, out, sizeof(out));
	CHECK_STR("stops at srclen (comm[16] without NUL)", out, "0123456789abcdef");
	metrics_label_value("ab\xc3\xa9", 16, out, 4);
	CHECK_STR("never half a character when cut", out, "ab");
	metrics_label_value(NULL, 16, out, sizeof(out));
	CHECK_STR("NULL is empty", out, "");
}

static void test_exposition(void)
{
	struct metrics *m = metrics_new(10, METRICS_BY_COMM);
	char *s;

	metrics_build_info(m, "0.1.0", "6.18", "tp_btf");
	metrics_incident(m, "refused", "cu\"rl\\", "", 3);
	metrics_incident(m, "refused", "bad\nname", "nginx", 1);
	metrics_reset_sent(m, "NO_SOCKET");
	metrics_reset_received(m, "SYN_SENT");
	metrics_socket_error(m, "write", "EPIPE", "gw");
	metrics_records(m, 42, 2);
	s = render(m, false);
	CHECK("text: escaped quote and backslash",
	      strstr(s, "rsttrace_incidents_total{verdict=\"refused\",comm=\"cu\\\"rl\\\\\","
			"peer_comm=\"\"} 3\n"));
	CHECK("text: escaped newline", strstr(s, "comm=\"bad\\nname\",peer_comm=\"nginx\"} 1\n"));
	CHECK("text: counter TYPE with _total",
	      strstr(s, "# TYPE rsttrace_incidents_total counter\n"));
	CHECK("text: build info a gauge of 1",
	      strstr(s, "# TYPE rsttrace_build_info gauge\nrsttrace_build_info{version=\"0.1.0\","
			"kernel=\"6.18\",probes=\"tp_btf\"} 1\n"));
	CHECK("text: records and lost", strstr(s, "rsttrace_records_total 42\n") &&
	      strstr(s, "rsttrace_records_lost_total 2\n"));
	CHECK("text: resets and errors",
	      strstr(s, "rsttrace_resets_sent_total{reason=\"NO_SOCKET\"} 1\n") &&
	      strstr(s, "rsttrace_resets_received_total{state=\"SYN_SENT\"} 1\n") &&
	      strstr(s, "rsttrace_socket_errors_total{op=\"write\",errno=\"EPIPE\",comm=\"gw\"} 1\n"));
	CHECK("text: no # EOF", !strstr(s, "# EOF"));
	free(s);
	s = render(m, true);
	CHECK("openmetrics: counter family without _total",
	      strstr(s, "# TYPE rsttrace_incidents counter\n") &&
	      strstr(s, "rsttrace_incidents_total{verdict=\"refused\""));
	CHECK("openmetrics: info type", strstr(s, "# TYPE rsttrace_build info\n"));
	CHECK("openmetrics: ends with # EOF", strlen(s) > 6 && !strcmp(s + strlen(s) - 6, "# EOF\n"));
	free(s);
	metrics_free(m);
}

static unsigned long long sample(const char *s, const char *line_start)
{
	const char *p = strstr(s, line_start);

	return p ? strtoull(p + strlen(line_start), NULL, 10) : ~0ULL;
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_cardinality(void)
{
	struct metrics *m = metrics_new(5, METRICS_BY_CONTAINER);
	char name[32], *s;
	unsigned long long sum = 0;

	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		metrics_incident(m, i % 2 ? "refused" : "linger_abort", name, "db", 1);
	}
	s = render(m, false);
	CHECK("--by container names the labels",
	      strstr(s, "{verdict=\"refused\",container=\"c1\",peer_container=\"db\"} 1\n"));
	CHECK("5 label sets kept, 2 folded ones (one per verdict)",
	      count(s, "rsttrace_incidents_total{") == 7);
	CHECK("folded: verdict kept, process labels other",
	      sample(s, "rsttrace_incidents_total{verdict=\"refused\",container=\"other\","
			"peer_container=\"other\"} ") == 498);
	CHECK("folded counted", sample(s, "rsttrace_metrics_folded_total{metric=\""
					  "rsttrace_incidents_total\"} ") == 995);
	for (const char *p = s; (p = strstr(p, "rsttrace_incidents_total{")); p++)
		sum += strtoull(strchr(p, '}') + 2, NULL, 10);
	CHECK("nothing lost: the samples add up to every incident", sum == 1000);
	free(s);
	metrics_free(m);

	/* errno values from a recording could be anything: even the "other" sets are bounded */
	m = metrics_new(2, METRICS_BY_COMM);
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "E%d", i);
		metrics_socket_error(m, "read", name, "x");
	}
	s = render(m, false);
	CHECK("bounded: limit + reserve + one all-other set",
	      count(s, "rsttrace_socket_errors_total{") <= 2 + 64 + 1);
	CHECK("the all-other set exists",
	      sample(s, "rsttrace_socket_errors_total{op=\"other\",errno=\"other\",comm=\"other\"} ")
	      > 0);
	sum = 0;
	for (const char *p = s; (p = strstr(p, "rsttrace_socket_errors_total{")); p++)
		sum += strtoull(strchr(p, '}') + 2, NULL, 10);
	CHECK("bounded, and still every error counted", sum == 500);
	free(s);
	metrics_free(m);
}

int main(void)
{
	test_label_values();
	test_exposition();
	test_cardinality();
	return CHECK_DONE();
}
