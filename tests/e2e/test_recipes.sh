#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The jq recipes of docs/recipes.md, run exactly as written (each block after a "<!-- recipe NAME -->"
# line) on the golden recording of five real scenarios, with rsttrace from this tree first
# on PATH. Each recipe's output is checked against what the golden expected output
# (tests/golden/scenarios.json, the live run's -j output) says it must contain.
. "$(dirname "$0")/lib.sh"

README=$ROOT/docs/recipes.md
GOLDEN=$ROOT/tests/golden/scenarios.json
cp "$ROOT/tests/golden/scenarios.rec" "$WORK/capture.rec"

# recipe NAME: the command of that recipe (the first line of its block that is not a comment)
recipe() {
	awk -v m="<!-- recipe $1 -->" '
		$0 == m { on = 1; next }
		on && /^```/ { if (fence++) exit; next }
		on && fence && !/^#/ && NF { print; exit }' "$README"
}

# run_recipe NAME: run it in $WORK, output in $WORK/NAME.txt; PASS when it exits 0
run_recipe() {
	local cmd
	cmd=$(recipe "$1")
	if [ -z "$cmd" ]; then
		fail "recipe $1" "no <!-- recipe $1 --> block in docs/recipes.md"
		return 1
	fi
	echo "recipe $1: $cmd"
	(cd "$WORK" && PATH=$ROOT:$PATH timeout 30 bash -o pipefail -c "$cmd") >"$WORK/$1.txt" 2>"$WORK/$1.err"
	check "recipe $1 runs as written (exit 0)" test $? = 0
}

has() { grep -qE -- "$2" "$WORK/$1.txt"; }

# verdicts: one line per verdict of the golden timelines, with its count
run_recipe verdicts
want=$(jq -r 'select(.type == "timeline") | .verdict.code' "$GOLDEN" | sort | uniq -c | sort -rn | awk '{print $1, $2}' | sort)
got=$(awk '{print $1, $2}' "$WORK/verdicts.txt" | sort)
check "recipe verdicts: the golden run's verdicts and counts" test "$got" = "$want"
check "recipe verdicts: refused counted once" has verdicts '^ *1 refused$'

# errors: every (process, errno) of the golden events, e.g. the refused client's ECONNREFUSED
run_recipe errors
check "recipe errors: the refused client's ECONNREFUSED" has errors '^ *1 rt_cli_ref ECONNREFUSED$'
check "recipe errors: the wapc server's EPIPE" has errors ' rt_srv_wapc EPIPE$'
n_err=$(jq -r 'select(.type == "timeline") | .events[] | select(.errno != null) | "\(.comm) \(.errno)"' "$GOLDEN" | sort -u | wc -l)
check "recipe errors: one line per (process, errno) of the golden timelines ($n_err)" test "$(wc -l <"$WORK/errors.txt")" = "$n_err"

# peers: the unread-data server (port 18879) reset its client once
run_recipe peers
check "recipe peers: the unread-data server's reset" has peers '^ *1 127\.0\.0\.1:18879$'
n_rr=$(jq -s '[.[] | select(.type == "timeline") | .events[] | select(.kind == "rst_recv")] | length' "$GOLDEN")
check "recipe peers: counts add up to the golden run's rst_recv ($n_rr)" \
	test "$(awk '{s += $1} END {print s + 0}' "$WORK/peers.txt")" = "$n_rr"

# process: the one timeline rt_srv_wapc took part in, as its sentence
run_recipe process
check "recipe process: one timeline" test "$(wc -l <"$WORK/process.txt")" = 1
check "recipe process: its sentence names the write that provoked the reset" has process 'rt_srv_wapc \(pid [0-9]+\) wrote 16384 bytes'

[ "$FAILED" = 0 ]
