#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: output faults. A reader that goes away (`| head -1`, `| sleep`) ends rsttrace
# quietly with exit 0 (SIGPIPE ignored, EPIPE or a hung-up pipe noticed); a stdout closed at
# exec or full (/dev/full) is exit 1 with a clear message; a slow reader during an RST storm
# blocks the drain, and then the kernel counts every record it could not queue: records
# received + lost = records generated, reported in the stats line and on stderr.
. "$(dirname "$0")/lib.sh"
jq_quiet() { jq "$@" >/dev/null; } # a check on jq's exit status only
BENCH=$ROOT/.output/bench
if [ ! -x "$BENCH/rstgen" ]; then
	make -C "$ROOT" --no-print-directory -s .output/bench/rstgen >/dev/null ||
		fail "build bench/rstgen" "make .output/bench/rstgen failed"
fi

# start_piped NAME READER ARGS...: rsttrace ARGS | bash -c READER, in the background; waits
# (bounded) for the ready line. Sets RT_PID (rsttrace itself), PIPE_JOB; rsttrace's exit
# status goes to $WORK/NAME.rc, its stderr to $WORK/NAME.err. Returns non-zero without a
# ready line.
start_piped() {
	local name=$1 reader=$2
	shift 2
	mkfifo "$WORK/$name.fifo"
	(
		(
			echo "$BASHPID" >"$WORK/$name.pid"
			exec "$RT" "$@" 2>"$WORK/$name.fifo"
		) | bash -c "$reader"
		echo "${PIPESTATUS[0]}" >"$WORK/$name.rc"
	) &
	PIPE_JOB=$!
	wait_ready "$WORK/$name.fifo" "$WORK/$name.err"
	local ready=$?
	RT_PID=$(cat "$WORK/$name.pid")
	return $ready
}

# wait_job PID SECONDS: wait for a background job, SIGKILL to rsttrace if it outlives the bound
wait_job() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$RT_PID" 2>/dev/null
		wait "$1"
		RT_PID=
		return 1
	fi
	wait "$1"
	RT_PID=
	wait # the stderr copier
}

only_ready_line() { test "$(grep -vc '^rsttrace: tracing' "$1")" = 0; }

# ---- a reader that goes away ---------------------------------------------------------------

# text events: head reads the header and leaves while rsttrace has written the rest of the
# batch into the pipe; nothing more is written after that, so only the hung-up pipe tells
# rsttrace its reader is gone
port=$(free_port)
if start_piped head_hdr 'head -1 >"'"$WORK"'/head_hdr.out"' --events -P "$port"; then
	"$SCEN" refused "$port" >/dev/null 2>&1
	check "| head -1, text: exits on its own within 5 s" wait_job "$PIPE_JOB" 5
	check "| head -1, text: exit 0" test "$(cat "$WORK/head_hdr.rc")" = 0
	check "| head -1, text: nothing on stderr but the ready line" only_ready_line "$WORK/head_hdr.err"
	check "| head -1, text: the header was read" grep -q '^TIME *EVENT' "$WORK/head_hdr.out"
else
	fail "| head -1 (text): ready line" "$(cat "$WORK/head_hdr.err")"
fi

# JSON timelines: the reader leaves after the first of several incidents
port=$(free_port)
if start_piped head_tl 'head -1 >"'"$WORK"'/head_tl.out"' -j -P "$port"; then
	for _ in 1 2 3; do "$SCEN" refused "$port" >/dev/null 2>&1; done
	"$SCEN" unread "$port" >/dev/null 2>&1
	check "| head -1 on timelines: exits on its own within 10 s" wait_job "$PIPE_JOB" 10
	check "| head -1 on timelines: exit 0 (not killed by SIGPIPE)" test "$(cat "$WORK/head_tl.rc")" = 0
	check "| head -1 on timelines: nothing on stderr but the ready line" only_ready_line "$WORK/head_tl.err"
	check "| head -1 on timelines: the line read is a timeline" jq_quiet -e '.type == "timeline"' "$WORK/head_tl.out"
else
	fail "| head -1 (timelines): ready line" "$(cat "$WORK/head_tl.err")"
fi

# a reader that never reads and exits while rsttrace is blocked writing a storm into the pipe
port=$(free_port)
if start_piped sleeper 'sleep 2' --events -j -P "$port"; then
	"$BENCH/rstgen" -s 1 -P "$port" >"$WORK/sleeper.gen"
	check "| sleep 2 under a storm: exits on its own within 10 s" wait_job "$PIPE_JOB" 10
	check "| sleep 2 under a storm: exit 0" test "$(cat "$WORK/sleeper.rc")" = 0
	check "| sleep 2 under a storm: nothing on stderr but the ready line" only_ready_line "$WORK/sleeper.err"
else
	fail "| sleep 2: ready line" "$(cat "$WORK/sleeper.err")"
fi

# ---- no stdout, a full stdout --------------------------------------------------------------

"$RT" -j -d 1 >&- 2>"$WORK/closed.err"
rc=$?
check "stdout closed (>&-): exit 1" test "$rc" = 1
check "stdout closed (>&-): says so" grep -qx 'rsttrace: standard output is closed: nothing to write the output to' "$WORK/closed.err"
check "stdout closed (>&-): never started tracing" bash -c "! grep -q 'rsttrace: tracing' '$WORK/closed.err'"

