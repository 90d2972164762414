#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: every verdict code produced for real on this kernel and named by rsttrace's
# default output (one timeline per incident, -j). The incident of docs/design.md
# (client_abort_propagated) has its own test with real nginx and a Go gateway.
. "$(dirname "$0")/lib.sh"
NETNS_SH=$(dirname "$0")/netns.sh
NS=rt-verdicts-$$
SYSCTL_ABORT=/proc/sys/net/ipv4/tcp_abort_on_overflow
OLD_ABORT=$(cat "$SYSCTL_ABORT")
restore() {
	echo "$OLD_ABORT" >"$SYSCTL_ABORT"
	"$NETNS_SH" down "$NS" >/dev/null 2>&1
	cleanup
}
trap restore EXIT

# timelines TAG SCENARIO [ARGS...]: trace one scenario in timeline mode; $RT_OUT holds the
# timelines; CLI and SRV the scenario's pids. An unfiltered instance runs beside: there the
# kernel holds healthy connections' records (quiet mode); its timelines of the scenario must
# be the same.
timelines() {
	local tag=$1 scen=$2 port rc
	shift 2
	port=$(free_port)
	if ! rt_start_beside "$tag-unfiltered" -j; then
		fail "$tag: ready line (unfiltered)" "$(cat "$RT_ERR")"
		return 1
	fi
	if ! rt_start "$tag" -j -P "$port"; then
		fail "$tag: ready line" "$(cat "$RT_ERR")"
		return 1
	fi
	"$SCEN" "$scen" "$@" "$port" >"$WORK/$tag.scen" 2>&1
	rc=$?
	check "$tag: the scenario behaved as docs/kernel.md says" test "$rc" = 0
	rt_stop
	check "$tag: rsttrace exits 0" test "$?" = 0
	rt_stop_beside
	check "$tag: rsttrace exits 0 (unfiltered)" test "$?" = 0
	same_timelines "$tag: unfiltered (quiet mode), the same timelines" "$port" "$RT_OUT" "$BESIDE_OUT"
	CLI=$(scen_pid "$WORK/$tag.scen" cli)
	SRV=$(scen_pid "$WORK/$tag.scen" srv)
}

# verdict TAG CODE A_COMM B_COMM: exactly one timeline, with this verdict and these ends
verdict() {
	tl_true "$1: one timeline, verdict $2, a=$3 b=$4" \
		"(\$tl | length) == 1 and \$tl[0].verdict.code == \"$2\" and
		 \$tl[0].conn.a.comm == $3 and \$tl[0].conn.b.comm == $4 and
		 (\$tl[0].verdict.summary | length) > 40 and \$tl[0].events[0].t_ms == 0"
}

timelines refused refused && {
	verdict refused refused '"rt_cli_ref"' null
	tl_true "refused: the summary names the client and the port" \
		"\$tl[0].verdict.summary | test(\"rt_cli_ref .pid $CLI.*ECONNREFUSED\")"
}

