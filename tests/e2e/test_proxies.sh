#!/usr/bin/env bash
# End-to-end with real software nobody here tuned, in a network namespace this test creates
# (loopback up, and 10.125.0.1 on a veth pair inside it):
#   haproxy  curl (1 s timeout) -> Debian's HAProxy -> the Go gateway (answers 1 MiB after
#            1.5 s). HAProxy notices curl left only when its write to curl fails, then
#            closes the upstream with SO_LINGER {1, 0}: linger_abort on the upstream, caused
#            by that connection, its originator curl (pid), with `-P <gateway port>` as
#            without any filter (the default output, quiet mode).
#   nginx    the incident (tests/e2e/incident/run.sh off) run inside the namespace over its
#            own address 10.125.0.1, not 127.0.0.1, under -P <gateway port>:
#            client_abort_propagated, caused_by names curl (pid, comm) on its end.
#   pool     Python's http.client keeps its connection; nginx (keepalive_timeout 1s) closes
#            it while idle; the next request meets a reset: keepalive_race, and since the
#            client read end-of-file, the summary does not claim it made no further call.
. "$(dirname "$0")/lib.sh"
INC=$ROOT/tests/e2e/incident
RSW=$ROOT/tests/e2e/realsw
NS=rt-px-$$
PIDS=()
restore() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	cleanup
}
trap restore EXIT
# in the namespace; a process whose pid the test needs is started with ip netns exec itself
# (it execs: $! is the process, not a subshell running this function)
nsx() { ip netns exec "$NS" "$@"; }

if ! { ip netns add "$NS" && ip -n "$NS" link set lo up &&
	ip -n "$NS" link add f0 type veth peer name f1 &&
	ip -n "$NS" addr add 10.125.0.1/24 dev f0 && ip -n "$NS" link set f0 up &&
	ip -n "$NS" link set f1 up; }; then
	fail "setup: namespace $NS" "see stderr"
	exit 1
fi

