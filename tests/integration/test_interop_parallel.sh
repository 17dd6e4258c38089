#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): 50 requests in parallel on one connection (RFC 9000 §2.1, §4.6). gtlsclient
# fetches 50 different files over HTTP/3; each is checked by SHA-256, and the server must have
# accepted exactly one connection. Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init par "${1:?usage: test_interop_parallel.sh HAYABUSA}"
it_www
it_start
files=()
for i in $(seq -w 0 49); do files+=("p$i.txt"); done
mapfile -t urls < <(it_urls "${files[@]}")
it_say "gtlsclient: ${#urls[@]} requests on one connection"
it_client client.log -q --download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" ||
	it_bad "gtlsclient failed"
it_check "${files[@]}"
it_stop
n=$(it_counter conns_accepted)
[ "$n" = 1 ] || it_bad "server accepted ${n:-?} connections, want 1"
it_finish
