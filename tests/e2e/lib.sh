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
	schema_check_outputs
	if [ "$FAILED" = 0 ]; then rm -rf "$WORK"; else echo "logs kept in $WORK"; fi
}
trap cleanup EXIT

# a port nobody listens on: the kernel's choice for a just-closed socket
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# rt_start NAME ARGS...: start rsttrace, stdout to $WORK/NAME.out, wait for the ready line on
# stderr (read from a FIFO, bounded to 15 s). Returns non-zero if it never came.
rt_start() {
	local name=${1//\//_}
	shift
	RT_OUT=$WORK/$name.out
	RT_ERR=$WORK/$name.err
	case " $* " in *" -j "* | *" --json "*) RT_JSON_OUTS+=("$RT_OUT") ;; esac
	mkfifo "$WORK/$name.fifo"
	"$RT" "$@" >"$RT_OUT" 2>"$WORK/$name.fifo" &
	RT_PID=$!
	wait_ready "$WORK/$name.fifo" "$RT_ERR"
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
	wait # the stderr drain
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
