#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packaging: `make STATIC=1` gives a binary with no shared-library dependency that really
# traces; `make install DESTDIR=... PREFIX=...` installs exactly the binary, the man page and the
# bash completion, and `make uninstall` removes them; the man page renders without a warning
# and documents every option --help lists; --version names rsttrace's and libbpf's versions;
# the completion offers what the binary accepts.
# The static build runs in a copy of the sources under $WORK, so ./rsttrace, which the other
# tests use, is never replaced by this one.
. "$(dirname "$0")/lib.sh"
MAN=$ROOT/rsttrace.8
COMP=$ROOT/completion/rsttrace.bash

# --- the static binary ----------------------------------------------------------------------
SRC=$WORK/src
mkdir -p "$SRC"
cp -r "$ROOT/Makefile" "$ROOT/bpf" "$ROOT/user" "$ROOT/vmlinux" "$MAN" "$ROOT/completion" \
	"$ROOT/service" "$SRC/"
rm -rf "$SRC/.output" "$SRC/rsttrace"
if timeout 300 nice make -C "$SRC" -j2 STATIC=1 >"$WORK/static-build.log" 2>&1; then
	pass "make STATIC=1 builds"
else
	fail "make STATIC=1 builds" "$(tail -20 "$WORK/static-build.log")"
fi
STATIC_RT=$SRC/rsttrace
check "static: ldd says not a dynamic executable" \
	bash -c "ldd '$STATIC_RT' 2>&1 | grep -q 'not a dynamic executable'"
check "static: no PT_INTERP (no dynamic loader)" \
	bash -c "LC_ALL=C readelf -lW '$STATIC_RT' | grep -q 'Elf file type' && ! LC_ALL=C readelf -lW '$STATIC_RT' | grep -q INTERP"
check "static: --version runs" bash -c "'$STATIC_RT' --version | grep -q '^rsttrace .* (libbpf [0-9]*\.[0-9]*)$'"
"$STATIC_RT" --metrics "$(free_port)" -o none -d 1 >/dev/null 2>"$WORK/static-metrics.err"
check "static: --metrics is refused with the reason (no static libmicrohttpd), exit 1" \
	bash -c "[ $? = 1 ] && grep -q 'not available in this static build' '$WORK/static-metrics.err'"

# and it traces: a refused connect gives a timeline with the verdict refused
port=$(free_port)
saved_rt=$RT
RT=$STATIC_RT
if rt_start static -j -P "$port"; then
	"$SCEN" refused "$port" >"$WORK/static-scen.txt" 2>&1
	rt_stop
	check "static: exit 0 after SIGINT" test "$?" = 0
	tl_true "static: traces a refused connect" \
		'[$tl[] | select(.verdict.code == "refused" and .conn.b.port == '"$port"')] | length == 1'
else
	fail "static: ready line" "$(cat "$RT_ERR")"
fi
RT=$saved_rt

# switching STATIC relinks (the objects are the same): never "up to date" with the other kind
make -C "$SRC" STATIC=0 >>"$WORK/static-build.log" 2>&1
check "STATIC=0 after STATIC=1 relinks dynamically" \
	bash -c "ldd '$STATIC_RT' 2>&1 | grep -q 'libbpf\.so'"
make -C "$SRC" STATIC=1 >>"$WORK/static-build.log" 2>&1
check "STATIC=1 after STATIC=0 relinks statically" \
	bash -c "ldd '$STATIC_RT' 2>&1 | grep -q 'not a dynamic executable'"

# --- make install / uninstall ---------------------------------------------------------------
# installed LIST-FILE: the files under $WORK/root, "MODE PATH" sorted
installed() {
	(cd "$WORK/root" && find . ! -type d -printf '%m %p\n' | sed 's| \./| /|' | sort)
}
if make -C "$SRC" install DESTDIR="$WORK/root" PREFIX=/usr >"$WORK/install.log" 2>&1; then
	pass "make install DESTDIR PREFIX=/usr"
else
	fail "make install DESTDIR PREFIX=/usr" "$(cat "$WORK/install.log")"
