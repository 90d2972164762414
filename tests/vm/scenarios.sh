#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/scenarios.sh RSTTRACE SCEN WORKDIR PORT_BASE FAMILY... - the kernel matrix's run:
# the scenarios of tests/scen/scen.c under two rsttrace instances at once per probe family
# (`--events -j` and timelines `-j`, both `-v`, both filtered on the scenarios' ports), on
# whatever kernel this runs on: PID 1 of the VM (busybox sh, tests/vm/init) or the host
# (tests/e2e/test_vm.sh). Prints on stdout, for tests/vm/check.sh:
#   VMTEST: kernel RELEASE
#   VMTEST: scen FAMILY NAME PORT rc=N              the scenario's exit status
#   VMSCEN FAMILY NAME <a line of the scenario's output>   (its pids, role=cli|srv pid=N)
#   VMOUT FAMILY events|timelines <a JSON line of rsttrace>
#   VMLOG FAMILY events|timelines <a line of rsttrace's stderr> (-v: "hook NAME MECHANISM")
#   VMTEST: family FAMILY done
# Every wait is bounded; every process started is stopped by its pid. The only sysctl it
# changes (net.ipv4.tcp_abort_on_overflow, for overflow) is restored.
set -u
RT=$1
SCEN=$2
W=$3
BASE=$4
shift 4
ABORT=/proc/sys/net/ipv4/tcp_abort_on_overflow
READY_TRIES=600 # x 0.1 s: probing every variant under TCG takes seconds
STOP_TRIES=100

# NAME SCEN-ARGS: the scenario set, one port each from PORT_BASE (overflow last: it leaves
# SYNs in the accept queue of a listener that never accepts)
SCENARIOS="refused:refused refused6:refused_-6 unread:unread unread6:unread_-6
linger:linger linger6:linger_-6 wapc:wapc wapc6:wapc_-6 keepalive:keepalive overflow:overflow"

ports() {
	local i=0 p="" s
	for s in $SCENARIOS; do
		p="$p${p:+,}$((BASE + i))"
		i=$((i + 1))
	done
	echo "$p"
}

# wait_ready ERRFILE PID: the ready line, polled (the only signal a background process gives
# here); gives up at once when the process is gone
wait_ready() {
	local i=0
	while [ $i -lt $READY_TRIES ]; do
		grep -q '^rsttrace: tracing' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

stop() {
	local i=0
	kill -INT "$1" 2>/dev/null
	while [ $i -lt $STOP_TRIES ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

run_scenarios() {
	local fam=$1 i=0 s name args rc
	for s in $SCENARIOS; do
		name=${s%%:*}
		args=$(echo "${s#*:}" | tr _ ' ')
		[ "$name" = overflow ] && echo 1 >"$ABORT"
		# shellcheck disable=SC2086
		"$SCEN" $args $((BASE + i)) >"$W/$fam.$name.scen" 2>&1
		rc=$?
		[ "$name" = overflow ] && echo "$OLD_ABORT" >"$ABORT"
		echo "VMTEST: scen $fam $name $((BASE + i)) rc=$rc"
		sed "s/^/VMSCEN $fam $name /" "$W/$fam.$name.scen"
		i=$((i + 1))
	done
}

run_family() {
	local fam=$1 P ev tl m
	P=$(ports)
	# one after the other: on 6.1 under TCG two instances attaching fentry programs at the
	# same time once soft-locked both vCPUs (trampoline updates racing); tl= keeps stop happy
	"$RT" --events -j -v -P "$P" --probes "$fam" >"$W/$fam.events" 2>"$W/$fam.events.err" &
	ev=$!
	tl=
	if wait_ready "$W/$fam.events.err" $ev; then
		"$RT" -j -v -P "$P" --probes "$fam" >"$W/$fam.timelines" 2>"$W/$fam.timelines.err" &
		tl=$!
	fi
	if [ -n "$tl" ] && wait_ready "$W/$fam.timelines.err" $tl; then
		run_scenarios "$fam"
	else
		echo "VMTEST: family $fam not ready"
	fi
	stop $ev
	echo "VMTEST: rsttrace $fam events exit=$?"
	if [ -n "$tl" ]; then
		stop $tl
		echo "VMTEST: rsttrace $fam timelines exit=$?"
	fi
	for m in events timelines; do
		sed "s/^/VMOUT $fam $m /" "$W/$fam.$m" 2>/dev/null
		sed "s/^/VMLOG $fam $m /" "$W/$fam.$m.err" 2>/dev/null
	done
	echo "VMTEST: family $fam done"
}

OLD_ABORT=$(cat "$ABORT")
trap 'echo "$OLD_ABORT" >"$ABORT"' EXIT
echo "VMTEST: kernel $(uname -r)"
for fam in "$@"; do
	run_family "$fam"
done
