#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Address validation end to end (RFC 9000 §8.1.2): scripts/demo.sh with the server under
# --retry always (a key file from `hayabusa keygen`, and --keylog), then --retry never.
# gtlsclient must download every file both times; with always, the server's final counters
# must show a Retry sent and a connection validated by its token, with never, no Retry; the
# key log must hold the four NSS labels of the 1-RTT handshake. Exit 77 (meson: skipped)
# without root, /dev/net/tun, ip or gtlsclient.
set -u

bin=${1:?usage: test_netns_retry.sh HAYABUSA}
top=$(cd "$(dirname "$0")/../.." && pwd)
ns="hb-rt-$$"

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

it_prereqs

tmp=$(mktemp -d /tmp/hb-retry.XXXXXX)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# counter NAME LOG: the value of a "name value" line of the final stats
counter()
{
	awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$2"
}

"$bin" keygen "$tmp/keys" || it_die "hayabusa keygen"
[ "$(stat -c %a "$tmp/keys")" = 600 ] || it_die "key file mode $(stat -c %a "$tmp/keys")"

echo "--- --retry always"
timeout --kill-after=10 200 "$top/scripts/demo.sh" --bin "$bin" --ns "$ns" -- \
	--retry always --token-keys "$tmp/keys" --keylog "$tmp/keylog" >"$tmp/always.log" 2>&1 ||
	{ tail -n 40 "$tmp/always.log"; it_die "demo with --retry always"; }
grep -E '^(retry_sent|validated|handshakes) ' "$tmp/always.log"
[ "$(counter retry_sent "$tmp/always.log")" -gt 0 ] || it_die "no Retry sent"
[ "$(counter validated "$tmp/always.log")" -gt 0 ] || it_die "no connection validated by a token"
for l in CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET \
	CLIENT_TRAFFIC_SECRET_0 SERVER_TRAFFIC_SECRET_0; do
	grep -Eq "^$l [0-9a-f]{64} ([0-9a-f]{64}|[0-9a-f]{96})\$" "$tmp/keylog" ||
		it_die "key log: no $l line"
done

echo "--- --retry never"
timeout --kill-after=10 200 "$top/scripts/demo.sh" --bin "$bin" --ns "$ns" -- \
	--retry never >"$tmp/never.log" 2>&1 ||
	{ tail -n 40 "$tmp/never.log"; it_die "demo with --retry never"; }
grep -E '^(retry_sent|validated|handshakes) ' "$tmp/never.log"
[ "$(counter retry_sent "$tmp/never.log")" -eq 0 ] || it_die "Retry sent under --retry never"
[ "$(counter handshakes "$tmp/never.log")" -gt 0 ] || it_die "no handshake"
echo "PASS"
