#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: the command line contract (rsttrace.8, README "Usage"): usage errors, runtime
# errors, the ready line, stopping, closed stdout, --list-probes.
. "$(dirname "$0")/lib.sh"

# usage errors: exit 2, a message naming the bad value on stderr, nothing on stdout
usage_error() {
	local want=$1
	shift
	"$RT" "$@" >"$WORK/u.out" 2>"$WORK/u.err"
	local rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$WORK/u.out" ] && grep -qF -- "$want" "$WORK/u.err"; then
		pass "usage error: rsttrace $*"
	else
		fail "usage error: rsttrace $*" "rc=$rc, stdout $(wc -c <"$WORK/u.out") bytes, stderr: $(cat "$WORK/u.err")"
	fi
}
usage_error "'70000'" -P 70000
usage_error "'0'" -P 0
usage_error "'abc'" -p abc
usage_error "'--bogus'" --bogus
usage_error "'-5'" -d -5
usage_error "'foo'" --probes foo
usage_error "'extra'" extra

# runtime failure without privileges: exit 1, saying what is needed
setpriv --reuid=65534 --regid=65534 --clear-groups "$RT" -d 1 >"$WORK/np.out" 2>"$WORK/np.err"
rc=$?
check "no privileges: exit 1" test "$rc" = 1
check "no privileges: says root is needed" grep -q 'needs root' "$WORK/np.err"
check "no privileges: nothing on stdout" test ! -s "$WORK/np.out"

# --list-probes: every hook gets a mechanism, every refused variant says why
"$RT" --list-probes >"$WORK/lp.out" 2>"$WORK/lp.err"
check "--list-probes: exit 0" test "$?" = 0
check "--list-probes: no hook unavailable" bash -c "! grep -q '^[a-z_]* *NONE' '$WORK/lp.out'"
check "--list-probes: every variant not chosen says why" \
	bash -c "! grep -E '^    ' '$WORK/lp.out' | grep -vE '^    (chosen|works) +[a-z_]+/[a-z_0-9]+|^    (no|skipped) +[^:]+: .{10,}' | grep -q ."
# on kernels >= 6.10 every tracepoint exists and carries what we need: tp_btf everywhere
kver=$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')
if [ "$kver" -ge 6010 ]; then
	check "--list-probes: tp_btf chosen for every hook on $(uname -r)" \
		bash -c "[ \$(grep -cE '^[a-z_]+ +tp_btf ' '$WORK/lp.out') = \$(grep -cE '^[a-z_]+ ' '$WORK/lp.out') ]"
fi

# the ready line exactly once; -d ends it with exit 0 and a stats line
port=$(free_port)
"$RT" -j --events -P "$port" -d 0.5 >"$WORK/d.out" 2>"$WORK/d.err"
check "-d: exit 0" test "$?" = 0
check "-d: exactly one ready line" test "$(grep -c '^rsttrace: tracing' "$WORK/d.err")" = 1
check "-d: JSON stdout is one stats line" \
	bash -c "[ \$(wc -l <'$WORK/d.out') = 1 ] && jq -e '.type == \"stats\" and (.probes | length) == $(grep -cE '^[a-z_]+ ' "$WORK/lp.out")' '$WORK/d.out' >/dev/null"

# SIGTERM: exit 0, stats printed
port=$(free_port)
if rt_start term -j --events -P "$port"; then
	kill -TERM "$RT_PID"
	wait "$RT_PID"
	rc=$?
	RT_PID=
	check "SIGTERM: exit 0" test "$rc" = 0
	check "SIGTERM: stats line" jq -e 'select(.type == "stats")' "$RT_OUT"
else
	fail "SIGTERM: ready line" "$(cat "$RT_ERR")"
fi

# a closed stdout (| head -1) ends it quietly with exit 0
port=$(free_port)
(
	timeout -s KILL 20 "$RT" -j --events -P "$port" 2>"$WORK/h.err" | head -1 >"$WORK/h.out"
	echo "${PIPESTATUS[0]}" >"$WORK/h.rc"
) &
hp=$!
for _ in $(seq 150); do grep -q '^rsttrace: tracing' "$WORK/h.err" 2>/dev/null && break; sleep 0.1; done
for _ in 1 2 3; do "$SCEN" refused "$port" >/dev/null 2>&1; done
wait $hp
check "closed stdout: exit 0" test "$(cat "$WORK/h.rc")" = 0
check "closed stdout: the one line read is an event" jq -e '.type == "event"' "$WORK/h.out"
check "closed stdout: nothing on stderr but the ready line" \
	test "$(grep -vc '^rsttrace: tracing' "$WORK/h.err")" = 0

# text output: a header, then one aligned line per event
port=$(free_port)
if rt_start text --events -P "$port"; then
	"$SCEN" refused "$port" >/dev/null
	rt_stop
	check "text: header first" bash -c "head -1 '$RT_OUT' | grep -q '^TIME *EVENT *OWNER *LOCAL *PEER *STATE *DETAILS'"
	check "text: refused shows the reset reason and the trigger" \
		bash -c "grep -E 'rst_sent +- +127.0.0.1:$port ' '$RT_OUT' | grep -qE 'reason=NO_SOCKET.*trigger=[0-9]+/rt_cli_ref'"
else
	fail "text: ready line" "$(cat "$RT_ERR")"
fi
exit $FAILED
