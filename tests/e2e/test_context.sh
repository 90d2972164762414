#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
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
	# one pure user-mode loop per CPU (taskset execs bash: $! is the loop), bounded by itself
	# (60 s) in case the trap never runs: bash's SECONDS is a vDSO clock read, no system call
	for ((cpu = 0; cpu < $(nproc); cpu++)); do
		taskset -c "$cpu" bash -c 'end=$((SECONDS + 60)); while ((SECONDS < end)); do :; done' &
		BUSY+=("$!")
	done
	ran=0
	for ((i = 0; i < 10; i++)); do
		for s in keepalive wapc unread; do
			"$SCEN" "$s" "$port" >>"$WORK/busy.scen" 2>&1 && ran=$((ran + 1))
		done
	done
	busy_pids=${BUSY[*]}
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

# The other side of that test: a process killed by a signal while it runs in user mode closes
# its sockets on its way out (do_exit), with the registers of the interrupt that delivered
# the signal: that is its own process context, so its close and its reset (unread data:
# TCP_ABORT_ON_CLOSE) are reported as its own.
port=$(free_port)
if rt_start killed --events -j -P "$port"; then
	timeout 20 python3 -c '
import socket, sys
l = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
c, _ = l.accept()
c.sendall(b"x" * 100)
print("sent", flush=True)
c.settimeout(10)
try:
    while c.recv(100):
        pass
except OSError:
    pass
' "$port" >"$WORK/killed.srv" 2>&1 &
	SRV=$!
	for ((i = 0; i < 100; i++)); do grep -q listening "$WORK/killed.srv" && break; sleep 0.05; done
	# bounded by itself (20 s): time.time() is a vDSO read, no system call
	python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
end = time.time() + 20
while time.time() < end:
    pass
' "$port" &
	CLI=$!
	for ((i = 0; i < 100; i++)); do grep -q sent "$WORK/killed.srv" && break; sleep 0.05; done
	kill -KILL "$CLI" 2>/dev/null
	wait "$CLI" 2>/dev/null
	wait "$SRV"
	rt_stop
	jq_true "the killed process's close is its own" \
		"any(\$ev[]; .kind == \"connect\" and .dport == $port) and
		 ([\$ev[] | select(.kind == \"connect\" and .dport == $port)][0].pid) as \$c
		 | any(\$ev[]; .kind == \"close\" and .pid == \$c and .trigger_pid == null)"
	jq_true "so is its reset of the unread data" \
		"([\$ev[] | select(.kind == \"connect\" and .dport == $port)][0].pid) as \$c
		 | any(\$ev[]; .kind == \"rst_sent\" and .pid == \$c and .reason == \"TCP_ABORT_ON_CLOSE\")"
else
	fail "killed: ready line" "$(cat "$RT_ERR")"
fi
exit $FAILED
