#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): IPv6. The server listens on an IPv6 unique local address as well
# (--listen [ADDR]:PORT, on-link /64); the client, on the tap device with an address in the same
# /64, must resolve the server by Neighbor Discovery (RFC 4861 §7.2: the dataplane answers the
# Neighbor Solicitation) and fetch the files over QUIC on IPv6, each checked by SHA-256.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init v6 "${1:?usage: test_interop_ipv6.sh HAYABUSA}"
it_www
it_start --v6
files=(index.html hello.txt 1m.bin)
urls=()
for f in "${files[@]}"; do urls+=("https://[$IT_SRV_IP6]:$IT_PORT/$f"); done
it_say "gtlsclient: [$IT_SRV_IP6]:$IT_PORT"
it_client client.log -q --download "$it_tmp/dl" "$IT_SRV_IP6" "$IT_PORT" "${urls[@]}" ||
	it_bad "gtlsclient failed"
ip -n "$it_ns" -6 neigh show dev "$IT_TAP"
it_check "${files[@]}"
it_stop
n=$(it_counter ndp_replied)
[ "${n:-0}" -gt 0 ] || it_bad "the dataplane answered no Neighbor Solicitation"
it_finish
