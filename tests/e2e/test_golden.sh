#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Golden tests: the checked-in recording of five real scenarios (tests/golden/record.sh made it
# and its expected outputs) replayed in every output mode must give exactly those outputs.
# No root, no kernel: what changes here is a change of the decode -> join -> verdict -> print
# core, to be explained (and the golden files regenerated) or fixed.
. "$(dirname "$0")/lib.sh"
G=$ROOT/tests/golden
REC=$G/scenarios.rec

# golden NAME EXPECTED ARGS...: replay with ARGS, compare with EXPECTED
golden() {
	local name=$1 want=$2
	shift 2
	TZ=UTC "$RT" -r "$REC" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	check "golden $name: exit 0" test $? = 0
	if cmp -s "$want" "$WORK/$name.out"; then
		pass "golden $name: output as recorded in $(basename "$want")"
	else
		fail "golden $name" "differs from $(basename "$want")"
		diff "$want" "$WORK/$name.out" | head -20
	fi
}

golden json "$G/scenarios.json" -j
golden events-text "$G/scenarios.events.txt" --events
golden text "$G/scenarios.txt"
golden filtered "$G/scenarios.P18878.json" -j -P 18878
RT_OUT=$G/scenarios.json
tl_true "golden: one timeline per scenario, each with its verdict" \
	'[$tl[].verdict.code] == ["write_after_peer_close", "abort_unread_data", "linger_abort", "refused", "keepalive_race"]'
exit $FAILED
