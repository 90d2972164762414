#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/run.sh SUITE TEST... - run test programs and scripts, keep each one's log, count.
# A test prints "PASS name" / "FAIL name ..." lines; a test that exits non-zero without a
# FAIL line counts as one failure, one that ran no check at all (and exited 0) as skipped,
# never as passed. Last line: "N passed, M failed, K skipped".
set -u
suite=$1
shift
logdir=${RT_TEST_LOGS:-.output/test-logs}
mkdir -p "$logdir"
passed=0
failed=0
skipped=0
for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	start=$(date +%s.%N)
	"$t" >"$log" 2>&1
	rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc without a FAIL line" >>"$log"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		skipped=$((skipped + 1))
		printf '%-28s  SKIPPED (no check ran: %s)  (log: %s)\n' "$name" \
			"$(grep -m1 -i 'skip' "$log" || echo 'no reason given')" "$log"
		continue
	fi
	printf '%-28s %4d passed %3d failed  %6ss  (log: %s)\n' "$name" "$p" "$f" "$secs" "$log"
	if [ "$f" -ne 0 ]; then
		grep -A12 '^FAIL ' "$log" | head -60 | sed 's/^/    /'
	fi
done
echo "$suite: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
