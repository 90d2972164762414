#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --metrics (docs/agent.md): Debian's real Prometheus scrapes rsttrace every second while
# real incidents happen (refused connects, aborts with unread data, a refused connect by a
# process whose name needs escaping); its HTTP API must then show exactly those counts by
# verdict and comm. promtool finds nothing to warn about; OpenMetrics on request; the endpoint
# answers 404/405/431 where it should; --events and -o none count the same; --ignore hides
# from the output what the metrics still count; --metrics-limit folds into "other".
. "$(dirname "$0")/lib.sh"

P_REF=$(free_port)
P_UNR=$(free_port)
P_ESC=$(free_port)
M=$(free_port)
M2=$(free_port)
PP=$(free_port)
PROM_PID=
stop_prom() {
	[ -n "$PROM_PID" ] && kill -TERM "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	PROM_PID=
}

# --- a second instance beside: --events, JSON, the same metrics ------------------------------
rt_start_beside events --events -j --metrics "$M2" -P "$P_REF,$P_UNR,$P_ESC" ||
	fail "--events --metrics: ready line" "$(cat "$RT_ERR")"
if ! rt_start none -o none --metrics "127.0.0.1:$M" -P "$P_REF,$P_UNR,$P_ESC"; then
	fail "-o none --metrics: ready line" "$(cat "$RT_ERR")"
	exit 1
fi
check "-o none: the ready line names the endpoint" \
	grep -q "^rsttrace: tracing .*no output.*metrics on 127.0.0.1:$M)" "$RT_ERR"
# capabilities are per thread: the server's, started after the drop, holds none either
threads=$(ls /proc/"$RT_PID"/task | wc -l)
check "the metrics server runs on a thread of its own ($threads threads)" test "$threads" -ge 2
check "no thread holds a capability after the ready line" \
	bash -c "! grep -h '^Cap\(Eff\|Prm\|Amb\):' /proc/$RT_PID/task/*/status | grep -v '0000000000000000$'"

# --- Prometheus, its own config and storage, scraping every second ---------------------------
mkdir -p "$WORK/prom"
cat >"$WORK/prom/prometheus.yml" <<YML
global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: rsttrace
    static_configs: [ { targets: [ '127.0.0.1:$M' ] } ]
YML
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
	--web.listen-address="127.0.0.1:$PP" >"$WORK/prom/log" 2>&1 &
PROM_PID=$!
RT_MORE_PIDS+=("$PROM_PID")
# its readiness endpoint is the ready signal (bounded to 30 s)
for _ in $(seq 150); do
	curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null && break
	sleep 0.2
done
check "prometheus is ready" curl -sf "http://127.0.0.1:$PP/-/ready"

# --- the incidents, made for real --------------------------------------------------------------
for _ in 1 2 3; do "$SCEN" refused "$P_REF" >>"$WORK/scen.txt" 2>&1; done
for _ in 1 2; do "$SCEN" unread "$P_UNR" >>"$WORK/scen.txt" 2>&1; done
"$ROOT/tests/e2e/namer.py" 'a"b\\c\nd\xff' "$P_ESC" </dev/null >>"$WORK/scen.txt"

WANT='[{"v":"abort_unread_data","c":"rt_cli_unr","p":"rt_srv_unr","n":"2"},
       {"v":"refused","c":"a\"b\\c\nd\ufffd","p":"","n":"1"},
       {"v":"refused","c":"rt_cli_ref","p":"","n":"3"}]'
WANT=$(jq -cS 'sort_by(.v, .c)' <<<"$WANT")
got_incidents() {
	curl -s "http://127.0.0.1:$PP/api/v1/query?query=rsttrace_incidents_total" |
		jq -cS '[.data.result[] | {v: .metric.verdict, c: .metric.comm, p: (.metric.peer_comm // ""), n: .value[1]}] | sort_by(.v, .c)'
}
# Prometheus has it once a scrape after the timelines saw it (bounded to 30 s)
for _ in $(seq 60); do
	[ "$(got_incidents)" = "$WANT" ] && break
	sleep 0.5
done
GOT=$(got_incidents)
if [ "$GOT" = "$WANT" ]; then
	pass "prometheus: rsttrace_incidents_total has exactly these counts by verdict and comm"
else
	fail "prometheus: rsttrace_incidents_total" "want $WANT got $GOT"
fi
check "prometheus: the target is up, scraped without error" \
	bash -c "curl -s 'http://127.0.0.1:$PP/api/v1/targets' | jq -e '.data.activeTargets | length == 1 and .[0].health == \"up\" and .[0].lastError == \"\"'"
