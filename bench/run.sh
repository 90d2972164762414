#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/run.sh - rsttrace's benchmark suite: `sudo make bench` (builds rsttrace and
# bench/*.c into .output/bench/, installs what is missing, runs this). Figures, not tests:
# printed as each section ends, a summary at the end, everything in bench/results.md.
#
#   1. HTTP overhead: wrk -> nginx (reverse proxy) -> nginx (upstream), loopback, keep-alive
#      and a new connection per request; per round, in rotating order: without rsttrace,
#      `rsttrace -j`, `rsttrace -j -P <unused port>`, `rsttrace --events -j`.
#   2. RST storm: bench/rstgen (connect() to a closed port in P processes), P=1 and P=2; per
#      round, rotating: alone, `rsttrace --events -j -P PORT`, `rsttrace -j -P PORT`,
#      `tcpdump -i lo` capturing RSTs only. Resets counted by rstgen and by nstat.
#   3. Per-hook cost: kernel.bpf_stats_enabled=1 (restored), run_time_ns/run_cnt of each of
#      rsttrace's BPF programs under the HTTP load (and the storm).
#   4. Start-up and footprint: exec to the ready line, peak RSS, BPF map memory.
#   5. Profile: where rsttrace's user space spends its CPU under the storm (perf, if installed).
#
# Environment: ROUNDS (default 5; 2 with QUICK=1), QUICK=1 (a fast smoke run: shorter
# loads, fewer starts), HTTP_SECS (3; QUICK 1), STORM_SECS (2; QUICK 1), STARTS (7; QUICK 3),
# HOOK_ROUNDS (rounds of the per-hook section: 3; QUICK 1),
# WRK_CONNS (64), RESULTS (bench/results.md), KEEP=1 (keep the work directory), RT (the
# rsttrace binary), SECTIONS (default "start http hook storm profile": run a subset, e.g.
# SECTIONS=storm; profile is a perf profile of rsttrace under the storm, skipped without perf).
# Loopback only. Every process started here is stopped by its pid; every wait is bounded;
# kernel.bpf_stats_enabled is restored on any exit (trap).
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RT=${RT:-$ROOT/rsttrace}
BIN=${BIN:-$ROOT/.output/bench}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	d_rounds=2 d_http=1 d_storm=1 d_starts=3 d_hook=1
else
	d_rounds=5 d_http=3 d_storm=2 d_starts=7 d_hook=3
fi
ROUNDS=${ROUNDS:-$d_rounds}
HTTP_SECS=${HTTP_SECS:-$d_http}
STORM_SECS=${STORM_SECS:-$d_storm}
STARTS=${STARTS:-$d_starts}
HOOK_ROUNDS=${HOOK_ROUNDS:-$d_hook}
WRK_CONNS=${WRK_CONNS:-64}
RESULTS=${RESULTS:-$HERE/results.md}
SECTIONS=${SECTIONS:-start http hook lifecycle storm profile}
READY_TIMEOUT=15 # s: rsttrace/tcpdump must be ready by then
STOP_TIMEOUT=20  # s: after SIGINT
TD_GRACE=1.2     # s: tcpdump's capture buffer timeout is 1 s; let it hand over the last block

for v in ROUNDS HTTP_SECS STORM_SECS STARTS WRK_CONNS HOOK_ROUNDS; do
	case ${!v} in '' | *[!0-9]*) echo "bench: $v must be a whole number: '${!v}'" >&2 && exit 2 ;; esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || { echo "bench: ROUNDS must be 1..50" >&2; exit 2; }
[ "$HTTP_SECS" -ge 1 ] && [ "$HTTP_SECS" -le 60 ] || { echo "bench: HTTP_SECS must be 1..60" >&2; exit 2; }
[ "$STORM_SECS" -ge 1 ] && [ "$STORM_SECS" -le 30 ] || { echo "bench: STORM_SECS must be 1..30" >&2; exit 2; }
[ "$STARTS" -ge 1 ] && [ "$STARTS" -le 50 ] || { echo "bench: STARTS must be 1..50" >&2; exit 2; }
[ "$HOOK_ROUNDS" -ge 1 ] && [ "$HOOK_ROUNDS" -le 20 ] || { echo "bench: HOOK_ROUNDS must be 1..20" >&2; exit 2; }
[ "$WRK_CONNS" -ge 1 ] && [ "$WRK_CONNS" -le 1000 ] || { echo "bench: WRK_CONNS must be 1..1000" >&2; exit 2; }

[ "$(id -u)" = 0 ] || { echo "bench: run as root (sudo make bench)" >&2; exit 1; }
for t in "$RT" "$BIN/rstgen" "$BIN/evcount"; do
	[ -x "$t" ] || { echo "bench: $t missing: run 'make bench'" >&2; exit 1; }
