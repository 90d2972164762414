#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/vm/check.sh LOG EXPECT TAG - check the output of tests/vm/scenarios.sh (a VM's serial
# log, or the host run) against a per-kernel expectation file (tests/vm/expect/*.txt, format
# described there) with jq. Prints PASS/FAIL lines (tests/run.sh convention) named TAG: ...;
# exit 1 when something failed.
set -u
LOG=$1
EXPECT=$2
TAG=$3
W=$(mktemp -d "${TMPDIR:-/tmp}/rt-vmcheck.XXXXXX")
trap 'rm -rf "$W"' EXIT
FAILED=0

pass() { echo "PASS $TAG: $1"; }
fail() {
	echo "FAIL $TAG: $1: $2"
	FAILED=1
}

# the marker lines (the first one may follow QEMU's terminal reset on the same line)
grep -ao '\(VMTEST:\|VMSCEN\|VMOUT\|VMLOG\|VMCTX\) .*' "$LOG" >"$W/markers"
sed -n 's/^VMCTX //p' "$W/markers" >"$W/context"
sed -n 's/^VMOUT \([a-z_]*\) \([a-z]*\) /\1 \2 /p' "$W/markers" | while read -r fam mode json; do
	echo "$json" >>"$W/$fam.$mode"
done

kernel=$(sed -n 's/^VMTEST: kernel //p' "$W/markers" | head -1)
if [ -n "$kernel" ]; then pass "kernel $kernel booted and ran the scenarios"; else
	fail "kernel" "no 'VMTEST: kernel' line in $LOG"; exit 1; fi
sed -n 's/^VMTEST: init at \(.*\)/  the kernel booted to \/init in \1 (guest clock)/p' "$W/markers" | head -1
# the mechanism chosen per hook, as rsttrace -v logs it
grep '^VMLOG [a-z_]* events rsttrace: \(kernel\|hook\) ' "$W/markers" | sed 's/^VMLOG \([a-z_]*\) events rsttrace: \(hook \)*/  \1: /'

# scen_pid FAMILY SCENARIO ROLE: the pid the scenario printed for cli or srv
scen_pid() {
	sed -n "s/^VMSCEN $1 $2 .* role=$3 pid=\([0-9]*\) .*/\1/p" "$W/markers" | head -1
}
scen_port() {
	sed -n "s/^VMTEST: scen $1 $2 \([0-9]*\) rc=.*/\1/p" "$W/markers" | head -1
}

# jq_check NAME FILE FILTER: PASS when FILTER over the file's lines slurped is true
jq_check() {
	if [ -s "$2" ] && jq -e -s "$3" "$2" >/dev/null 2>&1; then pass "$1"; else fail "$1" "jq: $3"; fi
}

# value WORD: a jq literal; cli/srv are the scenario's pids, numbers and null stay as they are
value() {
	case $1 in
	cli) echo "${CLI:-0}" ;;
	srv) echo "${SRV:-0}" ;;
	null | -[0-9]* | [0-9]*) echo "$1" ;;
	*) printf '"%s"' "$1" ;;
	esac
}

# conds FIELD=VALUE...: ' and .FIELD == VALUE' for each
conds() {
	local c="" kv
	for kv in "$@"; do c="$c and .${kv%%=*} == $(value "${kv#*=}")"; done
	echo "$c"
}

# set SCEN_EV (the scenario's events: its port, or its processes for sigpipe), CLI, SRV
scenario() {
	local fam=$1 s=$2 port
	port=$(scen_port "$fam" "$s")
	CLI=$(scen_pid "$fam" "$s" cli)
	SRV=$(scen_pid "$fam" "$s" srv)
	SCEN_EV="[.[] | select(.type == \"event\" and (.sport == ${port:-0} or .dport == ${port:-0} or
		(.sport == null and (.pid == ${CLI:-0} or .pid == ${SRV:-0}))))]"
	SCEN_TL="[.[] | select(.type == \"timeline\" and (.conn.a.port == ${port:-0} or .conn.b.port == ${port:-0}))]"
}

