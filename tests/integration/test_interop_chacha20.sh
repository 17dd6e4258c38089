#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): a client offering only TLS_CHACHA20_POLY1305_SHA256 (RFC 9001 §5.3, §5.4.4
# header protection). gtlsclient takes GnuTLS priority strings, so the suite is named there
# CHACHA20-POLY1305; it must report it negotiated, and every file must match by SHA-256.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init cha "${1:?usage: test_interop_chacha20.sh HAYABUSA}"
it_www
it_start
files=(index.html hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")
it_say "gtlsclient: TLS_CHACHA20_POLY1305_SHA256 only"
it_client client.log --no-quic-dump --no-http-dump \
	--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305 \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
grep '^Negotiated' "$it_tmp/client.log"
grep -q '^Negotiated cipher suite is CHACHA20-POLY1305$' "$it_tmp/client.log" ||
	it_bad "ChaCha20-Poly1305 was not negotiated"
it_check "${files[@]}"
it_stop
it_finish
