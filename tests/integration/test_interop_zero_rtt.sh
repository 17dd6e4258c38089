#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: 0-RTT (RFC 9001 §4.6, RFC 9000 §7.4.1) with --early-data on. A first gtlsclient
# connection keeps the ticket (--session-file) and the server's transport parameters
# (--tp-file); a second one given both sends its requests in 0-RTT packets: the server must
# accept them (gtlsclient does not report "Early data was rejected", the server counts one
# 0-RTT handshake) and answer every request, each file matching by SHA-256. Then the server
# restarts with --early-data off and the same client state: 0-RTT is refused (rejection
# reported), and the requests still complete in 1-RTT.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init zrt "${1:?usage: test_interop_zero_rtt.sh HAYABUSA}"
it_www
keys="$it_tmp/token.keys"
"$it_bin" keygen "$keys" >/dev/null || it_die "hayabusa keygen failed"
it_start --early-data on --token-keys "$keys"
files=(index.html hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")
it_session_first "${files[@]}"

it_say "gtlsclient: second connection (requests in 0-RTT)"
mkdir -p "$it_tmp/dl2"
it_client second.log --no-quic-dump --no-http-dump "${it_session[@]}" \
	--download "$it_tmp/dl2" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
grep -q 'Early data was rejected' "$it_tmp/second.log" && it_bad "the server rejected 0-RTT"
it_check --dir "$it_tmp/dl2" "${files[@]}"
it_stop
n=$(it_counter zero_rtt)
[ "$n" = 1 ] || it_bad "server counted ${n:-?} 0-RTT handshakes, want 1"
n=$(it_counter resumed)
[ "$n" = 1 ] || it_bad "server counted ${n:-?} resumed handshakes, want 1"

it_say "server with --early-data off: the same client state, 0-RTT refused"
# The first server's tap device must be gone before the second one makes it (bounded).
for _ in $(seq 50); do
	ip -n "$it_ns" link show "$IT_TAP" >/dev/null 2>&1 || break
	sleep 0.1
done
it_start --early-data off --token-keys "$keys"
mkdir -p "$it_tmp/dl3"
it_client third.log --no-quic-dump --no-http-dump "${it_session[@]}" \
	--download "$it_tmp/dl3" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
grep -q 'Early data was rejected' "$it_tmp/third.log" || it_bad "0-RTT was not refused"
it_check --dir "$it_tmp/dl3" "${files[@]}"
it_stop
n=$(it_counter zero_rtt)
[ "$n" = 0 ] || it_bad "server counted ${n:-?} 0-RTT handshakes, want 0"
it_finish