done
for t in nginx wrk tcpdump nstat ss bpftool jq sysctl /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench: $t missing: run tests/install-deps.sh wrk tcpdump" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/rsttrace-bench.XXXXXX)
# rsttrace's output goes to files here, counted and deleted after each run (up to ~150 MB
# during a storm in --events mode): tmpfs when there is one
OUTDIR=$WORK
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	OUTDIR=$(mktemp -d /dev/shm/rsttrace-bench.XXXXXX) || OUTDIR=$WORK
fi
DATA=$WORK/data
: >"$DATA"
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

TD_PID='' TD_TPID='' PERF_PID='' SP_TPID='' STATS_ORIG='' TRACEFS_MOUNTED='' FAILED=1
cleanup() {
	local p
	trap - EXIT INT TERM
	# the tools run under time(1): their pids are its children, also when interrupted before
	# RT_PID/TD_PID were set
	for p in $RT_TPID $TD_TPID $SP_TPID; do
		[ -r "/proc/$p/task/$p/children" ] && RT_PID="$RT_PID $(cat "/proc/$p/task/$p/children")"
	done
	for p in $RT_PID $TD_PID; do kill -KILL "$p" 2>/dev/null; done
	for p in $RT_TPID $TD_TPID $SP_TPID $PERF_PID; do
		wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
	done
	ngx_stop_all
	# an nginx whose start was interrupted before its pid was noted: by its pid file, if the
	# process is ours (its command line names our directory)
	for p in "$WORK"/nginx/*/nginx.pid; do
		[ -r "$p" ] || continue
		read -r p <"$p" && grep -qa "$WORK/nginx" "/proc/$p/cmdline" 2>/dev/null && kill -TERM "$p"
	done
	[ -n "$TRACEFS_MOUNTED" ] && umount /sys/kernel/tracing
	if [ -n "$STATS_ORIG" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" ||
			echo "bench: could not restore kernel.bpf_stats_enabled=$STATS_ORIG" >&2
	fi
	[ "$OUTDIR" != "$WORK" ] && rm -rf "$OUTDIR"
	if [ "$FAILED" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$WORK"
	else
		echo "bench: work directory kept: $WORK" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

# rotate N WORDS...: WORDS rotated left by N (the order of configurations in round N)
rotate() {
	local n=$1
	shift
	local a=("$@") i
	for ((i = 0; i < ${#a[@]}; i++)); do printf '%s ' "${a[(i + n) % ${#a[@]}]}"; done
}

nstat_rsts() { nstat -asz TcpOutRsts | awk '$1 == "TcpOutRsts" {print $2}'; }

# ---- the machine --------------------------------------------------------------------------

START_US=${EPOCHREALTIME/./}
CMDLINE="ROUNDS=$ROUNDS QUICK=$QUICK HTTP_SECS=$HTTP_SECS STORM_SECS=$STORM_SECS STARTS=$STARTS HOOK_ROUNDS=$HOOK_ROUNDS WRK_CONNS=$WRK_CONNS"
if [ -n "${MAKELEVEL:-}" ]; then CMDLINE="$CMDLINE make bench"; else CMDLINE="$CMDLINE $0 $*"; fi
[ "$SECTIONS" != "start http hook lifecycle storm profile" ] && CMDLINE="SECTIONS='$SECTIONS' $CMDLINE"
NPROC=$(nproc)
MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
KERNEL=$(uname -r)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- bpf user 2>/dev/null || REV="$REV + uncommitted changes in bpf/ user/"
NGINX_V=$(nginx -v 2>&1 | sed 's/.*version: //')
WRK_V=$(wrk -v 2>&1 | head -1 | awk '{print $2}')
TD_V=$(tcpdump --version 2>&1 | head -1 | awk '{print $3}')
log "rsttrace bench: $NPROC x $MODEL, kernel $KERNEL, load $LOAD0; $CMDLINE"
log "rounds=$ROUNDS http=${HTTP_SECS}s storm=${STORM_SECS}s starts=$STARTS work=$WORK"
case ${LOAD0%% *} in 0.* | 1.0*) ;; *) log "warning: load average $LOAD0: other work on this machine disturbs the figures" ;; esac

PX=$(free_port)     # nginx proxy
UP=$(free_port)     # nginx upstream
UNUSED=$(free_port) # the -P filter that matches nothing
SPORT=$(free_port)  # closed port of the RST storm

# ---- 4. start-up and footprint (idle) -----------------------------------------------------

MAPS_TABLE='' MAP_SUM_KB='' NPROGS='' NMAPS=''
section_start() {
	local i name ids
	log "start-up: $STARTS starts of 'rsttrace -j' (idle machine)"
	for ((i = 1; i <= STARTS; i++)); do
		name=start_$i
		rt_start "$name" -j
		rec start idle tl "$i" ready_ms "$SP_READY_MS"
		if [ "$i" = 1 ]; then
			ids=$(rt_map_ids | paste -sd, -)
			NPROGS=$(rt_prog_ids | wc -l)
			NMAPS=$(rt_map_ids | wc -l)
			bpftool map show -j >"$WORK/maps.json"
			MAPS_TABLE=$(jq -r --arg ids "$ids" '($ids | split(",") | map(tonumber)) as $w
				| .[] | select(.id as $i | $w | index($i))
				| "| \(.name) | \(.type) | \(.max_entries) | \(.bytes_memlock / 1024 * 10 | round / 10) |"' "$WORK/maps.json")
			MAP_SUM_KB=$(jq -r --arg ids "$ids" '($ids | split(",") | map(tonumber)) as $w
				| [.[] | select(.id as $i | $w | index($i)) | .bytes_memlock] | add / 1024 | floor' "$WORK/maps.json")
		fi
		rt_stop
		rec start idle tl "$i" hwm_kb "$RT_HWM_KB"
	done
	log "  ready: $(fmt %.0f "$(agg start idle tl ready_ms)") ms; idle peak RSS $(fmt %.0f "$(agg start idle tl hwm_kb)") kB; BPF maps ${MAP_SUM_KB} KiB memlock ($NMAPS maps, $NPROGS programs)"
}

# ---- 1. HTTP overhead ------------------------------------------------------------------------

NGX_DIR=$WORK/nginx
write_nginx_confs() {
	local d
	for d in proxy upstream; do mkdir -p "$NGX_DIR/$d/tmp" "$NGX_DIR/$d/html"; done
	head -c 612 /dev/zero | tr '\0' 'x' >"$NGX_DIR/upstream/html/index.html"
	for d in proxy upstream; do
		cat >"$NGX_DIR/$d/nginx.conf" <<EOF
# rsttrace bench: nginx $d (generated by bench/run.sh)
daemon off;
master_process on;
worker_processes 1;
user root;
pid $NGX_DIR/$d/nginx.pid;
error_log $NGX_DIR/$d/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $NGX_DIR/$d/tmp/body;
    proxy_temp_path       $NGX_DIR/$d/tmp/proxy;
    fastcgi_temp_path     $NGX_DIR/$d/tmp/fastcgi;
    uwsgi_temp_path       $NGX_DIR/$d/tmp/uwsgi;
    scgi_temp_path        $NGX_DIR/$d/tmp/scgi;
    keepalive_requests 1000000;
EOF
	done
	cat >>"$NGX_DIR/upstream/nginx.conf" <<EOF
    server {
        listen 127.0.0.1:$UP backlog=4096;
        root $NGX_DIR/upstream/html;
        location / { index index.html; }
    }
}
EOF
	cat >>"$NGX_DIR/proxy/nginx.conf" <<EOF
    upstream up {
        server 127.0.0.1:$UP;
        keepalive 256;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$PX backlog=4096;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
}

HTTP_CFGS=(none floor tl tlf ev none2)
cfg_args() {
	case $1 in
	none | none2 | floor) echo "" ;;
	tl) echo "-j" ;;
	tlf) echo "-j -P $UNUSED" ;;
	ev) echo "--events -j" ;;
	esac
}
cfg_label() {
	case $1 in
	none) echo "without rsttrace" ;;
	none2) echo "without rsttrace, again (A/A: the noise floor)" ;;
	floor) echo "empty programs on every hook rsttrace attaches (bench/bpf/floor.bpf.c: what any tool on these hooks pays)" ;;
	tl) echo "rsttrace -j (timelines, unfiltered)" ;;
	tlf) echo "rsttrace -j -P $UNUSED (filter matching nothing)" ;;
	ev) echo "rsttrace --events -j (unfiltered)" ;;
	evs) echo "rsttrace --events -j -P $SPORT" ;;
	tls) echo "rsttrace -j -P $SPORT (timelines)" ;;
	td) echo "tcpdump -i lo -w /dev/null (RSTs to $SPORT)" ;;
	esac
}

# wrk_run MODE SECS OUT: the HTTP load; MODE ka (keep-alive) or close
wrk_cmd() {
	local mode=$1 secs=$2
	if [ "$mode" = close ]; then
		echo "wrk -t1 -c$WRK_CONNS -d${secs}s -H 'Connection: close' http://127.0.0.1:$PX/"
	else
		echo "wrk -t1 -c$WRK_CONNS -d${secs}s http://127.0.0.1:$PX/"
	fi
}
wrk_run() {
	local mode=$1 secs=$2 out=$3
	if [ "$mode" = close ]; then
		timeout -k 5 $((secs + 30)) wrk -t1 -c"$WRK_CONNS" -d"${secs}s" -H 'Connection: close' "http://127.0.0.1:$PX/" >"$out" 2>&1
	else
		timeout -k 5 $((secs + 30)) wrk -t1 -c"$WRK_CONNS" -d"${secs}s" "http://127.0.0.1:$PX/" >"$out" 2>&1
	fi
}
wrk_rps() { awk '/^Requests\/sec:/{print $2}' "$1"; }
wrk_errors() {
	awk '/Socket errors:/{gsub(/[^0-9 ]/," "); for(i=1;i<=NF;i++) s+=$i}
	     /Non-2xx or 3xx responses:/{s+=$NF} END{print s+0}' "$1"
}

http_one() {
	local mode=$1 cfg=$2 r=$3 name=http_${1}_${2}_$3 args rps
	args=$(cfg_args "$cfg")
	# shellcheck disable=SC2086
	[ -n "$args" ] && rt_start "$name" $args
	[ "$cfg" = floor ] && anchor_start "$name" floor
	wrk_run "$mode" "$HTTP_SECS" "$WORK/$name.wrk"
	rps=$(wrk_rps "$WORK/$name.wrk")
	[ -n "$rps" ] || die "wrk gave no Requests/sec: $(cat "$WORK/$name.wrk")"
	rec http "$mode" "$cfg" "$r" rps "$rps"
	rec http "$mode" "$cfg" "$r" errors "$(wrk_errors "$WORK/$name.wrk")"
	[ "$cfg" = floor ] && anchor_stop
	if [ -n "$args" ]; then
		rt_stop
		rec http "$mode" "$cfg" "$r" cpu_s "$RT_CPU"
		rec http "$mode" "$cfg" "$r" cpu_total_s "$RT_CPU_TOTAL"
		rec http "$mode" "$cfg" "$r" events "$RT_EVENTS"
		rec http "$mode" "$cfg" "$r" lost "$RT_LOST"
		rec http "$mode" "$cfg" "$r" hwm_kb "$RT_HWM_KB"
	fi
}

section_http() {
	local r mode cfg
	log "HTTP: $ROUNDS rounds x {keep-alive, Connection: close} x {${HTTP_CFGS[*]}}, ${HTTP_SECS}s each, wrk -t1 -c$WRK_CONNS"
	for mode in ka close; do # warm-up, not recorded
		wrk_run "$mode" 1 "$WORK/warmup_$mode.wrk"
		log "  warm-up $mode: $(wrk_rps "$WORK/warmup_$mode.wrk") req/s"
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		for mode in ka close; do
			for cfg in $(rotate $((r - 1)) "${HTTP_CFGS[@]}"); do
				http_one "$mode" "$cfg" "$r"
			done
			log "  round $r $mode: $(for c in "${HTTP_CFGS[@]}"; do printf '%s=%s ' "$c" "$(vals http "$mode" "$c" rps | tail -1)"; done)"
		done
	done
}

# ---- 3. per-hook cost -----------------------------------------------------------------------

# anchor_start NAME [OBJECT] / anchor_stop: empty programs held by bench/anchor; its pid
# stands in for rsttrace's in prog_snap. empty.bpf.o (default): on the send/recv tracepoints
# (the per-hook floor: bpf_stats' own clock reads are in every program's run_time_ns);
# floor.bpf.o: on every hook rsttrace attaches (the HTTP floor)
anchor_start() {
	spawn_wait "$1" "anchor:" /dev/null "$BIN/anchor" "$BIN/${2:-empty}.bpf.o"
	RT_PID=$SP_PID RT_TPID=$SP_TPID RT_DRAIN=$SP_DRAIN
	SP_TPID=''
}
anchor_stop() {
	stop_wait "$RT_PID" "$RT_TPID" "$RT_DRAIN"
	RT_PID='' RT_TPID=''
}

# prog_snap FILE: "id name run_time_ns run_cnt" of rsttrace's programs
prog_snap() {
	local ids
	ids=$(rt_prog_ids | paste -sd, -)
	bpftool prog show -j | jq -r --arg ids "$ids" '($ids | split(",") | map(tonumber)) as $w
		| .[] | select(.id as $i | $w | index($i))
		| "\(.id) \(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' >"$1"
}

HOOK_CASES=(ka_tl ka_tlf ka_empty close_tl close_tlf storm_evs)
hook_label() {
	case $1 in
	ka_tl) echo "keep-alive HTTP, rsttrace -j" ;;
	ka_tlf) echo "keep-alive HTTP, rsttrace -j -P $UNUSED" ;;
	ka_empty) echo "keep-alive HTTP, empty programs on send/recv (the floor)" ;;
	close_tl) echo "Connection: close HTTP, rsttrace -j" ;;
	close_tlf) echo "Connection: close HTTP, rsttrace -j -P $UNUSED" ;;
	storm_evs) echo "RST storm P=1, rsttrace --events -j -P $SPORT" ;;
	esac
}
section_hook() {
	local c name secs r t0 reqs
	STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled) || die "cannot read kernel.bpf_stats_enabled"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled=1"
	log "per-hook cost: kernel.bpf_stats_enabled=1 (was $STATS_ORIG); $HOOK_ROUNDS rounds x {${HOOK_CASES[*]}}"
	for ((r = 1; r <= HOOK_ROUNDS; r++)); do
		for c in $(rotate $((r - 1)) "${HOOK_CASES[@]}"); do
			name=hook_${c}_$r
			case $c in
			ka_tl | close_tl) rt_start "$name" -j ;;
			ka_tlf | close_tlf) rt_start "$name" -j -P "$UNUSED" ;;
			ka_empty) anchor_start "$name" ;;
			storm_evs) rt_start "$name" --events -j -P "$SPORT" ;;
			esac
			prog_snap "$WORK/$name.before"
			now_us
			t0=$NOW_US
			case $c in
			ka_*) wrk_run ka "$HTTP_SECS" "$WORK/$name.wrk" ;;
			close_*) wrk_run close "$HTTP_SECS" "$WORK/$name.wrk" ;;
			storm_*) timeout -k 5 $((STORM_SECS + 30)) "$BIN/rstgen" -p 1 -s "$STORM_SECS" -P "$SPORT" >"$WORK/$name.gen" ;;
			esac
			prog_snap "$WORK/$name.after"
			now_us
			secs=$(awk -v a="$t0" -v b="$NOW_US" 'BEGIN{printf "%.3f", (b-a)/1e6}')
			if [ "$c" = ka_empty ]; then anchor_stop; else rt_stop; fi
			# per program: name, calls, ns per call, calls per second
			awk -v s="$secs" 'NR==FNR {ns[$1]=$3; cnt[$1]=$4; next}
				{ dc = $4 - cnt[$1]; dn = $3 - ns[$1];
				  printf "%s %d %.1f %.0f\n", $2, dc, (dc > 0 ? dn / dc : 0), dc / s }' \
				"$WORK/$name.before" "$WORK/$name.after" | sort -k2,2nr >"$WORK/$name.cost"
			while read -r prog calls ns rate; do
				rec hook "$c" "$prog" "$r" calls "$calls"
				rec hook "$c" "$prog" "$r" rate "$rate"
				[ "$calls" -gt 0 ] && rec hook "$c" "$prog" "$r" ns "$ns"
			done <"$WORK/$name.cost"
			# the send/recv programs together: ns per call
			awk '$1 ~ /^(send|recv)_length|^empty_/ {n += $2; t += $2 * $3} END{ if (n) printf "%.1f\n", t / n }' \
				"$WORK/$name.cost" | while read -r v; do rec hook "$c" sendrecv "$r" ns "$v"; done
			# all programs together: share of the machine's CPU (nproc x elapsed), per request
			case $c in
			ka_* | close_*)
				reqs=$(awk '/requests in/{print $1; exit}' "$WORK/$name.wrk")
				rec hook "$c" load "$r" rps "$(wrk_rps "$WORK/$name.wrk")"
				;;
			storm_*) reqs=$(sed -n 's/.*refused=\([0-9]*\).*/\1/p' "$WORK/$name.gen") ;;
			esac
			awk -v s="$secs" -v n="$NPROC" -v q="${reqs:-0}" 'NR==FNR {ns[$1]=$3; next} {t += $3 - ns[$1]}
				END{ printf "cpu_s %.4f\nshare_pct %.3f\n", t / 1e9, 100 * t / (s * 1e9 * n)
				     if (q > 0) printf "ns_per_req %.0f\nbase_ns_per_req %.0f\n", t / q, s * 1e9 * n / q }' \
				"$WORK/$name.before" "$WORK/$name.after" |
				while read -r k v; do rec hook "$c" all "$r" "$k" "$v"; done
			log "  $r $(hook_label "$c"): send/recv $(vals hook "$c" sendrecv ns | tail -1) ns/call;" \
				"all programs $(vals hook "$c" all share_pct | tail -1) % of the machine"
		done
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" || die "cannot restore kernel.bpf_stats_enabled"
	STATS_ORIG=''
	[ -n "$TRACEFS_MOUNTED" ] && umount /sys/kernel/tracing && TRACEFS_MOUNTED=''
}

