#!/usr/bin/env bash
# End-to-end: resets made by this host's packet filter (nftables `reject with tcp reset`), in a
# network namespace this test creates, with its own nft table there (deleted at the end, even
# on failure; the namespace too). Two rsttrace instances watch each case: one inside the
# namespace, where its netfilter program (bpf/nf_reset.bpf.c) sees the resets leave
# (rst_filter), and one in the host's namespace with no filter (the default output, quiet
# mode), which has only the records.
#   syn          a listener on P, an input rule rejects its SYNs: firewall_reject (both
#                instances), not refused; the kernel sent no rst_sent
#   established  an established connection (the server sent a greeting), then the rule: the
#                client's write is answered
#                by the filter, its next write fails; 1.7 s later the server closes with
#                SO_LINGER {1, 0}: still firewall_reject, not linger_abort (order)
#   remote       an output rule rejects a connect to another host (10.124.0.99, routed to a
#                veth pair inside the namespace): firewall_reject from the hook; the records alone say refused
#   refused      nothing listens, no rule: refused (both)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/realsw/peers.sh"
own_netns fw

setup() {
	ip netns add "$NS" && ip -n "$NS" link set lo up &&
		ip -n "$NS" link add f0 type veth peer name f1 &&
		ip -n "$NS" addr add 10.124.0.1/24 dev f0 &&
		ip -n "$NS" link set f0 up && ip -n "$NS" link set f1 up &&
		nsx nft add table inet "$TABLE" &&
		nsx nft add chain inet "$TABLE" in '{ type filter hook input priority 0; }' &&
		nsx nft add chain inet "$TABLE" out '{ type filter hook output priority 0; }'
}
if ! setup; then
	fail "setup: namespace $NS with table $TABLE" "see stderr"
	exit 1
fi
check "nft: the table exists in the namespace" nsx nft list table inet "$TABLE"

# start both instances (the one in the namespace, with its hook, is RT_PID)
start_pair() {
	# no filter: the default mode, where the kernel holds healthy connections' records
	# (quiet mode); the ports are free ones of the host, so that others' traffic does not
	# share them
	if ! rt_start_beside "$1-host" -j; then
		fail "$1: ready line (host)" "$(cat "$RT_ERR")"
		return 1
	fi
	if ! RT_NETNS=$NS rt_start "$1-ns" -j --netns "/run/netns/$NS"; then
		fail "$1: ready line (in the namespace)" "$(cat "$RT_ERR")"
		return 1
	fi
}
stop_pair() {
	rt_stop
	check "$1: rsttrace exits 0 (in the namespace)" test $? = 0
	NS_OUT=$RT_OUT
	rt_stop_beside
	check "$1: rsttrace exits 0 (host)" test $? = 0
	HOST_OUT=$BESIDE_OUT
}
# on OUT NAME FILTER: tl_true over one instance's output
on() {
	local out=$1
	shift
	RT_OUT=$out tl_true "$@"
}
# tl_of PORT PID: the timelines of PID's connections to PORT (others' tests may use a port
# of the same number in their namespaces)
tl_of() { echo "[\$tl[] | select(.conn.b.port == $1 and .conn.a.pid == $2)]"; }

