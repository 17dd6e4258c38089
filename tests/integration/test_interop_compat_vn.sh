#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop: compatible version negotiation (RFC 9368 §2.3, RFC 9369). The server runs with
# --versions v2,v1. A gtlsclient that offers QUIC v1 with only v1 in version_information must
# stay on v1 (it checks the server's version_information, RFC 9368 §4); one that offers v1
# with --other-versions 6b3343cf,v1 must be moved to v2 by the server's first Initial and
# finish the transfer there (the server's handshakes_v2 counter says so). Every file must
# match by SHA-256. Exit 77 without root, /dev/net/tun or gtlsclient, and when gtlsclient's
# ngtcp2 does not know QUIC v2 (RFC 9369: ngtcp2 >= 0.13; 0.12 only has the v2 draft) after
# the v1 part has run and passed.
set -u
. "$(dirname "$0")/lib.sh"

it_init cvn "${1:?usage: test_interop_compat_vn.sh HAYABUSA}"
it_www
it_start --versions v2,v1
files=(index.html hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")

it_say "gtlsclient: v1, offering only v1 as compatible"
it_client v1.log --no-quic-dump --no-http-dump --other-versions=v1 \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient (v1) failed"
it_check "${files[@]}"

# ngtcp2 names RFC 9369's version "v2" in its --help from 0.13 on; 0.12 knows "v2draft" only.
v2=0
gtlsclient --help 2>&1 | grep -q '"v2" *indicates' && v2=1
if [ "$v2" -eq 1 ]; then
	rm -rf "$it_tmp/dl2"
	mkdir -p "$it_tmp/dl2"
	it_say "gtlsclient: v1, offering v2 (6b3343cf) as compatible"
	it_client v2.log --no-quic-dump --no-http-dump --other-versions=6b3343cf,v1 \
		--download "$it_tmp/dl2" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" ||
		it_bad "gtlsclient (v1 -> v2) failed"
	it_check --dir "$it_tmp/dl2" "${files[@]}"
fi
it_stop
hs=$(it_counter handshakes)
hs2=$(it_counter handshakes_v2)
it_say "handshakes ${hs:-?}, of them in v2 ${hs2:-?}"
[ "${hs:-0}" -eq $((1 + v2)) ] || it_bad "handshakes ${hs:-none}, want $((1 + v2))"
[ "${hs2:-0}" -eq "$v2" ] || it_bad "handshakes in v2 ${hs2:-none}, want $v2"
[ "$it_fail" -ne 0 ] || [ "$v2" -eq 1 ] ||
	it_skip "v1 part passed; this gtlsclient (ngtcp2 $(dpkg-query -W -f='${Version}' ngtcp2-client 2>/dev/null)) cannot speak QUIC v2 (RFC 9369)"
it_finish
