# SPDX-License-Identifier: GPL-2.0
# bench/report.sh - tables of bench/run.sh (sourced): report (results.md) and summary (the
# compact table printed at the end). Reads $DATA (one measurement a line: SECTION GROUP
# CONFIG ROUND KEY VALUE) and the per-hook files in $WORK.

mode_label() { case $1 in ka) echo "keep-alive (wrk default)" ;; close) echo "new connection per request (Connection: close)" ;; esac; }

# ratio of medians: CONFIG over BASE
mratio() {
	awk -v a="$(med "$(agg "$1" "$2" "$3" "$5")")" -v b="$(med "$(agg "$1" "$2" "$4" "$5")")" \
		'BEGIN{ if (a == "NA" || b == "NA" || b == 0) print "n/a"; else printf "%.3f\n", a / b }'
}

# verdict VALUE OP GOAL: met / MISSED / n/a. VALUE may be "median min max n" (per-round
# ratios): then met only when every round meets the goal, MISSED when no round does, and
# "within noise" otherwise (with 5 rounds, all on one side is a sign test at p = 1/32)
verdict() {
	case $1 in *" "*" "*)
		awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN{ split(v, a, " ")
			if (a[1] == "NA") {print "n/a"; exit}
			lo = (op == ">=") ? (a[2] + 0 >= g + 0) : (a[3] + 0 <= g + 0)
			none = (op == ">=") ? (a[3] + 0 < g + 0) : (a[2] + 0 > g + 0)
			print lo ? "met" : (none ? "MISSED" : "within noise") }'
		return
		;;
	esac
	awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN{ if (op == "-") {print "(info)"; exit}
		if (v == "NA" || v == "n/a" || v == "") {print "n/a"; exit}
		ok = (op == ">=") ? (v + 0 >= g + 0) : (v + 0 <= g + 0); print ok ? "met" : "MISSED" }'
}


