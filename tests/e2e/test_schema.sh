#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The JSON schema (schema/rsttrace.schema.json) and its validator (tests/validate-json.py):
# real records from a real run pass; each kind of mistake a writer could make fails, naming
# the line; the JSON examples of the README and docs/ follow the schema. lib.sh validates every JSON output
# of the other tests with the same validator, so this is what makes that check trustworthy.
. "$(dirname "$0")/lib.sh"
VALIDATE=$ROOT/tests/validate-json.py

# real records: a refused connect (timeline) and a write after the peer closed (--events)
p1=$(free_port)
p2=$(free_port)
if rt_start tl -j -P "$p1"; then
	"$SCEN" refused "$p1" >"$WORK/scen1.txt" 2>&1
	rt_stop
	check "timeline run: exit 0" test "$?" = 0
else
	fail "timeline run: ready line" "$(cat "$RT_ERR")"
fi
if rt_start ev -j --events -P "$p2"; then
	"$SCEN" wapc "$p2" >"$WORK/scen2.txt" 2>&1
	rt_stop
	check "event run: exit 0" test "$?" = 0
else
	fail "event run: ready line" "$(cat "$RT_ERR")"
fi
jq -c 'select(.type == "timeline")' "$WORK/tl.out" | head -1 >"$WORK/timeline.jsonl"
jq -c 'select(.type == "event" and .kind == "write_error")' "$WORK/ev.out" | head -1 >"$WORK/event.jsonl"
jq -c 'select(.type == "stats")' "$WORK/ev.out" >"$WORK/stats.jsonl"
check "real run gave a timeline" test -s "$WORK/timeline.jsonl"
check "real run gave a write_error event" test -s "$WORK/event.jsonl"
check "real run gave a stats line" test -s "$WORK/stats.jsonl"

# a flood record as the README documents it (producing one takes a storm: bench/)
flood='{"type":"flood","verdict":"refused","count":33390,"conn":{"a":{"addr":"127.0.0.1","port":null,"pid":10617,"comm":"rstgen"},"b":{"addr":"127.0.0.1","port":35211,"pid":null,"comm":null}},"first":"2026-11-28T02:53:18.114514Z","last":"2026-11-28T02:53:18.728845Z","example":"rstgen (pid 10617) could not connect"}'
echo "$flood" >"$WORK/flood.jsonl"

for f in timeline event stats flood; do
	if out=$("$VALIDATE" "$WORK/$f.jsonl" 2>&1); then
		pass "schema accepts a real $f record"
	else
		fail "schema accepts a real $f record" "$out"
	fi
done

