#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The boundary check must catch each kind of violation it claims to, and pass a clean tree.
set -uo pipefail
check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect()
{
	local want=$1 file=$2 text=$3
	rm -rf "${tmp:?}"/*
	mkdir -p "$tmp/quic" "$tmp/crypto" "$tmp/dataplane" "$tmp/bench"
	if [ -n "$file" ]; then
		printf '%s\n' "$text" >"$tmp/$file"
	fi
	"$check" "$tmp" >/dev/null
	local got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $file '$text': exit $got, want $want"
		fail=1
	else
		echo "ok: $file '$text' -> $got"
	fi
}

expect 0 "" ""
expect 0 crypto/a.c '#include <openssl/evp.h>'
expect 0 dataplane/a.c 'rte_eth_rx_burst(0, 0, 0, 0);'
expect 1 quic/a.c '#include <openssl/evp.h>'
expect 1 quic/a.h '#include <rte_mbuf.h>'
expect 1 quic/a.c 'x = rte_pktmbuf_alloc(p);'
expect 1 bench/a.c 'EVP_EncryptInit_ex(c, 0, 0, 0, 0);'
expect 1 dataplane/a.c 'OSSL_PARAM p;'
expect 1 bench/a.c 'IMB_AES128_GCM_ENC(m, k, c, d, s, l, i, a, al, t, tl);'
exit $fail
