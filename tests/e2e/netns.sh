#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/netns.sh - a network namespace joined to this host by a veth pair, for tests.
#
#   netns.sh up NAME            create netns NAME and the veth pair
#                                 rtv0 (host end)            10.200.0.1/24
#                                 rtv1 (in the namespace)    10.200.0.2/24
#                               with fixed MACs and permanent ARP entries both ways, and
#                               bring lo and both ends up. Fails (exit 1, nothing left
#                               behind) if NAME exists. The host end and its address exist
#                               once per host: while another namespace holds them, waits up
#                               to RT_NETNS_WAIT seconds (default 30) for it to go, then fails.
#   netns.sh down NAME          delete the namespace and rtv0 (deleting one end of a veth
#                               deletes both). Exit 0 if already gone: safe in a trap.
#   netns.sh link NAME up|down  set the namespace's end (rtv1) up or down. While it is down,
#                               the host end has no carrier and what the host sends to
#                               10.200.0.2 is dropped silently (no RST, no ICMP, no ARP:
#                               see static_neigh).
#
# The host end's name and address are fixed (only 10.200.0.0/24 may be used), so one
# namespace is up at a time; parallel test runs are serialised by `up` (first come, first
# served, bounded wait). Use a distinct NAME per run: `down` deletes only NAME and its pair.
# Needs root. Exit: 0 done, 1 failed (message on stderr), 2 usage.
set -u

HOST_IF=rtv0
HOST_ADDR=10.200.0.1/24
HOST_MAC=02:72:74:76:00:01	# locally administered
NS_IF=rtv1
NS_ADDR=10.200.0.2/24
NS_MAC=02:72:74:76:00:02
WAIT_S=${RT_NETNS_WAIT:-30}	# how long `up` waits for another namespace to release rtv0
case $WAIT_S in '' | *[!0-9]*) echo "netns.sh: RT_NETNS_WAIT must be a number of seconds" >&2; exit 2 ;; esac

die() {
	echo "netns.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: netns.sh up NAME | down NAME | link NAME up|down" >&2
	exit 2
}

# NAME: letters, digits, '-', '_', '.', not starting with '.', at most 32 chars
check_name() {
	case $1 in
	'' | *[!A-Za-z0-9_.-]* | .*) echo "netns.sh: bad namespace name '$1'" >&2; usage ;;
	esac
	[ ${#1} -le 32 ] || { echo "netns.sh: namespace name '$1' longer than 32 chars" >&2; usage; }
}

ns_exists() {
	[ -e "/run/netns/$1" ]
}

# The host end is one per host (fixed name and address): claim it by creating it, which is
# atomic (EEXIST if another namespace holds it), and wait (bounded) while another holds it.
claim_host_end() {
	local name=$1 err said=0
	for _ in $(seq $((WAIT_S * 5))); do
		if ip -4 -o addr show | grep -q " ${HOST_ADDR%/*}/"; then
			err="${HOST_ADDR%/*} is assigned on this host"
		elif err=$(ip link add "$HOST_IF" address "$HOST_MAC" type veth \
			peer name "$NS_IF" address "$NS_MAC" netns "$name" 2>&1); then
			return 0
		else
			case $err in *"File exists"*) ;; *) echo "netns.sh: $err" >&2; return 1 ;; esac
			err="$HOST_IF exists ($(ip -o link show dev "$HOST_IF" 2>/dev/null |
				grep -o 'link-netns [^ ]*' || echo 'not ours'))"
		fi
		if [ $said = 0 ]; then
			echo "netns.sh: waiting up to ${WAIT_S} s: $err" >&2
			said=1
		fi
		sleep 0.2
	done
	echo "netns.sh: gave up after ${WAIT_S} s: $err" >&2
	return 1
}

up() {
	local name=$1
	ns_exists "$name" && die "namespace $name already exists (netns.sh down $name)"
	ip netns add "$name" || die "ip netns add $name failed"
	if ! claim_host_end "$name"; then
		ip netns del "$name"
		die "could not create $HOST_IF for $name (namespace deleted again)"
	fi
	# from here on, undo everything on any failure. addrgenmode none: no IPv6 link-local
	# address either, 10.200.0.1 and .2 are the only addresses
	if ! {
		ip link set dev "$HOST_IF" addrgenmode none &&
			ip -n "$name" link set dev "$NS_IF" addrgenmode none &&
			ip addr add "$HOST_ADDR" dev "$HOST_IF" &&
			ip link set dev "$HOST_IF" up &&
			ip -n "$name" link set dev lo up &&
			ip -n "$name" addr add "$NS_ADDR" dev "$NS_IF" &&
			ip -n "$name" link set dev "$NS_IF" up &&
			static_neigh "$name"
	}; then
		down "$name"
		die "could not set up $name (undone)"
	fi
	# the veth carrier comes up asynchronously: wait (50 x 0.1 s) for both ends
	for _ in $(seq 50); do
		if ip link show dev "$HOST_IF" | grep -q 'state UP' &&
			ip -n "$name" link show dev "$NS_IF" | grep -q 'state UP'; then
			return 0
		fi
		sleep 0.1
	done
	down "$name"
	die "veth $HOST_IF/$NS_IF not up after 5 s (undone)"
}

# Permanent ARP entries on both ends. While the namespace's end is down (link down, the
# timeout test), the host's retransmissions would otherwise make its entry for 10.200.0.2
# INCOMPLETE, then FAILED: the next connection waits for an ARP retry (up to 1 s) or fails
# with EHOSTUNREACH, and a FAILED entry turns a connection's ETIMEDOUT into EHOSTUNREACH
# (sk_err_soft). A permanent entry survives the loss of carrier. The namespace's own entry is
# flushed when its end goes admin down; `link NAME up` puts it back (ARP would also do).
static_neigh() {
	ip neigh replace "${NS_ADDR%/*}" lladdr "$NS_MAC" dev "$HOST_IF" nud permanent &&
		ip -n "$1" neigh replace "${HOST_ADDR%/*}" lladdr "$HOST_MAC" dev "$NS_IF" nud permanent
}

# Only what belongs to NAME is deleted: rtv0 goes with NAME's rtv1 (veth peers die
# together), so a run never deletes the pair of another run that is up under another NAME.
down() {
	local name=$1 ours=0
	ns_exists "$name" || return 0
	ip link show dev "$HOST_IF" 2>/dev/null | grep -q "link-netns $name\$" && ours=1
	ip netns del "$name" || die "ip netns del $name failed"
	# the namespace's devices are destroyed asynchronously: wait (50 x 0.1 s) until rtv0,
	# if it was ours, is gone, so that the next `up` does not trip on it
	[ $ours = 1 ] || return 0
	for _ in $(seq 50); do
		ip link show dev "$HOST_IF" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	die "$HOST_IF still exists 5 s after deleting $name"
}

link() {
	local name=$1 state=$2
	case $state in up | down) ;; *) usage ;; esac
	ns_exists "$name" || die "no namespace $name"
	ip -n "$name" link set dev "$NS_IF" "$state" || die "link $state failed"
	[ "$state" = down ] || static_neigh "$name" || die "neighbour entries"
}

[ $# -ge 2 ] || usage
[ "$(id -u)" = 0 ] || die "needs root"
cmd=$1
check_name "$2"
case $cmd in
up) [ $# = 2 ] || usage; up "$2" ;;
down) [ $# = 2 ] || usage; down "$2" ;;
link) [ $# = 3 ] || usage; link "$2" "$3" ;;
*) usage ;;
esac
