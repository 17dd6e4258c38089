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

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

it_prereqs

trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
# Every wait inside the demo is bounded; this bounds the whole run as well.
timeout --kill-after=10 200 "$top/scripts/demo.sh" --bin "$bin" --ns "$ns"
