#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/incident/run.sh MODE OUTDIR [RSTTRACE_ARGS...]
#
# One run of the incident rsttrace exists to explain (docs/design.md, docs/kernel.md §1g):
# curl (3 s timeout) -> nginx (proxy_ignore_client_abort MODE: off = the incident, on = the
# fix) -> rt_gateway (sleeps 3.4 s, then writes 157 KiB). Loopback only, free ports.
#
# With RSTTRACE_ARGS, rsttrace runs with them around the request: started once nginx and the
# gateway are ready, its ready line awaited, stopped (SIGINT) after nginx and the gateway
# have exited, so every event of the run is in its output. In the arguments, @GW_PORT@ and
# @NGINX_PORT@ stand for the ports chosen here, e.g. `run.sh off /tmp/o -j --events -P @GW_PORT@`.
#
# Environment (all optional): RT (rsttrace binary), NGINX_PORT, GW_PORT (default: free
# ports), GW_DELAY (3.4s), GW_SIZE (160768), GW_CHUNK (0: one Write), CURL_MAX_TIME (3),
# ADDR (127.0.0.1: the address everything listens on and connects to; another of this
# host's addresses, e.g. a network namespace's own, when run inside it with ip netns exec).
#
# OUTDIR (created; must not exist or be empty) receives:
#   ports        NGINX_PORT= GW_PORT= UP_PORT= (nginx's end of the upstream connection)
#                CLIENT_PORT= (curl's end), as shell assignments
#   pids         GW_PID= NGINX_MASTER_PID= NGINX_WORKER_PID= CURL_PID= RT_PID=
#   curl.rc      curl's exit status (28: its timeout), curl.out (-w), curl.err
#   gateway.log  the gateway's ready line and log (Write results)
#   error.log access.log nginx.conf nginx.stderr tmp/   nginx's prefix is OUTDIR
#   rsttrace.out rsttrace.err rsttrace.rc               when RSTTRACE_ARGS were given
#   run.log      what this script did, with wall-clock times
# Exit 0 when the run went as planned (everything started, became ready, the gateway wrote
# its response, nginx logged the request, everything stopped), else 1 with the reason on
# stderr and in run.log. Every process started here is stopped by its pid; every wait is
# bounded (a whole run takes about 4-5 s, at most about 60 s when everything times out).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

MODE=${1:-}
OUT=${2:-}
case $MODE in off | on) ;; *)
	echo "usage: $0 off|on OUTDIR [RSTTRACE_ARGS...]" >&2
	exit 2
	;;
