#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: the kernel filters (-P, -p, -c) keep what matches and drop the rest.
. "$(dirname "$0")/lib.sh"

# -P with two ports: a scenario on a third port leaves no trace
p1=$(free_port)
p2=$(free_port)
p3=$(free_port)
if rt_start ports --events -j -P "$p1,$p2"; then
	"$SCEN" refused "$p3" >/dev/null
	"$SCEN" refused "$p2" >/dev/null
	rt_stop
	jq_true "-P: the listed port's reset is reported" \
		"any(\$ev[]; .kind == \"rst_recv\" and .dport == $p2)"
	jq_true "-P: nothing from a port not listed" \
		"all(\$ev[]; .sport != $p3 and .dport != $p3)"
else
	fail "-P: ready line" "$(cat "$RT_ERR")"
fi

# an IPv6 socket talking to IPv4 (v4-mapped): the port filter matches it, and both the v6
# socket's events and the kernel's IPv4 reset are reported
port=$(free_port)
if rt_start mapped --events -j -P "$port"; then
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6)
try:
    s.connect(("::ffff:127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    pass' "$port"
	rt_stop
	jq_true "v4-mapped: rst_recv on the IPv6 socket with ::ffff: addresses" \
		"any(\$ev[]; .kind == \"rst_recv\" and .family == \"ipv6\" and .daddr == \"::ffff:127.0.0.1\" and .dport == $port)"
	jq_true "v4-mapped: the IPv4 NO_SOCKET reset" \
		"any(\$ev[]; .kind == \"rst_sent\" and .family == \"ipv4\" and .sport == $port and .reason == \"NO_SOCKET\")"
else
	fail "v4-mapped: ready line" "$(cat "$RT_ERR")"
fi

# -c: only the server's sockets, and what it triggered
port=$(free_port)
if rt_start comm --events -j -c rt_srv_wapc; then
	"$SCEN" wapc "$port" >"$WORK/comm.scen"
	rt_stop
	SRV=$(scen_pid "$WORK/comm.scen" srv)
	jq_true "-c: the named process's write_error is reported" \
		"any(\$ev[]; .kind == \"write_error\" and .pid == $SRV)"
	jq_true "-c: every event is owned or triggered by the named process" \
		"(\$ev | length) > 0 and all(\$ev[]; .comm == \"rt_srv_wapc\" or .trigger_comm == \"rt_srv_wapc\")"
	jq_true "-c: the reset it provoked on the client's timewait sock is kept (triggered by it)" \
		"any(\$ev[]; .kind == \"rst_sent\" and .comm == \"rt_cli_wapc\" and .trigger_pid == $SRV)"
else
	fail "-c: ready line" "$(cat "$RT_ERR")"
fi

# -p: a pid known before the scenario starts: a shell that reports its pid, waits for a go
# signal on a FIFO, then becomes the scenario's client (exec keeps the pid)
port=$(free_port)
mkfifo "$WORK/go"
bash -c 'echo $$ >"$1/cli.pid"; read -r _ <"$1/go"; exec "$2" unread "$3"' _ "$WORK" "$SCEN" "$port" \
	>"$WORK/pid.scen" 2>&1 &
spid=$!
until [ -s "$WORK/cli.pid" ]; do sleep 0.05; done
CLI=$(cat "$WORK/cli.pid")
if rt_start pid --events -j -p "$CLI"; then
	echo go >"$WORK/go"
	wait $spid
	rt_stop
	jq_true "-p: the process's read_error is reported" \
		"any(\$ev[]; .kind == \"read_error\" and .pid == $CLI and .errno == \"ECONNRESET\")"
	jq_true "-p: every event is owned or triggered by that process" \
		"(\$ev | length) > 0 and all(\$ev[]; .pid == $CLI or .trigger_pid == $CLI)"
else
	echo go >"$WORK/go"
	fail "-p: ready line" "$(cat "$RT_ERR")"
fi
exit $FAILED
