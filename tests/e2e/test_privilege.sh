#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: privileges and runtime failures. Without the capabilities it needs, without the
# kernel's BTF, or with a forced probe family the kernel lacks, rsttrace exits 1 saying what is
# missing; with them, once its ready line is out it holds no
# capability at all (CapEff/CapPrm/CapInh/CapAmb 0, NoNewPrivs 1) and still reports resets
# from the file descriptors it kept.
. "$(dirname "$0")/lib.sh"
jq_quiet() { jq "$@" >/dev/null; } # a check on jq's exit status only

# runtime_error NAME WANT CMD...: exit 1, WANT on stderr, nothing on stdout
runtime_error() {
	local name=$1 want=$2 rc
	shift 2
	timeout -s KILL 20 "$@" >"$WORK/re.out" 2>"$WORK/re.err"
	rc=$?
	if [ "$rc" = 1 ] && [ ! -s "$WORK/re.out" ] && grep -qF -- "$want" "$WORK/re.err"; then
		pass "$name"
	else
		fail "$name" "rc=$rc, stdout $(wc -c <"$WORK/re.out") bytes, stderr: $(head -c 600 "$WORK/re.err")"
	fi
}

# status_field PID FIELD: a line's value from /proc/PID/status
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# ---- not enough privileges ---------------------------------------------------------------------

need="needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"
runtime_error "nobody (setpriv --reuid=65534): exit 1 saying what is needed" "$need" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$RT" -d 1
# root, but an empty bounding set: execve grants root no capability
runtime_error "root without capabilities: exit 1 saying what is needed" "$need" \
	setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all "$RT" -d 1
# root with every capability but the BPF ones
runtime_error "root without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN: exit 1" "$need" \
	setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-bpf,-perfmon,-sys_admin "$RT" -d 1

# ---- no BTF: hide every place libbpf looks for the kernel's BTF, in a mount namespace --------

# libbpf: /sys/kernel/btf/vmlinux, then vmlinux files under /boot, /lib/modules/R,
# /usr/lib/modules/R, /usr/lib/debug/boot and /usr/lib/debug/lib/modules/R
hide=""
for d in /sys/kernel/btf /boot "/lib/modules/$(uname -r)" "/usr/lib/modules/$(uname -r)" \
	/usr/lib/debug/boot "/usr/lib/debug/lib/modules/$(uname -r)"; do
	[ -d "$d" ] && hide="$hide mount -t tmpfs none '$d' &&"
done
runtime_error "no BTF: exit 1 saying so" "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): not found; rsttrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y" \
	unshare -m --propagation private sh -c "$hide exec '$RT' -d 1"

# ---- a probe family the kernel does not have: exit 1 naming the hook, the family and why ------

if [ ! -e /sys/bus/event_source/devices/kprobe ]; then
	runtime_error "--probes kprobe without kprobes: exit 1 saying why" \
		"rsttrace: --probes kprobe: send_reset cannot use kprobe: no kprobe PMU (/sys/bus/event_source/devices/kprobe): kernel without CONFIG_KPROBES" \
		"$RT" --probes kprobe -d 1
else
	echo "SKIP --probes kprobe: this kernel has kprobes"
fi

# ---- least privilege once tracing ------------------------------------------------------------

# caps_dropped NAME PID: every capability set empty but the bounding one, no_new_privs set
caps_dropped() {
	local name=$1 pid=$2 f v bad=""
	for f in CapEff CapPrm CapInh CapAmb; do
		v=$(status_field "$pid" "$f")
		[ "$v" = 0000000000000000 ] || bad="$bad $f=$v"
	done
	v=$(status_field "$pid" NoNewPrivs)
	[ "$v" = 1 ] || bad="$bad NoNewPrivs=$v"
	if [ -z "$bad" ]; then pass "$name: CapEff, CapPrm, CapInh, CapAmb 0, NoNewPrivs 1"; else fail "$name" "$bad"; fi
}

port=$(free_port)
if rt_start root -j -v -P "$port"; then
	caps_dropped "root, after the ready line" "$RT_PID"
	check "root, after the ready line: bounding set empty too" \
		test "$(status_field "$RT_PID" CapBnd)" = 0000000000000000
	check "-v says so, before the ready line" awk '
		/^rsttrace: dropped every capability \([0-9]+ from the bounding set\), no_new_privs set$/ { d = NR }
		/^rsttrace: tracing/ { t = NR }
		END { exit !(d && d < t) }' "$RT_ERR"
	"$SCEN" refused "$port" >"$WORK/ref.scen" 2>&1
	check "scen refused ran" test "$?" = 0
	"$SCEN" unread "$port" >"$WORK/unr.scen" 2>&1
	check "scen unread ran" test "$?" = 0
	rt_stop
	check "root, without capabilities: exit 0" test "$?" = 0
	tl_true "still reports a refused connection after the drop" \
		"any(\$tl[]; .verdict.code == \"refused\" and .conn.b.port == $port and .conn.a.pid == $(scen_pid "$WORK/ref.scen" cli))"
	tl_true "still joins both ends (owners from the maps) after the drop" \
		"any(\$tl[]; .verdict.code == \"abort_unread_data\" and .conn.a.pid == $(scen_pid "$WORK/unr.scen" cli) and .conn.b.pid == $(scen_pid "$WORK/unr.scen" srv))"
	check "stats line at exit (the loss counter read from its map)" \
		jq_quiet -e -s 'map(select(.type == "stats")) | length == 1 and (.[0].lost | type) == "number"' "$RT_OUT"