# ---- syn: a listener, its SYNs rejected ---------------------------------------------------
P=$(free_port)
nsx nft add rule inet "$TABLE" in tcp dport $P reject with tcp reset
start_pair syn && {
	peer_start SRV "$NS" server 127.0.0.1 $P
	peer_read SRV
	check "syn: the listener is ready" test "$REPLY" = "ready $P"
	peer_start CLI "$NS" client 127.0.0.1 $P
	peer_read CLI
	check "syn: connect refused (ECONNREFUSED) though something listens" test "$REPLY" = "error ECONNREFUSED"
	peer_stop CLI
	peer_stop SRV
	stop_pair syn
	on "$NS_OUT" "syn, hook: firewall_reject, the client named, rst_filter seen, no rst_sent" \
		"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"firewall_reject\" and
		 \$t[0].conn.a.pid == $CLI_PID and any(\$t[0].events[]; .kind == \"rst_filter\") and
		 all(\$t[0].events[]; .kind != \"rst_sent\") and
		 (\$t[0].verdict.summary | test(\"could not connect.*a packet filter rule on this host.*seen leaving\"))"
	on "$HOST_OUT" "syn, records only: firewall_reject, no socket sent it" \
		"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"firewall_reject\" and
		 all(\$t[0].events[]; .kind != \"rst_filter\") and
		 (\$t[0].verdict.summary | test(\"no socket of it sent the reset\"))"
}

# ---- established: the rule comes after the handshake; a linger close 1.7 s later ---------
P=$(free_port)
start_pair est && {
	peer_start SRV "$NS" server 127.0.0.1 $P
	peer_read SRV
	peer_start CLI "$NS" client 127.0.0.1 $P
	peer_read CLI
	check "est: connected" test "$REPLY" = connected
	peer_do SRV accept
	check "est: accepted" test "$REPLY" = accepted
	# a greeting: the server's first call on the socket makes its accept event (an idle
	# server end would have no event before its close: two timelines)
	peer_do SRV write
	check "est: the server's greeting" test "$REPLY" = ok
	nsx nft add rule inet "$TABLE" in tcp dport $P reject with tcp reset
	peer_do CLI write
	check "est: the write that meets the rule succeeds" test "$REPLY" = ok
	peer_do CLI write
	EST_ERR=$REPLY
	check "est: the next write fails ($EST_ERR)" test "${REPLY%% *}" = error
	peer_do CLI close
	sleep 1.7 # the issue's case: the server's abortive close 1.7 s after the failure
	peer_do SRV linger
	peer_do SRV close
	check "est: the server closed with SO_LINGER {1, 0}" test "$REPLY" = closed
	peer_stop CLI
	peer_stop SRV
	stop_pair est
	for out in "$NS_OUT" "$HOST_OUT"; do
		which=$([ "$out" = "$NS_OUT" ] && echo hook || echo records)
		on "$out" "est, $which: firewall_reject, not linger_abort; both ends named" \
			"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"firewall_reject\" and
			 \$t[0].conn.a.pid == $CLI_PID and \$t[0].conn.b.pid == $SRV_PID and
			 (\$t[0].verdict.summary | test(\"reset by a packet filter rule on this host\"))"
		on "$out" "est, $which: the linger reset is in the timeline, after the client's failure" \
			"$(tl_of $P $CLI_PID) as \$t | [\$t[0].events[] | select(.side == \"b\" and .kind == \"rst_sent\") | .t_ms][0] as \$r |
			 [\$t[0].events[] | select(.side == \"a\" and .kind == \"rst_recv\") | .t_ms][0] as \$f |
			 \$r != null and \$f != null and \$r - \$f > 1500"
	done
	on "$NS_OUT" "est, hook: rst_filter on b's side" \
		"$(tl_of $P $CLI_PID) as \$t | any(\$t[0].events[]; .kind == \"rst_filter\" and .side == \"b\")"
}

# ---- remote: an output rule rejects a connect to another host --------------------------------
P=$(free_port)
nsx nft add rule inet "$TABLE" out ip daddr 10.124.0.99 tcp dport $P reject with tcp reset
start_pair remote && {
	peer_start CLI "$NS" client 10.124.0.99 $P
	peer_read CLI
	check "remote: connect refused by the output rule" test "$REPLY" = "error ECONNREFUSED"
	peer_stop CLI
	stop_pair remote
	on "$NS_OUT" "remote, hook: firewall_reject, b is the other host" \
		"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"firewall_reject\" and
		 \$t[0].conn.b.addr == \"10.124.0.99\" and \$t[0].conn.a.pid == $CLI_PID and
		 any(\$t[0].events[]; .kind == \"rst_filter\")"
	on "$HOST_OUT" "remote, records only: refused (the documented limit: no hook there)" \
		"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"refused\""
}

# ---- refused: nothing listens, no rule ------------------------------------------------------
P=$(free_port)
start_pair refused && {
	peer_start CLI "$NS" client 127.0.0.1 $P
	peer_read CLI
	check "refused: connect refused" test "$REPLY" = "error ECONNREFUSED"
	peer_stop CLI
	stop_pair refused
	for out in "$NS_OUT" "$HOST_OUT"; do
		on "$out" "refused: refused, the kernel's NO_SOCKET reset, no rst_filter" \
			"$(tl_of $P $CLI_PID) as \$t | (\$t | length) == 1 and \$t[0].verdict.code == \"refused\" and
			 any(\$t[0].events[]; .kind == \"rst_sent\" and .reason == \"NO_SOCKET\") and
			 all(\$t[0].events[]; .kind != \"rst_filter\")"
	done
}

nsx nft delete table inet "$TABLE"
check "nft: the table is deleted" test "$(nsx nft list tables | grep -c "$TABLE")" = 0
exit $FAILED
