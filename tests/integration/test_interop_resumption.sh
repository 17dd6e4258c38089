#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): session resumption (RFC 9846 §2.2; RFC 9001 §4.6). A first connection
# must leave a NewSessionTicket in gtlsclient's --session-file (and the transport parameters in
# --tp-file); a second connection given both must resume: the server's ServerHello carries
# pre_shared_key (0x0029, identity 0) and the server counts one resumed handshake. Both runs'
# files must match by SHA-256. The server runs without --early-data: 0-RTT is the subject of
# test_interop_zero_rtt.sh.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init res "${1:?usage: test_interop_resumption.sh HAYABUSA}"
it_www
it_start
files=(index.html hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")
it_session_first "${files[@]}"

it_say "gtlsclient: second connection (resumption)"
mkdir -p "$it_tmp/dl2"
it_client second.log --no-http-dump "${it_session[@]}" \
	--download "$it_tmp/dl2" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
sh=$(it_crypto_rx second.log Initial)
printf 'ServerHello: %s\n' "${sh:0:120}"
# pre_shared_key extension (0x0029), length 2, selected_identity 0 (§4.2.11).
grep -q '00 29 00 02 00 00' <<<"$sh" || it_bad "the server did not accept the ticket (no PSK)"
it_check --dir "$it_tmp/dl2" "${files[@]}"
it_stop
n=$(it_counter handshakes)
[ "$n" = 2 ] || it_bad "server completed ${n:-?} handshakes, want 2"
n=$(it_counter resumed)
[ "$n" = 1 ] || it_bad "server counted ${n:-?} resumed handshakes, want 1"
it_finish