else
	fail "root: ready line" "$(cat "$RT_ERR")"
fi

# a kernel that refuses map look-ups without CAP_BPF (before 5.19, with
# kernel.unprivileged_bpf_disabled set), played by a seccomp filter that answers EPERM to
# BPF_MAP_GET_NEXT_KEY, the look-up rsttrace tries in a child without capabilities: it must
# keep CAP_BPF alone, and still read its maps and report
cat >"$WORK/seccomp_exec.py" <<'PY'
# seccomp_exec.py PROGRAM ARGS...: exec PROGRAM with bpf(BPF_MAP_GET_NEXT_KEY) -> EPERM (x86_64)
import ctypes, os, struct, sys
LD_ABS, JEQ, RET = 0x20, 0x15, 0x06
prog = [(LD_ABS, 0, 0, 4), (JEQ, 0, 4, 0xc000003e),   # arch: x86_64, else allow
        (LD_ABS, 0, 0, 0), (JEQ, 0, 2, 321),          # nr: bpf, else allow
        (LD_ABS, 0, 0, 16), (JEQ, 1, 0, 4),           # cmd: BPF_MAP_GET_NEXT_KEY -> EPERM
        (RET, 0, 0, 0x7fff0000), (RET, 0, 0, 0x00050001)]
buf = ctypes.create_string_buffer(b"".join(struct.pack("<HBBI", *i) for i in prog))
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(22, 2, ctypes.byref(fp), 0, 0):  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    sys.exit("seccomp: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
PY
if [ "$(uname -m)" = x86_64 ]; then
	port=$(free_port)
	RT_SAVED=$RT
	RT="$WORK/rt-seccomp"
	printf '#!/bin/sh\nexec python3 %s %s "$@"\n' "$WORK/seccomp_exec.py" "$RT_SAVED" >"$RT"
	chmod +x "$RT"
	if rt_start seccomp -j -v -P "$port"; then
		cap_bpf=0000008000000000 # bit 39
		check "look-ups need CAP_BPF: CapEff and CapPrm are CAP_BPF alone" \
			test "$(status_field "$RT_PID" CapEff) $(status_field "$RT_PID" CapPrm)" = "$cap_bpf $cap_bpf"
		check "look-ups need CAP_BPF: CapInh, CapAmb 0, NoNewPrivs 1" \
			test "$(status_field "$RT_PID" CapInh) $(status_field "$RT_PID" CapAmb) $(status_field "$RT_PID" NoNewPrivs)" = "0000000000000000 0000000000000000 1"
		check "look-ups need CAP_BPF: -v says why CAP_BPF stays" \
			grep -q '^rsttrace: dropped every capability but CAP_BPF (this kernel checks it on map look-ups)' "$RT_ERR"
		"$SCEN" refused "$port" >"$WORK/sec.scen" 2>&1
		rt_stop
		check "look-ups need CAP_BPF: exit 0" test "$?" = 0
		tl_true "look-ups need CAP_BPF: reports the refused connection" \
			"any(\$tl[]; .verdict.code == \"refused\" and .conn.b.port == $port)"
	else
		fail "look-ups need CAP_BPF: ready line" "$(cat "$RT_ERR")"
	fi
	RT=$RT_SAVED
fi

# started with exactly CAP_BPF and CAP_PERFMON (no CAP_SETPCAP: the bounding set cannot be
# dropped, no_new_privs makes that harmless): it works, then holds nothing
port=$(free_port)
"$SCEN" refused "$port" >/dev/null 2>&1 # warm: the first exec of scen is not part of the test
mkfifo "$WORK/min.fifo"
setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all,+bpf,+perfmon \
	"$RT" -j -v -P "$port" >"$WORK/min.out" 2>"$WORK/min.fifo" &
RT_PID=$!
ready=0
exec 3<"$WORK/min.fifo"
while IFS= read -r -t 15 -u 3 line; do
	echo "$line" >>"$WORK/min.err"
	case $line in "rsttrace: tracing"*) ready=1 && break ;; esac
done
cat <&3 >>"$WORK/min.err" &
exec 3<&-
if [ "$ready" = 1 ]; then
	caps_dropped "CAP_BPF+CAP_PERFMON only, after the ready line" "$RT_PID"
	check "CAP_BPF+CAP_PERFMON only: -v says the bounding set stays" \
		grep -q 'bounding set kept.*without CAP_SETPCAP), no_new_privs set' "$WORK/min.err"
	"$SCEN" refused "$port" >"$WORK/min.scen" 2>&1
	RT_OUT=$WORK/min.out
	rt_stop
	check "CAP_BPF+CAP_PERFMON only: exit 0" test "$?" = 0
	tl_true "CAP_BPF+CAP_PERFMON only: reports the refused connection" \
		"any(\$tl[]; .verdict.code == \"refused\" and .conn.b.port == $port)"
else
	fail "CAP_BPF+CAP_PERFMON only: ready line" "$(cat "$WORK/min.err")"
	kill -KILL "$RT_PID" 2>/dev/null
	RT_PID=
fi
exit $FAILED
