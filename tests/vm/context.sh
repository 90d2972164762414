#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tests/vm/context.sh RSTTRACE SCEN SPIN WORKDIR PORT - in the guest (tests/vm/init, when
# the initramfs has /spin): softirq is never taken for a process's own context when
# interrupts land on processes running in user mode. One tests/vm/spin.c loop per CPU spins
# in user mode while `rsttrace --events -j` traces 10 rounds of the scenarios whose delayed
# ACKs and FIN handling run from timers (keepalive, wapc, unread); tests/vm/check.sh then
# requires that no event names a spinner, as owner or as trigger (the x86 twin is
# tests/e2e/test_context.sh). Then what the kernel itself saved for a spinner: stopped by
# SIGSTOP (delivered when an interrupt returns to its user mode), /proc/PID/syscall reads its
# task_pt_regs (syscallno, sp, pc) and must say -1 with a user pc; a process asleep in a
# system call must show that call's number. And the rule of bpf/arch.h itself, in BPF, on the
# ticks that land on a spinner and on a dd reading /dev/zero (tests/vm/regs.c): always
# "interrupted in user mode" for the spinner, mostly not for dd (docs/arm64.md). Prints:
#   VMTEST: context scen NAME rc=N          each scenario's exit status
#   VMTEST: context spinners PID...
#   VMTEST: context regs spin user=N kernel=N sys user=N kernel=N
#   VMTEST: context syscall spin|sleep PID <the /proc/PID/syscall line>
#   VMCTX <a JSON line of rsttrace>
#   VMTEST: context rsttrace exit=N
#   VMTEST: context done
# Every wait is bounded; every process started is stopped by its pid.
set -u
RT=$1
SCEN=$2
SPIN=$3
W=$4
PORT=$5

wait_ready() {
	i=0
	while [ $i -lt 600 ]; do
		grep -q '^rsttrace: tracing' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_state PID STATE: /proc/PID/stat's state field (the third) becomes STATE, polled
wait_state() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

"$RT" --events -j -v -P "$PORT" >"$W/ctx.events" 2>"$W/ctx.err" &
rt=$!
if wait_ready "$W/ctx.err" $rt; then
	ncpu=$(grep -c '^processor' /proc/cpuinfo)
	spinners=""
	cpu=0
	while [ $cpu -lt "$ncpu" ]; do
		# niced: a 2-vCPU TCG guest defers softirqs to ksoftirqd, which spinners of
		# normal weight starve; at nice 19 they still hold every CPU whenever nothing
		# else runs, which is when the timers fire (tests/vm/regs.c counts their ticks)
		"$SPIN" $cpu 300 19 >"$W/spin.$cpu" 2>&1 &
		spinners="$spinners $!"
		cpu=$((cpu + 1))
	done
	echo "VMTEST: context spinners$spinners"
	# each spinner's line: its start-up system calls are over, it spins (a tick in them
	# would rightly count as "not interrupted in user mode" below)
	cpu=0
	while [ $cpu -lt "$ncpu" ]; do
		i=0
		while [ $i -lt 100 ] && ! grep -q '^spin pid=' "$W/spin.$cpu"; do
			sleep 0.05
			i=$((i + 1))
		done
		cpu=$((cpu + 1))
	done
	if [ -x /regs ]; then
		# bounded by its count too (100 GB of zeros); stopped by pid after 3 s of ticks
		dd if=/dev/zero of=/dev/null bs=1M count=100000 2>/dev/null &
		dd=$!
		# shellcheck disable=SC2086
		set -- $spinners
		echo "VMTEST: context $(/regs "$1" $dd 3 2>&1 | tail -1)"
		kill $dd
		wait $dd
	fi
	round=0
	while [ $round -lt 10 ]; do
		for s in keepalive wapc unread; do
			"$SCEN" $s "$PORT" >"$W/ctx.scen" 2>&1
			rc=$?
			echo "VMTEST: context scen $s rc=$rc"
			[ $rc = 0 ] || sed "s/^/VMTEST: context scen output /" "$W/ctx.scen"
		done
		round=$((round + 1))
	done
	for p in $spinners; do
		kill -STOP "$p"
		wait_state "$p" T && echo "VMTEST: context syscall spin $p $(cat "/proc/$p/syscall")"
		kill -CONT "$p"
	done
	sleep 30 &
	sl=$!
	wait_state $sl S && echo "VMTEST: context syscall sleep $sl $(cat "/proc/$sl/syscall")"
	kill $sl
	wait $sl
	for p in $spinners; do kill -KILL "$p"; done
	for p in $spinners; do wait "$p"; done
else
	echo "VMTEST: context rsttrace not ready"
fi
kill -INT $rt
i=0
while [ $i -lt 100 ] && kill -0 $rt 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -KILL $rt 2>/dev/null
wait $rt
echo "VMTEST: context rsttrace exit=$?"
sed 's/^/VMCTX /' "$W/ctx.events"
sed 's/^/VMCTXLOG /' "$W/ctx.err"
echo "VMTEST: context done"
