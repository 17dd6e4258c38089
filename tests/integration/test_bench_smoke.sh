#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hayabusa-bench against hayabusa (issue 6), smoke run: the two as separate DPDK processes
# joined by net_memif (shared memory, no kernel; distinct --file-prefix, the server's busy lcore
# on CPU 1, the bench's on CPU 0), inside a namespace of their own. The server runs --retry
# always, so every connection follows a Retry (RFC 9000 §8.1.2). Each load mode runs for a
# bounded couple of seconds and must complete its work with 0 failures (from the --json file):
# handshake (handshakes and Retries followed; light and full client crypto), bulk with perf (verified bytes), bulk with h3
# GET, rr (latency samples), retry-flood (Retries back) and link-floor (datagrams the server
# counted as unknown CIDs; answers of the size asked from the server's --echo-port). No timing assertions. Exit 77 without root, iproute2, python3 or
# network namespaces.
set -u

bench=${1:?usage: test_bench_smoke.sh HAYABUSA-BENCH HAYABUSA}
server=${2:?usage: test_bench_smoke.sh HAYABUSA-BENCH HAYABUSA}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || it_skip "python3 missing (JSON checks)"
it_init smk "$bench"
[ -z "${HB_KEEP_TMP:-}" ] || trap 'it_kill_server; ip netns del "$it_ns"' EXIT
it_www
it_memif_serve "$server" --root "$it_tmp/www" --alpn h3,hq-interop,perf --retry always \
	--echo-port $((IT_PORT + 2))
sock=$it_sock

# bench NAME MODE [options]: one bounded run; its JSON in $it_tmp/NAME.json.
bench()
{
	local name=$1

	shift
	it_bench_run "$sock" "$name" "$@" --poll busy
}

# want NAME PYTHON-EXPR: the expression over the JSON (j) must hold.
want()
{
	it_want "$@"
}

bench hs handshake --conns 8 --duration 2
want hs 't["handshakes"] > 0 and j["failures_total"] == 0'
want hs 't["retries_rx"] >= t["handshakes"]'
want hs 'j["latency_us"]["count"] == t["handshakes"] and j["rates"]["handshakes_per_s"] > 0'
# Without --ca the handshake modes default to light client crypto (issue 6); full still works.
want hs 'j["config"]["client_crypto"] == "light"'
bench hsfull handshake --conns 8 --duration 1 --client-crypto full
want hsfull 't["handshakes"] > 0 and j["failures_total"] == 0'
want hsfull 'j["config"]["client_crypto"] == "full"'

bench bulk bulk --alpn perf --conns 2 --streams 4 --size 256k --duration 2
want bulk 't["streams_done"] > 0 and j["failures_total"] == 0'
want bulk 't["app_bytes"] == t["streams_done"] * 262144'
want bulk 'len(j["series"]) >= 2 and j["rates"]["goodput_gbit_per_s"] > 0'

bench bulkh3 bulk --alpn h3 --path /1m.bin --conns 1 --streams 2 --duration 2
want bulkh3 't["streams_done"] > 0 and j["failures_total"] == 0'
want bulkh3 't["app_bytes"] == t["streams_done"] * 1048576'

bench rr rr --conns 2 --streams 4 --rate 500 --size 64 --duration 2
want rr 't["streams_done"] > 0 and j["failures_total"] == 0'
want rr 'j["latency_us"]["count"] > 0 and j["latency_us"]["p50"] <= j["latency_us"]["max"]'

bench flood retry-flood --rate 2000 --duration 1 --src-port 30000-39999
want flood 't["pkts_tx"] > 0 and t["retries_rx"] > 0 and t["retries_rx"] <= t["pkts_tx"]'
# The generator's headroom counts the load's time only: its start delay and the drain of late
# answers, idle by nature, are not in its loop time (one iteration of slack).
want flood 't["loop_ns"] > 0 and t["loop_ns"] <= j["measured_s"] * 1e9 + 2e7'
want hs 't["loop_ns"] > 0 and t["loop_ns"] <= j["measured_s"] * 1e9 + 2e7'

bench floor link-floor --size 1200 --count 20000 --duration 2
want floor 't["pkts_tx"] > 0 and t["bytes_tx"] == t["pkts_tx"] * 1200'
# The Retry floor's form: to the server's --echo-port, each 1200-byte datagram answered with
# the 130 bytes it asks for by its dataplane (no QUIC), never more than were sent.
IT_PORT=$((IT_PORT + 2)) bench echo link-floor --size 1200 --reply-size 130 --count 20000 \
	--duration 2
want echo 't["pkts_rx"] > 0 and t["pkts_rx"] <= t["pkts_tx"] and t["bytes_rx"] == t["pkts_rx"] * 130'
want echo 'j["config"]["reply_size"] == 130'

it_stop
hs=$(it_counter handshakes)
unk=$(it_counter unknown_cid)
echoed=$(it_counter echoed)
[ "${echoed:-0}" -gt 0 ] || it_bad "server counted no echoed datagram"
[ "${hs:-0}" -gt 0 ] || it_bad "server counted no handshake"
[ "${unk:-0}" -gt 0 ] || it_bad "server counted no link-floor datagram (unknown_cid)"
it_finish
