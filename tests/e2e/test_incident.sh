#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: the incident rsttrace exists to explain (docs/design.md "The problem";
# docs/kernel.md §1g), for real: curl (3 s timeout) -> nginx 1.22 -> a Go net/http
# gateway that sleeps 3.4 s and then writes 157 KiB (tests/e2e/incident/run.sh).
#
#   off  proxy_ignore_client_abort off (the default: the incident). curl gives up at 3 s,
#        nginx logs 499 and closes its upstream connection at once (a FIN); at 3.4 s the
#        gateway writes, nginx's timewait sock answers with an RST (owned by nginx, triggered
#        by the gateway) and the gateway's next write gets EPIPE.
#   on   proxy_ignore_client_abort on (the fix). nginx keeps the upstream, logs 200; the RST
#        moves to the client side (curl's timewait sock answers nginx's write) and nginx
#        closes the upstream afterwards with unread data (TCP_ABORT_ON_CLOSE).
#
# Each mode runs three times: traced with `--events -j -P GATEWAY_PORT` (checks of the
# upstream connection's events and owners), with no filter (the whole chain, curl's
# connection included; its JSON is kept in .output/incident-MODE.json), and in the default
# output, `-j -P GATEWAY_PORT`, what a user would type: the timeline, its verdict and cause.
# Only what docs/kernel.md §1g and repeated runs show to be deterministic is asserted; what varies
# (whether the gateway's write(2) returned an error, how the gateway's end got its reset)
# is printed as INFO lines.
. "$(dirname "$0")/lib.sh"
INC=$ROOT/tests/e2e/incident

# every key of the run: ports (NGINX_PORT GW_PORT UP_PORT CLIENT_PORT), pids (GW_PID
# NGINX_MASTER_PID NGINX_WORKER_PID CURL_PID RT_PID)
load_run() {
	# shellcheck disable=SC1091
	. "$1/ports"
	# shellcheck disable=SC1091
	. "$1/pids"
	# the run's rsttrace has exited: keep its pid apart from lib.sh's RT_PID, which the
	# cleanup would kill (by then perhaps another process's pid)
	RUN_RT_PID=$RT_PID
	RT_PID=
	RT_OUT=$1/rsttrace.out
	WK=$NGINX_WORKER_PID
	GWP=$GW_PID
	# nginx's end of the upstream connection, the gateway's end, nginx's end of the client one
	NUP="(.sport == $UP_PORT and .dport == $GW_PORT)"
	GUP="(.sport == $GW_PORT and .dport == $UP_PORT)"
	NCL="(.sport == $NGINX_PORT and .dport == $CLIENT_PORT)"
	CCL="(.sport == $CLIENT_PORT and .dport == $NGINX_PORT)"
	# t(x): milliseconds from nginx's connect to the gateway to event x
	T0="([\$ev[] | select(.kind == \"connect\" and .pid == $WK and .dport == $GW_PORT)][0].ts_ns)"
	TMS="((.ts_ns - $T0) / 1000000)"
}