# wait_port ADDR PORT: until something accepts there in the namespace (bounded: 10 s)
wait_port() {
	for _ in $(seq 100); do
		# shellcheck disable=SC2016 # $1, $2 are the inner shell's
		nsx timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop_by_pid PID [SIGNAL]: signal, wait (bounded 10 s), SIGKILL if still there
stop_by_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ---- haproxy ----------------------------------------------------------------------------
haproxy_case() {
	local fe gw gwbin line ok=
	fe=$(free_port)
	gw=$(free_port)
	gwbin=$("$INC/build.sh") || { fail "haproxy: build the gateway" "$gwbin"; return; }
	mkfifo "$WORK/gw.fifo"
	ip netns exec "$NS" "$gwbin" -addr "127.0.0.1:$gw" -delay 1.5s -size 1048576 -chunk 16384 -life 60s \
		>"$WORK/gw.fifo" 2>&1 &
	local gwpid=$!
	PIDS+=("$gwpid")
	exec {gwfd}<"$WORK/gw.fifo"
	IFS= read -r -t 10 -u "$gwfd" line
	check "haproxy: the gateway is ready" test "${line#*rt_gateway: listening}" != "$line"
	sed -e "s/@FE_PORT@/$fe/" -e "s/@GW_PORT@/$gw/" "$RSW/haproxy.cfg.in" >"$WORK/haproxy.cfg"
	ip netns exec "$NS" haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
	local hxpid=$!
	PIDS+=("$hxpid")
	check "haproxy: accepts on its port" wait_port 127.0.0.1 "$fe"
	# no filter at all: the default output (quiet mode: the kernel holds healthy records)
	rt_start_beside hx-all -j || { fail "haproxy: ready (all)" "$(cat "$RT_ERR")"; return; }
	rt_start hx -j -P "$gw" -w "$WORK/hx.rec" || { fail "haproxy: ready (-P)" "$(cat "$RT_ERR")"; return; }
	ip netns exec "$NS" curl --max-time 1 -sS -o /dev/null "http://127.0.0.1:$fe/api" 2>"$WORK/curl.err" &
	local curl=$!
	wait "$curl"
	check "haproxy: curl gave up (exit 28)" test $? = 28
	# the gateway's answer written (bounded 10 s): HAProxy has aborted the upstream by then
	while IFS= read -r -t 10 -u "$gwfd" line; do
		echo "$line" >>"$WORK/gw.log"
		case $line in *"response done"*) ok=1; break ;; esac
	done
	check "haproxy: the gateway wrote its response" test -n "$ok"
	stop_by_pid "$hxpid"
	stop_by_pid "$gwpid"
	exec {gwfd}<&-
	rt_stop
	check "haproxy: rsttrace exits 0 (-P)" test $? = 0
	local filtered=$RT_OUT
	rt_stop_beside
	check "haproxy: rsttrace exits 0 (all)" test $? = 0
	# the replay has no kernel to ask for the FIN haproxy missed: the answer was recorded
	"$RT" -r "$WORK/hx.rec" -j >"$WORK/hx-replay.out" 2>"$WORK/hx-replay.err"
	check "haproxy: the recording replays" test $? = 0
	same_timelines "haproxy: the replay gives the same timeline, originator included" "$gw" \
		"$filtered" "$WORK/hx-replay.out"
	for out in "$filtered" "$BESIDE_OUT"; do
		local which
		which=$([ "$out" = "$filtered" ] && echo "-P $gw" || echo "no port filter")
		RT_OUT=$out tl_true "haproxy ($which): the upstream's linger_abort, caused by curl (pid $curl)" \
			"[\$tl[] | select(.conn.b.port == $gw and .conn.a.pid == $hxpid)] as \$t | (\$t | length) == 1 and
			 \$t[0].verdict.code == \"linger_abort\" and \$t[0].conn.a.comm == \"haproxy\" and
			 \$t[0].caused_by.pid == $curl and
			 \$t[0].caused_by.comm == \"curl\" and \$t[0].caused_by.conn.a.pid == $curl and
			 \$t[0].caused_by.conn.b.port == $fe and
			 any(\$t[0].events[]; .kind == \"close\" and .side == \"a\")"
		RT_OUT=$out tl_true "haproxy ($which): the summary tells the chain" \
			"[\$tl[] | select(.conn.b.port == $gw and .conn.a.pid == $hxpid)][0].verdict.summary |
			 test(\"curl .pid $curl. gave up after [0-9.]+ s: it closed its connection to haproxy .pid $hxpid.; haproxy .pid $hxpid. noticed [0-9.]+ s later, when its write to it failed; .*SO_LINGER\")"
	done
}

# ---- nginx over the namespace's own address -----------------------------------------------
nginx_case() {
	local dir=$WORK/nginx
	if ! nsx env ADDR=10.125.0.1 RT="$RT" timeout -s TERM 60 "$INC/run.sh" off "$dir" \
		-j -P @GW_PORT@ >"$WORK/nginx-run.log" 2>&1; then
		fail "nginx: the run went as planned" "$(cat "$WORK/nginx-run.log")"
		return
	fi
	# shellcheck disable=SC1091
	. "$dir/pids"
	# shellcheck disable=SC1091
	. "$dir/ports"
	RT_OUT=$dir/rsttrace.out tl_true "nginx over 10.125.0.1, -P $GW_PORT: client_abort_propagated, caused_by curl (pid $CURL_PID) on its end" \
		"[\$tl[] | select(.conn.b.port == $GW_PORT)] as \$t | (\$t | length) == 1 and
		 \$t[0].verdict.code == \"client_abort_propagated\" and
		 \$t[0].conn.a.addr == \"10.125.0.1\" and \$t[0].caused_by.pid == $CURL_PID and
		 \$t[0].caused_by.comm == \"curl\" and \$t[0].caused_by.conn.a.pid == $CURL_PID and
		 \$t[0].caused_by.conn.a.comm == \"curl\" and \$t[0].caused_by.kind == \"peer_fin\""
}

# ---- a keep-alive pool against nginx's keepalive_timeout ----------------------------------
pool_case() {
	local port pool dir=$WORK/ka answer
	port=$(free_port)
	mkdir -p "$dir/tmp"
	sed -e "s#@PREFIX@#$dir#g" -e "s#@USER@#$(id -un)#g" -e "s#@ADDR@#127.0.0.1#g" \
		-e "s#@PORT@#$port#g" "$RSW/nginx-keepalive.conf.in" >"$dir/nginx.conf"
	ip netns exec "$NS" nginx -p "$dir/" -c "$dir/nginx.conf" -e stderr >"$dir/nginx.stderr" 2>&1 &
	local master=$!
	PIDS+=("$master")
	check "pool: nginx accepts" wait_port 127.0.0.1 "$port"
	rt_start pool -j --netns "/run/netns/$NS" || { fail "pool: ready" "$(cat "$RT_ERR")"; return; }
	ip netns exec "$NS" /usr/bin/python3 "$RSW/pool.py" 127.0.0.1 "$port" 1.5 >"$dir/pool.out" 2>&1 &
	pool=$!
	wait "$pool"
	answer=$(tr '\n' ' ' <"$dir/pool.out")
	check "pool: the second request on the pooled connection failed ($answer)" \
		test "${answer#first 200 second error }" != "$answer"
	stop_by_pid "$master" QUIT
	rt_stop
	check "pool: rsttrace exits 0" test $? = 0
	tl_true "pool: keepalive_race, python3 (pid $pool) on a, nginx on b" \
		"[\$tl[] | select(.conn.b.port == $port)] as \$t | (\$t | length) == 1 and
		 \$t[0].verdict.code == \"keepalive_race\" and \$t[0].conn.a.pid == $pool and
		 \$t[0].conn.b.comm == \"nginx\""
	tl_true "pool: the summary says the client read end-of-file, not that it made no call" \
		"[\$tl[] | select(.conn.b.port == $port)][0].verdict.summary as \$s |
		 (\$s | test(\"end-of-file\")) and (\$s | test(\"no further call\") | not)"
}

haproxy_case
nginx_case
pool_case
exit $FAILED