# goals: "label|value|op|goal|shown"
goals() {
	local v m
	if want http; then
		for m in ka close; do
			echo "HTTP $m: A/A noise floor, without / without again|x|-|-|$(fmt %.3f "$(paired http $m none2 none rps)")"
			echo "HTTP $m: empty programs on rsttrace's hooks / without (the floor)|x|-|-|$(fmt %.3f "$(paired http $m floor none rps)")"
			v=$(paired http $m tl none rps)
			echo "HTTP $m: rsttrace -j / without (paired median)|$v|>=|0.99|$(fmt %.3f "$(paired http $m tl none rps)")"
			echo "HTTP $m: rsttrace -j / the floor (its own cost)|x|-|-|$(fmt %.3f "$(paired http $m tl floor rps)")"
			v=$(paired http $m tlf none rps)
			echo "HTTP $m: rsttrace -j -P unused / without|$v|>=|0.995|$(fmt %.3f "$(paired http $m tlf none rps)")"
			v=$(paired http $m ev none rps)
			echo "HTTP $m: rsttrace --events -j / without|$v|>=|0.99|$(fmt %.3f "$(paired http $m ev none rps)")"
		done
	fi
	if want storm; then
		v=$(agg storm p1 evs accounted | awk '{print $2}')
		echo "RST storm P=1 --events: missing RSTs <= lost, every round (1=yes)|$v|>=|1|$(vals storm p1 evs accounted | paste -sd' ' -)"
		v=$(agg storm p2 evs accounted | awk '{print $2}')
		echo "RST storm P=2 --events: missing RSTs <= lost, every round (1=yes)|$v|>=|1|$(vals storm p2 evs accounted | paste -sd' ' -)"
		v=$(agg storm p1 td pct_reported | awk '{print $2}')
		echo "RST storm P=1 tcpdump: captured / RSTs % (the anchor, worst)|$v|-|-|$(fmt %.1f "$(agg storm p1 td pct_reported)") %"
		v=$(agg storm p2 td pct_reported | awk '{print $2}')
		echo "RST storm P=2 tcpdump: captured / RSTs % (the anchor, worst)|$v|-|-|$(fmt %.1f "$(agg storm p2 td pct_reported)") %"
		v=$( { vals storm p1 evs hwm_kb; vals storm p1 tls hwm_kb; vals storm p2 evs hwm_kb; vals storm p2 tls hwm_kb; } | mstat | awk '$1 != "NA" {printf "%.1f", $3 / 1024}')
		echo "peak RSS under the storm (max, MB)|${v:-NA}|<=|20|${v:-n/a} MB"
	fi
	if want hook; then
		v=$(agg hook ka_tl sendrecv ns)
		echo "send/recv hook cost, keep-alive HTTP, rsttrace -j (ns/call)|$v|<=|100|$(fmt %.1f "$v") ns"
		v=$(agg hook ka_tlf sendrecv ns)
		echo "send/recv hook cost, keep-alive HTTP, -P unused (ns/call)|$v|<=|100|$(fmt %.1f "$v") ns"
		v=$(agg hook ka_empty sendrecv ns)
		echo "empty programs on send/recv, keep-alive HTTP: bpf_stats' floor (ns/call)|x|-|-|$(fmt %.1f "$v") ns"
		v=$(pdiff hook ka_tl ka_empty sendrecv ns)
		echo "send/recv hook cost over that floor, rsttrace -j (ns/call, paired per round)|$v|<=|100|$(fmt %.1f "$v") ns"
		v=$(pdiff hook ka_tlf ka_empty sendrecv ns)
		echo "send/recv hook cost over that floor, -P unused (ns/call, paired per round)|$v|<=|100|$(fmt %.1f "$v") ns"
		local c
		for c in ka_tl ka_tlf close_tl close_tlf; do
			echo "all BPF programs, $(hook_label "$c" | sed 's/ HTTP, rsttrace//'): % of machine CPU|x|-|-|$(fmt %.2f "$(agg hook "$c" all share_pct)") %, $(medf %.0f "$(agg hook "$c" all ns_per_req)") ns/request"
		done
	fi
	if want lifecycle; then
		local c
		for c in tl ev tlf; do
			v=$(paired lc close "$c" floor ns_per_req)
			case $c in tl) g=3 ;; ev) g=4 ;; tlf) g=1.3 ;; esac
			echo "lifecycle: $(lc_label "$c"), BPF ns per request / the floor (paired)|$v|<=|$g|$(fmt %.2f "$v")"
		done
		v=$(paired lc close tcplife floor ns_per_req)
		echo "lifecycle: tcplife, BPF ns per request / the floor (paired, a peer)|x|-|-|$(fmt %.2f "$v")"
		for c in set_state destroy; do
			v=$(paired lc close tl floor "ns_$c")
			echo "lifecycle: rsttrace -j, $c ns per call / its empty program's (paired)|$v|<=|2|$(fmt %.2f "$v")"
		done
	fi
	if want storm; then
		local p
		for p in 1 2; do
			for c in evs tls; do
				v=$(agg storm p$p $c pct_reported | awk '{print $2}')
				echo "RST storm P=$p $(cfg_label $c | sed 's/ -P.*//; s/rsttrace //'): % of RSTs reported (worst round)|$v|>=|100|$(fmt %.1f "$(agg storm p$p $c pct_reported)") %"
				v=$(paired storm p$p $c td rate)
				echo "RST storm P=$p $(cfg_label $c | sed 's/ -P.*//; s/rsttrace //'): generator's rate / under tcpdump (paired)|$v|>=|1|$(fmt %.3f "$v")"
			done
		done
	fi
	if want start; then
		v=$(med "$(agg start idle tl ready_ms)")
		echo "exec to ready line (median, ms)|$v|<=|200|$(fmt %.0f "$(agg start idle tl ready_ms)") ms"
	fi
}

summary() {
	local label v op g shown
	printf '%-62s %-24s %-8s %s\n' "figure (median, min-max)" "measured" "goal" ""
	while IFS='|' read -r label v op g shown; do
		printf '%-62s %-24s %-8s %s\n' "$label" "$shown" "$op $g" "$(verdict "$v" "$op" "$g")"
	done < <(goals)
}

