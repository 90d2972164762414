#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The agent (docs/agent.md): owners' container and unit identity from cgroups the test makes
# (docker-, cri-containerd-, crio-, libpod- scopes and a .service under a slice of its own),
# on every event and timeline end, in text, in metrics and summaries grouped by them, and the
# same in a replay; rotating recordings (-C, -W, -G) that lose no record: the live output
# equals the replay of the files; the default options of /etc/default/rsttrace run with only
# CAP_BPF and CAP_PERFMON as an unprivileged user, as the service does.
. "$(dirname "$0")/lib.sh"

CG2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
SLICE=$CG2/rsttrace-test-$$.slice
hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ID_DOCKER=$(hex)
ID_CRI=$(hex)
ID_CRIO=$(hex)
ID_PODMAN=$(hex)
NAMER_PIDS=()
agent_cleanup() {
	for p in "${NAMER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${NAMER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -d "$SLICE" ] && find "$SLICE" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
	[ -d "$SLICE" ] && rmdir "$SLICE"
	cleanup
}
trap agent_cleanup EXIT

# --- identity --------------------------------------------------------------------------------
P=$(free_port)
M=$(free_port)
declare -A DIR=(
	[ctr_docker]=docker-$ID_DOCKER.scope [ctr_cri]=cri-containerd-$ID_CRI.scope
	[ctr_crio]=crio-$ID_CRIO.scope [ctr_podman]=libpod-$ID_PODMAN.scope
	[svc_web]=rsttrace-web-$$.service)
for c in "${!DIR[@]}"; do mkdir -p "$SLICE/${DIR[$c]}"; done
if ! rt_start ident -j --metrics "$M" --by container -w "$WORK/ident.rec" -P "$P"; then
	fail "identity: ready line" "$(cat "$RT_ERR")"
	exit 1
fi
mkfifo "$WORK/namers.in"
for c in "${!DIR[@]}"; do
	"$ROOT/tests/e2e/namer.py" "$c" "$P" "$SLICE/${DIR[$c]}" <"$WORK/namers.in" >>"$WORK/namers.out" &
	NAMER_PIDS+=($!)
done
exec 6>"$WORK/namers.in" # the namers live until this closes
for _ in $(seq 100); do
	[ "$(grep -c ^ready "$WORK/namers.out" 2>/dev/null)" = 5 ] && break
	sleep 0.1
done
check "five clients, each in its cgroup, made a refused connect" \
	test "$(grep -c ^ready "$WORK/namers.out")" = 5
# their timelines come 1 s after their connections end (bounded 10 s)
for _ in $(seq 100); do
	[ "$(grep -c '"type":"timeline"' "$RT_OUT")" -ge 5 ] && break
	sleep 0.1
done
curl -s "http://127.0.0.1:$M/metrics" >"$WORK/ident.metrics"
rt_stop
exec 6>&-
for p in "${NAMER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
NAMER_PIDS=()
S=${SLICE#"$CG2"}
for c in ctr_docker ctr_cri ctr_crio ctr_podman; do
	case $c in ctr_docker) id=$ID_DOCKER ;; ctr_cri) id=$ID_CRI ;; ctr_crio) id=$ID_CRIO ;; *) id=$ID_PODMAN ;; esac
	tl_true "identity: $c's timeline: cgroup $S/${DIR[$c]}, container $id, unit ${DIR[$c]}" \
		"any(\$tl[]; .conn.a.comm == \"$c\" and .conn.a.cgroup == \"$S/${DIR[$c]}\" and
		 .conn.a.container == \"$id\" and .conn.a.unit == \"${DIR[$c]}\" and
		 all(.events[] | select(.pid != null); .container == \"$id\"))"
	check "metrics --by container: $c's incident under its container id" \
		grep -q "^rsttrace_incidents_total{verdict=\"refused\",container=\"$id\",peer_container=\"\"} 1$" "$WORK/ident.metrics"
done
tl_true "identity: a service's process: its unit, no container" \
	"any(\$tl[]; .conn.a.comm == \"svc_web\" and .conn.a.unit == \"rsttrace-web-$$.service\" and
	 .conn.a.container == null and .conn.b.cgroup == null)"
check "metrics --by container: the service's process has none (empty label)" \
	grep -q '^rsttrace_incidents_total{verdict="refused",container="",peer_container=""} 1$' "$WORK/ident.metrics"