# incident_run TAG MODE [RSTTRACE_ARGS...]: one run (bounded: 60 s), the checks every run
# shares; 1 if the run itself failed (its files are then not worth checking)
incident_run() {
	local tag=$1 mode=$2 dir rc p alive
	shift 2
	dir=$WORK/${tag//\//_}
	timeout -s TERM 60 "$INC/run.sh" "$mode" "$dir" "$@" >"$dir.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$tag: the run went as planned" "run.sh exited $rc: $(cat "$dir.log")"
		[ -f "$dir/run.log" ] && sed 's/^/    /' "$dir/run.log"
		return 1
	fi
	pass "$tag: the run went as planned (gateway, nginx and rsttrace ready, response written)"
	load_run "$dir"
	alive=
	for p in $GW_PID $NGINX_MASTER_PID $NGINX_WORKER_PID $CURL_PID $RUN_RT_PID; do
		kill -0 "$p" 2>/dev/null && alive="$alive $p"
	done
	check "$tag: every process of the run has exited" test -z "$alive"
	check "$tag: curl gave up after 3 s (exit 28)" test "$(cat "$dir/curl.rc")" = 28
	check "$tag: rsttrace exits 0 on SIGINT" test "$(cat "$dir/rsttrace.rc")" = 0
	jq_true "$tag: one stats line, nothing lost" \
		"([.[] | select(.type == \"stats\")] | length == 1) and .[-1].type == \"stats\" and .[-1].lost == 0"
	jq_true "$tag: nginx's worker connects to the gateway" \
		"any(\$ev[]; .kind == \"connect\" and .pid == $WK and .comm == \"nginx\" and .dport == $GW_PORT)"
	jq_true "$tag: the gateway accepts it (owner rt_gateway)" \
		"any(\$ev[]; .kind == \"accept\" and .pid == $GWP and .comm == \"rt_gateway\" and $GUP)"
	DIR=$dir
}

# (called through check)
# shellcheck disable=SC2317
not_in() { ! grep -q "$2" "$1"; }
# shellcheck disable=SC2317
status_is() { test "$(awk '{ print $1 "/" $3; exit }' "$DIR/access.log")" = "$1"; }

gateway_info() {
	echo "INFO $1: gateway: $(grep -m1 'write .* bytes:' "$DIR/gateway.log" | cut -d' ' -f3-)"
}

# --- off: the incident --------------------------------------------------------------------
off_filtered() {
	local tag=off/-P
	incident_run "$tag" off -j --events -P @GW_PORT@ || return
	check "$tag: nginx logs 499, no upstream status" status_is "499/-"
	check "$tag: nginx says (at info level) the client closed, so the upstream is closed too" \
		grep -q '\[info\].*client prematurely closed connection, so upstream connection is closed too' "$DIR/error.log"
	jq_true "$tag: nginx closes its upstream end (FIN_WAIT1) itself, about 3 s after its connect, before the gateway writes" \
		"([\$ev[] | select(.kind == \"close\" and .pid == $WK and $NUP and .state == \"FIN_WAIT1\" and .trigger_pid == null)][0]) as \$c
		 | \$c != null and (\$c | $TMS) >= 2500 and (\$c | $TMS) < 3390
		 and all(\$ev[] | select(.pid == $GWP and (.kind == \"rst_recv\" or .kind == \"write\" or .kind == \"write_error\")); .ts_ns > \$c.ts_ns)"
	jq_true "$tag: the gateway sees nginx's FIN (CLOSE_WAIT) before it writes" \
		"any(\$ev[]; .kind == \"peer_fin\" and .pid == $GWP and $GUP and .state == \"CLOSE_WAIT\" and $TMS < 3390)"
	jq_true "$tag: nginx sends no reset when it gives up (a plain FIN): every upstream RST is the gateway's doing, after 3.4 s" \
		"all(\$ev[] | select(.kind == \"rst_sent\" and ($NUP or $GUP)); .trigger_pid == $GWP and $TMS >= 3395)"
	jq_true "$tag: rst_sent by nginx's dead upstream end (TIME_WAIT or no socket), owned by nginx, triggered by the gateway's write" \
		"any(\$ev[]; .kind == \"rst_sent\" and $NUP and .pid == $WK and .comm == \"nginx\"
		     and .trigger_pid == $GWP and .trigger_comm == \"rt_gateway\"
		     and (.reason == \"TCP_TIMEWAIT_SOCKET\" or .reason == \"NO_SOCKET\"))"
	jq_true "$tag: the gateway's end receives the reset in CLOSE_WAIT, error pending EPIPE" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $GWP and $GUP and .state == \"CLOSE_WAIT\")
		 and any(\$ev[]; .kind == \"error_pending\" and .pid == $GWP and $GUP and .errno == \"EPIPE\")"
	gateway_info "$tag"
	if grep -q 'write: broken pipe' "$DIR/gateway.log"; then
		jq_true "$tag: the gateway logged broken pipe: write_error EPIPE owned by the gateway, after a write that succeeded" \
			"any(\$ev[]; .kind == \"write_error\" and .pid == $GWP and .comm == \"rt_gateway\" and $GUP and .errno == \"EPIPE\" and .ret == -32)
			 and ([\$ev[] | select(.pid == $GWP and $GUP and (.kind == \"write\" or .kind == \"write_error\"))] | sort_by(.ts_ns) | .[0].kind == \"write\")"
	else
		jq_true "$tag: the gateway's writes all succeeded: no write_error for it" \
			"all(\$ev[]; .kind != \"write_error\" or .pid != $GWP)"
	fi
	jq_true "$tag: every owner is a process of the run" \
		"all(\$ev[]; .pid == null or .pid == $WK or .pid == $NGINX_MASTER_PID or .pid == $GWP or .pid == $CURL_PID)"
	echo "INFO $tag: upstream events (ms after nginx's connect):"
	"$INC/show.sh" "$DIR" | grep -E ' upstream ' | sed 's/^/    /'
}

off_unfiltered() {
	local tag=off/all
	incident_run "$tag" off -j --events || return
	cp "$RT_OUT" "$ROOT/.output/incident-off.json"
	check "$tag: nginx logs 499" status_is "499/-"
	jq_true "$tag: curl connects to nginx and closes (FIN) at its 3 s timeout" \
		"any(\$ev[]; .kind == \"connect\" and .pid == $CURL_PID and .comm == \"curl\" and .dport == $NGINX_PORT)
		 and any(\$ev[]; .kind == \"close\" and .pid == $CURL_PID and $CCL and .state == \"FIN_WAIT1\" and $TMS >= 2500 and $TMS < 3390)"
	jq_true "$tag: nginx's client end sees curl's FIN, triggered by curl" \
		"any(\$ev[]; .kind == \"peer_fin\" and .pid == $WK and $NCL and .trigger_comm == \"curl\")"
	jq_true "$tag: nginx closes the upstream within 200 ms of curl's FIN: the chain" \
		"([\$ev[] | select(.kind == \"peer_fin\" and .pid == $WK and $NCL)][0].ts_ns) as \$f
		 | any(\$ev[]; .kind == \"close\" and .pid == $WK and $NUP and .state == \"FIN_WAIT1\"
		       and .ts_ns > \$f and .ts_ns - \$f < 200000000)"
	jq_true "$tag: then the gateway's write gets nginx's reset (owned by nginx, triggered by the gateway)" \
		"any(\$ev[]; .kind == \"rst_sent\" and $NUP and .pid == $WK and .trigger_pid == $GWP
		     and (.reason == \"TCP_TIMEWAIT_SOCKET\" or .reason == \"NO_SOCKET\"))"
	jq_true "$tag: no reset on the client connection" \
		"all(\$ev[] | select($NCL or $CCL); .kind != \"rst_sent\" and .kind != \"rst_recv\")"
	echo "INFO $tag: the whole picture (ms after nginx's connect to the gateway):"
	"$INC/show.sh" "$DIR" | sed 's/^/    /'
}

# --- on: the fix --------------------------------------------------------------------------
on_filtered() {
	local tag=on/-P
	incident_run "$tag" on -j --events -P @GW_PORT@ || return
	check "$tag: nginx logs 200 from the upstream (not 499)" status_is "200/200"
	check "$tag: nginx says (at info level) writev to the client failed with EPIPE" \
		grep -q '\[info\].*writev() failed (32: Broken pipe) while sending to client' "$DIR/error.log"
	check "$tag: and not that it closed the upstream because of the client" \
		not_in "$DIR/error.log" "client prematurely closed"
	jq_true "$tag: nginx keeps its upstream end until the gateway has answered (no close before 3.4 s)" \
		"[\$ev[] | select(.kind == \"close\" and .pid == $WK and $NUP)] as \$c
		 | (\$c | length) > 0 and all(\$c[]; $TMS >= 3395)"
	jq_true "$tag: no timewait reset on the upstream: the incident's signature is gone" \
		"all(\$ev[] | select(.kind == \"rst_sent\" and ($NUP or $GUP)); .reason != \"TCP_TIMEWAIT_SOCKET\")"
	jq_true "$tag: nginx closes the upstream with unread data: rst_sent TCP_ABORT_ON_CLOSE owned by nginx, in its own close" \
		"any(\$ev[]; .kind == \"rst_sent\" and $NUP and .pid == $WK and .comm == \"nginx\"
		     and .reason == \"TCP_ABORT_ON_CLOSE\" and .trigger_pid == null)"
	jq_true "$tag: the gateway's end receives a reset (after it closed: FIN_WAIT1; still writing: ESTABLISHED)" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $GWP and $GUP and (.state == \"FIN_WAIT1\" or .state == \"ESTABLISHED\"))"
	check "$tag: the gateway wrote the whole response without an error" \
		grep -q 'response done .* written=160768 of 160768 err=<nil>' "$DIR/gateway.log"
	jq_true "$tag: no write_error for the gateway" \
		"all(\$ev[]; .kind != \"write_error\" or .pid != $GWP)"
	jq_true "$tag: every owner is a process of the run" \
		"all(\$ev[]; .pid == null or .pid == $WK or .pid == $NGINX_MASTER_PID or .pid == $GWP or .pid == $CURL_PID)"
	gateway_info "$tag"
	echo "INFO $tag: the gateway's end got its reset in $(jq -r -s "[.[] | select(.type == \"event\" and .kind == \"rst_recv\" and .pid == $GWP)][0].state" "$RT_OUT")"
	echo "INFO $tag: upstream events (ms after nginx's connect):"
	"$INC/show.sh" "$DIR" | grep -E ' upstream ' | sed 's/^/    /'
}

on_unfiltered() {
	local tag=on/all
	incident_run "$tag" on -j --events || return
	cp "$RT_OUT" "$ROOT/.output/incident-on.json"
	check "$tag: nginx logs 200" status_is "200/200"
	jq_true "$tag: curl closes (FIN) at its 3 s timeout; nginx's client end sees it" \
		"any(\$ev[]; .kind == \"close\" and .pid == $CURL_PID and $CCL and .state == \"FIN_WAIT1\" and $TMS >= 2500 and $TMS < 3390)
		 and any(\$ev[]; .kind == \"peer_fin\" and .pid == $WK and $NCL and .trigger_comm == \"curl\")"
	jq_true "$tag: nginx's write to the client hits curl's timewait sock: rst_sent owned by curl, triggered by nginx" \
		"any(\$ev[]; .kind == \"rst_sent\" and $CCL and .pid == $CURL_PID and .comm == \"curl\"
		     and .reason == \"TCP_TIMEWAIT_SOCKET\" and .trigger_pid == $WK and $TMS >= 3395)"
	jq_true "$tag: nginx's client end: reset received in CLOSE_WAIT, error pending EPIPE, write_error EPIPE" \
		"any(\$ev[]; .kind == \"rst_recv\" and .pid == $WK and $NCL and .state == \"CLOSE_WAIT\")
		 and any(\$ev[]; .kind == \"error_pending\" and .pid == $WK and $NCL and .errno == \"EPIPE\")
		 and any(\$ev[]; .kind == \"write_error\" and .pid == $WK and $NCL and .errno == \"EPIPE\")"
	jq_true "$tag: then nginx aborts the upstream (TCP_ABORT_ON_CLOSE), after its client write failed" \
		"([\$ev[] | select(.kind == \"write_error\" and .pid == $WK and $NCL)][0].ts_ns) as \$w
		 | any(\$ev[]; .kind == \"rst_sent\" and $NUP and .pid == $WK and .reason == \"TCP_ABORT_ON_CLOSE\" and .ts_ns > \$w)"
	echo "INFO $tag: the whole picture (ms after nginx's connect to the gateway):"
	"$INC/show.sh" "$DIR" | sed 's/^/    /'
}

# The default output (one timeline per incident), with the filter a user would type and with
# none (then the kernel holds healthy connections' records: quiet mode, and curl's connection
# is one of those until nginx loses it): the upstream connection's timeline names both
# processes, the chain and the fix.
off_timeline() {
	local tag=$1
	shift
	incident_run_timeline "$tag" off "$@" || return
	UPC="(.conn.a.pid == $WK and .conn.a.comm == \"nginx\" and .conn.a.port == $UP_PORT and
	      .conn.b.pid == $GWP and .conn.b.comm == \"rt_gateway\" and .conn.b.port == $GW_PORT)"
	tl_true "$tag: one timeline for the nginx-gateway connection, naming both processes" \
		"[\$tl[] | select($UPC)] | length == 1"
	tl_true "$tag: its verdict is client_abort_propagated" \
		"any(\$tl[]; $UPC and .verdict.code == \"client_abort_propagated\")"
	tl_true "$tag: the reset is on nginx's side (owned by nginx, triggered by the gateway)" \
		"any(\$tl[] | select($UPC) | .events[]; .side == \"a\" and .kind == \"rst_sent\" and .pid == $WK and .trigger_pid == $GWP)"
	tl_true "$tag: the gateway's EPIPE is in it" \
		"any(\$tl[] | select($UPC) | .events[]; .side == \"b\" and .pid == $GWP and .errno == \"EPIPE\")"
	tl_true "$tag: caused_by names curl's connection to nginx and curl" \
		"any(\$tl[] | select($UPC) | .caused_by; .kind == \"peer_fin\" and .pid == $CURL_PID and .comm == \"curl\" and
		     ([.conn.a.port, .conn.b.port] | sort) == ([$NGINX_PORT, $CLIENT_PORT] | sort) and .t_ms > 2500)"
	tl_true "$tag: the summary tells the story and the fix" \
		"any(\$tl[] | select($UPC); .verdict.summary | test(\"curl .*gave up after 3.*nginx.*rt_gateway.*EPIPE.*proxy_ignore_client_abort on\"))"
}

on_timeline() {
	local tag=$1
	shift
	incident_run_timeline "$tag" on "$@" || return
	UPC="(.conn.a.pid == $WK and .conn.b.pid == $GWP and .conn.b.port == $GW_PORT)"
	tl_true "$tag: with the fix, no client_abort_propagated" \
		"all(\$tl[]; .verdict.code != \"client_abort_propagated\")"
	tl_true "$tag: nginx now aborts the upstream after reading the response: abort_unread_data" \
		"any(\$tl[]; $UPC and .verdict.code == \"abort_unread_data\")"
}

# incident_run_timeline TAG MODE RSTTRACE_ARGS...: a run in the default (timeline) mode: the
# common checks that need raw events are skipped
incident_run_timeline() {
	local tag=$1 mode=$2 dir rc
	shift 2
	dir=$WORK/${tag//\//_}
	timeout -s TERM 60 "$INC/run.sh" "$mode" "$dir" "$@" >"$dir.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$tag: the run went as planned" "run.sh exited $rc: $(cat "$dir.log")"
		return 1
	fi
	pass "$tag: the run went as planned"
	load_run "$dir"
	check "$tag: rsttrace exits 0 on SIGINT" test "$(cat "$dir/rsttrace.rc")" = 0
	DIR=$dir
}

# the gateway, built once per source checksum (cached in .output/incident-gateway)
if GW_BIN=$("$INC/build.sh" "$WORK/gobuild"); then
	pass "the gateway builds ($GW_BIN)"
	off_filtered
	off_unfiltered
	on_filtered
	on_unfiltered
	off_timeline off/timeline -j -P @GW_PORT@
	off_timeline off/timeline-unfiltered -j
	on_timeline on/timeline -j -P @GW_PORT@
	on_timeline on/timeline-unfiltered -j
else
	fail "the gateway builds" "see the go build output above"
fi
rm -rf "$WORK/gobuild"
exit $FAILED