# ---- 2. RST storm ---------------------------------------------------------------------------

STORM_CFGS=(none evs tls td)
storm_one() {
	local p=$1 cfg=$2 r=$3 name=storm_p${1}_${2}_$3 n0 n1 gen
	case $cfg in
	evs) rt_start "$name" --events -j -P "$SPORT" ;;
	tls) rt_start "$name" -j -P "$SPORT" ;;
	td)
		echo "tcpdump -i lo -w /dev/null 'tcp[tcpflags] & tcp-rst != 0 and port $SPORT'" >"$WORK/$name.cmd"
		spawn_wait "$name" "tcpdump: listening on" /dev/null \
			tcpdump -i lo -w /dev/null "tcp[tcpflags] & tcp-rst != 0 and port $SPORT"
		TD_PID=$SP_PID TD_TPID=$SP_TPID
		SP_TPID=''
		rec start all td "$name" ready_ms "$SP_READY_MS"
		;;
	esac
	n0=$(nstat_rsts)
	gen=$(timeout -k 5 $((STORM_SECS + 30)) "$BIN/rstgen" -p "$p" -s "$STORM_SECS" -P "$SPORT") ||
		die "rstgen failed: $gen"
	n1=$(nstat_rsts)
	echo "$gen" >"$WORK/$name.gen"
	local connects refused elapsed rate
	eval "$(echo "$gen" | tr ' ' '\n' | grep -E '^(connects|refused|elapsed|rate)=[0-9.]+$')"
	rec storm "p$p" "$cfg" "$r" refused "$refused"
	rec storm "p$p" "$cfg" "$r" rate "$rate"
	rec storm "p$p" "$cfg" "$r" nstat "$((n1 - n0))"
	case $cfg in
	evs | tls)
		rt_stop
		rec storm "p$p" "$cfg" "$r" cpu_s "$RT_CPU"
		rec storm "p$p" "$cfg" "$r" cpu_total_s "$RT_CPU_TOTAL"
		rec storm "p$p" "$cfg" "$r" hwm_kb "$RT_HWM_KB"
		rec storm "p$p" "$cfg" "$r" maxrss_kb "$RT_MAXRSS_KB"
		rec storm "p$p" "$cfg" "$r" events "$RT_EVENTS"
		rec storm "p$p" "$cfg" "$r" lost "$RT_LOST"
		rec storm "p$p" "$cfg" "$r" evicted "$RT_EVICTED"
		rec storm "p$p" "$cfg" "$r" printed_events "$(kv "$RT_COUNT" events)"
		rec storm "p$p" "$cfg" "$r" rst_sent "$(kv "$RT_COUNT" kind_rst_sent)"
		rec storm "p$p" "$cfg" "$r" timelines "$(kv "$RT_COUNT" timelines)"
		rec storm "p$p" "$cfg" "$r" tl_refused "$(kv "$RT_COUNT" verdict_refused)"
		rec storm "p$p" "$cfg" "$r" tl_events "$(kv "$RT_COUNT" tl_events)"
		rec storm "p$p" "$cfg" "$r" floods "$(kv "$RT_COUNT" floods)"
		rec storm "p$p" "$cfg" "$r" flood_refused "$(kv "$RT_COUNT" floodn_refused)"
		rec storm "p$p" "$cfg" "$r" flooded "$RT_FLOODED"
		rec storm "p$p" "$cfg" "$r" out_mb "$(awk -v b="${RT_OUT_BYTES:-0}" 'BEGIN{printf "%.1f", b / 1048576}')"
		# reported RSTs: rst_sent events (--events); refused timelines plus the counts of
		# refused floods (timelines: N more like one printed)
		local covered
		if [ "$cfg" = evs ]; then
			covered=$(kv "$RT_COUNT" kind_rst_sent)
		else
			covered=$(($(kv "$RT_COUNT" verdict_refused) + $(kv "$RT_COUNT" floodn_refused)))
		fi
		rec storm "p$p" "$cfg" "$r" covered "$covered"
		awk -v e="$RT_EVENTS" -v l="$RT_LOST" -v g="$refused" -v c="$covered" 'BEGIN{
			if (g > 0 && e != "NA" && l != "NA") {
				printf "pct_reported %.3f\n", 100 * c / g
				printf "events_per_rst %.3f\n", (e + l) / g
				printf "accounted %d\n", (g - c <= l)
			}}' | while read -r k v; do rec storm "p$p" "$cfg" "$r" "$k" "$v"; done
		;;
	td)
		sleep "$TD_GRACE"
		stop_wait "$TD_PID" "$TD_TPID" "$SP_DRAIN"
		TD_PID='' TD_TPID=''
		rec storm "p$p" td "$r" cpu_s "$(cpu_s "$name")"
		rec storm "p$p" td "$r" maxrss_kb "$(timefield "$name" maxrss_kb)"
		rec storm "p$p" td "$r" captured "$(awk '/packets captured/{print $1}' "$WORK/$name.err")"
		rec storm "p$p" td "$r" received "$(awk '/packets received by filter/{print $1}' "$WORK/$name.err")"
		rec storm "p$p" td "$r" dropped "$(awk '/packets dropped by kernel/{print $1}' "$WORK/$name.err")"
		awk -v g="$refused" -v c="$(awk '/packets captured/{print $1}' "$WORK/$name.err")" \
			'BEGIN{ if (g > 0 && c != "") printf "%.3f\n", 100 * c / g }' |
			while read -r v; do rec storm "p$p" td "$r" pct_reported "$v"; done
		;;
	esac
}

