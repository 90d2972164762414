#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The libFuzzer harness on the replay path (tests/fuzz/fuzz_replay.c, built by make): every
# input that once crashed it (tests/fuzz/regress/) and every seed replays clean, then a short
# fuzz run (FUZZ_SHORT seconds, default 20) finds nothing. `make fuzz` is the long run.
. "$(dirname "$0")/lib.sh"
FUZZER=$ROOT/.output/fuzz_replay
SECS=${FUZZ_SHORT:-20}

if [ ! -x "$FUZZER" ]; then
	fail "fuzzer built" "$FUZZER missing: make .output/fuzz_replay (needs clang and libclang-rt-dev)"
	exit 1
fi
for f in "$ROOT"/tests/fuzz/regress/* "$ROOT"/tests/fuzz/corpus/*; do
	[ -f "$f" ] || continue
	check "fuzz: $(basename "$(dirname "$f")")/$(basename "$f") runs clean" \
		timeout 60 "$FUZZER" -runs=1 "$f"
done >"$WORK/inputs.log" 2>&1
grep -E '^(PASS|FAIL)' "$WORK/inputs.log"
grep -q '^FAIL' "$WORK/inputs.log" && FAILED=1

mkdir -p "$WORK/corpus" "$WORK/crashes"
timeout $((SECS + 60)) "$FUZZER" -max_total_time="$SECS" -print_final_stats=1 \
	-artifact_prefix="$WORK/crashes/" "$WORK/corpus" "$ROOT/tests/fuzz/corpus" \
	>"$WORK/fuzz.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log")
if [ "$rc" = 0 ] && [ -z "$(ls "$WORK/crashes")" ] && [ "${runs:-0}" -gt 0 ]; then
	pass "fuzz: ${SECS} s on the replay path, $runs inputs, no crash, no leak, no UB"
else
	fail "fuzz: ${SECS} s run" "exit $rc, $(ls "$WORK/crashes" | wc -l) crash file(s) in $WORK/crashes"
	grep -E 'ERROR|runtime error|SUMMARY' "$WORK/fuzz.log" | head -5
fi
exit $FAILED