fi
cat >"$WORK/want-files" <<'EOF'
644 /etc/default/rsttrace
644 /usr/lib/systemd/system/rsttrace.service
644 /usr/share/bash-completion/completions/rsttrace
644 /usr/share/man/man8/rsttrace.8
755 /usr/sbin/rsttrace
EOF
installed >"$WORK/got-files"
check "install: exactly binary, man page, completion, unit, its options, with their modes" \
	diff -u "$WORK/want-files" "$WORK/got-files"
check "install: the binary is the one built" cmp "$STATIC_RT" "$WORK/root/usr/sbin/rsttrace"
check "install: the man page is rsttrace.8" cmp "$MAN" "$WORK/root/usr/share/man/man8/rsttrace.8"
check "install: the installed binary runs" \
	bash -c "'$WORK/root/usr/sbin/rsttrace' --version >/dev/null"
if make -C "$SRC" uninstall DESTDIR="$WORK/root" PREFIX=/usr >"$WORK/uninstall.log" 2>&1; then
	check "uninstall: no file left" test -z "$(installed)"
else
	fail "uninstall" "$(cat "$WORK/uninstall.log")"
fi
# the default PREFIX is /usr/local
rm -rf "$WORK/root"
make -C "$SRC" install DESTDIR="$WORK/root" >"$WORK/install2.log" 2>&1
check "install: default PREFIX /usr/local" \
	bash -c "[ \"\$(cd '$WORK/root' && find . -type f | sort | tr '\n' ' ')\" = './etc/default/rsttrace ./usr/local/lib/systemd/system/rsttrace.service ./usr/local/sbin/rsttrace ./usr/local/share/bash-completion/completions/rsttrace ./usr/local/share/man/man8/rsttrace.8 ' ]"
echo 'RSTTRACE_OPTIONS="-j"' >"$WORK/root/etc/default/rsttrace"
make -C "$SRC" install DESTDIR="$WORK/root" >>"$WORK/install2.log" 2>&1
check "install again: the admin's /etc/default/rsttrace is kept" \
	grep -qx 'RSTTRACE_OPTIONS="-j"' "$WORK/root/etc/default/rsttrace"

# --- the systemd unit (verified, not started: this machine's init is not systemd) -----------
# installed where the binary really is, so that verify can check ExecStart
V=$WORK/vroot
make -C "$SRC" install PREFIX="$V/usr" SYSCONFDIR="$V/etc" >"$WORK/vinstall.log" 2>&1
UNIT=$V/usr/lib/systemd/system/rsttrace.service
check "unit: ExecStart is the installed binary with the options of /etc/default/rsttrace" \
	grep -qx "ExecStart=$V/usr/sbin/rsttrace \$RSTTRACE_OPTIONS" "$UNIT"
out=$(MANPATH=$V/usr/share/man systemd-analyze verify "$UNIT" 2>&1)
rc=$?
check "unit: systemd-analyze verify: exit 0, nothing to report${out:+ (got: $out)}" \
	test "$rc" = 0 -a -z "$out"
sed 's/^Restart=on-failure$/Restart=sometimes/' "$UNIT" >"$WORK/broken.service"
out=$(systemd-analyze verify --man=no "$WORK/broken.service" 2>&1)
check "unit: verify reports a bad value (this check can fail)" grep -q 'restart specifier.*sometimes' <<<"$out"
check "unit: only CAP_BPF and CAP_PERFMON, ambient and bounding" \
	bash -c "grep -qx 'AmbientCapabilities=CAP_BPF CAP_PERFMON' '$UNIT' && grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_PERFMON' '$UNIT' && [ \$(grep -c 'Capabilit' '$UNIT') = 2 ]"
check "unit: a user of its own, no new privileges, the recording's directory" \
	bash -c "grep -qx DynamicUser=yes '$UNIT' && grep -qx NoNewPrivileges=yes '$UNIT' && grep -qx StateDirectory=rsttrace '$UNIT'"