# bad LABEL FILE JQ-FILTER: the record of FILE changed by the filter, as line 2 after a valid
# line, must fail and the message must name line 2. All cases in one validator run (python
# and jsonschema take a third of a second to start).
BAD_LABELS=()
bad() {
	local n=${#BAD_LABELS[@]}
	BAD_LABELS+=("$1")
	{
		cat "$WORK/stats.jsonl"
		jq -c "$3" "$WORK/$2.jsonl"
	} >"$WORK/bad$n.jsonl"
}
bad "an unknown key in an event" event '. + {extra: 1}'
bad "a missing key in an event" event 'del(.cookie)'
bad "an unknown event kind" event '.kind = "reset"'
bad "a pid as a string" event '.pid = (.pid | tostring)'
bad "a cookie as a number" event '.cookie = 42'
bad "a port out of range" event '.sport = 70000'
bad "a time without microseconds" event '.time = (.time | sub("\\.[0-9]+Z$"; "Z"))'
bad "an errno on a connect" event '.kind = "connect"'
bad "a write_error without errno" event '.errno = null'
bad "a comm longer than 15" event '.comm = "abcdefghijklmnop"'
bad "an unknown record type" event '.type = "summary"'
bad "a record without type" event 'del(.type)'
bad "an unknown verdict code" timeline '.verdict.code = "weird"'
bad "a timeline event without side" timeline 'del(.events[0].side)'
bad "a timeline event with type" timeline '.events[0].type = "event"'
bad "an unknown key in a timeline end" timeline '.conn.a.host = "x"'
bad "a timeline without events_dropped" timeline 'del(.events_dropped)'
bad "caused_by as a string" timeline '.caused_by = "x"'
bad "an unknown key in stats" stats '. + {dropped: 0}'
bad "a negative count in stats" stats '.lost = -1'
bad "an unknown probe mechanism" stats '.probes.send_reset = "uprobe"'
bad "a flood count of zero" flood '.count = 0'
(cd "$WORK" && "$VALIDATE" bad*.jsonl >"$WORK/bad.txt" 2>&1)
check "validator exits 1 when a file is invalid" test "$?" = 1
for n in "${!BAD_LABELS[@]}"; do
	if grep -q "^FAIL schema bad$n.jsonl: 1 of 2 lines invalid: line 2: " "$WORK/bad.txt"; then
		pass "schema rejects: ${BAD_LABELS[$n]}"
	else
		fail "schema rejects: ${BAD_LABELS[$n]}" "$(grep " bad$n.jsonl:" "$WORK/bad.txt")"
	fi
done

# lines that are not records at all
badline() {
	local label=$1 out rc
	out=$("$VALIDATE" "$WORK/raw.jsonl" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && grep -q "^FAIL .*line 2: $2" <<<"$out"; then
		pass "validator rejects: $label"
	else
		fail "validator rejects: $label" "rc=$rc: $out"
	fi
}
{ cat "$WORK/stats.jsonl"; echo 'TIME  EVENT'; } >"$WORK/raw.jsonl"
badline "a text line" "not JSON"
{ cat "$WORK/stats.jsonl"; head -c 40 "$WORK/event.jsonl"; } >"$WORK/raw.jsonl"
badline "a truncated last line" "no newline"
{ cat "$WORK/stats.jsonl"; printf '{"type":"stats","x":"\xff"}\n'; } >"$WORK/raw.jsonl"
badline "invalid UTF-8" "invalid UTF-8"

# every error counted, not only the first; a missing file and a broken schema are errors too
{ cat "$WORK/stats.jsonl" "$WORK/stats.jsonl"; echo '[]'; echo '{}'; } >"$WORK/raw.jsonl"
check "validator counts every bad line" bash -c "'$VALIDATE' '$WORK/raw.jsonl' | grep -q '2 of 4 lines invalid'"
check "validator fails on a missing file" bash -c "! '$VALIDATE' '$WORK/nonexistent.out' >/dev/null"
echo '{"type": "object", "required": 5}' >"$WORK/broken.schema.json"
check "validator refuses a broken schema" bash -c "! '$VALIDATE' --schema '$WORK/broken.schema.json' '$WORK/stats.jsonl' >/dev/null 2>&1"

# the documented examples (README and docs/) are the contract people copy: they must follow
# the schema
awk '/^```json$/ { on = 1; next } /^```$/ { on = 0 } on' "$ROOT/README.md" "$ROOT"/docs/*.md >"$WORK/readme.jsonl"
check "the docs have JSON examples" test -s "$WORK/readme.jsonl"
if out=$("$VALIDATE" "$WORK/readme.jsonl" 2>&1); then
	pass "the docs' JSON examples follow the schema"
else
	fail "the docs' JSON examples follow the schema" "$out"
fi

# the schema's enums are the names the code prints: a kind, state, verdict or probe mechanism
# added to the code must be added to the schema (and documented), and the other way round
S=$ROOT/schema/rsttrace.schema.json
same_names() {
	local what=$1 code=$2 schema=$3
	if [ -n "$code" ] && [ "$code" = "$schema" ]; then
		pass "schema: $what = the code's ($(echo "$code" | wc -l))"
	else
		fail "schema: $what = the code's" "code: $(echo $code) / schema: $(echo $schema)"
	fi
}
same_names "event kinds" \
	"$(sed -n 's/^\t\[RT_[A-Z_]*\] = "\([a-z_]*\)",$/\1/p' "$ROOT/user/names.c" | sort)" \
	"$(jq -r '."$defs".kind.enum[]' "$S" | sort)"
same_names "TCP states" \
	"$(sed -n '/states\[\] = {/,/};/p' "$ROOT/user/names.c" | grep -oE '"[A-Z0-9_]+"' | tr -d '"' | sort)" \
	"$(jq -r '."$defs".event_fields.properties.state.enum[] | values' "$S" | sort)"
same_names "verdict codes" \
	"$(grep -oE 'say\([^,]*, "[a-z_]+"' "$ROOT/user/verdicts.c" | sed 's/.*"\(.*\)"/\1/' | sort -u)" \
	"$(jq -r '."$defs".verdict_code.enum[]' "$S" | sort)"
same_names "probe mechanisms" \
	"$(grep -E 'names\[MECH_COUNT\] = \{' "$ROOT/user/probes.c" | grep -oE '"[a-z_]+"' | tr -d '"' | sort)" \
	"$(jq -r '."$defs".stats.properties.probes.additionalProperties.enum[] | values' "$S" | sort)"