check_family() {
	local fam=$1 m s rc
	grep -q "^VMTEST: family $fam done" "$W/markers" || { fail "$fam" "the family did not finish"; return; }
	for m in events timelines; do
		rc=$(sed -n "s/^VMTEST: rsttrace $fam $m exit=//p" "$W/markers")
		if [ "$rc" = 0 ]; then pass "$fam $m: rsttrace exits 0"; else
			fail "$fam $m: rsttrace exits 0" "exit ${rc:-?}; its log:"
			grep "^VMLOG $fam $m " "$W/markers" | grep -v ': (' | tail -15 | sed 's/^/    /'
		fi
	done
	jq_check "$fam events: one stats line, nothing lost, every event counted" "$W/$fam.events" \
		'([.[] | select(.type == "stats")] | length == 1) and .[-1].type == "stats" and
		 .[-1].lost == 0 and .[-1].events == ([.[] | select(.type == "event")] | length)'
	jq_check "$fam timelines: nothing lost" "$W/$fam.timelines" '.[-1].type == "stats" and .[-1].lost == 0'
	for s in $(sed -n "s/^VMTEST: scen $fam \([a-z0-9]*\) .*/\1/p" "$W/markers"); do
		rc=$(sed -n "s/^VMTEST: scen $fam $s [0-9]* rc=//p" "$W/markers")
		if [ "$rc" = 0 ]; then pass "$fam $s: the scenario behaved as docs/kernel.md says"; else
			fail "$fam $s: the scenario behaved as docs/kernel.md says" "rc=$rc"
			grep "^VMSCEN $fam $s " "$W/markers" | sed 's/^/    /'
		fi
		scenario "$fam" "$s"
		jq_check "$fam $s: every owner is one of the scenario's processes" "$W/$fam.events" \
			"$SCEN_EV | length > 0 and all(.[]; .pid == null or .pid == ${CLI:-0} or .pid == ${SRV:-0})"
	done
}

