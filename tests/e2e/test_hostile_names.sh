#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: a process that names itself with terminal control sequences, a bell, a line
# break and invalid UTF-8 (prctl PR_SET_NAME) is refused; in every output mode (timelines and
# events, text and JSON, the summary) no byte a terminal could act on reaches the output, and
# the name is still there to read: \xNN in text, \u00NN in JSON.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
# the name, as Python writes it: ESC [31m, "QQ", BEL, 0xff, a newline, a backslash, "z"
# (12 bytes: a comm holds 15)
NAME_PY='b"\x1b[31mQQ\x07\xff\n\\z"'
hostile_connect() {
	python3 - "$PORT" <<PY
import ctypes, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(15, ctypes.c_char_p($NAME_PY), 0, 0, 0)  # PR_SET_NAME
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)
PY
}

# text_clean FILE: no ESC, BEL, DEL or C1 byte, and every line valid UTF-8
text_clean() {
	python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
bad = [b for b in (0x1b, 0x07, 0x7f) if bytes([b]) in data]
data.decode('utf-8')  # raises on invalid UTF-8
sys.exit(1 if bad else 0)
PY
}

for mode in "-o text" "--events" "-j" "--events -j" "--summary=0.3"; do
	name=$(echo "$mode" | tr -cd "a-z")
	[ -n "$name" ] || name=text
	# shellcheck disable=SC2086
	if ! rt_start "$name" -P "$PORT" $mode; then
		fail "$name: ready line" "$(cat "$RT_ERR")"
		continue
	fi
	check "$name: the hostile process was refused" hostile_connect
	if [ "$name" = summary ]; then
		# a table comes every 0.3 s: wait for one with the incident, bounded to 5 s
		for _ in $(seq 50); do grep -q 'QQ' "$RT_OUT" && break; sleep 0.1; done
	fi
	rt_stop
	check "$name: the name is in the output" grep -q 'QQ' "$RT_OUT"
	check "$name: no control byte, only valid UTF-8" text_clean "$RT_OUT"
	case $mode in
	*-j*)
		check "$name: JSON keeps every byte, escaped" jq -e -s \
			'[.. | objects | (.comm?, .trigger_comm?) // empty | select(startswith("\u001b[31mQQ"))] |
			 length > 0 and all(.[]; . == "\u001b[31mQQ\u0007\u00ff\n\\z")' "$RT_OUT"
		;;
	*)
		check "$name: text shows the bytes as \\xNN, a backslash doubled" \
			grep -qF '\x1b[31mQQ\x07\xff\x0a\\z' "$RT_OUT"
		;;
	esac
done
exit $FAILED
