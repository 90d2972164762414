# SPDX-License-Identifier: GPL-2.0
# bash completion for rsttrace(8)                                  -*- shell-script -*-
#
# The options come from `rsttrace --help` itself (argp's "  -x, --long=ARG  text" lines), so a
# new option completes without editing this file, and its value is completed by the name argp
# shows for it: FAMILY (probe families), FORMAT (-o), GROUP (--by), VERDICT (--ignore), PID
# (running processes), COMM (their names), FILE or
# PATH (files), DIR (directories); other values (PORT, SECONDS) are left to the user.
# Self-contained: needs nothing from the bash-completion package.

# what --probes accepts; keep in step with family_names in user/options.c
_rsttrace_families="auto fentry kprobe tracepoint raw_tp"
# what --ignore accepts before its ':COMM'; keep in step with verdict_codes in user/verdicts.c
_rsttrace_verdicts="refused backlog_overflow abort_unread_data linger_abort write_after_peer_close
client_abort_propagated keepalive_race timeout_abort reset_by_remote unknown"
# used only when `rsttrace --help` cannot be run (not in PATH yet)
_rsttrace_fallback="- --pid PID
- --port PORT
- --comm COMM
- --json -
- --events -
- --probes FAMILY
- --list-probes -
- --duration SECONDS
- --verbose -
- --help -
- --usage -
- --version -"

# One line per option: "SHORT LONG ARG" ("-" for none), e.g. "-p --pid PID", "- --events -";
# an optional value ("--summary[=SECONDS]") as "[SECONDS". Cached per command: --help costs
# an exec.
_rsttrace_table()
{
	if [[ ${_rsttrace_cached_for-} != "$1" ]]; then
		_rsttrace_cached=$(LC_ALL=C "$1" --help 2>/dev/null | awk '
			match($0, /^ +/) && RLENGTH <= 6 && $0 ~ /^ +(-[A-Za-z0-9], )?--[a-z]/ {
				s = substr($0, RLENGTH + 1); short = "-"
				if (s ~ /^-[A-Za-z0-9],/) { short = substr(s, 1, 2); s = substr(s, 5) }
				split(s, w, " "); opt = w[1]; arg = "-"
				if (opt ~ /=/) {
					arg = opt; sub(/^[^=]*=/, "", arg); sub(/[^A-Z].*$/, "", arg)
					if (opt ~ /[[]=/ && arg != "") arg = "[" arg
					sub(/[[]?=.*$/, "", opt)
				}
				print short, opt, (arg == "" ? "-" : arg)
			}')
		[[ -z $_rsttrace_cached ]] && _rsttrace_cached=$_rsttrace_fallback
		_rsttrace_cached_for=$1
	fi
	printf '%s\n' "$_rsttrace_cached"
}

# the value name (FAMILY, PID, ...) option $2 takes; empty when it takes none, or when the
# value is optional and not attached with '=' ($3 empty): then the next word is not its value
_rsttrace_arg_of()
{
	local short long arg
	while read -r short long arg; do
		if [[ $2 == "$short" || $2 == "$long" ]]; then
			[[ $arg == "["* && -n $3 ]] && arg=${arg#[}
			[[ $arg != - && $arg != "["* ]] && echo "$arg"
			return
		fi
	done < <(_rsttrace_table "$1")
}

# complete the value $2 of an option whose value is named $1
_rsttrace_value()
{
	local kind=$1 cur=$2 head=
	case "$kind" in
	FAMILY) COMPREPLY=($(compgen -W "$_rsttrace_families" -- "$cur")) ;;
	FORMAT) COMPREPLY=($(compgen -W "text json none" -- "$cur")) ;;
	GROUP) COMPREPLY=($(compgen -W "comm container unit" -- "$cur")) ;;
	VERDICT) COMPREPLY=($(compgen -W "$_rsttrace_verdicts" -- "$cur")) ;;
	PID)
		# a comma list (-p 12,3<TAB>): complete the last element, keep those before it
		[[ $cur == *,* ]] && head=${cur%,*},
		COMPREPLY=($(compgen -P "$head" -W "$(ps -e -o pid= 2>/dev/null)" -- "${cur##*,}"))
		;;
	COMM)
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(ps -e -o comm= 2>/dev/null | sort -u)" -- "$cur"))
		;;
	FILE | PATH)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	DIR)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	*) COMPREPLY=() ;;
	esac
}

_rsttrace()
{
	local cmd=${1:-rsttrace} cur=${COMP_WORDS[COMP_CWORD]} prev= eq= kind opts
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	# bash splits "--probes=tr" at '=' (COMP_WORDBREAKS): the words are "--probes" "=" "tr"
	if [[ $cur == = ]]; then
		cur= eq=1
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]} eq=1
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*} cur=${cur#*=} eq=1
	fi
	if [[ $prev == -* ]]; then
		kind=$(_rsttrace_arg_of "$cmd" "$prev" "$eq")
		if [[ -n $kind ]]; then
			_rsttrace_value "$kind" "$cur"
			return 0
		fi
	fi
	if [[ $cur == -* ]]; then
		opts=$(_rsttrace_table "$cmd" | awk '{ print $2 ($3 ~ /^[-[]/ ? "" : "=") }')
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		# an option that takes a value: no space after its '='
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
	fi
	return 0
}
complete -F _rsttrace rsttrace
