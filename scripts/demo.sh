#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job on its embedded default. Until the server lands (issue 5) that is the crypto
# engine: a known-answer self-check of every packet-protection engine, then the crypto
# micro-benchmark, printed as a table (and as JSON in build-demo/crypto-bench.json).
#
# Usage: scripts/demo.sh [--quick]   (as root on a fresh Debian 12 machine, or any checkout)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

bench_args=()
for a in "$@"; do
	case "$a" in
	--quick) bench_args+=(--quick) ;;
	-h | --help)
		sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) hb_die "unknown option '$a' (try --help)" ;;
	esac
done

hb_install_deps
hb_say "building (release)"
hb_meson_setup build-demo -Dbuildtype=release -Dtests=disabled
ninja -C build-demo >/dev/null || { ninja -C build-demo -j1; exit 1; }

hb_say "crypto self-check and micro-benchmark"
./build-demo/bench/hayabusa-crypto-bench "${bench_args[@]}" --json build-demo/crypto-bench.json
hb_say "JSON written to build-demo/crypto-bench.json"
