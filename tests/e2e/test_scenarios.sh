#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: each reset scenario produced for real on loopback by two processes with distinct
# names (tests/scen/scen.c), traced by `rsttrace --events -j -P PORT`; the JSON must name the
# right owner for every event. Ground truth: docs/kernel.md §1a-§1d.
. "$(dirname "$0")/lib.sh"

# run_scenario TAG SCEN [-6]: trace one scenario; sets CLI, SRV, and RT_OUT for the checks
run_scenario() {
	local tag=$1 scen=$2 v6=${3:-} port rc
	port=$(free_port)
	if ! rt_start "$tag" --events -j -P "$port" --probes "$FAMILY"; then
		fail "$tag: ready line" "$(cat "$RT_ERR")"
		return 1
	fi
	"$SCEN" "$scen" $v6 "$port" >"$WORK/${tag//\//_}.scen" 2>&1
	rc=$?
	check "$tag: scenario behaved as docs/kernel.md says" test "$rc" = 0
	rt_stop
	check "$tag: rsttrace exits 0 on SIGINT" test "$?" = 0
	CLI=$(scen_pid "$WORK/${tag//\//_}.scen" cli)
	SRV=$(scen_pid "$WORK/${tag//\//_}.scen" srv)
	jq_true "$tag: one stats line, nothing lost, every event counted" \
		"([.[] | select(.type == \"stats\")] | length == 1) and
		 (.[-1].type == \"stats\" and .[-1].lost == 0 and .[-1].events == (\$ev | length))"
	jq_true "$tag: every owner is one of the scenario's processes" \
		"all(\$ev[]; .pid == null or .pid == ${CLI:-0} or .pid == ${SRV:-0})"
	if [ -n "$v6" ]; then
		jq_true "$tag: IPv6 addresses" \
			"all(\$ev[] | select(.saddr != null and .saddr != \"::\"); .family == \"ipv6\" and .saddr == \"::1\")"
	else
		jq_true "$tag: IPv4 addresses" \
			"all(\$ev[] | select(.saddr != null and .saddr != \"0.0.0.0\"); .family == \"ipv4\" and .saddr == \"127.0.0.1\")"
	fi
}

refused() {
	local tag=refused$1/$FAMILY
	run_scenario "$tag" refused $1 || return
	jq_true "$tag: rst_recv owned by the connecting process, in SYN_SENT" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $CLI and .comm == \"rt_cli_ref\" and .state == \"SYN_SENT\")"
	jq_true "$tag: NO_SOCKET rst_sent not blamed on the connecting process (it is the trigger)" \
		"any(\$ev[]; .kind == \"rst_sent\" and .reason == \"NO_SOCKET\" and .pid == null and .trigger_pid == $CLI)"
	jq_true "$tag: error_pending ECONNREFUSED for the connecting process" \
		"any(\$ev[]; .kind == \"error_pending\" and .errno == \"ECONNREFUSED\" and .pid == $CLI)"
}

unread() {
	local tag=unread$1/$FAMILY
	run_scenario "$tag" unread $1 || return
	jq_true "$tag: rst_sent TCP_ABORT_ON_CLOSE owned by the closer" \
		"any(\$ev[]; .kind == \"rst_sent\" and .reason == \"TCP_ABORT_ON_CLOSE\" and .pid == $SRV and .comm == \"rt_srv_unr\")"
	# processed in the closer's close() (softirq: the closer is the trigger), or queued on the
	# peer's backlog while the peer was still inside its send() (its own context: no trigger)
	jq_true "$tag: the peer's rst_recv owned by the peer, triggered by the closer or by nobody" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $CLI and (.trigger_pid == $SRV or .trigger_pid == null))"
	jq_true "$tag: the peer's read_error ECONNRESET" \
		"any(\$ev[]; .kind == \"read_error\" and .errno == \"ECONNRESET\" and .pid == $CLI and .ret == -104)"
	jq_true "$tag: the peer's later write_error EPIPE" \
		"any(\$ev[]; .kind == \"write_error\" and .errno == \"EPIPE\" and .pid == $CLI)"
}

linger() {
	local tag=linger$1/$FAMILY
	run_scenario "$tag" linger $1 || return
	jq_true "$tag: rst_sent TCP_STATE owned by the closer" \
		"any(\$ev[]; .kind == \"rst_sent\" and .reason == \"TCP_STATE\" and .pid == $CLI and .comm == \"rt_cli_lin\")"
	jq_true "$tag: close by the closer in its own syscall" \
		"any(\$ev[]; .kind == \"close\" and .pid == $CLI and .trigger_pid == null)"
	jq_true "$tag: the peer's read_error ECONNRESET" \
		"any(\$ev[]; .kind == \"read_error\" and .errno == \"ECONNRESET\" and .pid == $SRV)"
	jq_true "$tag: the peer's write_error EPIPE" \
		"any(\$ev[]; .kind == \"write_error\" and .errno == \"EPIPE\" and .pid == $SRV and .comm == \"rt_srv_lin\")"
}

wapc() {
	local tag=wapc$1/$FAMILY
	run_scenario "$tag" wapc $1 || return
	jq_true "$tag: the writer saw the peer's FIN" \
		"any(\$ev[]; .kind == \"peer_fin\" and .pid == $SRV and .state == \"CLOSE_WAIT\")"
	jq_true "$tag: rst_sent from the closed side's timewait sock, owned by it, triggered by the writer" \
		"any(\$ev[]; .kind == \"rst_sent\" and .reason == \"TCP_TIMEWAIT_SOCKET\" and .pid == $CLI and .comm == \"rt_cli_wapc\" and .trigger_pid == $SRV and .trigger_comm == \"rt_srv_wapc\")"
	jq_true "$tag: error_pending EPIPE owned by the writer" \
		"any(\$ev[]; .kind == \"error_pending\" and .errno == \"EPIPE\" and .pid == $SRV)"
	jq_true "$tag: the first write succeeded (16384 bytes), a later one got EPIPE" \
		"([\$ev[] | select(.pid == $SRV and (.kind == \"write\" or .kind == \"write_error\"))] | sort_by(.ts_ns) | map([.kind, .bytes, .errno])) as \$w
		 | \$w[0] == [\"write\", 16384, null] and \$w[-1] == [\"write_error\", null, \"EPIPE\"]"
	jq_true "$tag: SIGPIPE for the writer" \
		"any(\$ev[]; .kind == \"sigpipe\" and .pid == $SRV)"
}

# auto: tp_btf here; raw_tp: the fallback of kernels without tp_btf (no socket cookies there,
# owners found by tuple)
for FAMILY in auto raw_tp; do
	for v in "" -6; do
		refused "$v"
		unread "$v"
		linger "$v"
		wapc "$v"
	done
done
exit $FAILED
