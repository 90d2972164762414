#!/usr/bin/env bash
# End-to-end oracle nobody here wrote: the kernel's own SNMP counters, read with nstat inside a
# network namespace this test creates (its counters start at zero and count only what runs
# there), against what rsttrace reported for that namespace (--events -j --netns, running
# inside it so that its netfilter program sees the namespace's packet filter):
#   TcpOutRsts       == rst_sent events (every reset the TCP stack sends)
#   TCPAbortOnClose  == rst_sent with reason TCP_ABORT_ON_CLOSE
#   TCPAbortOnData   == rst_sent TCP_ABORT_ON_DATA + TCP_STATE (tcp_close() counts a
#                       SO_LINGER {1, 0} close as AbortOnData; its reset, sent by
#                       tcp_disconnect(), has reason TCP_STATE: the only TCP_STATE resets here)
#   TCPAbortOnTimeout, TCPAbortOnLinger, TCPAbortOnMemory == 0, as the scenarios make none
#   the packet filter's reset: one rst_filter event, and not in TcpOutRsts
#   nothing lost (stats.lost == 0)
# The scenarios are tests/scen's refused, unread, linger, wapc, keepalive (IPv4 and IPv6),
# then a connect rejected by an nft rule (the test's own table, deleted on exit).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/realsw/peers.sh"
own_netns snmp
export NSTAT_HISTORY=$WORK/nstat.history # nstat -s does not write it; never the shared default

if ! { ip netns add "$NS" && ip -n "$NS" link set lo up; }; then
	fail "setup: namespace $NS" "see stderr"
	exit 1
fi

# counter NAME: its absolute value in the namespace (0 when nstat does not list it)
counter() {
	nsx nstat -asz 2>/dev/null | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}
COUNTERS="TcpOutRsts TcpExtTCPAbortOnClose TcpExtTCPAbortOnData TcpExtTCPAbortOnTimeout
TcpExtTCPAbortOnLinger TcpExtTCPAbortOnMemory"
declare -A BEFORE
for c in $COUNTERS; do BEFORE[$c]=$(counter "$c"); done

if ! RT_NETNS=$NS rt_start snmp --events -j --netns "/run/netns/$NS"; then
	fail "ready line" "$(cat "$RT_ERR")"
	exit 1
fi
port=20100
for v in "" -6; do
	for s in refused unread linger wapc keepalive; do
		port=$((port + 1))
		nsx "$SCEN" "$s" $v "$port" >"$WORK/$s$v.scen" 2>&1
		check "scenario $s$v ran as expected" test $? = 0
	done
done
port=$((port + 1))
nsx nft add table inet "$TABLE" &&
	nsx nft add chain inet "$TABLE" in '{ type filter hook input priority 0; }' &&
	nsx nft add rule inet "$TABLE" in tcp dport $port reject with tcp reset
check "nft: the table and its rule" nsx nft list table inet "$TABLE"
peer_start CLI "$NS" client 127.0.0.1 $port
peer_read CLI
check "nft: the connect was rejected" test "$REPLY" = "error ECONNREFUSED"
peer_stop CLI
nsx nft delete table inet "$TABLE"
check "nft: the table is deleted" test "$(nsx nft list tables | grep -c "$TABLE")" = 0
declare -A AFTER
for c in $COUNTERS; do AFTER[$c]=$(counter "$c"); done
rt_stop
check "rsttrace exits 0" test $? = 0

d() { echo $((AFTER[$1] - BEFORE[$1])); }
# the count of rst_sent events with one of the reasons given (none: all)
rsts() {
	jq -s --arg r "$*" '[.[] | select(.type == "event" and .kind == "rst_sent" and
		($r == "" or (.reason as $x | $r | split(" ") | index($x))))] | length' "$RT_OUT"
}
echo "INFO nstat deltas: $(for c in $COUNTERS; do printf '%s=%s ' "$c" "$(d "$c")"; done)"
check "TcpOutRsts ($(d TcpOutRsts)) == rst_sent events ($(rsts)), and some were sent" \
	test "$(d TcpOutRsts)" = "$(rsts)" -a "$(rsts)" -gt 0
check "TCPAbortOnClose ($(d TcpExtTCPAbortOnClose)) == rst_sent TCP_ABORT_ON_CLOSE ($(rsts TCP_ABORT_ON_CLOSE)), > 0" \
	test "$(d TcpExtTCPAbortOnClose)" = "$(rsts TCP_ABORT_ON_CLOSE)" -a "$(rsts TCP_ABORT_ON_CLOSE)" -gt 0
check "TCPAbortOnData ($(d TcpExtTCPAbortOnData)) == rst_sent TCP_ABORT_ON_DATA + TCP_STATE ($(rsts TCP_ABORT_ON_DATA TCP_STATE)), > 0" \
	test "$(d TcpExtTCPAbortOnData)" = "$(rsts TCP_ABORT_ON_DATA TCP_STATE)" -a "$(rsts TCP_ABORT_ON_DATA TCP_STATE)" -gt 0
for c in TcpExtTCPAbortOnTimeout TcpExtTCPAbortOnLinger TcpExtTCPAbortOnMemory; do
	check "$c: 0 in the kernel, as the scenarios make none" test "$(d $c)" = 0
done
jq_true "the packet filter's reset: one rst_filter, not counted in TcpOutRsts" \
	"([\$ev[] | select(.kind == \"rst_filter\" and .sport == $port)] | length) == 1"
check "stats: lost 0" test "$(jq -s '[.[] | select(.type == "stats")][0].lost' "$RT_OUT")" = 0
exit $FAILED