"$RT" -d 1 2>&- <&- | cat >"$WORK/closed2.out"
check "stdin and stderr closed: runs, exit 0" test "${PIPESTATUS[0]}" = 0

port=$(free_port)
"$RT" -j -d 0.5 -P "$port" >/dev/full 2>"$WORK/full.err"
rc=$?
check "stdout /dev/full: exit 1" test "$rc" = 1
check "stdout /dev/full: says the output failed and why" grep -qx 'rsttrace: writing the output failed: No space left on device' "$WORK/full.err"

# the failure comes from an event's write, after the ready line (rt_start would send stdout
# to a file)
port=$(free_port)
mkfifo "$WORK/full2.fifo"
"$RT" --events -j -P "$port" >/dev/full 2>"$WORK/full2.fifo" &
RT_PID=$!
exec 3<"$WORK/full2.fifo"
while IFS= read -r -t 15 -u 3 line; do
	echo "$line" >>"$WORK/full2.err"
	case $line in "rsttrace: tracing"*) break ;; esac
done
cat <&3 >>"$WORK/full2.err" &
exec 3<&-
"$SCEN" refused "$port" >/dev/null 2>&1
check "stdout /dev/full, events: stops by itself within 5 s" wait_job "$RT_PID" 5
check "stdout /dev/full, events: exit 1 with the reason" grep -qx 'rsttrace: writing the output failed: No space left on device' "$WORK/full2.err"

# ---- a slow reader during an RST storm -----------------------------------------------------

# records per refused connect on this kernel (connect, rst_sent, rst_recv, error_pending,
# destroy on 6.18), from three single connects that nothing can make it lose: the expected
# total below
port=$(free_port)
per=
if rt_start calib --events -j -P "$port"; then
	for _ in 1 2 3; do "$SCEN" refused "$port" >/dev/null 2>&1; done
	rt_stop
	read -r ev lost < <(jq -r 'select(.type == "stats") | "\(.events) \(.lost)"' "$RT_OUT")
	if [ "${lost:-x}" = 0 ] && [ "${ev:-0}" -gt 0 ] && [ $((ev % 3)) = 0 ]; then
		per=$((ev / 3))
		pass "calibration: $per records per refused connect ($ev for 3), none lost"
	else
		fail "calibration" "events=$ev lost=$lost for 3 refused connects: not a whole number each with nothing lost"
	fi
else
	fail "calibration: ready line" "$(cat "$RT_ERR")"
fi

port=$(free_port)
if [ -n "$per" ] && start_piped slow '(sleep 5; cat) >"'"$WORK"'/slow.out"' --events -j -P "$port"; then
	"$BENCH/rstgen" -s 2 -P "$port" >"$WORK/slow.gen"
	# stop while the reader still sleeps: the stop waits for the blocked write, nothing is lost
	# after the storm, and the stats line still comes
	kill -INT "$RT_PID"
	check "slow reader: exits within 30 s of SIGINT" wait_job "$PIPE_JOB" 30
	check "slow reader: exit 0" test "$(cat "$WORK/slow.rc")" = 0
	eval "$(tr ' ' '\n' <"$WORK/slow.gen" | grep -E '^(refused|other)=[0-9]+$')"
	check "slow reader: every connect of rstgen was refused (other=$other)" test "${other:-x}" = 0
	read -r ev lost mal shed shedkinds < <(jq -r 'select(.type == "stats") |
		"\(.events) \(.lost) \(.malformed) \([(.shed // {})[]] | add // 0) \((.shed // {}) | keys | join(","))"' "$WORK/slow.out")
	printed=$(grep -c '"type":"event"' "$WORK/slow.out")
	echo "slow reader: refused=$refused records expected=$((per * refused)) received=$ev lost=$lost shed=$shed ($shedkinds) printed=$printed"
	check "slow reader: the blocked drain made the kernel shed lifecycle records (shed $shed > 0)" test "${shed:-0}" -gt 0
	check "slow reader: only lifecycle records were shed ($shedkinds)" \
		bash -c "[[ '$shedkinds' =~ ^((connect|destroy|accept|peer_fin|close|write),?)+$ ]]"
	check "slow reader: received + lost + shed = generated ($ev + $lost + $shed = $per x $refused)" \
		test "$((ev + lost + shed))" = "$((per * refused))"
	check "slow reader: every record received was printed ($printed of $ev)" \
		test "$printed" = "$ev" -a "$mal" = 0
	check "slow reader: stderr reports the loss and the shedding" \
		grep -qx "rsttrace: $ev events, $lost lost$([ "$lost" != 0 ] && echo ' (ring buffer full)'), $shed shed (lifecycle records dropped to keep room for incidents)" "$WORK/slow.err"
else
	[ -n "$per" ] && fail "slow reader: ready line" "$(cat "$WORK/slow.err")"
fi

# once checked, the storm outputs are cut to their first 500 records and the stats line: lib.sh
# validates every JSON output against the schema at exit (a few hundred lines a second), and
# tens of thousands of identical refused events add nothing to that check
if [ "$FAILED" = 0 ]; then
	for f in "$WORK/slow.out"; do
		[ -f "$f" ] && { head -500 "$f"; grep '^{"type":"stats"' "$f"; } >"$f.cut" && mv "$f.cut" "$f"
	done
fi
exit $FAILED
