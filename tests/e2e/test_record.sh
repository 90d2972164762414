#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Record and replay (docs/recording.md): a live run with -w on real scenarios, then -r prints
# the same timelines (byte for byte: same ticks, same owner answers, same clock); replay with a
# user-space filter, in --events and text modes, without root; a recording cut mid-record or
# with a corrupt head or record names the byte offset and still shows what came before; a
# recorder killed with SIGKILL leaves a file that replays; usage errors.
. "$(dirname "$0")/lib.sh"

# frames FILE: "offset type length" of every record (the format of docs/recording.md)
frames() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
o = 16
while o + 8 <= len(d):
    t, n = struct.unpack_from('<II', d, o)
    print(o, t, n)
    o += 8 + n
PY
}

P1=$(free_port)
P2=$(free_port)
[ "$P1" = "$P2" ] && P2=$((P1 + 1))
REC=$WORK/live.rec

# ---- live, timelines, JSON, recording ------------------------------------------------------
if ! rt_start live -j -w "$REC" -P "$P1,$P2"; then
	fail "live: ready line" "$(cat "$RT_ERR")"
	exit 1
fi
"$SCEN" wapc "$P1" >"$WORK/wapc.scen" 2>&1
check "scenario wapc behaved" test $? = 0
"$SCEN" unread "$P2" >"$WORK/unread.scen" 2>&1
check "scenario unread behaved" test $? = 0
rt_stop
check "live: exit 0" test $? = 0
LIVE=$RT_OUT
tl_true "live: the two incidents' timelines" \
	'([$tl[].verdict.code] | sort) == ["abort_unread_data", "write_after_peer_close"]'

"$RT" -r "$REC" -j >"$WORK/replay.json" 2>"$WORK/replay.err"
check "replay: exit 0" test $? = 0
check "replay: no message but the summary (clean end record)" \
	test -z "$(grep -v '^rsttrace: [0-9]* events, 0 lost' "$WORK/replay.err")"
check "replay: the same timelines and stats as the live run, byte for byte" \
	cmp -s "$LIVE" "$WORK/replay.json"
check "replay: the same timelines compared as JSON (jq -S)" \
	test "$(jq -cS 'select(.type == "timeline")' "$LIVE")" = \
	"$(jq -cS 'select(.type == "timeline")' "$WORK/replay.json")"
RT_OUT=$WORK/replay.json
jq_true "replay: stats count every recorded event, none lost, probes from the header" \
	'(.[-1].type == "stats") and .[-1].events > 10 and .[-1].lost == 0 and
	 .[-1].probes.send_reset != null'

# ---- filters, modes, no root --------------------------------------------------------------
"$RT" -r "$REC" -j -P "$P1" >"$WORK/p1.json"
check "replay -P: exit 0" test $? = 0
check "replay -P $P1: exactly the live timelines on that port" \
	test "$(jq -c "select(.type == \"timeline\" and (.conn.a.port == $P1 or .conn.b.port == $P1))" "$LIVE")" = \
	"$(jq -c 'select(.type == "timeline")' "$WORK/p1.json")"
RT_OUT=$WORK/p1.json
tl_true "replay -P $P1: one timeline, write_after_peer_close" \
	'($tl | length) == 1 and $tl[0].verdict.code == "write_after_peer_close"'
SRV=$(scen_pid "$WORK/unread.scen" srv)
"$RT" -r "$REC" -j -p "$SRV" >"$WORK/pid.json"
RT_OUT=$WORK/pid.json
tl_true "replay -p (unread's server): only its timeline" \
	'($tl | length) == 1 and $tl[0].verdict.code == "abort_unread_data"'
"$RT" -r "$REC" -j -c no_such_comm >"$WORK/comm.json"
RT_OUT=$WORK/comm.json
tl_true "replay -c with no match: no timeline" '($tl | length) == 0'

