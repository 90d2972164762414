#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/golden/record.sh - regenerate the golden recording (needs root): five scenarios of
# tests/scen/scen.c traced live with `rsttrace -j -w`, then the expected outputs replayed from
# it. The live JSON must equal the replayed one, or nothing is written. tests/e2e/test_golden.sh
# replays the recording and compares with these files.
#   scenarios.rec           the recording (-P 18878-18882)
#   scenarios.live.json     what the live run printed (timelines, stats)
#   scenarios.json          -r scenarios.rec -j
#   scenarios.events.txt    -r scenarios.rec --events (text; TZ=UTC)
#   scenarios.txt           -r scenarios.rec (text timelines; TZ=UTC)
#   scenarios.P18878.json   -r scenarios.rec -j -P 18878 (the user-space filter)
# --outputs-only: keep the recording, regenerate the expected outputs (no root): after an
# intended change of the output, reviewed with git diff.
set -eu
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
RT=$ROOT/rsttrace
SCEN=$ROOT/.output/scen

outputs() {
	"$RT" -r scenarios.rec -j >scenarios.json
	TZ=UTC "$RT" -r scenarios.rec --events >scenarios.events.txt 2>/dev/null
	TZ=UTC "$RT" -r scenarios.rec >scenarios.txt 2>/dev/null
	"$RT" -r scenarios.rec -j -P 18878 >scenarios.P18878.json
	echo "golden: $(jq -c 'select(.type=="timeline") | .verdict.code' scenarios.json | tr '\n' ' ')"
}
if [ "${1:-}" = --outputs-only ]; then
	outputs
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/err"
"$RT" -j -w "$tmp/rec" -P 18878-18882 >"$tmp/live.json" 2>"$tmp/err" &
pid=$!
exec 3<"$tmp/err"
while IFS= read -r -t 15 -u 3 line; do case $line in "rsttrace: tracing"*) break ;; esac; done
cat <&3 >/dev/null &
"$SCEN" wapc 18878 >/dev/null
"$SCEN" unread 18879 >/dev/null
"$SCEN" linger 18880 >/dev/null
"$SCEN" refused 18881 >/dev/null
"$SCEN" keepalive 18882 >/dev/null
kill -INT $pid
wait $pid
"$RT" -r "$tmp/rec" -j >"$tmp/replay.json"
cmp "$tmp/live.json" "$tmp/replay.json"
cp "$tmp/rec" scenarios.rec
cp "$tmp/live.json" scenarios.live.json
outputs
