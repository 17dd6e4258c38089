#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): a key update initiated by the client during a download (RFC 9001 §6).
# gtlsclient updates its keys 5 ms after the handshake (--key-update); it must see the update
# confirmed and receive 1-RTT packets in the new key phase (k=1), and the files must match by
# SHA-256. Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init ku "${1:?usage: test_interop_keyupdate.sh HAYABUSA}"
it_www
it_start
files=(hello.txt 1m.bin 5m.bin)
mapfile -t urls < <(it_urls "${files[@]}")
it_say "gtlsclient: key update 5 ms after the handshake"
it_client client.log --no-quic-dump --no-http-dump --key-update=5ms \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
grep -q '^Initiate key update' "$it_tmp/client.log" || it_bad "the client did not update keys"
grep -q 'cry key update confirmed' "$it_tmp/client.log" || it_bad "key update not confirmed"
n=$(grep 'pkt rx .*type=1RTT' "$it_tmp/client.log" | grep -c ' k=1' || true)
it_say "1-RTT packets received in key phase 1: $n"
[ "$n" -gt 0 ] || it_bad "no packet from the server in the new key phase"
it_check "${files[@]}"
it_stop
it_finish