# a replay has the same identities, from the recording's identity records
"$RT" -r "$WORK/ident.rec" -j >"$WORK/ident-replay.json"
check "identity: the replay prints what the live run printed, byte for byte" \
	cmp -s "$RT_OUT" "$WORK/ident-replay.json"
TZ=UTC "$RT" -r "$WORK/ident.rec" >"$WORK/ident.txt" 2>/dev/null
check "identity in text: the container's first 12 digits on the end and the events" \
	bash -c "grep -q 'ctr_docker (pid [0-9]*) container=${ID_DOCKER:0:12}' '$WORK/ident.txt' && grep -Eq 'connect .*ctr_docker .* container=${ID_DOCKER:0:12}' '$WORK/ident.txt'"
check "identity in text: the unit when there is no container" \
	grep -q "svc_web (pid [0-9]*) unit=rsttrace-web-$$.service" "$WORK/ident.txt"
"$RT" -r "$WORK/ident.rec" -j --summary --by unit >"$WORK/ident-summary.out"
check "--summary --by unit: one row per unit" \
	jq -e -s "[.[] | select(.type == \"summary\") | .rows[]] | (map(.unit) | sort) == ([\"${DIR[ctr_cri]}\", \"${DIR[ctr_crio]}\", \"${DIR[ctr_docker]}\", \"${DIR[ctr_podman]}\", \"rsttrace-web-$$.service\"] | sort)" "$WORK/ident-summary.out"
TZ=UTC "$RT" -r "$WORK/ident.rec" --summary --by container >"$WORK/ident-summary.txt" 2>&1
check "--summary --by container (text): a CONTAINER column with the ids" \
	bash -c "grep -q 'CONTAINER' '$WORK/ident-summary.txt' && grep -q ' ${ID_CRIO:0:12} ' '$WORK/ident-summary.txt'"
"$RT" -r "$ROOT/tests/golden/scenarios.rec" -j >"$WORK/old.json"
check "an old recording (no identity records) replays, identities null" \
	jq -e -s '[.[] | select(.type == "timeline") | .conn.a.cgroup] | length > 0 and all(. == null)' "$WORK/old.json"
find "$SLICE" -mindepth 1 -depth -type d -exec rmdir {} +
rmdir "$SLICE"
check "identity: the test's cgroups removed" test ! -d "$SLICE"

# --- rotation: -C, the live output = the replay of the files -------------------------------
P1=$(free_port)
P2=$(free_port)
mkdir "$WORK/ring" "$WORK/ring3" "$WORK/timed"
rt_start_beside ring3 -j -w "$WORK/ring3/r.rec" -C 2k -W 3 -P "$P1,$P2" ||
	fail "ring3: ready line" "$(cat "$RT_ERR")"