"$RT" -r "$REC" -j --events >"$WORK/events.json"
RT_OUT=$WORK/events.json
jq_true "replay --events: the events of both scenarios, no more than recorded" \
	"any(\$ev[]; .kind == \"write_error\" and .errno == \"EPIPE\" and .sport == $P1) and
	 any(\$ev[]; .kind == \"rst_sent\" and .reason == \"TCP_ABORT_ON_CLOSE\" and .sport == $P2) and
	 (\$ev | length) <= .[-1].events"
"$RT" -r "$REC" >"$WORK/text.out" 2>"$WORK/text.err"
check "replay, text: the verdict lines" \
	grep -q "^write_after_peer_close: " "$WORK/text.out"
check "replay, text: counts on stderr" grep -q "^rsttrace: [0-9]* events, 0 lost" "$WORK/text.err"
cp "$REC" "$WORK/nobody.rec"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$RT" -r - -j <"$WORK/nobody.rec" >"$WORK/nobody.json" 2>"$WORK/nobody.err"
check "replay without root or capabilities (stdin): same output" \
	cmp -s "$LIVE" "$WORK/nobody.json"

# ---- live --events recording replays the same events ---------------------------------------
P3=$(free_port)
if rt_start events --events -j -w "$WORK/events.rec" -P "$P3"; then
	"$SCEN" linger "$P3" >/dev/null 2>&1
	rt_stop
	"$RT" -r "$WORK/events.rec" --events -j >"$WORK/events-replay.json"
	check "--events: replay prints what the live run printed" cmp -s "$RT_OUT" "$WORK/events-replay.json"
	"$RT" -r "$WORK/events.rec" -j >"$WORK/events-tl.json"
	RT_OUT=$WORK/events-tl.json
	tl_true "--events recording replayed as timelines: linger_abort" \
		'any($tl[]; .verdict.code == "linger_abort")'
else
	fail "--events live: ready line" "$(cat "$RT_ERR")"
fi

# ---- truncated and corrupt -----------------------------------------------------------------
frames "$REC" >"$WORK/frames"
# the 6th event record: cut 5 bytes into its frame
read -r off _ _ <<<"$(awk '$2 == 2' "$WORK/frames" | sed -n 6p)"
head -c $((off + 5)) "$REC" >"$WORK/cut.rec"
"$RT" -r "$WORK/cut.rec" -j --events >"$WORK/cut.json" 2>"$WORK/cut.err"
check "truncated: exit 1" test $? = 1
check "truncated: stderr names the offset $off" \
	grep -q "cut.rec: truncated record at offset $off: 5 of 8 frame bytes present; the records before it were replayed" "$WORK/cut.err"
RT_OUT=$WORK/cut.json
jq_true "truncated: the 5 events before it printed, then the stats" \
	'($ev | length) == 5 and .[-1].type == "stats" and .[-1].events == 5'
# cut inside an event's payload
head -c $((off + 8 + 50)) "$REC" >"$WORK/cut2.rec"
"$RT" -r "$WORK/cut2.rec" -j >/dev/null 2>"$WORK/cut2.err"
check "truncated payload: exit 1, offset and sizes named" \
	grep -q "truncated record at offset $off: type 2 needs [0-9]* bytes, 50 present" "$WORK/cut2.err"

cp "$REC" "$WORK/magic.rec"
printf 'X' | dd of="$WORK/magic.rec" bs=1 seek=0 conv=notrunc status=none
"$RT" -r "$WORK/magic.rec" -j >"$WORK/magic.out" 2>"$WORK/magic.err"
check "corrupt head: exit 1" test $? = 1
check "corrupt head: says so, offset 0" grep -q "not an rsttrace recording (offset 0" "$WORK/magic.err"
check "corrupt head: nothing on stdout" test ! -s "$WORK/magic.out"
cp "$REC" "$WORK/version.rec"
printf '\x07' | dd of="$WORK/version.rec" bs=1 seek=8 conv=notrunc status=none
"$RT" -r "$WORK/version.rec" -j >/dev/null 2>"$WORK/version.err"
check "other format version: named, offset 8" \
	grep -q "recording format version 7 at offset 8" "$WORK/version.err"
cp "$REC" "$WORK/type.rec"
printf '\x63' | dd of="$WORK/type.rec" bs=1 seek="$off" conv=notrunc status=none
"$RT" -r "$WORK/type.rec" -j --events >"$WORK/type.json" 2>"$WORK/type.err"
check "corrupt record type: exit 1" test $? = 1
check "corrupt record type: offset named" \
	grep -q "corrupt record at offset $off: unknown record type 99" "$WORK/type.err"
RT_OUT=$WORK/type.json
jq_true "corrupt record: the events before it printed" '($ev | length) == 5'

# ---- SIGKILL: at most the last batch lost ---------------------------------------------------
P4=$(free_port)
if rt_start killed -j -w "$WORK/killed.rec" -P "$P4"; then
	"$SCEN" wapc "$P4" >/dev/null 2>&1
	# the batch is written within one 100 ms loop turn; bounded wait for it (5 s)
	for _ in $(seq 50); do
		"$RT" -r "$WORK/killed.rec" -j --events 2>/dev/null | grep -q '"kind":"write_error"' && break
		sleep 0.1
	done
	kill -KILL "$RT_PID"
	wait "$RT_PID" 2>/dev/null
	RT_PID=
	wait
	"$RT" -r "$WORK/killed.rec" -j >"$WORK/killed.json" 2>"$WORK/killed.err"
	check "killed recorder: replay exits 0" test $? = 0
	check "killed recorder: says the end record is missing" \
		grep -q "no end record (the recorder was killed" "$WORK/killed.err"
	RT_OUT=$WORK/killed.json
	tl_true "killed recorder: the incident is still there (printed at the end of the file)" \
		'any($tl[]; .verdict.code == "write_after_peer_close")'
else
	fail "killed: ready line" "$(cat "$RT_ERR")"
fi

# ---- the incident (nginx -> Go gateway, tests/e2e/incident/run.sh) -------------------------
# the cause comes from another connection and its actor from the kernel's owner answers:
# the replay must name them as the live run did. Then an unfiltered recording replayed with
# -P: the user-space filter must keep the cause, as the kernel filter does.
INC=$ROOT/tests/e2e/incident
if timeout -s TERM 60 "$INC/run.sh" off "$WORK/inc" -j -w "$WORK/inc.rec" -P @GW_PORT@ \
	>"$WORK/inc.log" 2>&1; then
	"$RT" -r "$WORK/inc.rec" -j >"$WORK/inc-replay.json"
	check "incident: replay prints the live run's output, byte for byte" \
		cmp -s "$WORK/inc/rsttrace.out" "$WORK/inc-replay.json"
	RT_OUT=$WORK/inc-replay.json
	tl_true "incident: replay names the verdict and the client that started it" \
		'any($tl[]; .verdict.code == "client_abort_propagated" and .caused_by.comm == "curl")'
else
	fail "incident run (recorded -P)" "$(tail -5 "$WORK/inc.log")"
fi
if timeout -s TERM 60 "$INC/run.sh" off "$WORK/inc2" -j -w "$WORK/inc2.rec" \
	>"$WORK/inc2.log" 2>&1; then
	. "$WORK/inc2/ports"
	"$RT" -r "$WORK/inc2.rec" -j -P "$GW_PORT" >"$WORK/inc2-replay.json"
	RT_OUT=$WORK/inc2-replay.json
	tl_true "incident, unfiltered recording replayed with -P GATEWAY: only the upstream timeline, with its cause" \
		"(\$tl | length) == 1 and \$tl[0].verdict.code == \"client_abort_propagated\" and
		 \$tl[0].caused_by.comm == \"curl\" and (\$tl[0].conn.b.port == $GW_PORT)"
	"$RT" -r "$WORK/inc2.rec" -j >"$WORK/inc2-all.json"
	check "incident, unfiltered recording: the full replay is the live output" \
		cmp -s "$WORK/inc2/rsttrace.out" "$WORK/inc2-all.json"
else
	fail "incident run (recorded unfiltered)" "$(tail -5 "$WORK/inc2.log")"
fi

# ---- usage ---------------------------------------------------------------------------------
for bad in "-w $WORK/x.rec" "--probes tracepoint" "--list-probes" "-d 1"; do
	name=${bad%% *}
	"$RT" -r "$REC" $bad >"$WORK/usage.out" 2>"$WORK/usage.err"
	rc=$?
	check "-r with $name: exit 2" test "$rc" = 2
	check "-r with $name: the message names it, nothing on stdout" \
		sh -c "grep -q -- \"cannot be combined with $name\" '$WORK/usage.err' && test ! -s '$WORK/usage.out'"
done
"$RT" -r "$WORK/does-not-exist.rec" >"$WORK/usage.out" 2>"$WORK/usage.err"
check "-r missing file: exit 1, named" \
	sh -c "test $? = 1 && grep -q 'cannot open the recording .*does-not-exist.rec' '$WORK/usage.err'"
"$RT" -r "" >/dev/null 2>"$WORK/usage.err"
check "-r '': exit 2" test $? = 2
exit $FAILED