# the busy user-mode loops test (tests/vm/context.sh), when the expectation file says `context`
check_context() {
	local spin ran ok p nr pc
	grep -q '^VMTEST: context done' "$W/markers" || { fail "context" "the test did not finish"; return; }
	rc=$(sed -n 's/^VMTEST: context rsttrace exit=//p' "$W/markers")
	if [ "$rc" = 0 ]; then pass "context: rsttrace exits 0"; else fail "context: rsttrace exits 0" "exit ${rc:-?}"; fi
	ran=$(grep -c '^VMTEST: context scen [a-z]* rc=' "$W/markers")
	ok=$(grep -c '^VMTEST: context scen [a-z]* rc=0$' "$W/markers")
	if [ "$ran" = 30 ] && [ "$ok" = 30 ]; then pass "context: 30 scenarios ran beside the spinners"; else
		fail "context: 30 scenarios ran beside the spinners" "$ok of $ran exited 0"; fi
	spin=$(sed -n 's/^VMTEST: context spinners //p' "$W/markers" | xargs | tr ' ' ',')
	if [ -z "$spin" ]; then fail "context: spinners" "none started"; return; fi
	jq_check "context: events were reported" "$W/context" '[.[] | select(.type == "event")] | length > 100'
	jq_check "context: no event is owned by a spinner" "$W/context" \
		"all(.[] | select(.type == \"event\"); (.pid as \$p | [$spin] | index(\$p)) == null)"
	jq_check "context: no event names a spinner as its trigger" "$W/context" \
		"all(.[] | select(.type == \"event\"); (.trigger_pid as \$p | [$spin] | index(\$p)) == null)"
	jq_check "context: only scenario processes own events" "$W/context" \
		'all(.[] | select(.type == "event"); .comm == null or (.comm | startswith("rt_")))'
	# /proc/PID/syscall: "NR SP PC" from the task's saved registers (syscallno; -1: none)
	for p in ${spin//,/ }; do
		read -r nr _ pc < <(sed -n "s/^VMTEST: context syscall spin $p //p" "$W/markers")
		if [ "$nr" = -1 ] && [ -n "$pc" ] && (( pc < 0x1000000000000 )); then
			pass "context: spinner $p stopped in user mode: its saved registers say no system call, user pc ($pc)"
		else
			fail "context: spinner $p stopped in user mode: saved syscallno -1, user pc" "/proc/$p/syscall: ${nr:-?} ${pc:-?}"
		fi
	done
	# bpf/arch.h's rule in BPF on the ticks (tests/vm/regs.c): a spinner is always interrupted
	# in user mode; dd, reading /dev/zero, is mostly in its system call
	local su sk yu yk
	read -r su sk yu yk < <(sed -n 's/^VMTEST: context regs spin user=\([0-9]*\) kernel=\([0-9]*\) sys user=\([0-9]*\) kernel=\([0-9]*\)$/\1 \2 \3 \4/p' "$W/markers")
	if [ -n "$su" ] && [ "$su" -gt 0 ] && [ "$sk" = 0 ]; then
		pass "context: BPF on the ticks: the spinner was interrupted in user mode every time ($su)"
	else fail "context: BPF on the ticks: the spinner interrupted in user mode every time" \
		"$(grep '^VMTEST: context regs' "$W/markers" || echo 'no regs line')"; fi
	if [ -n "$yk" ] && [ "$yk" -gt "$yu" ]; then
		pass "context: BPF on the ticks: dd mostly in its system call ($yk of $((yu + yk)))"
	else fail "context: BPF on the ticks: dd mostly in its system call" \
		"$(grep '^VMTEST: context regs' "$W/markers" || echo 'no regs line')"; fi
	read -r p nr _ < <(sed -n "s/^VMTEST: context syscall sleep //p" "$W/markers")
	if [ -n "$nr" ] && [ "$nr" -ge 0 ] 2>/dev/null; then
		pass "context: a process asleep in a system call shows its number ($nr)"
	else fail "context: a process asleep in a system call shows its number" "/proc/${p:-?}/syscall: ${nr:-?}"; fi
}

# expect_line FAMILY WHAT ARGS...: one line of the expectation file, for one family
expect_line() {
	local fam=$1 what=$2 s kind code a b
	shift 2
	case $what in
	probe)
		jq_check "$fam: hook $1 uses $2" "$W/$fam.events" ".[-1].probes.\"$1\" == \"$2\""
		;;
	event)
		s=$1 kind=$2
		shift 2
		scenario "$fam" "$s"
		jq_check "$fam $s: $kind $*" "$W/$fam.events" \
			"$SCEN_EV | any(.[]; .kind == \"$kind\"$(conds "$@"))"
		;;
	verdict)
		# CODE|unknown: a timeline may also be unknown (the guest's timing left it
		# undecided: it never guesses), but at least one is CODE
		s=$1 code=${2%|unknown} a=$3 b=$4
		local also=\"$code\"
		[ "$code" != "$2" ] && also="\"$code\", \"unknown\""
		scenario "$fam" "$s"
		jq_check "$fam $s: timelines $2, a=$a b=$b" "$W/$fam.timelines" \
			"$SCEN_TL | length >= 1 and any(.[]; .verdict.code == \"$code\") and
			 all(.[]; (.verdict.code | IN($also)) and
			 .conn.a.comm == $(value "$a") and (.verdict.code == \"unknown\" or
			 .conn.b.comm == $(value "$b")) and (.verdict.summary | length) > 40)"
		;;
	*)
		fail "$EXPECT" "unknown line: $what $*"
		;;
	esac
}

FAMILIES=$(sed -n 's/^families //p' "$EXPECT")
for fam in $FAMILIES; do
	check_family "$fam"
done
grep -q '^context$' "$EXPECT" && check_context
while read -r what fam rest; do
	case $what in '' | '#'* | families | context) continue ;; esac
	for f in $FAMILIES; do
		# shellcheck disable=SC2086
		[ "$fam" = "*" ] || [ "$fam" = "$f" ] && expect_line "$f" "$what" $rest
	done
done <"$EXPECT"
[ "$FAILED" = 0 ] || echo "serial log kept: $LOG"
exit $FAILED
