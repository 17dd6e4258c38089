#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Module boundaries of shared/design.md, checked on the source tree:
#   - rte_ (DPDK) only in dataplane/ and bench/;
#   - OpenSSL (EVP_, OSSL_, openssl/ includes) and ipsec-mb only in crypto/;
#   - quic/ includes neither DPDK nor OpenSSL headers.
# Prints each violation as FILE:LINE: text and exits 1 if there is any.
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2

bad=0
report()
{
	local what=$1
	shift
	local hits
	hits=$(grep -rnE "$@" 2>/dev/null)
	if [ -n "$hits" ]; then
		echo "boundary: $what"
		echo "$hits" | sed 's/^/  /'
		bad=1
	fi
}

src="--include=*.c --include=*.h"
# shellcheck disable=SC2086
report "DPDK (rte_) outside dataplane/ and bench/" $src '\brte_[a-z_]+' crypto quic
# shellcheck disable=SC2086
report "OpenSSL outside crypto/" $src '\b(EVP_|OSSL_)[A-Za-z_]+|#include *[<"]openssl/' \
	quic dataplane bench
# shellcheck disable=SC2086
report "ipsec-mb outside crypto/" $src '\bIMB_[A-Z_]+|intel-ipsec-mb\.h' quic dataplane bench
# shellcheck disable=SC2086
report "quic/ includes DPDK or OpenSSL headers" $src '#include *[<"](rte_|openssl/)' quic

if [ $bad -eq 0 ]; then
	echo "boundaries: ok"
fi
exit $bad
