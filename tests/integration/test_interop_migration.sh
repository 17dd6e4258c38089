#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: connection migration (RFC 9000 §9). gtlsclient moves to a new local port 100 ms
# after the handshake, in the middle of a 1 MB download (slowed down by the client's packet log):
#   - --change-local-addr: active migration, with path validation and, as RFC 9000 §9.5 asks,
#     a new DCID taken from the server's NEW_CONNECTION_ID frames. The server finds the
#     connection by that CID only if its table holds the CIDs it issued;
#   - --change-local-addr --nat-rebinding: the address changes under the same DCID. The client
#     rebinds 50 ms after the handshake and sends its requests 300 ms after it
#     (--delay-stream): gtlsclient ignores what still arrives on its old port and, with
#     nothing of its own to send, would never tell the server of its new address.
# Each download must complete byte-exact, and the server must count both path changes.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init mig "${1:?usage: test_interop_migration.sh HAYABUSA}"
it_www
it_start
files=(hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")

it_say "gtlsclient: migration to a new local port (new DCID, path validation)"
it_client migrate.log --no-http-dump --change-local-addr=100ms \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
it_check "${files[@]}"
n=$(grep -c 'frm rx .*NEW_CONNECTION_ID' "$it_tmp/migrate.log" || true)
it_say "NEW_CONNECTION_ID frames received by the client: $n"
[ "$n" -gt 0 ] || it_bad "the server issued no CID (NEW_CONNECTION_ID)"
first=$(awk '/pkt tx .*type=1RTT/ { for (i = 1; i <= NF; i++) if ($i ~ /^dcid=/) { print $i; exit } }' \
	"$it_tmp/migrate.log")
last=$(awk '/pkt tx .*type=1RTT/ { for (i = 1; i <= NF; i++) if ($i ~ /^dcid=/) d = $i } END { print d }' \
	"$it_tmp/migrate.log")
it_say "client DCID: first 1-RTT ${first:-?}, last ${last:-?}"
[ -n "$first" ] && [ "$first" != "$last" ] || it_bad "the client kept its DCID"

it_say "gtlsclient: NAT rebinding (new local port, same DCID)"
mkdir -p "$it_tmp/dl2"
it_client rebind.log --no-quic-dump --no-http-dump --change-local-addr=50ms --nat-rebinding \
	--delay-stream=300ms \
	--download "$it_tmp/dl2" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
it_check --dir "$it_tmp/dl2" "${files[@]}"
it_stop
n=$(it_counter migrations)
[ "${n:-0}" -ge 2 ] || it_bad "server counted ${n:-?} path changes, want >= 2"
n=$(it_counter handshakes)
[ "$n" = 2 ] || it_bad "server completed ${n:-?} handshakes, want 2"
it_finish