timelines unread unread && {
	verdict unread abort_unread_data '"rt_cli_unr"' '"rt_srv_unr"'
	tl_true "unread: both ends' pids, the reset sent by b, the read error on a" \
		"\$tl[0].conn.a.pid == $CLI and \$tl[0].conn.b.pid == $SRV and
		 any(\$tl[0].events[]; .side == \"b\" and .kind == \"rst_sent\" and .reason == \"TCP_ABORT_ON_CLOSE\") and
		 any(\$tl[0].events[]; .side == \"a\" and .kind == \"read_error\" and .errno == \"ECONNRESET\")"
}

timelines linger linger && {
	verdict linger linger_abort '"rt_cli_lin"' '"rt_srv_lin"'
	tl_true "linger: the summary says SO_LINGER and the peer's error" \
		"\$tl[0].verdict.summary | test(\"SO_LINGER.*rt_srv_lin.*(ECONNRESET|EPIPE)\")"
}

timelines wapc wapc && {
	verdict wapc write_after_peer_close '"rt_cli_wapc"' '"rt_srv_wapc"'
	tl_true "wapc: events in time order, the first write succeeded and the next got EPIPE" \
		"([\$tl[0].events[].t_ms] | . == sort) and
		 ([\$tl[0].events[] | select(.side == \"b\" and (.kind == \"write\" or .kind == \"write_error\")) | .kind] == [\"write\", \"write_error\"]) and
		 (\$tl[0].verdict.summary | test(\"16384 bytes.*EPIPE\"))"
}

timelines keepalive keepalive && {
	verdict keepalive keepalive_race '"rt_cli_ka"' '"rt_srv_ka"'
	tl_true "keepalive: the reset came from the server's timewait sock, triggered by the client" \
		"any(\$tl[0].events[]; .side == \"b\" and .kind == \"rst_sent\" and .reason == \"TCP_TIMEWAIT_SOCKET\" and .trigger_pid == $CLI)"
}

# A write after the peer's FIN (the client half-closed) that succeeds, then the client aborts
# with the response unread: in quiet mode the write is held with the accept and the FIN until
# the reset, and must come out with its own byte count.
HALFCLOSE_PY='
import socket, sys, threading
port = int(sys.argv[1])
l = socket.create_server(("127.0.0.1", port))
aborted = threading.Event()
def server():
    c, _ = l.accept()
    c.settimeout(10)
    c.recv(10)                      # EOF: the client half-closed
    c.sendall(b"r" * 1000)          # a write after the peer FIN: it succeeds
    aborted.wait(10)                # open until the client has aborted (else its FIN races)
    try:
        c.send(b"r")
    except OSError:
        pass
    c.close()
t = threading.Thread(target=server)
t.start()
s = socket.create_connection(("127.0.0.1", port))
s.shutdown(socket.SHUT_WR)
s.settimeout(10)
s.recv(1, socket.MSG_PEEK)          # the response is here; close with it unread: abort
s.close()
aborted.set()
t.join(10)
'
port=$(free_port)
if rt_start_beside halfclose-unfiltered -j && rt_start halfclose -j -P "$port"; then
	timeout 20 python3 -c "$HALFCLOSE_PY" "$port"
	check "halfclose: the scenario ran" test "$?" = 0
	rt_stop
	rt_stop_beside
	same_timelines "halfclose: unfiltered (quiet mode), the same timelines" "$port" "$RT_OUT" "$BESIDE_OUT"
	RT_OUT=$BESIDE_OUT
	tl_true "halfclose: quiet mode held the write and sent it with its 1000 bytes" \
		"any(\$tl[].events[]; .kind == \"write\" and .bytes == 1000 and .sport == $port)"
else
	fail "halfclose: ready lines" "$(cat "$RT_ERR")"
fi

# backlog overflow needs tcp_abort_on_overflow=1 (restored by the trap)
echo 1 >"$SYSCTL_ABORT"
timelines overflow overflow && {
	tl_true "overflow: at least one timeline, all backlog_overflow, the listener's owner named" \
		"(\$tl | length) >= 1 and all(\$tl[]; .verdict.code == \"backlog_overflow\" and .conn.b.comm == \"rt_srv_ovf\" and .conn.a.comm == \"rt_cli_ovf\")"
}
echo "$OLD_ABORT" >"$SYSCTL_ABORT"

# a peer in a network namespace behind a veth pair: "another host"
if "$NETNS_SH" up "$NS" >"$WORK/netns.log" 2>&1; then
	timelines timeout timeout -a 10.200.0.2 -n "/run/netns/$NS" && {
		verdict timeout timeout_abort '"rt_cli_tmo"' '"rt_srv_tmo"'
		tl_true "timeout: ETIMEDOUT on the client" \
			"any(\$tl[0].events[]; .side == \"a\" and .errno == \"ETIMEDOUT\")"
	}
	timelines remote remote -a 10.200.0.2 -n "/run/netns/$NS" && {
		tl_true "remote: the client's connection is reset_by_remote" \
			"any(\$tl[]; .verdict.code == \"reset_by_remote\" and .conn.a.comm == \"rt_cli_rmt\" and
			     all(.events[]; .kind != \"rst_sent\"))"
	}
	"$NETNS_SH" down "$NS"
else
	fail "network namespace" "$(cat "$WORK/netns.log")"
fi
exit $FAILED
