#!/usr/bin/env bash
# End-to-end: softirq is told from process context when an interrupt lands on a process
# running in user mode. The timer softirq at that interrupt's exit then runs on that process's
# own stack (x86 runs irq exit on the interrupted stack when it came from user mode), where a
# stack test alone would take it for the process's own syscall: it would learn the busy
# process as a socket's owner and name it as a trigger. Busy loops spin in user mode on every
# CPU while scenarios whose delayed ACKs and FIN handling run from timers (keepalive, wapc,
# unread) go on; no event may name a busy loop, as owner or as trigger.
. "$(dirname "$0")/lib.sh"

BUSY=()
stop_busy() {
	local p
	for p in "${BUSY[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${BUSY[@]}"; do wait "$p" 2>/dev/null; done
	BUSY=()
}
trap 'stop_busy; cleanup' EXIT

port=$(free_port)
if rt_start busy --events -j -P "$port"; then
	# one pure user-mode loop per CPU, bounded (60 s) in case the trap never runs
	for ((cpu = 0; cpu < $(nproc); cpu++)); do
		taskset -c "$cpu" timeout 60 bash -c 'while :; do :; done' &
		BUSY+=("$!")
	done
	ran=0
	for ((i = 0; i < 10; i++)); do
		for s in keepalive wapc unread; do
			"$SCEN" "$s" "$port" >>"$WORK/busy.scen" 2>&1 && ran=$((ran + 1))
		done
	done
	busy_pids=$(for p in "${BUSY[@]}"; do cat "/proc/$p/task/$p/children" 2>/dev/null; echo "$p"; done | tr -s ' \n' ' ')
	stop_busy
	rt_stop
	check "30 scenarios ran beside the busy loops" test "$ran" = 30
	pids_json="[$(echo "$busy_pids" | xargs | tr ' ' ',')]"
	jq_true "events were reported" "(\$ev | length) > 100"
	jq_true "no event is owned by a busy loop" \
		"all(\$ev[]; (.pid as \$p | $pids_json | index(\$p)) == null)"
	jq_true "no event names a busy loop as its trigger" \
		"all(\$ev[]; (.trigger_pid as \$p | $pids_json | index(\$p)) == null)"
	jq_true "only scenario processes own events" \
		"all(\$ev[]; .comm == null or (.comm | startswith(\"rt_\")))"
else
	fail "busy: ready line" "$(cat "$RT_ERR")"
fi
exit $FAILED