section_storm() {
	local p r cfg
	for p in 1 2; do
		log "RST storm P=$p: $ROUNDS rounds x {${STORM_CFGS[*]}}, ${STORM_SECS}s each, closed port $SPORT"
		for ((r = 1; r <= ROUNDS; r++)); do
			for cfg in $(rotate $((r - 1)) "${STORM_CFGS[@]}"); do
				storm_one "$p" "$cfg" "$r"
			done
			log "  round $r: $(for c in "${STORM_CFGS[@]}"; do printf '%s=%s/s ' "$c" "$(vals storm "p$p" "$c" rate | tail -1)"; done)" \
				"evs: rst_sent $(vals storm "p$p" evs rst_sent | tail -1)/$(vals storm "p$p" evs refused | tail -1) lost $(vals storm "p$p" evs lost | tail -1);" \
				"tls: timelines $(vals storm "p$p" tls timelines | tail -1) + flooded $(vals storm "p$p" tls flood_refused | tail -1) / $(vals storm "p$p" tls refused | tail -1) lost $(vals storm "p$p" tls lost | tail -1);" \
				"td: dropped $(vals storm "p$p" td dropped | tail -1)"
		done
	done
}

# ---- profile of rsttrace's user space under the storm (perf, when installed) -------------------

section_profile() {
	local name=profile_storm
	command -v perf >/dev/null || { log "profile: perf not installed, skipped"; return 0; }
	log "profile: perf record of rsttrace --events -j -P $SPORT under the storm (P=1, ${STORM_SECS}s)"
	rt_start "$name" --events -j -P "$SPORT"
	timeout -k 2 $((STORM_SECS + 10)) perf record -q -e cpu-clock -F 999 -p "$RT_PID" \
		-o "$WORK/perf.data" -- sleep "$STORM_SECS" >"$WORK/perf.log" 2>&1 &
	PERF_PID=$!
	timeout -k 5 $((STORM_SECS + 30)) "$BIN/rstgen" -p 1 -s "$STORM_SECS" -P "$SPORT" >"$WORK/$name.gen"
	wait_gone "$PERF_PID" $((STORM_SECS + 15)) || kill -KILL "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=''
	rt_stop
	perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		awk '/^ +[0-9.]+%/ {print} ' | head -15 >"$WORK/profile.top"
	perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null |
		awk '/^ +[0-9.]+%/ {print}' | head -8 >"$WORK/profile.dso"
	echo "$(cat "$WORK/$name.gen"); rsttrace: events $RT_EVENTS lost $RT_LOST cpu ${RT_CPU}s" >"$WORK/profile.run"
	log "  $(head -3 "$WORK/profile.top" | awk '{printf "%s %s; ", $1, $NF}')"
}

