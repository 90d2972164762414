#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/incident/show.sh OUTDIR: the events rsttrace recorded in one run.sh run
# (rsttrace.out, `--events -j`), one per line, in kernel-time order, with the milliseconds
# since nginx connected to the gateway, the connection (client = curl<->nginx, upstream =
# nginx<->gateway, listener, "-" for other events of the run's processes: signals, listeners), the
# owner and the trigger; then what curl, nginx and the gateway said. Events of other
# processes (an unfiltered trace sees the whole host) are left out.
set -u
OUT=${1:?usage: show.sh OUTDIR}
# shellcheck disable=SC1091
. "$OUT/ports"
# shellcheck disable=SC1091
. "$OUT/pids"
pids="[${GW_PID:-0},${NGINX_MASTER_PID:-0},${NGINX_WORKER_PID:-0},${CURL_PID:-0}]"
jq -r -s --argjson np "$NGINX_PORT" --argjson gp "$GW_PORT" --argjson pids "$pids" '
	[.[] | select(.type == "event")] | sort_by(.ts_ns) as $ev
	| ([$ev[] | select(.kind == "connect" and .comm == "nginx" and .dport == $gp)][0].ts_ns
	   // $ev[0].ts_ns // 0) as $t0
	| $ev[]
	| (if .dport == null and (.sport == $np or .sport == $gp) then "listener"
	   elif .sport == $np or .dport == $np then "client"
	   elif .sport == $gp or .dport == $gp then "upstream"
	   else "-" end) as $conn
	| select($conn != "-" or (.pid as $p | $pids | index($p)))
	| [(((.ts_ns - $t0) / 1e6) * 1000 | round / 1000 | tostring),
	   $conn, .kind,
	   "\(.comm // "?")/\(.pid // "?")",
	   (if .trigger_comm then "by \(.trigger_comm)" else "" end),
	   "\(.sport // "-")>\(.dport // "-")",
	   (.state // ""), (.reason // ""), (.errno // ""),
	   (if .bytes then "bytes=\(.bytes)" elif .ret then "ret=\(.ret)" else "" end)]
	| @tsv' "$OUT/rsttrace.out" | column -t -s $'\t'
echo "curl exit $(cat "$OUT/curl.rc"); nginx: $(head -1 "$OUT/access.log")"
grep -h 'write .* bytes:' "$OUT/gateway.log" | sed 's/^/gateway: /'