if rt_start rot -j -w "$WORK/ring/r.rec" -C 2k -P "$P1,$P2"; then
	# one scenario per batch (written every 100 ms): rotation happens between batches. The
	# signal that a batch is written: both recordings grew by an event batch (ticks alone
	# add 32 bytes per 100 ms), bounded to 2 s each
	size() { cat "$WORK"/ring/* "$WORK"/ring3/* 2>/dev/null | wc -c; }
	for i in $(seq 15); do
		before=$(size)
		"$SCEN" refused "$P1" >/dev/null 2>&1
		[ $((i % 5)) = 0 ] && "$SCEN" unread "$P2" >/dev/null 2>&1
		for _ in $(seq 100); do
			[ "$(size)" -ge $((before + 1000)) ] && break
			sleep 0.02
		done
	done
	rt_stop
	check "rotation: exit 0" test $? = 0
	rt_stop_beside
	n=$(ls "$WORK/ring" | wc -l)
	check "-C 2k: several files ($n): r.rec, r.rec1, ..." \
		bash -c "[ $n -ge 3 ] && [ -f '$WORK/ring/r.rec' ] && [ -f '$WORK/ring/r.rec1' ]"
	"$RT" -r "$WORK/ring" -j >"$WORK/ring.json" 2>"$WORK/ring.err"
	check "replay of the directory: exit 0, no gap reported" \
		bash -c "[ $? = 0 ] && ! grep -q missing '$WORK/ring.err'"
	check "rotation lost no record: the replay of the files = the live output, byte for byte" \
		cmp -s "$RT_OUT" "$WORK/ring.json"
	# files given out of order are put back in the order written
	"$RT" -r $(ls -r "$WORK"/ring/*) -j >"$WORK/ring-rev.json"
	check "files given in reverse: replayed in the order written" cmp -s "$RT_OUT" "$WORK/ring-rev.json"
	ok=1
	for f in "$WORK"/ring/*; do "$RT" -r "$f" -j >/dev/null 2>&1 || ok=0; done
	check "each file replays on its own (a header of its own)" test $ok = 1
	# a missing file in the middle is said
	mkdir "$WORK/gap" && cp "$WORK/ring/r.rec" "$WORK/ring/r.rec2" "$WORK/gap/"
	"$RT" -r "$WORK/gap" -j >/dev/null 2>"$WORK/gap.err"
	check "a gap in the series is reported" grep -q "files 1 to 1 of this recording are missing" "$WORK/gap.err"
	check "-C 2k -W 3: a ring of exactly three files r.rec0..2" \
		test "$(cd "$WORK/ring3" && ls | tr '\n' ' ')" = "r.rec0 r.rec1 r.rec2 "
	"$RT" -r "$WORK/ring3" -j >"$WORK/ring3.json" 2>"$WORK/ring3.err"
	check "the ring replays (exit 0)" test $? = 0
	check "the ring's replay ends with the live run's last timeline" \
		test "$(jq -c 'select(.type == "timeline")' "$BESIDE_OUT" | tail -1)" = \
		"$(jq -c 'select(.type == "timeline")' "$WORK/ring3.json" | tail -1)"
else
	fail "rotation: ready line" "$(cat "$RT_ERR")"
fi

# -G: a new file every second, named by strftime
if rt_start timed -j -w "$WORK/timed/t-%Y%m%d%H%M%S.rec" -G 1 -P "$P1" -d 3.5; then
	"$SCEN" refused "$P1" >/dev/null 2>&1
	wait "$RT_PID"
	check "-G 1 for 3.5 s: three or four files, named by the time" \
		bash -c "n=\$(ls '$WORK/timed' | grep -cE '^t-[0-9]{14}\.rec$'); [ \$n -ge 3 ] && [ \$n -le 5 ]"
	RT_PID=
	wait
	"$RT" -r "$WORK/timed" -j >"$WORK/timed.json"
	check "-G: the replay of the files = the live output" cmp -s "$RT_OUT" "$WORK/timed.json"
else
	fail "-G: ready line" "$(cat "$RT_ERR")"
fi

# --- the service's options, with the service's privileges ------------------------------------
# /etc/default/rsttrace's options, paths and port moved into this test, run as an unprivileged
# user with only CAP_BPF and CAP_PERFMON (what DynamicUser= and AmbientCapabilities= give)
. "$ROOT/service/rsttrace.default"
MS=$(free_port)
# the state directory as StateDirectory= makes it: the service user's ($WORK is root's, 0700)
STATE=$(mktemp -d /tmp/rsttrace-state.XXXXXX)
chown 65534:65534 "$STATE"
opts=${RSTTRACE_OPTIONS//\/var\/lib\/rsttrace/$STATE}
opts=${opts//9464/$MS}
RT_SAVED=$RT
cat >"$WORK/as-service" <<SH
#!/bin/sh
exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf,+perfmon \
	--ambient-caps=-all,+bpf,+perfmon --bounding-set=-all,+bpf,+perfmon "$RT" "\$@"
SH
chmod +x "$WORK/as-service"
RT=$WORK/as-service
P3=$(free_port)
# shellcheck disable=SC2086
if rt_start service $opts -P "$P3"; then
	"$SCEN" refused "$P3" >/dev/null 2>&1
	for _ in $(seq 50); do
		curl -s "http://127.0.0.1:$MS/metrics" | grep -q '^rsttrace_incidents_total{verdict="refused"' && break
		sleep 0.2
	done
	check "service options, CAP_BPF+CAP_PERFMON as nobody: metrics served" \
		bash -c "curl -s 'http://127.0.0.1:$MS/metrics' | grep -q '^rsttrace_incidents_total{verdict=\"refused\",comm=\"rt_cli_ref\"'"
	rt_stop
	check "service options: exit 0" test $? = 0
	tl_true "service options: the JSON timeline" \
		"any(\$tl[]; .verdict.code == \"refused\" and .conn.b.port == $P3)"
	check "service options: the recording's first file in the state directory" \
		test -s "$STATE/rsttrace.rec0"
else
	fail "service options: ready line" "$(cat "$RT_ERR")"
fi
RT=$RT_SAVED
rm -rf "$STATE"
exit $FAILED
