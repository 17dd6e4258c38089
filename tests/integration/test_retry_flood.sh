#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Legitimate handshakes during an Initial flood (issue #7's figure; RFC 9000 §8.1.2): the
# server under --retry always, hayabusa-bench retry-flood at its full rate (--rate 0) from
# spoofed source ports 30000-39999, and in the same run legitimate handshakes at
# --handshake-rate from --local's address and ports 20000.. (they follow the Retry). The
# bench reports the fraction of those handshakes that completed and their latency
# percentiles; this test checks that the fraction is reported, that the flood really ran
# (Retries back) and that every legitimate handshake started completed. No timing assertion:
# the figure (target >= 99 %) is printed for bench/compare.sh. Exit 77 without root,
# iproute2, python3 or network namespaces.
set -u

# shellcheck source=retry_lib.sh
. "$(dirname "$0")/retry_lib.sh"
rt_setup rfd "$@"

rt_server S --retry always
rt_bench S flood retry-flood --rate 0 --duration 3 --src-port 30000-39999 \
	--handshake-rate 50 --conns 64 --lport 20000
it_want flood 't["pkts_tx"] > 0 and t["retries_rx"] > 0'
it_want flood '"legit" in j and j["legit"]["started"] > 0'
it_want flood 'j["legit"]["started"] == t["conns_started"] and 0 <= j["legit"]["fraction"] <= 1'
it_want flood 'j["legit"]["offered"] >= j["legit"]["started"]'
it_want flood 'j["legit"]["completed"] == j["legit"]["started"] and j["failures_total"] == 0'
it_want flood 'j["latency_us"]["count"] == j["legit"]["completed"]'
python3 - "$it_tmp/flood.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t, l, lat = j["totals"], j["legit"], j["latency_us"]
print("   flood: %d Initials sent (%.0f/s), %d Retries back" %
      (t["pkts_tx"], j["rates"]["pkts_tx_per_s"], t["retries_rx"]))
print("   legitimate handshakes: %d offered, %d of %d started completed (%.2f %%), latency "
      "p50 %.0f p90 %.0f p99 %.0f max %.0f us" %
      (l["offered"], l["completed"], l["started"], 100 * l["fraction"], lat["p50"], lat["p90"],
       lat["p99"], lat["max"]))
PY
rt_stop S
# (The server's handshakes counter misses connections that the client closes at once.)
rt_check "server validated (legitimate, by their Retry tokens)" "$(rt_counter S validated)" \
	-ge "$(rt_json flood handshakes)"
rt_check "server retry_sent (flood and legitimate)" "$(rt_counter S retry_sent)" -ge 1
it_finish