check "unit: nothing that would hide processes or the host's network from it" \
	bash -c "! grep -Eq '^(ProtectProc|PrivateNetwork|PrivateUsers|IPAddressDeny)=' '$UNIT'"

# --- --version ------------------------------------------------------------------------------
version=$(sed -n 's/^#define RSTTRACE_VERSION "\(.*\)"$/\1/p' "$ROOT/user/options.h")
libbpf=$(pkg-config --modversion libbpf | cut -d. -f1,2)
got=$("$RT" --version)
check "--version: rsttrace $version and libbpf $libbpf (got: $got)" \
	test "$got" = "rsttrace $version (libbpf $libbpf)"
check "--version and -V: same line, exit 0" test "$("$RT" -V)" = "$got"
check "man page carries the same version" grep -q "^\.TH RSTTRACE 8 .* \"rsttrace $version\"" "$MAN"

# --- the man page ---------------------------------------------------------------------------
out=$(groff -ww -z -man "$MAN" 2>&1)
check "man: groff -ww -z -man prints nothing${out:+ (got: $out)}" test -z "$out"
out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >"$WORK/man.txt")
check "man: man -l renders without warnings${out:+ (got: $out)}" test -z "$out"
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT VERDICTS EXAMPLES "EXIT STATUS" \
	REQUIREMENTS FILES; do
	check "man: section $sec" grep -q "^\.SH \"\{0,1\}$sec\"\{0,1\}$" "$MAN"
done
# the OPTIONS section of the source, where "--x" is written "\-\-x"
awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH / { on = 0 } on' "$MAN" >"$WORK/man-options"
"$RT" --help >"$WORK/help.txt"
longs=$(grep -oE '^ {2,6}(-[A-Za-z0-9], )?--[a-z][a-z0-9-]*' "$WORK/help.txt" | sed 's/.*--//')
shorts=$(grep -oE '^ {2,6}-[A-Za-z0-9],' "$WORK/help.txt" | tr -d ' ,-')
check "--help lists long options" test -n "$longs"
for o in $longs; do
	check "man: OPTIONS documents --$o (from --help)" \
		grep -qF -- "\\-\\-${o//-/\\-}" "$WORK/man-options"
done
for o in $shorts; do
	check "man: OPTIONS documents -$o (from --help)" grep -qE -- "^\.B[RI]* \\\\-$o( |$)" "$WORK/man-options"
done
# every verdict the code can give, with what to do about it (a paragraph of its own)
codes=$(grep -oE 'say\([^,]*, "[a-z_]+"' "$ROOT/user/verdicts.c" | sed 's/.*"\(.*\)"/\1/' | sort -u)
check "verdicts.c has verdict codes" test "$(echo "$codes" | wc -w)" -ge 10
awk '/^\.SH VERDICTS/ { on = 1; next } /^\.SH / { on = 0 } on' "$MAN" >"$WORK/man-verdicts"
for c in $codes; do
	check "man: VERDICTS explains $c" \
		bash -c "grep -A3 -x '.B $c' '$WORK/man-verdicts' | grep -qv '^\.B $c\$'"
done

# --- bash completion ------------------------------------------------------------------------
check "completion: bash syntax" bash -n "$COMP"
# complete WORDS...: what the completion offers for the last word, one per line
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_rsttrace "$RT" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}";
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
export RT
offered=$(complete_words rsttrace --)
for o in $longs; do
	check "completion: offers --$o" grep -qE -- "^--$o=?$" <<<"$offered"
done
families=$(complete_words rsttrace --probes "")
check "completion: --probes offers families" test -n "$families"
for f in $families; do
	check "completion: rsttrace accepts --probes $f" bash -c "'$RT' --probes '$f' --version >/dev/null"
done
check "completion: --probes= offers the same" \
	test "$(complete_words rsttrace --probes = "")" = "$families"
check "completion: --pro completes to --probes=" test "$(complete_words rsttrace --pro)" = "--probes="
check "completion: -p offers this shell's pid" grep -qx "$$" <<<"$(complete_words rsttrace -p "$$")"
