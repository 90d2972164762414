# SPDX-License-Identifier: GPL-2.0
# bench/lib.sh - process and bookkeeping helpers of bench/run.sh (sourced).
#
# Every process started here is remembered by pid and stopped by that pid; every wait is
# bounded. Readiness is read from the tool's stderr through a FIFO with a deadline (no
# sleeps). Each tool runs under /usr/bin/time, which gives its exact CPU time and peak RSS
# at exit (wait4 rusage).

# now_us: microseconds since the epoch (bash's clock, no fork)
now_us() { NOW_US=${EPOCHREALTIME/./}; }

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() {
	log "bench: FAILED: $*"
	exit 1
}

# rec SECTION GROUP CONFIG ROUND KEY VALUE: one measurement into $DATA
rec() { echo "$1 $2 $3 $4 $5 ${6:-NA}" >>"$DATA"; }

# spawn_wait NAME READY_PREFIX STDOUT CMD...: start CMD (under /usr/bin/time, rusage in
# $WORK/NAME.time) with stdout to STDOUT and stderr through a FIFO; read stderr until a line
# starting with READY_PREFIX, at most $READY_TIMEOUT s. Sets SP_TPID (time's pid), SP_PID
# (the command's pid), SP_DRAIN (the stderr copier), SP_READY (1/0), SP_READY_MS.
spawn_wait() {
	local name=$1 ready=$2 out=$3 fifo line fd t0 deadline left
	shift 3
	fifo=$WORK/$name.errfifo
	rm -f "$fifo" "$WORK/$name.time"
	mkfifo "$fifo" || die "mkfifo $fifo"
	: >"$WORK/$name.err"
	now_us
	t0=$NOW_US
	deadline=$((t0 + READY_TIMEOUT * 1000000))
	/usr/bin/time -f 'utime=%U stime=%S maxrss_kb=%M' -o "$WORK/$name.time" "$@" \
		>"$out" 2>"$fifo" &
	SP_TPID=$!
	exec {fd}<"$fifo"
	SP_READY=0
	while :; do
		now_us
		left=$((deadline - NOW_US))
		[ "$left" -le 0 ] && break
		printf -v left '%d.%06d' $((left / 1000000)) $((left % 1000000))
		IFS= read -r -t "$left" -u "$fd" line || break
		echo "$line" >>"$WORK/$name.err"
		case $line in "$ready"*)
			SP_READY=1
			break
			;;
		esac
	done
	now_us
	SP_READY_MS=$(((NOW_US - t0) / 100))
	SP_READY_MS=$((SP_READY_MS / 10)).$((SP_READY_MS % 10))
	cat <&"$fd" >>"$WORK/$name.err" &
	SP_DRAIN=$!
	exec {fd}<&-
	SP_PID=
	[ -r "/proc/$SP_TPID/task/$SP_TPID/children" ] &&
		read -r SP_PID _ <"/proc/$SP_TPID/task/$SP_TPID/children"
	if [ "$SP_READY" != 1 ] || [ -z "$SP_PID" ]; then
		[ -n "$SP_PID" ] && kill -KILL "$SP_PID" 2>/dev/null
		wait "$SP_TPID" 2>/dev/null
		wait "$SP_DRAIN" 2>/dev/null
		die "$name: no '$ready' line within ${READY_TIMEOUT}s: $*; stderr: $(head -c 2000 "$WORK/$name.err")"
	fi
}

