#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/incident/build.sh [SCRATCH]: build the incident's gateway (gateway.go, stdlib
# only, no network) once per source checksum and print the binary's path:
#   .output/incident-gateway/<sha256 of gateway.go and the go version>/rt_gateway
# The binary is named rt_gateway so its comm is "rt_gateway". GOCACHE, GOPATH and HOME go
# under SCRATCH (default: a temporary directory, removed afterwards).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SRC=$HERE/gateway.go

key=$( { cat "$SRC"; go version; } | sha256sum | cut -c1-16)
dir=$ROOT/.output/incident-gateway/$key
bin=$dir/rt_gateway
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

own_scratch=
scratch=${1:-}
if [ -z "$scratch" ]; then
	scratch=$(mktemp -d /tmp/rt-gateway-build.XXXXXX)
	own_scratch=1
fi
mkdir -p "$scratch/gocache" "$scratch/gopath" "$scratch/home" "$dir"
tmp=$(mktemp "$dir/.rt_gateway.XXXXXX")
# stdlib only: no module download can happen (GOPROXY=off, GOFLAGS cleared)
(cd "$HERE" && env HOME="$scratch/home" GOPATH="$scratch/gopath" GOCACHE="$scratch/gocache" \
	GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0 \
	timeout 300 go build -trimpath -o "$tmp" gateway.go) >&2
rc=$?
[ -n "$own_scratch" ] && rm -rf "$scratch"
if [ "$rc" != 0 ]; then
	rm -f "$tmp"
	echo "build.sh: go build failed ($rc)" >&2
	exit 1
fi
mv -f "$tmp" "$bin" # atomic: a concurrent run sees the old state or the whole binary
echo "$bin"