report() {
	local m c p cfg label v op g shown
	cat <<EOF
# rsttrace benchmarks (\`make bench\`)

Generated by \`bench/run.sh\`; figures, not tests. Every comparison runs side by side in
the same run: in each round the configurations run one after the other, in an order that
rotates from round to round, and each figure is the median over the rounds with the spread
(min-max). Ratios: "paired" is the median of the per-round ratios (configuration / without,
same round), the most robust figure against drift; "of medians" divides the two medians.

| | |
|---|---|
| machine | $NPROC CPUs (\`nproc\`), $MODEL, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo) |
| kernel | \`$KERNEL\` |
| date | $DATE (took ${ELAPSED} s) |
| command | \`$CMDLINE\` |
| load average | before $LOAD0, after $LOAD1 |
| rsttrace | $RT, git $REV |
| tools | nginx $NGINX_V (nginx-light), wrk $WRK_V, tcpdump $TD_V, bpftool $(bpftool version 2>/dev/null | awk 'NR==1{print $2}') |
| settings | ROUNDS=$ROUNDS, HTTP ${HTTP_SECS} s per measurement, storm ${STORM_SECS} s per measurement, $STARTS idle starts, wrk -t1 -c$WRK_CONNS |

## Summary (goals of issues 4 and 11)

| figure (median, min-max) | measured | goal | |
|---|---|---|---|
EOF
	while IFS='|' read -r label v op g shown; do
		echo "| $label | $shown | $op $g | $(verdict "$v" "$op" "$g") |"
	done < <(goals)
	cat <<EOF

HTTP goals are judged on the per-round paired ratios: "met" when every round meets the goal,
"MISSED" when no round does (with 5 rounds: a sign test at p = 1/32), "within noise"
otherwise; the A/A line (the same configuration twice) shows how much two runs without
rsttrace differ on this machine, i.e. the resolution of the throughput figures. The
"% of machine CPU" lines (from \`bpf_stats\`, section 3) estimate the same overhead without
that noise: on a CPU-bound load the throughput lost is about the CPU share taken.
EOF

	if want http; then
		cat <<EOF

## 1. HTTP overhead

\`wrk\` → nginx reverse proxy (127.0.0.1:$PX) → nginx upstream (127.0.0.1:$UP) serving a
612-byte static file; one worker process each, access log off, keep-alive between proxy and
upstream (\`keepalive 256\`, HTTP/1.1), so "keep-alive" exercises only the send/recv path and
"Connection: close" adds a connection set-up and tear-down (client ↔ proxy) per request.
Configurations per round, rotating order: $(for c in "${HTTP_CFGS[@]}"; do printf '%s; ' "$(cfg_label "$c")"; done)
rsttrace's stdout goes to a counter (\`.output/bench/evcount\`), and each start waits for
its \`rsttrace: tracing\` line before wrk starts; it is stopped (SIGINT, by pid) after.

Commands: \`$(wrk_cmd ka "$HTTP_SECS")\`, \`$(wrk_cmd close "$HTTP_SECS")\`;
nginx: \`nginx -p DIR/ -c DIR/nginx.conf -e DIR/error.log\` (configuration below).
EOF
		for m in ka close; do
			cat <<EOF

### $(mode_label $m)

| configuration | req/s median (min-max) | ratio, paired | ratio of medians | rsttrace CPU after ready, % of a core | records received / lost | wrk errors |
|---|---|---|---|---|---|---|
EOF
			for c in "${HTTP_CFGS[@]}"; do
				if [ "$c" = none2 ] || [ "$c" = floor ]; then
					echo "| $(cfg_label $c) | $(fmt %.0f "$(agg http $m $c rps)") | $(fmt %.3f "$(paired http $m $c none rps)") | $(mratio http $m $c none rps) | - | - | $(vals http $m $c errors | awk '{s += $1} END{print s+0}') |"
				elif [ "$c" = none ]; then
					echo "| $(cfg_label $c) | $(fmt %.0f "$(agg http $m $c rps)") | 1 | 1 | - | - | $(vals http $m $c errors | awk '{s += $1} END{print s+0}') |"
				else
					echo "| $(cfg_label $c) | $(fmt %.0f "$(agg http $m $c rps)") | $(fmt %.3f "$(paired http $m $c none rps)") | $(mratio http $m $c none rps) |" \
						"$(fmt %.1f "$(vals http $m $c cpu_s | awk -v s="$HTTP_SECS" '{print 100 * $1 / s}' | mstat)") |" \
						"$(med "$(agg http $m $c events)") / $(med "$(agg http $m $c lost)") (median) | $(vals http $m $c errors | awk '{s += $1} END{print s+0}') |"
				fi
			done
			echo
			echo "Per round, req/s:"
			echo
			echo "| round | $(for c in "${HTTP_CFGS[@]}"; do printf '%s | ' "$c"; done)"
			echo "|---|$(for c in "${HTTP_CFGS[@]}"; do printf -- '---|'; done)"
			for ((r = 1; r <= ROUNDS; r++)); do
				echo "| $r | $(for c in "${HTTP_CFGS[@]}"; do printf '%s | ' "$(awk -v g=$m -v c=$c -v r=$r '$1=="http" && $2==g && $3==c && $4==r && $5=="rps"{print $6}' "$DATA")"; done)"
			done
		done
	fi

	if want storm; then
		cat <<EOF

## 2. RST storm

\`.output/bench/rstgen -p P -s $STORM_SECS -P $SPORT\`: P processes loop socket(), blocking
connect() to 127.0.0.1:$SPORT where nothing listens, close(); each connect is refused by one
RST (reason NO_SOCKET). "RSTs" is rstgen's count of refused connects; \`nstat -asz
TcpOutRsts\` before and after gives the kernel's count (it includes any other RST on the
machine in that window). Configurations per round, rotating order: alone;
$(cfg_label evs) (its \`rst_sent\` events counted); $(cfg_label tls) (its refused timelines
counted, plus the \`count\` of each \`"type":"flood"\` record: "N more like the one above"); \`tcpdump -i lo -w /dev/null 'tcp[tcpflags] & tcp-rst != 0
and port $SPORT'\` (its own counters; it is given ${TD_GRACE} s after the storm to hand over
its last buffer block before SIGINT). rsttrace's lost counter counts records (about 5 per
refused connect: connect, rst_sent, rst_recv, error_pending, destroy), so "accounted" checks
RSTs − reported rst_sent ≤ lost, and "(events+lost)/RST" shows the records per RST.
CPU: utime+stime of the tool from its ready line to its exit (the storm and the drain at
exit; /proc/PID/stat at the ready line, \`/usr/bin/time\` at exit), with start-up in
brackets; tcpdump's is its whole life; peak RSS: VmHWM just before SIGINT.
EOF
		for p in 1 2; do
			cat <<EOF

### P=$p generator process$([ $p = 2 ] && echo es)

| configuration | RST/s median (min-max) | rate vs alone | RSTs (median) | nstat ΔTcpOutRsts (median) | reported (median) | % reported median (min-max) | lost records (median) | (events+lost)/RST | accounted (rounds) | CPU s (median) | peak RSS MB (max) |
|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
			for cfg in "${STORM_CFGS[@]}"; do
				local rep lost epr acc cpu rss lbl
				case $cfg in
				none) lbl="alone (no tracer)" rep=- lost=- epr=- acc=- ;;
				evs) lbl=$(cfg_label evs) rep="$(med "$(agg storm p$p evs rst_sent)") rst_sent" lost=$(med "$(agg storm p$p evs lost)") ;;
				tls) lbl=$(cfg_label tls) rep="$(med "$(agg storm p$p tls covered)") ($(med "$(agg storm p$p tls tl_refused)") refused timelines + $(med "$(agg storm p$p tls flood_refused)") in $(med "$(agg storm p$p tls floods)") flood records; evicted $(med "$(agg storm p$p tls evicted)"))" lost=$(med "$(agg storm p$p tls lost)") ;;
				td) lbl=$(cfg_label td) rep="$(med "$(agg storm p$p td captured)") captured (received by filter $(med "$(agg storm p$p td received)"))" lost="$(med "$(agg storm p$p td dropped)") dropped by kernel" epr=- acc=- ;;
				esac
				case $cfg in evs | tls)
					epr=$(fmt %.2f "$(agg storm p$p $cfg events_per_rst)")
					acc="$(vals storm p$p $cfg accounted | awk '{s += $1} END{print s+0}')/$(vals storm p$p $cfg accounted | wc -l)"
					;;
				esac
				cpu=-
				rss=-
				[ "$cfg" != none ] && cpu=$(med "$(agg storm p$p $cfg cpu_s)")
				case $cfg in evs | tls) cpu="$cpu ($(med "$(agg storm p$p $cfg cpu_total_s)") with start-up)" ;; esac
				case $cfg in
				evs | tls) rss=$(agg storm p$p $cfg hwm_kb | awk '$1 != "NA" {printf "%.1f", $3 / 1024}') ;;
				td) rss=$(agg storm p$p td maxrss_kb | awk '$1 != "NA" {printf "%.1f", $3 / 1024}') ;;
				esac
				echo "| $lbl | $(fmt %.0f "$(agg storm p$p $cfg rate)") | $(fmt %.3f "$(paired storm p$p $cfg none rate)") |" \
					"$(med "$(agg storm p$p $cfg refused)") | $(med "$(agg storm p$p $cfg nstat)") | $rep |" \
					"$([ "$cfg" = none ] && echo - || fmt %.1f "$(agg storm p$p $cfg pct_reported)") | $lost | $epr | $acc | $cpu | $rss |"
			done
			echo
			echo "Per round (RSTs / reported / lost):"
			echo
			echo "| round | alone RST/s | --events: RSTs / rst_sent / lost | timelines: RSTs / refused timelines + flood counts / lost | tcpdump: RSTs / captured / dropped |"
			echo "|---|---|---|---|---|"
			for ((r = 1; r <= ROUNDS; r++)); do
				g() { awk -v g="p$p" -v c="$1" -v r=$r -v k="$2" '$1=="storm" && $2==g && $3==c && $4==r && $5==k{print $6}' "$DATA"; }
				echo "| $r | $(g none rate) | $(g evs refused) / $(g evs rst_sent) / $(g evs lost) | $(g tls refused) / $(g tls tl_refused) + $(g tls flood_refused) / $(g tls lost) | $(g td refused) / $(g td captured) / $(g td dropped) |"
			done
		done
	fi

	if want hook; then
		cat <<EOF

## 3. Per-hook cost

\`sysctl kernel.bpf_stats_enabled=1\` (restored afterwards), rsttrace attached, $HOOK_ROUNDS rounds
(rotating order) of each load, $HTTP_SECS s (storm: $STORM_SECS s); the deltas of \`run_time_ns\` and \`run_cnt\` from \`bpftool prog
show -j\` over the load, for the programs rsttrace holds (ids from /proc/PID/fdinfo).
run_time_ns includes the stats' own clock reads; it does not include the tracepoint's
dispatch (the trampoline or the raw tracepoint call). The "empty programs" load measures that
floor on this machine: two programs that return at once, on the same send/recv tracepoints,
held by \`.output/bench/anchor\` (bench/bpf/empty.bpf.c) instead of rsttrace; the summary's
"over that floor" lines subtract it round by round, i.e. what rsttrace's own instructions
cost per call.
EOF
		for c in "${HOOK_CASES[@]}"; do
			echo
			echo "### $(hook_label "$c")"
			echo
			[ "${c#storm}" = "$c" ] && echo "Load: $(fmt %.0f "$(agg hook "$c" load rps)") req/s (with stats enabled)." && echo
			echo "send/recv programs together: $(fmt %.1f "$(agg hook "$c" sendrecv ns)") ns per call."
			echo "All of rsttrace's programs together: $(fmt %.3f "$(agg hook "$c" all cpu_s)") s of CPU per run," \
				"$(fmt %.2f "$(agg hook "$c" all share_pct)") % of the machine ($NPROC CPUs x elapsed);" \
				"$(fmt %.0f "$(agg hook "$c" all ns_per_req)") ns per $([ "${c#storm}" != "$c" ] && echo RST || echo request)," \
				"against $(medf %.0f "$(agg hook "$c" all base_ns_per_req)") ns of machine time per $([ "${c#storm}" != "$c" ] && echo RST || echo request)" \
				"($NPROC x elapsed / count)."
			echo
			echo "| program | calls per run (median) | calls/s (median) | ns per call, median (min-max) |"
			echo "|---|---|---|---|"
			awk -v c="$c" '$1=="hook" && $2==c && $5=="rate" && $3 != "sendrecv" && $3 != "all" && $3 != "load" {print $3}' "$DATA" |
				sort -u | while read -r prog; do
				echo "$(medf %.0f "$(agg hook "$c" "$prog" rate)") $prog"
			done | sort -k1,1nr | while read -r rate prog; do
				echo "| $prog | $(medf %.0f "$(agg hook "$c" "$prog" calls)") | $rate | $(fmt %.1f "$(agg hook "$c" "$prog" ns)") |"
			done
		done
	fi

	if want lifecycle; then
		cat <<EOF

## 6. A connection's lifecycle: BPF time per request over the hooks' floor

\`$(wrk_cmd close "$HTTP_SECS")\` through the nginx proxy (section 1), \`kernel.bpf_stats_enabled=1\`
(restored after), $ROUNDS rounds, configurations in rotating order: $(for c in "${LC_CFGS[@]}"; do printf '%s; ' "$(lc_label "$c")"; done)
For each, the sum of \`run_time_ns\` over every BPF program the tool holds (ids from
/proc/PID/fdinfo, deltas of \`bpftool prog show -j\` over the load) divided by the requests
wrk completed: BPF nanoseconds per request. "The floor" holds empty programs on the four
tracepoints a connection's lifecycle crosses (bench/bpf/lifecycle.bpf.c, by
\`.output/bench/anchor\`): what any tool on these hooks pays, bpf_stats' own clock reads
included. Ratios are paired (the same round). tcplife (Debian's libbpf-tools) attaches a
classic tracepoint (tracefs is mounted for it and unmounted after).

| configuration | BPF ns per request | / the floor (paired) | set_state ns/call | destroy ns/call | send/recv ns/call | set_state calls per request | records lost |
|---|---|---|---|---|---|---|---|
EOF
		for c in "${LC_CFGS[@]}"; do
			echo "| $(lc_label "$c") | $(fmt %.0f "$(agg lc close "$c" ns_per_req)") |" \
				"$([ "$c" = floor ] && echo 1 || fmt %.2f "$(paired lc close "$c" floor ns_per_req)") |" \
				"$(fmt %.1f "$(agg lc close "$c" ns_set_state)") | $(fmt %.1f "$(agg lc close "$c" ns_destroy)") |" \
				"$(fmt %.1f "$(agg lc close "$c" ns_sendrecv)") | $(medf %.2f "$(agg lc close "$c" calls_per_req_set_state)") |" \
				"$(case $c in floor | tcplife) echo - ;; *) med "$(agg lc close "$c" lost)" ;; esac) |"
		done
		cat <<EOF

Per hook, over its empty program (paired ratios, ns per call): set_state $(fmt %.2f "$(paired lc close tl floor ns_set_state)") for -j,
$(fmt %.2f "$(paired lc close ev floor ns_set_state)") for --events, $(fmt %.2f "$(paired lc close tlf floor ns_set_state)") with the filter;
destroy $(fmt %.2f "$(paired lc close tl floor ns_destroy)"), $(fmt %.2f "$(paired lc close ev floor ns_destroy)"), $(fmt %.2f "$(paired lc close tlf floor ns_destroy)");
send/recv $(fmt %.2f "$(paired lc close tl floor ns_sendrecv)"), $(fmt %.2f "$(paired lc close ev floor ns_sendrecv)"), $(fmt %.2f "$(paired lc close tlf floor ns_sendrecv)").
Load (wrk, bpf_stats on): $(for c in "${LC_CFGS[@]}"; do printf '%s %s req/s; ' "$c" "$(medf %.0f "$(agg lc close "$c" rps)")"; done)
EOF
	fi

	if want start; then
		cat <<EOF

## 4. Start-up and footprint

| figure | value |
|---|---|
| exec to \`rsttrace: tracing\`, \`rsttrace -j\`, $STARTS starts, machine idle | $(fmt %.0f "$(agg start idle tl ready_ms)") ms |
| the same over every start of rsttrace in this run ($(awk '$1=="start" && $2=="all" && $3 != "td" && $5=="ready_ms"' "$DATA" | wc -l) starts; see below) | $(awk '$1=="start" && $2=="all" && $3 != "td" && $5=="ready_ms"{print $6}' "$DATA" | mstat | { read -r a; fmt %.0f "$a"; }) ms |
| tcpdump, exec to "listening on" | $(awk '$1=="start" && $2=="all" && $3 == "td" && $5=="ready_ms"{print $6}' "$DATA" | mstat | { read -r a; fmt %.0f "$a"; }) ms |
| peak RSS (VmHWM) idle, after start | $(agg start idle tl hwm_kb | awk '$1 != "NA" {printf "%.1f (%.1f-%.1f) MB", $1/1024, $2/1024, $3/1024}') |
| peak RSS under the RST storm, --events, P=1 / P=2 (max over rounds) | $(agg storm p1 evs hwm_kb | awk '$1 != "NA" {printf "%.1f", $3/1024}') / $(agg storm p2 evs hwm_kb | awk '$1 != "NA" {printf "%.1f", $3/1024}') MB |
| peak RSS under the RST storm, timelines, P=1 / P=2 (max over rounds) | $(agg storm p1 tls hwm_kb | awk '$1 != "NA" {printf "%.1f", $3/1024}') / $(agg storm p2 tls hwm_kb | awk '$1 != "NA" {printf "%.1f", $3/1024}') MB |
| peak RSS under HTTP load, \`-j\` (max over rounds, both loads) | $( { vals http ka tl hwm_kb; vals http close tl hwm_kb; } | mstat | awk '$1 != "NA" {printf "%.1f", $3/1024}') MB |
| BPF programs / maps held | $NPROGS / $NMAPS |
| BPF map memory (sum of \`bytes_memlock\`, \`bpftool map show -j\`) | $MAP_SUM_KB KiB |

| map | type | max_entries | memlock KiB |
|---|---|---|---|
$MAPS_TABLE

Start-up time by configuration (all starts in this run):

| arguments | starts | ms median (min-max) |
|---|---|---|
EOF
		awk '$1=="start" && $2=="all" && $5=="ready_ms"{print $3}' "$DATA" | sort -u | while read -r cfg; do
			echo "| \`${cfg//_/ }\` | $(awk -v c="$cfg" '$1=="start" && $2=="all" && $3==c && $5=="ready_ms"' "$DATA" | wc -l) | $(awk -v c="$cfg" '$1=="start" && $2=="all" && $3==c && $5=="ready_ms"{print $6}' "$DATA" | mstat | { read -r a; fmt %.0f "$a"; }) |"
		done
	fi

	if want profile && [ -s "$WORK/profile.top" ]; then
		cat <<EOF

## 5. Where rsttrace's user space spends its time under the storm

\`perf record -e cpu-clock -F 999 -p PID\` of \`rsttrace --events -j -P $SPORT\` (stdout to a
tmpfs file) during \`rstgen -p 1 -s $STORM_SECS -P $SPORT\`: $(cat "$WORK/profile.run").

By object:

\`\`\`
$(cat "$WORK/profile.dso")
\`\`\`

Top symbols (self):

\`\`\`
$(cat "$WORK/profile.top")
\`\`\`
EOF
	fi

	if want http || want hook; then
		cat <<EOF

## nginx configurations

Upstream (\`$NGX_DIR/upstream/nginx.conf\`, DIR is a temporary directory):

\`\`\`nginx
$(sed "s|$NGX_DIR|DIR|g" "$NGX_DIR/upstream/nginx.conf")
\`\`\`

Proxy:

\`\`\`nginx
$(sed "s|$NGX_DIR|DIR|g" "$NGX_DIR/proxy/nginx.conf")
\`\`\`
EOF
	fi
	cat <<EOF

## How to run

\`\`\`sh
sudo make bench                 # ~5.5 min: ROUNDS=5, 3 s HTTP loads, 2 s storms
sudo QUICK=1 make bench         # smoke run, ~1 min: 2 rounds, 1 s loads
sudo ROUNDS=9 make bench        # more rounds
sudo RT=/other/rsttrace SECTIONS=hook bench/run.sh   # another build, e.g. to compare two commits
sudo SECTIONS=storm make bench  # a subset of: start http hook lifecycle storm profile
\`\`\`
EOF
}