# wait_gone PID SECONDS: poll until PID (our child) has exited, at most SECONDS
wait_gone() {
	local pid=$1 i
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# stop_wait PID TPID DRAIN: SIGINT to the command, wait (bounded) for time(1) to exit,
# SIGKILL if it did not
stop_wait() {
	local pid=$1 tpid=$2 drain=$3
	kill -INT "$pid" 2>/dev/null
	if ! wait_gone "$tpid" "$STOP_TIMEOUT"; then
		log "pid $pid did not stop within ${STOP_TIMEOUT}s after SIGINT: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		wait_gone "$tpid" 5
	fi
	wait "$tpid" 2>/dev/null
	wait "$drain" 2>/dev/null
}

# timefield NAME KEY: utime/stime/maxrss_kb from $WORK/NAME.time
timefield() { sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p" "$WORK/$1.time" 2>/dev/null | tail -1; }

# cpu_s NAME: utime+stime in seconds
cpu_s() { awk -v u="$(timefield "$1" utime)" -v s="$(timefield "$1" stime)" 'BEGIN{printf "%.2f", u+s}'; }

# proc_cpu_s PID: utime+stime of a running process so far, in seconds
CLK_TCK=$(getconf CLK_TCK)
proc_cpu_s() {
	awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null
}

# kv FILE KEY: the value of KEY=VALUE in an evcount output file (0 when absent)
kv() {
	local v
	v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | head -1)
	echo "${v:-0}"
}

# ---- rsttrace ---------------------------------------------------------------------------

RT_PID='' RT_TPID='' RT_DRAIN='' RT_NAME=''

# rt_start NAME ARGS...: rsttrace ARGS with stdout to a file in $OUTDIR (tmpfs when there is
# one: no reader process competes for the CPU, and writing is cheap), returns once its
# "rsttrace: tracing" line came. Records the start-up time and its CPU time at that point.
rt_start() {
	local name=$1
	shift
	RT_NAME=$name
	rm -f "$WORK/$name.count"
	echo "rsttrace $*" >"$WORK/$name.cmd"
	spawn_wait "$name" "rsttrace: tracing" "$OUTDIR/$name.json" "$RT" "$@"
	RT_PID=$SP_PID RT_TPID=$SP_TPID RT_DRAIN=$SP_DRAIN
	SP_TPID=''
	RT_CPU0=$(proc_cpu_s "$RT_PID")
	local key="$*"
	rec start all "${key// /_}" "$name" ready_ms "$SP_READY_MS"
}

# rt_stop: read VmHWM, SIGINT, wait; sets RT_HWM_KB, RT_CPU (CPU seconds from the ready line
# to the exit: the work, without start-up), RT_CPU_TOTAL, RT_MAXRSS_KB, RT_EVENTS,
# RT_LOST, RT_TIMELINES, RT_EVICTED (from the stats line), RT_COUNT (evcount's file of the
# output, which is then deleted) and RT_OUT_BYTES
rt_stop() {
	RT_HWM_KB=$(awk '/^VmHWM:/{print $2}' "/proc/$RT_PID/status" 2>/dev/null)
	stop_wait "$RT_PID" "$RT_TPID" "$RT_DRAIN"
	RT_COUNT=$WORK/$RT_NAME.count
	"$BIN/evcount" "$RT_COUNT" <"$OUTDIR/$RT_NAME.json" || log "$RT_NAME: evcount failed"
	RT_OUT_BYTES=$(stat -c %s "$OUTDIR/$RT_NAME.json" 2>/dev/null)
	rm -f "$OUTDIR/$RT_NAME.json"
	local stats
	stats=$(sed -n "s/^stats='\(.*\)'$/\1/p" "$RT_COUNT" 2>/dev/null)
	if [ -z "$stats" ]; then
		log "$RT_NAME: no stats line (stderr: $(head -c 500 "$WORK/$RT_NAME.err"))"
		stats='{}'
	fi
	echo "$stats" >"$WORK/$RT_NAME.stats"
	read -r RT_EVENTS RT_LOST RT_TIMELINES RT_EVICTED RT_FLOODED < <(jq -r \
		'[.events, .lost, .timelines, .evicted, .flooded] | map(if . == null then "NA" else tostring end) | join(" ")' \
		<<<"$stats" 2>/dev/null)
	RT_CPU_TOTAL=$(cpu_s "$RT_NAME")
	RT_CPU=$(awk -v a="$RT_CPU_TOTAL" -v b="${RT_CPU0:-0}" 'BEGIN{printf "%.2f", a - b}')
	RT_MAXRSS_KB=$(timefield "$RT_NAME" maxrss_kb)
	RT_PID='' RT_TPID=''
}

# rt_prog_ids / rt_map_ids: ids of the BPF programs and maps rsttrace holds (from fdinfo)
rt_prog_ids() { cat /proc/"$RT_PID"/fdinfo/* 2>/dev/null | awk '/^prog_id:/{print $2}' | sort -un; }
rt_map_ids() { cat /proc/"$RT_PID"/fdinfo/* 2>/dev/null | awk '/^map_id:/{print $2}' | sort -un; }

# ---- nginx ------------------------------------------------------------------------------

NGX_PIDS=''

# ngx_start PREFIX PORT: nginx in the foreground with PREFIX/nginx.conf, wait (bounded) until
# it listens on PORT
ngx_start() {
	local prefix=$1 port=$2 pid i
	nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/error.log" \
		>"$prefix/nginx.stdout" 2>&1 &
	pid=$!
	NGX_PIDS="$NGX_PIDS $pid"
	for ((i = 0; i < 200; i++)); do
		ss -Hltn "sport = :$port" | grep -q . && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	die "nginx ($prefix) did not listen on $port: $(tail -5 "$prefix/error.log" "$prefix/nginx.stdout" 2>/dev/null)"
}

ngx_stop_all() {
	local pid
	for pid in $NGX_PIDS; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $NGX_PIDS; do
		wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	NGX_PIDS=''
}

# free_port: a TCP port below the ephemeral range that nothing listens on or uses, and not
# handed out before in this run
USED_PORTS=' '
free_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 12000))
		case $USED_PORTS in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )")" ]; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# ---- statistics -------------------------------------------------------------------------

# vals SECTION GROUP CONFIG KEY: the recorded values, one per line (NA skipped)
vals() { awk -v s="$1" -v g="$2" -v c="$3" -v k="$4" '$1==s && $2==g && $3==c && $5==k && $6!="NA"{print $6}' "$DATA"; }

# mstat: "median min max n" of the numbers on stdin ("NA NA NA 0" when none)
mstat() {
	sort -g | awk '{a[NR]=$1} END{ if (NR==0) {print "NA NA NA 0"; exit}
		m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m, a[1], a[NR], NR }'
}

# agg SECTION GROUP CONFIG KEY: "median min max n"
agg() { vals "$@" | mstat; }

# paired SECTION GROUP CONFIG BASECONFIG KEY: per round CONFIG/BASECONFIG ratios, "median min max n"
paired() {
	awk -v s="$1" -v g="$2" -v c="$3" -v b="$4" -v k="$5" '
		$1==s && $2==g && $5==k && $6!="NA" && $3==c {x[$4]=$6}
		$1==s && $2==g && $5==k && $6!="NA" && $3==b {y[$4]=$6}
		END { for (r in x) if ((r in y) && y[r] > 0) printf "%.6f\n", x[r]/y[r] }' "$DATA" | mstat
}

# pdiff SECTION CONFIG BASECONFIG NAME KEY: per round NAME's KEY in CONFIG minus the same in
# BASECONFIG, "median min max n"
pdiff() {
	awk -v s="$1" -v c="$2" -v b="$3" -v n="$4" -v k="$5" '
		$1==s && $3==n && $5==k && $6!="NA" && $2==c {x[$4]=$6}
		$1==s && $3==n && $5==k && $6!="NA" && $2==b {y[$4]=$6}
		END { for (r in x) if (r in y) printf "%.3f\n", x[r] - y[r] }' "$DATA" | mstat
}

# fmt FORMAT "median min max n": "M (min-max)" with printf FORMAT for each number
fmt() {
	awk -v f="$1" -v v="$2" 'BEGIN{ split(v, a, " "); if (a[1]=="NA") {print "n/a"; exit}
		printf f " (" f "-" f ")\n", a[1], a[2], a[3] }'
}
# med "median min max n" -> median; medf FORMAT "median min max n" -> the median formatted
med() { echo "${1%% *}"; }
medf() { awk -v f="$1" -v v="${2%% *}" 'BEGIN{ if (v == "NA" || v == "") print "n/a"; else printf f "\n", v }'; }
