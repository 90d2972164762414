# SPDX-License-Identifier: GPL-2.0
# tests/e2e/lib.sh - shared by the end-to-end tests: start rsttrace and wait for its ready
# line (no sleeps), stop it by pid, run a scenario, check JSON with jq, report PASS/FAIL.
# Each test runs in its own temporary directory, kept when something failed.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RT=$ROOT/rsttrace
SCEN=$ROOT/.output/scen
WORK=$(mktemp -d /tmp/rsttrace-e2e.XXXXXX)
FAILED=0
RT_PID=
RT_MORE_PIDS=() # further rsttrace instances a test runs beside RT_PID (rt_start_beside)

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1: $2"
	FAILED=1
}
# check NAME CONDITION-COMMAND...: PASS when the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

# Every JSON output of rsttrace a test leaves in $WORK is checked against the contract
# (schema/rsttrace.schema.json), one PASS/FAIL line per file: the outputs of rt_start with
# -j/--json, and any other *.out (also in subdirectories) whose first line is a record.
RT_JSON_OUTS=()
schema_check_outputs() {
	local f files=()
	while IFS= read -r -d '' f; do
		case " ${RT_JSON_OUTS[*]} " in *" $f "*) continue ;; esac
		[ "$(head -c 9 "$f")" = '{"type":"' ] && files+=("$f")
	done < <(find "$WORK" -type f -name '*.out' -print0 2>/dev/null)
	for f in "${RT_JSON_OUTS[@]}"; do [ -e "$f" ] && files+=("$f"); done
	[ ${#files[@]} -eq 0 ] && return
	(cd "$WORK" && "$ROOT/tests/validate-json.py" "${files[@]#"$WORK"/}") || FAILED=1
}

cleanup() {
	[ -n "$RT_PID" ] && kill -KILL "$RT_PID" 2>/dev/null
	for p in "${RT_MORE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	schema_check_outputs
	if [ "$FAILED" = 0 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT

# a port nobody listens on: the kernel's choice for a just-closed socket
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# rt_start NAME ARGS...: start rsttrace, stdout to $WORK/NAME.out, wait for the ready line on
# stderr (read from a FIFO, bounded to 15 s). Returns non-zero if it never came. With
# RT_NETNS=NAME set, rsttrace runs in that network namespace.
rt_start() {
	local name=${1//\//_}
	shift
	RT_OUT=$WORK/$name.out
	RT_ERR=$WORK/$name.err
	case " $* " in *" -j "* | *" --json "*) RT_JSON_OUTS+=("$RT_OUT") ;; esac
	mkfifo "$WORK/$name.fifo"
	if [ -n "${RT_NETNS:-}" ]; then
		# inside that network namespace (its netfilter hook sees that namespace's
		# packets); ip netns exec execs: $! is rsttrace's pid
		ip netns exec "$RT_NETNS" "$RT" "$@" >"$RT_OUT" 2>"$WORK/$name.fifo" &
	else
		"$RT" "$@" >"$RT_OUT" 2>"$WORK/$name.fifo" &
	fi
	RT_PID=$!
	wait_ready "$WORK/$name.fifo" "$RT_ERR"
	local ready=$?
	RT_DRAIN=$! # wait_ready's stderr copy
	return $ready
}

# wait_ready FIFO ERRFILE: copy rsttrace's stderr from FIFO to ERRFILE until its ready line
# (bounded to 15 s), then keep copying in the background. Fails if the line never came.
wait_ready() {
	local line
	exec 3<"$1"
	: >"$2"
	while IFS= read -r -t 15 -u 3 line; do
		echo "$line" >>"$2"
		case $line in "rsttrace: tracing"*) break ;; esac
	done
	cat <&3 >>"$2" &
	exec 3<&-
	grep -q '^rsttrace: tracing' "$2"
}

# rt_start_beside NAME ARGS...: rt_start for a second instance that runs beside the next
# one; its pid in BESIDE_PID, its output in BESIDE_OUT (stop it with rt_stop_beside)
rt_start_beside() {
	rt_start "$@" || return
	BESIDE_PID=$RT_PID BESIDE_OUT=$RT_OUT BESIDE_DRAIN=$RT_DRAIN BESIDE_RUNNING=1
	RT_MORE_PIDS+=("$RT_PID")
	RT_PID=
}

rt_stop_beside() {
	local pid=$RT_PID drain=$RT_DRAIN rc
	RT_PID=$BESIDE_PID RT_DRAIN=$BESIDE_DRAIN
	rt_stop
	rc=$?
	RT_PID=$pid RT_DRAIN=$drain BESIDE_RUNNING=
	return $rc
}

# same_timelines NAME PORT FILE_A FILE_B: PASS if both outputs hold the same timelines of
# connections on PORT: the same events, verdicts and causes (not the same times, nor always
# the same order of events microseconds apart: each instance's programs read the clock
# themselves; nor the owners' cgroups: each instance reads /proc/PID/cgroup itself, racing
# the process's exit)
same_timelines() {
	local q='[.[] | select(.type == "timeline" and (.conn.a.port == $p or .conn.b.port == $p))
		 | del(.events[].time, .events[].ts_ns, .events[].t_ms, .caused_by.time,
		       .caused_by.ts_ns, .caused_by.t_ms)
		 | walk(if type == "object" then del(.cgroup, .container, .unit) else . end)
		 | .events |= sort_by(.side, .kind)] | sort_by(.conn)'
	if diff <(jq -S -s --argjson p "$2" "$q" "$3") <(jq -S -s --argjson p "$2" "$q" "$4") >"$WORK/same.diff" 2>&1 &&
		[ "$(jq -s --argjson p "$2" "$q | length" "$3")" -gt 0 ]; then
		pass "$1"
	else
		fail "$1" "timelines on port $2 differ (or none): $3 $4"
		head -60 "$WORK/same.diff" | sed 's/^/    /'
	fi
}

# rt_stop: SIGINT, wait (bounded 10 s) and return rsttrace's exit status
rt_stop() {
	local i rc
	kill -INT "$RT_PID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$RT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$RT_PID" 2>/dev/null && kill -KILL "$RT_PID"
	wait "$RT_PID"
	rc=$?
	RT_PID=
	# the stderr drain; only this instance's while another runs beside (a plain wait would
	# wait for that one too)
	if [ -n "${BESIDE_RUNNING:-}" ]; then wait "$RT_DRAIN"; else wait; fi
	return $rc
}

# jq_true NAME FILTER: PASS if the filter, run over all JSON lines slurped into an array
# as $ev (events only), yields true
jq_true() {
	local name=$1 filter=$2
	if jq -e -s "[.[] | select(.type == \"event\")] as \$ev | $filter" "$RT_OUT" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "jq: $filter"
		echo "  events:"
		jq -c 'select(.type=="event") | [.kind,.pid,.comm,.saddr,.sport,.daddr,.dport,.state,.reason,.errno,.trigger_comm]' "$RT_OUT" | sed 's/^/    /'
	fi
}

# tl_true NAME FILTER: PASS if the filter, run over the timelines slurped into an array as
# $tl, yields true
tl_true() {
	local name=$1 filter=$2
	if jq -e -s "[.[] | select(.type == \"timeline\")] as \$tl | $filter" "$RT_OUT" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "jq: $filter"
		jq -c 'select(.type == "timeline") | [.verdict.code, .conn, .caused_by.kind, .caused_by.comm, .verdict.summary]' "$RT_OUT" | sed 's/^/    /'
	fi
}

# scen_pid SCENFILE ROLE: the pid a scenario printed for cli or srv
scen_pid() {
	sed -n "s/.* role=$2 pid=\([0-9]*\) .*/\1/p" "$1" | head -1
}