# ---- 6. a connection's lifecycle: BPF time per request over the hooks' floor ------------------

# Connection: close through the nginx proxy, bpf_stats on: the BPF time per request of every
# program each tool holds, per round in rotating order: empty programs on the four tracepoints
# a lifecycle crosses (bench/bpf/lifecycle.bpf.c: the floor), rsttrace -j, --events -j, -j with
# a filter that matches nothing, and libbpf-tools' tcplife (a peer, for information).
LC_CFGS=(floor tl ev tlf tcplife)
lc_label() {
	case $1 in
	floor) echo "empty programs on set_state, send/recv length, destroy (the floor)" ;;
	tl) echo "rsttrace -j (timelines, unfiltered)" ;;
	ev) echo "rsttrace --events -j" ;;
	tlf) echo "rsttrace -j -P $UNUSED (a filter that matches nothing)" ;;
	tcplife) echo "libbpf-tools tcplife (a peer, for information)" ;;
	esac
}
# lc_hook PROGRAM-NAME: which of the lifecycle's hooks a program is on (tcplife's is named
# after its tracepoint; names are cut to 15 characters)
lc_hook() {
	case $1 in
	*set_s*) echo set_state ;;
	*destroy*) echo destroy ;;
	*send* | *recv*) echo sendrecv ;;
	*) echo other ;;
	esac
}
lc_one() {
	local cfg=$1 r=$2 name=lc_${1}_$2 t0 secs reqs
	case $cfg in
	floor) anchor_start "$name" lifecycle ;;
	tl) rt_start "$name" -j ;;
	ev) rt_start "$name" --events -j ;;
	tlf) rt_start "$name" -j -P "$UNUSED" ;;
	tcplife)
		# its header line on stdout comes once it is attached; line-buffered into the FIFO
		spawn_wait "$name" "PID" /dev/null sh -c 'exec stdbuf -oL tcplife 1>&2'
		RT_PID=$SP_PID RT_TPID=$SP_TPID RT_DRAIN=$SP_DRAIN
		SP_TPID=''
		;;
	esac
	prog_snap "$WORK/$name.before"
	now_us
	t0=$NOW_US
	wrk_run close "$HTTP_SECS" "$WORK/$name.wrk"
	prog_snap "$WORK/$name.after"
	now_us
	secs=$(awk -v a="$t0" -v b="$NOW_US" 'BEGIN{printf "%.3f", (b-a)/1e6}')
	case $cfg in
	floor | tcplife) anchor_stop ;;
	*) rt_stop ;;
	esac
	reqs=$(awk '/requests in/{print $1; exit}' "$WORK/$name.wrk")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "$name: wrk made no request: $(cat "$WORK/$name.wrk")"
	rec lc close "$cfg" "$r" rps "$(wrk_rps "$WORK/$name.wrk")"
	awk 'NR==FNR {ns[$1]=$3; cnt[$1]=$4; next} { printf "%s %d %d\n", $2, $4 - cnt[$1], $3 - ns[$1] }' \
		"$WORK/$name.before" "$WORK/$name.after" >"$WORK/$name.cost"
	local prog calls ns hook
	declare -A hcalls=() hns=()
	while read -r prog calls ns; do
		hook=$(lc_hook "$prog")
		hcalls[$hook]=$((${hcalls[$hook]:-0} + calls))
		hns[$hook]=$((${hns[$hook]:-0} + ns))
	done <"$WORK/$name.cost"
	for hook in set_state destroy sendrecv; do
		[ "${hcalls[$hook]:-0}" -gt 0 ] &&
			rec lc close "$cfg" "$r" "ns_$hook" "$(awk -v n="${hns[$hook]}" -v c="${hcalls[$hook]}" 'BEGIN{printf "%.1f", n / c}')"
		rec lc close "$cfg" "$r" "calls_per_req_$hook" "$(awk -v c="${hcalls[$hook]:-0}" -v q="$reqs" 'BEGIN{printf "%.2f", c / q}')"
	done
	rec lc close "$cfg" "$r" ns_per_req "$(awk '{t += $3} END{print t}' "$WORK/$name.cost" | awk -v q="$reqs" '{printf "%.0f", $1 / q}')"
	[ "$cfg" != floor ] && [ "$cfg" != tcplife ] && rec lc close "$cfg" "$r" lost "$RT_LOST"
}