q() { curl -s "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "none"'; }
check "prometheus: 6 resets sent (3 NO_SOCKET, 2 TCP_ABORT_ON_CLOSE, 1 NO_SOCKET)" \
	test "$(q 'sum(rsttrace_resets_sent_total)')" = 6
check "prometheus: 4 refused connects' ECONNREFUSED (pending errors)" \
	test "$(q 'sum(rsttrace_socket_errors_total{op="pending",errno="ECONNREFUSED"})')" = 4
check "prometheus: records lost 0" test "$(q 'rsttrace_records_lost_total')" = 0
check "prometheus: build info" \
	test "$(q 'rsttrace_build_info{version="0.1.0"}')" = 1
stop_prom

# --- the exposition itself ----------------------------------------------------------------------
curl -s -D "$WORK/text.head" "http://127.0.0.1:$M/metrics" >"$WORK/metrics.txt"
check "text format: Content-Type version=0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/text.head"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.out" 2>&1
check "promtool check metrics: exit 0" test $? = 0
check "promtool check metrics: nothing to warn about" test ! -s "$WORK/promtool.out"
check "label values escaped (quote, backslash, newline; invalid UTF-8 as U+FFFD)" \
	grep -qF "comm=\"a\\\"b\\\\c\\nd"$'\xef\xbf\xbd'"\"" "$WORK/metrics.txt"
check "no pid, port or address label anywhere" \
	bash -c "! grep -v '^#' '$WORK/metrics.txt' | grep -Eq '(pid|port|addr)[a-z_]*=|$P_REF|$P_UNR'"
curl -s -D "$WORK/om.head" -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5' \
	"http://127.0.0.1:$M/metrics" >"$WORK/metrics.om"
check "OpenMetrics on request: Content-Type" \
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$WORK/om.head"
check "OpenMetrics: ends with # EOF" test "$(tail -1 "$WORK/metrics.om")" = "# EOF"
check "OpenMetrics: counter family without _total" \
	grep -q '^# TYPE rsttrace_incidents counter$' "$WORK/metrics.om"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "HTTP: 404 elsewhere" test "$(code "http://127.0.0.1:$M/other")" = 404
check "HTTP: 405 for POST" test "$(code -X POST -d x "http://127.0.0.1:$M/metrics")" = 405
check "HTTP: a 64 KiB header is refused (431)" \
	test "$(code -H "X-Big: $(head -c 65536 /dev/zero | tr '\0' a)" "http://127.0.0.1:$M/metrics")" = 431
check "HTTP: still serving after it" test "$(code "http://127.0.0.1:$M/metrics")" = 200

# --events beside: the same incident counts (the joiner runs for the metrics only)
curl -s "http://127.0.0.1:$M2/metrics" >"$WORK/metrics2.txt"
check "--events --metrics: the same incident counts as -o none" \
	test "$(grep '^rsttrace_incidents_total' "$WORK/metrics.txt")" = "$(grep '^rsttrace_incidents_total' "$WORK/metrics2.txt")"
rt_stop
check "-o none: exit 0" test $? = 0
check "-o none: nothing on stdout" test ! -s "$RT_OUT"
rt_stop_beside
RT_OUT=$BESIDE_OUT
jq_true "--events --metrics: the events are still printed" \
	'any($ev[]; .kind == "rst_sent" and .reason == "TCP_ABORT_ON_CLOSE")'

# --- --ignore: counted, not printed; --metrics-limit: folded into "other" ---------------------
M3=$(free_port)
P4=$(free_port)
if rt_start ignore -j --metrics "$M3" --metrics-limit 2 --ignore refused:rt_cli_ref -P "$P4"; then
	"$SCEN" refused "$P4" >/dev/null 2>&1
	for n in one two three; do "$ROOT/tests/e2e/namer.py" "$n" "$P4" </dev/null >/dev/null; done
	# the timelines come 1 s after their connections end: wait for all four (bounded 15 s)
	for _ in $(seq 75); do
		curl -s "http://127.0.0.1:$M3/metrics" >"$WORK/metrics3.txt"
		[ "$(awk '/^rsttrace_incidents_total/ { n += $2 } END { print n + 0 }' "$WORK/metrics3.txt")" = 4 ] && break
		sleep 0.2
	done
	rt_stop
	tl_true "--ignore refused:rt_cli_ref: its incident not printed, the others are" \
		'([$tl[] | .conn.a.comm] | sort) == ["one", "three", "two"]'
	check "--ignore: the stats line says one incident was ignored" \
		jq -e -s '.[-1].type == "stats" and .[-1].ignored == 1' "$RT_OUT"
	check "--ignore: still counted in the metrics" \
		grep -q '^rsttrace_incidents_total{verdict="refused",comm="rt_cli_ref",peer_comm=""} 1$' "$WORK/metrics3.txt"
	check "--metrics-limit 2: two label sets, the rest under comm=\"other\"" \
		grep -q '^rsttrace_incidents_total{verdict="refused",comm="other",peer_comm="other"} 2$' "$WORK/metrics3.txt"
	check "--metrics-limit 2: the folded increments counted" \
		grep -q '^rsttrace_metrics_folded_total{metric="rsttrace_incidents_total"} 2$' "$WORK/metrics3.txt"
else
	fail "--ignore: ready line" "$(cat "$RT_ERR")"
fi

# --- usage and runtime errors ----------------------------------------------------------------
# a port already in use: exit 1, the address and the reason named
mkfifo "$WORK/holder.fifo"
python3 -c "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', $PP)); s.listen()
print('ready', flush=True); time.sleep(20)" >"$WORK/holder.fifo" &
holder=$!
read -r -t 10 _ <"$WORK/holder.fifo"
"$RT" --metrics "$PP" -o none -d 1 >/dev/null 2>"$WORK/busy.err"
check "--metrics on a port in use: exit 1" test $? = 1
check "--metrics on a port in use: says which and why" \
	grep -q "cannot listen on 127.0.0.1:$PP for --metrics: Address already in use" "$WORK/busy.err"
kill "$holder"
wait "$holder" 2>/dev/null
"$RT" --metrics nowhere:1 >/dev/null 2>"$WORK/usage.err"
check "--metrics with a name: exit 2" test $? = 2
check "--metrics with a name: the bad value named" grep -q "invalid address 'nowhere'" "$WORK/usage.err"
exit $FAILED
