#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs scripts/demo.sh against the given hayabusa binary in a namespace unique to this run:
# gtlsclient downloads the web root's files over HTTP/3 and each is checked by SHA-256. The
# demo removes its namespace on every exit path; this script removes it again in case the demo
# itself was killed. Exit 77 (meson: skipped) without root, /dev/net/tun, ip or gtlsclient.
set -u

bin=${1:?usage: test_netns_demo.sh HAYABUSA}
top=$(cd "$(dirname "$0")/../.." && pwd)
ns="hb-it-$$"

skip()
{
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, tap device)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing"
command -v ip >/dev/null || skip "iproute2 missing"
command -v gtlsclient >/dev/null || skip "gtlsclient missing (Debian package ngtcp2-client)"
ip netns add "$ns-probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$ns-probe"

trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
# Every wait inside the demo is bounded; this bounds the whole run as well.
timeout --kill-after=10 200 "$top/scripts/demo.sh" --bin "$bin" --ns "$ns"