esac
if [ -z "$OUT" ] || { [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; }; then
	echo "run.sh: OUTDIR must be given and must not exist or be empty: '$OUT'" >&2
	exit 2
fi
shift 2
mkdir -p "$OUT/tmp" || exit 1
OUT=$(cd "$OUT" && pwd)

RT=${RT:-$ROOT/rsttrace}
GW_DELAY=${GW_DELAY:-3.4s}
GW_SIZE=${GW_SIZE:-160768}
GW_CHUNK=${GW_CHUNK:-0}
CURL_MAX_TIME=${CURL_MAX_TIME:-3}
ADDR=${ADDR:-127.0.0.1}

GW_PID='' NGINX_MASTER_PID='' NGINX_WORKER_PID='' CURL_PID='' RT_PID='' RT_DRAIN='' RT_DONE='' CURL_DONE=''
GW_FD_OPEN=

now() { date +%H:%M:%S.%6N; }
log() { echo "$(now) $*" >>"$OUT/run.log"; }
die() {
	log "FAILED: $*"
	echo "run.sh: $*" >&2
	exit 1
}

# stop_pid PID SIGNAL NAME: send SIGNAL (- for none: it ends by itself), wait up to 10 s for
# the process to go, then SIGKILL it; reaps it when it is our child, its exit status in STOP_RC
stop_pid() {
	local pid=$1 sig=$2 name=$3
	STOP_RC=
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || {
		wait "$pid" 2>/dev/null
		STOP_RC=$?
		return 0
	}
	[ "$sig" = - ] || kill "-$sig" "$pid" 2>/dev/null
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$name ($pid) still there 10 s after SIG$sig: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	STOP_RC=$?
	log "$name ($pid) stopped, status $STOP_RC"
}

# on any exit: nothing started here stays behind (SIGKILL, by pid)
# shellcheck disable=SC2317 # (run from the trap)
cleanup() {
	local p
	for p in $CURL_PID $NGINX_WORKER_PID $NGINX_MASTER_PID $GW_PID $RT_PID $RT_DRAIN; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'die "interrupted"' INT TERM

# ports and pids as they become known (the final values at the end)
save_ids() {
	echo "NGINX_PORT=$NGINX_PORT GW_PORT=$GW_PORT UP_PORT=${UP_PORT:-} CLIENT_PORT=${CLIENT_PORT:-}" >"$OUT/ports"
	echo "GW_PID=$GW_PID NGINX_MASTER_PID=$NGINX_MASTER_PID NGINX_WORKER_PID=$NGINX_WORKER_PID" \
		"CURL_PID=${CURL_DONE:-$CURL_PID} RT_PID=${RT_DONE:-$RT_PID}" >"$OUT/pids"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# gw_read_until PATTERN SECONDS: copy the gateway's output (fd 7) to gateway.log until a
# line matches PATTERN (glob); 1 on timeout or end of output
gw_read_until() {
	local pat=$1 deadline line left
	deadline=$(awk -v n="$EPOCHREALTIME" -v s="$2" 'BEGIN { printf "%.6f", n + s }')
	while :; do
		left=$(awk -v d="$deadline" -v n="$EPOCHREALTIME" 'BEGIN { l = d - n; printf "%.3f", (l > 0 ? l : 0) }')
		[ "$left" = 0.000 ] && return 1
		IFS= read -r -t "$left" -u 7 line || return 1
		echo "$line" >>"$OUT/gateway.log"
		# shellcheck disable=SC2053
		[[ $line == $pat ]] && return 0
	done
}

# --- the gateway (built once per source checksum) --------------------------------------
GW_BIN=$("$HERE/build.sh") || die "cannot build the gateway"
[ -n "${NGINX_PORT:-}" ] || NGINX_PORT=$(free_port)
[ -n "${GW_PORT:-}" ] || GW_PORT=$(free_port)
for _ in 1 2 3; do
	[ "$GW_PORT" != "$NGINX_PORT" ] && break
	GW_PORT=$(free_port)
done
save_ids
log "mode=$MODE nginx port $NGINX_PORT, gateway port $GW_PORT, gateway $GW_BIN"

# stdout (the ready line) and stderr (the log) through one FIFO, read here: no polling
mkfifo "$OUT/gateway.fifo" || die "mkfifo"
"$GW_BIN" -addr "$ADDR:$GW_PORT" -delay "$GW_DELAY" -size "$GW_SIZE" -chunk "$GW_CHUNK" \
	-life 60s >"$OUT/gateway.fifo" 2>&1 &
GW_PID=$!
exec 7<"$OUT/gateway.fifo"
GW_FD_OPEN=1
: >"$OUT/gateway.log"
gw_read_until 'rt_gateway: listening *' 10 || die "the gateway did not become ready (see gateway.log)"
save_ids
log "gateway ready, pid $GW_PID"

# --- nginx, its prefix is OUTDIR ---------------------------------------------------------
sed -e "s#@PREFIX@#$OUT#g" -e "s#@USER@#$(id -un)#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" \
	-e "s#@GW_PORT@#$GW_PORT#g" -e "s#@ABORT@#$MODE#g" -e "s#@ADDR@#$ADDR#g" "$HERE/nginx.conf.in" >"$OUT/nginx.conf"
# -e stderr: the log before the configuration is read does not go to /var/log/nginx
nginx -p "$OUT/" -c "$OUT/nginx.conf" -e stderr >"$OUT/nginx.stderr" 2>&1 7<&- &
NGINX_MASTER_PID=$!
# ready: the worker exists and the port accepts a connection (bounded: 200 x 50 ms)
ready=
for _ in $(seq 200); do
	kill -0 "$NGINX_MASTER_PID" 2>/dev/null || die "nginx exited: $(cat "$OUT/nginx.stderr")"
	NGINX_WORKER_PID=$(pgrep -P "$NGINX_MASTER_PID" | head -1)
	# shellcheck disable=SC2016 # $1 is the inner shell's
	if [ -n "$NGINX_WORKER_PID" ] &&
		timeout 1 bash -c 'exec 3<>"/dev/tcp/$2/$1"' _ "$NGINX_PORT" "$ADDR" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.05
done
[ -n "$ready" ] || die "nginx did not become ready in 10 s"
save_ids
log "nginx ready, master $NGINX_MASTER_PID worker $NGINX_WORKER_PID"

# --- rsttrace (optional) ------------------------------------------------------------------
if [ $# -gt 0 ]; then
	args=()
	for a in "$@"; do
		a=${a//@GW_PORT@/$GW_PORT}
		args+=("${a//@NGINX_PORT@/$NGINX_PORT}")
	done
	log "rsttrace ${args[*]}"
	mkfifo "$OUT/rsttrace.fifo" || die "mkfifo"
	"$RT" "${args[@]}" >"$OUT/rsttrace.out" 2>"$OUT/rsttrace.fifo" 7<&- &
	RT_PID=$!
	exec 8<"$OUT/rsttrace.fifo"
	: >"$OUT/rsttrace.err"
	traced=
	while IFS= read -r -t 15 -u 8 line; do
		echo "$line" >>"$OUT/rsttrace.err"
		case $line in "rsttrace: tracing"*)
			traced=1
			break
			;;
		esac
	done
	cat <&8 >>"$OUT/rsttrace.err" 7<&- &
	RT_DRAIN=$!
	exec 8<&-
	[ -n "$traced" ] || die "rsttrace did not become ready: $(cat "$OUT/rsttrace.err")"
	save_ids
	log "rsttrace ready, pid $RT_PID"
fi

# --- the request --------------------------------------------------------------------------
head -c 2000 /dev/zero | tr '\0' 'x' >"$OUT/body" # no newline: -d sends it as is
log "curl starts"
curl --max-time "$CURL_MAX_TIME" -sS -o /dev/null \
	-w 'local_port=%{local_port} http_code=%{http_code} time_total=%{time_total}\n' \
	-d @"$OUT/body" "http://$ADDR:$NGINX_PORT/api/v1/orders" \
	>"$OUT/curl.out" 2>"$OUT/curl.err" 7<&- &
CURL_PID=$!
save_ids
wait "$CURL_PID" # bounded by --max-time
echo $? >"$OUT/curl.rc"
log "curl ($CURL_PID) exited $(cat "$OUT/curl.rc"): $(cat "$OUT/curl.err")"
CLIENT_PORT=$(sed -n 's/^local_port=\([0-9]*\).*/\1/p' "$OUT/curl.out")
CURL_DONE=$CURL_PID
CURL_PID=

# the gateway's answer: its "response done" line (bounded 10 s)
gw_read_until '*response done*' 10 || die "the gateway did not write its response in 10 s (see gateway.log)"
log "gateway wrote its response"
# nginx is done with the request when it has logged it (200 or 499)
logged=
for _ in $(seq 200); do
	[ -s "$OUT/access.log" ] && logged=1 && break
	sleep 0.05
done
[ -n "$logged" ] || die "nginx did not log the request in 10 s"
log "nginx logged: $(head -1 "$OUT/access.log")"
UP_PORT=$(sed -n "s/.* request [A-Z]* [^ ]* from ${ADDR//./\\.}:\\([0-9]*\\) .*/\\1/p" "$OUT/gateway.log" | head -1)

# --- stop, by pid: nginx (graceful), the gateway, then rsttrace ------------------------------
stop_pid "$NGINX_MASTER_PID" QUIT "nginx master"
stop_pid "$NGINX_WORKER_PID" KILL "nginx worker" # gone with its master, unless that was killed
stop_pid "$GW_PID" TERM gateway
if [ -n "$GW_FD_OPEN" ]; then
	timeout 5 cat <&7 >>"$OUT/gateway.log" # the gateway is gone: up to end of file
	exec 7<&-
	GW_FD_OPEN=
fi
if [ -n "$RT_PID" ]; then
	stop_pid "$RT_PID" INT rsttrace
	echo "$STOP_RC" >"$OUT/rsttrace.rc"
	stop_pid "$RT_DRAIN" - "rsttrace stderr drain" # ends by itself with rsttrace
	RT_DONE=$RT_PID
	RT_PID=
fi
save_ids
rm -f "$OUT/gateway.fifo" "$OUT/rsttrace.fifo"
log "done"
exit 0
