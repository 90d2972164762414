#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: --netns and --cgroup, applied in the kernel. The same scenarios, on the same
# port, run in two network namespaces this test creates and on the host: --netns (by path,
# then by inode) keeps one namespace's resets and never shows the other's or the host's.
# Then a cgroup v2 child this test creates (removed after): --cgroup keeps what runs in it and
# below it, not what runs outside.
. "$(dirname "$0")/lib.sh"

NSA=rt_nfa_$$
NSB=rt_nfb_$$
CG=
undo() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	# the scenarios have exited (scen reaps its server): the cgroups are empty
	[ -n "$CG" ] && rmdir "$CG/sub" "$CG" 2>/dev/null
	cleanup
}
trap undo EXIT

# a namespace with only lo, up: both ends of each scenario live in it
make_ns() {
	ip netns add "$1" && ip -n "$1" link set dev lo up
}

# run_in NS|host SCENARIO PORT OUTFILE: the whole scenario (client and server) in NS
run_in() {
	if [ "$1" = host ]; then
		"$SCEN" "$2" "$3" >"$4" 2>&1
	else
		ip netns exec "$1" "$SCEN" "$2" "$3" >"$4" 2>&1
	fi
}

# the same port everywhere: only the namespace tells the resets apart
run_everywhere() {
	local tag=$1 where
	for where in "$NSA" "$NSB" host; do
		run_in "$where" refused "$PORT" "$WORK/$tag.$where.refused" ||
			fail "$tag: scen refused in $where" "$(cat "$WORK/$tag.$where.refused")"
		run_in "$where" wapc "$PORT" "$WORK/$tag.$where.wapc" ||
			fail "$tag: scen wapc in $where" "$(cat "$WORK/$tag.$where.wapc")"
	done
}

# pids of every process the scenarios of one place printed, as a jq array
pids_of() {
	sed -n 's/.* pid=\([0-9]*\) .*/\1/p' "$WORK/$1.$2.refused" "$WORK/$1.$2.wapc" | sort -u |
		paste -sd, | sed 's/^/[/; s/$/]/'
}

if ! make_ns "$NSA" || ! make_ns "$NSB"; then
	fail "netns: create namespaces" "ip netns add failed"
	exit 1
fi
PORT=$(free_port)
INO_B=$(stat -L -c %i "/run/netns/$NSB")
check "netns: the namespaces differ from the host's" \
	test "$(stat -L -c %i "/run/netns/$NSA")" != "$(stat -L -c %i /proc/self/ns/net)" -a \
	"$INO_B" != "$(stat -L -c %i /proc/self/ns/net)"

# --netns PATH, raw events
if rt_start path --events -j --netns "/run/netns/$NSA"; then
	run_everywhere path
	rt_stop
	A=$(pids_of path "$NSA") B=$(pids_of path "$NSB") H=$(pids_of path host)
	SRV=$(scen_pid "$WORK/path.$NSA.wapc" srv)
	jq_true "--netns PATH: the namespace's refused connect is reported" \
		"any(\$ev[]; .kind == \"rst_recv\" and .dport == $PORT and (.pid as \$p | $A | index(\$p)))"
	jq_true "--netns PATH: its server's write_error is reported" \
		"any(\$ev[]; .kind == \"write_error\" and .pid == $SRV and .errno == \"EPIPE\")"
	jq_true "--netns PATH: nothing from the other namespace" \
		"all(\$ev[]; (.pid as \$p | $B | index(\$p)) == null and (.trigger_pid as \$p | $B | index(\$p)) == null)"
	jq_true "--netns PATH: nothing from the host" \
		"all(\$ev[]; (.pid as \$p | $H | index(\$p)) == null and (.trigger_pid as \$p | $H | index(\$p)) == null)"
	jq_true "--netns PATH: every event is owned or triggered by one of the namespace's processes" \
		"(\$ev | length) > 0 and all(\$ev[]; (.pid // .trigger_pid) as \$p | $A | index(\$p))"
else
	fail "--netns PATH: ready line" "$(cat "$RT_ERR")"
fi

# --netns INODE, timelines
if rt_start inode -j --netns "$INO_B"; then
	run_everywhere inode
	rt_stop
	A=$(pids_of inode "$NSA") B=$(pids_of inode "$NSB") H=$(pids_of inode host)
	tl_true "--netns INODE: the namespace's refused timeline" \
		"any(\$tl[]; .verdict.code == \"refused\" and .conn.b.port == $PORT and (.conn.a.pid as \$p | $B | index(\$p)))"
	tl_true "--netns INODE: its write_after_peer_close timeline" \
		"any(\$tl[]; .verdict.code == \"write_after_peer_close\" and (.conn.b.pid as \$p | $B | index(\$p)))"
	tl_true "--netns INODE: every timeline is the namespace's (none from the other, none from the host)" \
		"(\$tl | length) > 0 and all(\$tl[]; [.conn.a.pid, .conn.b.pid, .events[].pid] | map(select(. != null)) | all(. as \$p | $B | index(\$p)))"
else
	fail "--netns INODE: ready line" "$(cat "$RT_ERR")"
fi

# --cgroup: a child of the cgroup v2 hierarchy, and a child of it
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -z "$CG2" ]; then
	fail "--cgroup" "no cgroup2 hierarchy mounted on this host"
	exit 1
fi
CG=$CG2/rt_nf_$$
if ! mkdir "$CG" "$CG/sub"; then
	CG=
	fail "--cgroup: create a cgroup" "mkdir under $CG2 failed"
	exit 1
fi
# in_cgroup DIR SCENARIO PORT OUT: the scenario's processes start inside DIR (a socket's
# cgroup is its creator's at creation)
in_cgroup() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$1" "$SCEN" "$2" "$3" >"$4" 2>&1
}
if rt_start cgroup --events -j --cgroup "$CG"; then
	in_cgroup "$CG/sub" wapc "$PORT" "$WORK/cg.sub.wapc" || fail "--cgroup: scen wapc" "$(cat "$WORK/cg.sub.wapc")"
	in_cgroup "$CG" refused "$PORT" "$WORK/cg.top.refused" || fail "--cgroup: scen refused" "$(cat "$WORK/cg.top.refused")"
	run_in host refused "$PORT" "$WORK/cg.host.refused"
	run_in host wapc "$PORT" "$WORK/cg.host.wapc"
	rt_stop
	SRV=$(scen_pid "$WORK/cg.sub.wapc" srv)
	CLI=$(scen_pid "$WORK/cg.top.refused" cli)
	H=$(pids_of cg host)
	jq_true "--cgroup: a child cgroup's server write_error (EPIPE) is reported" \
		"any(\$ev[]; .kind == \"write_error\" and .pid == $SRV and .errno == \"EPIPE\")"
	jq_true "--cgroup: the reset sent by the child's client timewait sock is kept" \
		"any(\$ev[]; .kind == \"rst_sent\" and .reason == \"TCP_TIMEWAIT_SOCKET\" and .trigger_pid == $SRV)"
	jq_true "--cgroup: the cgroup's own refused connect is reported" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $CLI and .dport == $PORT)"
	jq_true "--cgroup: nothing from processes outside it" \
		"all(\$ev[]; (.pid as \$p | $H | index(\$p)) == null and (.trigger_pid as \$p | $H | index(\$p)) == null)"
else
	fail "--cgroup: ready line" "$(cat "$RT_ERR")"
fi
exit $FAILED
