#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end, differential: the socket and task filters are written twice, in the kernel
# (bpf/filters.h, bpf/learn.h) and in user space for replays (user/replay_filter.c). For each
# filter, an unfiltered recorder and a filtered live instance watch the same real scenarios;
# the recording replayed with that filter must print the events the kernel's filter let
# through (times aside), and the same timelines.
. "$(dirname "$0")/lib.sh"

# the events of one output, without what differs between two runs of the same records
# (times) or what is per instance (identities): one line each, sorted
norm_events() {
	jq -c 'select(.type == "event") | del(.time, .ts_ns, .cgroup, .container, .unit)' "$1" | sort
}
norm_timelines() {
	jq -cS 'select(.type == "timeline") | del(.events[].time, .events[].ts_ns, .events[].t_ms,
		.caused_by.time, .caused_by.ts_ns, .caused_by.t_ms)
		| walk(if type == "object" then del(.cgroup, .container, .unit) else . end)' "$1" | sort
}

run_scenarios() {
	"$SCEN" refused "$PR" >/dev/null 2>&1
	"$SCEN" unread "$PU" >/dev/null 2>&1
	"$SCEN" linger "$PL" >/dev/null 2>&1
	"$SCEN" wapc "$PW" >/dev/null 2>&1
	"$SCEN" keepalive "$PK" >/dev/null 2>&1
}

# differ NAME MODE FILTER...: live MODE FILTER beside an unfiltered recorder, then the replay
differ() {
	local name=$1 mode=$2
	shift 2
	PR=$(free_port) PU=$(free_port) PL=$(free_port) PW=$(free_port) PK=$(free_port)
	local filter=("$@")
	filter=("${filter[@]//@PU/$PU}")
	filter=("${filter[@]//@PW/$PW}")
	filter=("${filter[@]//@PK/$PK}")
	if ! rt_start_beside "rec_$name" -j -w "$WORK/$name.rec"; then
		fail "$name: recorder ready" "$(cat "$RT_ERR")"
		return
	fi
	# shellcheck disable=SC2086
	if ! rt_start "live_$name" -j $mode "${filter[@]}"; then
		fail "$name: live ready" "$(cat "$RT_ERR")"
		rt_stop_beside
		return
	fi
	run_scenarios
	rt_stop
	rt_stop_beside
	# shellcheck disable=SC2086
	"$RT" -r "$WORK/$name.rec" -j $mode "${filter[@]}" >"$WORK/replay_$name.out" 2>"$WORK/replay_$name.err"
	check "$name: the replay runs" test $? = 0
	if [ "$mode" = --events ]; then
		norm_events "$WORK/live_$name.out" >"$WORK/$name.live"
		norm_events "$WORK/replay_$name.out" >"$WORK/$name.replay"
	else
		norm_timelines "$WORK/live_$name.out" >"$WORK/$name.live"
		norm_timelines "$WORK/replay_$name.out" >"$WORK/$name.replay"
	fi
	check "$name: the kernel's filter let something through ($(wc -l <"$WORK/$name.live") lines)" \
		test -s "$WORK/$name.live"
	if diff "$WORK/$name.live" "$WORK/$name.replay" >"$WORK/$name.diff"; then
		pass "$name: the replay with ${filter[*]} prints what the kernel's filter let through"
	else
		fail "$name: live (<) and replayed (>) differ with ${filter[*]}" "$(head -c 3000 "$WORK/$name.diff")"
	fi
}

differ port_events --events -P @PU,@PW
differ port_timelines "" -P @PK
differ comm_events --events -c rt_cli_wapc
differ comm_timelines "" -c rt_srv_unr
exit $FAILED
