#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop, the other direction (issue 5): hayabusa-bench in the client role (quic/ as a client
# over DPDK's net_tap) fetches files of several sizes over HTTP/3 from ngtcp2's gtlsserver
# (ngtcp2 + GnuTLS + nghttp3, kernel UDP) on the kernel side of the tap, in a namespace of its
# own; once without and once with gtlsserver's -V (address validation with Retry, RFC 9000
# §8.1.2), then with loss, reordering, duplication and corruption on the bench's path, then
# one 32 MiB file (the bench's clock once raced ahead on net_tap's per-datagram SIGIO and
# stopped such a download after a few MiB); each file must match by SHA-256. Exit 77 (meson: skipped) without root,
# /dev/net/tun, iproute2, gtlsclient/gtlsserver, openssl or network namespaces.
set -u

bench=${1:?usage: test_interop_client_gtlsserver.sh HAYABUSA-BENCH}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v gtlsserver >/dev/null || it_skip "gtlsserver missing (package ngtcp2-server)"
command -v openssl >/dev/null || it_skip "openssl missing"
it_init cgs "$bench"
trap 'it_peer_stop; it_cleanup' EXIT
it_www
it_cert
tap="hbc$$"
tap=${tap:0:15}
files=(index.html p00.txt p49.txt 1m.bin 5m.bin)
cpu=0
[ "$(nproc)" -ge 2 ] && cpu=1

# run_get NAME "BENCH OPTIONS" [gtlsserver options]: one gtlsserver, one bench get of every
# file, checked.
run_get()
{
	local name=$1 rc=0 bopts f

	read -r -a bopts <<<"$2"
	shift 2
	it_say "gtlsserver $* <- hayabusa-bench get (${#files[@]} files)"
	paths=()
	for f in "${files[@]}"; do paths+=("/$f"); done
	it_gtlsserver_start "gtls-$name.log" "$@"
	mkdir -p "$it_tmp/dl-$name"
	it_bench_eal "hbc_${it_ns}_$name" "net_tap0,iface=$tap" "$cpu"
	ip netns exec "$it_ns" timeout --kill-after=5 90 "$bench" "${it_eal[@]}" -- get \
		--server "$IT_SRV_IP:$IT_PORT" --local "$IT_CLI_IP/24" --alpn h3 \
		--out "$it_tmp/dl-$name" --duration 40 --start-delay 1 --json "$it_tmp/$name.json" \
		"${bopts[@]}" "${paths[@]}" >"$it_tmp/bench-$name.log" 2>&1 &
	local pid=$!
	it_wait_link "$tap" || it_bad "$name: tap device $tap did not appear"
	wait "$pid" || rc=$?
	grep -E '^(GET|hayabusa-bench:|retries_rx|handshakes|fail_|impair_)' "$it_tmp/bench-$name.log"
	[ "$rc" -eq 0 ] || it_bad "$name: hayabusa-bench exit status $rc"
	it_check --dir "$it_tmp/dl-$name" "${files[@]}"
	it_peer_stop
	grep -q '"handshakes": 1' "$it_tmp/$name.json" || it_bad "$name: not one handshake in the JSON"
}

run_get plain ""
[ "$(awk '$1 == "retries_rx" {print $2}' "$it_tmp/bench-plain.log")" = 0 ] ||
	it_bad "a Retry without -V"
run_get retry "" -V
[ "$(awk '$1 == "retries_rx" {print $2}' "$it_tmp/bench-retry.log")" -ge 1 ] ||
	it_bad "no Retry received from gtlsserver -V"
# The interop runner's impairments on the bench's own path, both directions, deterministic.
run_get impaired "--loss 2 --reorder 2 --dup 2 --corrupt 1 --seed 7"
for k in impair_loss impair_reorder impair_dup impair_corrupt; do
	[ "$(awk -v k=$k '$1 == k {print $2}' "$it_tmp/bench-impaired.log")" -ge 1 ] ||
		it_bad "impaired: no $k"
done
# A download that takes tens of thousands of datagrams, each one a SIGIO from net_tap: the
# bench's hard limit (start delay + duration + slack) must count real time, not wake-ups.
head -c 33554432 /dev/urandom >"$it_tmp/www/32m.bin"
files=(32m.bin)
run_get large "--duration 10"
it_finish
