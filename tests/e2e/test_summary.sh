#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: --summary with real resets. Every incident lands in exactly one interval's table,
# rows by (process name, peer, verdict), counts add up, tables come every interval.
. "$(dirname "$0")/lib.sh"

P1=$(free_port)
P2=$(free_port)
NREF=5

# JSON: five refused connects (five processes of one name) and one write after peer close
if rt_start json -j --summary=0.5 -P "$P1,$P2"; then
	for i in $(seq $NREF); do
		"$SCEN" refused "$P1" >>"$WORK/json.scen" || fail "json: scen refused" "exit $?"
	done
	"$SCEN" wapc "$P2" >>"$WORK/json.scen" || fail "json: scen wapc" "exit $?"
	# a second table must come by itself (no signal): wait for it, bounded to 10 s
	for _ in $(seq 100); do
		[ "$(grep -c '"type":"summary"' "$RT_OUT")" -ge 2 ] && break
		sleep 0.1
	done
	rt_stop
	S='[.[] | select(.type == "summary")]'
	check "json: tables every interval (two or more)" \
		test "$(grep -c '"type":"summary"' "$RT_OUT")" -ge 2
	check "json: no timelines printed" test "$(grep -c '"type":"timeline"' "$RT_OUT")" = 0
	check "json: each table adds up (rows + incidents_more + untracked = incidents)" \
		jq -e -s "$S | length > 0 and all(.[]; .incidents == ([.rows[].count] | add // 0) + .incidents_more + .untracked)" "$RT_OUT"
	check "json: $((NREF + 1)) incidents in all, the last total says so" \
		jq -e -s "$S | ([.[].incidents] | add) == $((NREF + 1)) and .[-1].total == $((NREF + 1))" "$RT_OUT"
	check "json: refused x$NREF from rt_cli_ref to port $P1 (several pids: pid null)" \
		jq -e -s "$S | [.[].rows[] | select(.verdict == \"refused\" and .comm == \"rt_cli_ref\" and .pid == null and .peer.port == $P1) | .count] | add == $NREF" "$RT_OUT"
	check "json: write_after_peer_close from rt_cli_wapc to rt_srv_wapc on port $P2" \
		jq -e -s "$S | any(.[].rows[]; .verdict == \"write_after_peer_close\" and .comm == \"rt_cli_wapc\" and .peer.port == $P2 and .peer.comm == \"rt_srv_wapc\" and .count == 1)" "$RT_OUT"
	check "json: intervals of about 0.5 s" \
		jq -e -s "$S | .[:-1] | all(.[]; .interval_s >= 0.5 and .interval_s < 1.5)" "$RT_OUT"
	check "json: the stats line last" jq -e -s '.[-1].type == "stats"' "$RT_OUT"
else
	fail "json: ready line" "$(cat "$RT_ERR")"
fi

# text: the table, its header and a row
if rt_start text --summary=60 -P "$P1"; then
	"$SCEN" refused "$P1" >"$WORK/text.scen" || fail "text: scen refused" "exit $?"
	CLI=$(scen_pid "$WORK/text.scen" cli)
	rt_stop
	check "text: the table at exit, with its counts" \
		grep -q '^rsttrace summary at [0-9:.]*: 1 incidents in the last [0-9.]* s, 1 since the start$' "$RT_OUT"
	check "text: column header" grep -q '^  COUNT  *VERDICT  *PROCESS  *PEER  *PEER PROCESS$' "$RT_OUT"
	check "text: the row" grep -Eq "^  1 +refused +$CLI/rt_cli_ref +127\.0\.0\.1:$P1( |$)" "$RT_OUT"
else
	fail "text: ready line" "$(cat "$RT_ERR")"
fi

# a bad interval: exit 2, the value named, nothing on stdout
"$RT" --summary=0 >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
check "--summary=0: exit 2 naming the value, nothing on stdout" \
	test "$rc" = 2 -a ! -s "$WORK/bad.out" -a -n "$(grep "invalid summary interval '0'" "$WORK/bad.err")"
exit $FAILED
