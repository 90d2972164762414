# tests/e2e/realsw/peers.sh - sourced after lib.sh: two-way pipes to peer.py processes in a
# network namespace, so that a test sequences its ends without sleeping.
PEER=$ROOT/tests/e2e/realsw/peer.py
PEER_PIDS=()

# peer_start NAME NETNS ROLE ADDR PORT: start peer.py ROLE ADDR PORT in NETNS; its pid in
# ${NAME}_PID, its pipes on fds ${NAME}_W / ${NAME}_R
peer_start() {
	local name=$1 ns=$2 w r
	shift 2
	rm -f "$WORK/$name.in" "$WORK/$name.out"
	mkfifo "$WORK/$name.in" "$WORK/$name.out"
	ip netns exec "$ns" /usr/bin/python3 "$PEER" "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	printf -v "${name}_PID" %s $!
	PEER_PIDS+=($!)
	exec {w}>"$WORK/$name.in"
	exec {r}<"$WORK/$name.out"
	printf -v "${name}_W" %s "$w"
	printf -v "${name}_R" %s "$r"
}

# peer_read NAME: its next answer line in REPLY (bounded: 10 s; "timeout" if none)
peer_read() {
	local r=${1}_R
	IFS= read -r -t 10 -u "${!r}" REPLY || REPLY=timeout
}

# peer_do NAME CMD: send one command, read its answer into REPLY
peer_do() {
	local w=${1}_W
	echo "$2" >&"${!w}"
	peer_read "$1"
}

# peer_stop NAME: close its input (it exits), wait for it (bounded), kill it by pid if not
peer_stop() {
	local w=${1}_W r=${1}_R p=${1}_PID
	echo exit >&"${!w}" 2>/dev/null
	eval "exec ${!w}>&- ${!r}<&-"
	for _ in $(seq 50); do kill -0 "${!p}" 2>/dev/null || break; sleep 0.1; done
	kill "${!p}" 2>/dev/null
	wait "${!p}" 2>/dev/null
}

# peers_kill: every peer still running (a trap on failure)
peers_kill() {
	for p in "${PEER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
}

# own_netns NAME: a network namespace (NS) and an nft table name (TABLE) of this test's own;
# on exit the peers it started are stopped and both are removed. nsx CMD runs CMD in NS.
own_netns() {
	NS=rt-$1-$$
	TABLE=rt_$1_$$
	trap own_netns_restore EXIT
}
own_netns_restore() {
	peers_kill
	ip netns exec "$NS" nft delete table inet "$TABLE" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	cleanup
}
nsx() { ip netns exec "$NS" "$@"; }
