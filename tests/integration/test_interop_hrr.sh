#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): HelloRetryRequest (RFC 9846 §4.1.4). gtlsclient offers only P-384 and P-256
# (GnuTLS sends a key share for the first group only, P-384, which the server does not
# implement), so the server must answer with HelloRetryRequest asking for secp256r1. Checked in
# the client's dump of the server's first Initial CRYPTO data: a ServerHello whose random is
# the HRR value (SHA-256 of "HelloRetryRequest") and whose key_share names 0x0017; then the
# files must match by SHA-256. Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init hrr "${1:?usage: test_interop_hrr.sh HAYABUSA}"
it_www
it_start
files=(index.html hello.txt about.txt)
mapfile -t urls < <(it_urls "${files[@]}")
it_say "gtlsclient: groups P-384, P-256 (key share for P-384 only)"
# Not quiet: the CRYPTO data dump is what shows the HelloRetryRequest.
it_client client.log --no-http-dump --groups=-GROUP-ALL:+GROUP-SECP384R1:+GROUP-SECP256R1 \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
sh=$(it_crypto_rx client.log Initial)
printf 'first Initial CRYPTO data from the server: %s\n' "${sh:0:120}"
# ServerHello (type 2), legacy_version 0x0303, random = the HelloRetryRequest value (§4.1.3).
hrr='^02 00 00 [0-9a-f]{2} 03 03 cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 c2 a2 11 16 7a bb'
hrr+=' 8c 5e 07 9e 09 e2 c8 a8 33 9c '
grep -Eq "$hrr" <<<"$sh" || it_bad "the server's first flight is not a HelloRetryRequest"
# key_share (0x0033) of length 2 naming secp256r1 (0x0017), §4.2.8.
grep -q '00 33 00 02 00 17' <<<"$sh" ||
	it_bad "the HelloRetryRequest does not select secp256r1 (key_share 0x0017)"
# The client's second ClientHello: Initial CRYPTO at a non-zero offset.
grep -Eq 'frm tx [0-9]+ Initial CRYPTO\(0x06\) offset=[1-9]' "$it_tmp/client.log" ||
	it_bad "no second ClientHello was sent"
it_check "${files[@]}"
it_stop
it_finish