section_lifecycle() {
	local r cfg
	command -v tcplife >/dev/null || die "tcplife missing: tests/install-deps.sh libbpf-tools"
	# tcplife attaches a classic tracepoint: tracefs must be mounted (unmounted again after)
	if ! mountpoint -q /sys/kernel/tracing; then
		mount -t tracefs nodev /sys/kernel/tracing || die "cannot mount tracefs"
		TRACEFS_MOUNTED=1
	fi
	STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled) || die "cannot read kernel.bpf_stats_enabled"
	sysctl -q -w kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled=1"
	log "lifecycle: $ROUNDS rounds x {${LC_CFGS[*]}}, Connection: close ${HTTP_SECS}s each, bpf_stats on"
	for ((r = 1; r <= ROUNDS; r++)); do
		for cfg in $(rotate $((r - 1)) "${LC_CFGS[@]}"); do
			lc_one "$cfg" "$r"
		done
		log "  round $r ns/request: $(for c in "${LC_CFGS[@]}"; do printf '%s=%s ' "$c" "$(vals lc close "$c" ns_per_req | tail -1)"; done)"
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_ORIG" || die "cannot restore kernel.bpf_stats_enabled"
	STATS_ORIG=''
	[ -n "$TRACEFS_MOUNTED" ] && umount /sys/kernel/tracing && TRACEFS_MOUNTED=''
}

# ---- run ----------------------------------------------------------------------------------------

want start && section_start
if want http || want hook || want lifecycle; then
	write_nginx_confs
	ngx_start "$NGX_DIR/upstream" "$UP"
	ngx_start "$NGX_DIR/proxy" "$PX"
	want http && section_http
	want hook && section_hook
	want lifecycle && section_lifecycle
	ngx_stop_all
fi
want storm && section_storm
want profile && section_profile
END_US=${EPOCHREALTIME/./}
ELAPSED=$(((END_US - START_US) / 1000000))
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -----------------------------------------------------------------------------------

. "$HERE/report.sh"
report >"$WORK/results.md" || die "report failed"
cp "$WORK/results.md" "$RESULTS" || die "cannot write $RESULTS"
echo
summary
echo
echo "bench: ${ELAPSED}s; all tables and commands in $RESULTS"
FAILED=0
