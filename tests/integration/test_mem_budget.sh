#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# --worker-memory (issue 6): a worker admits a connection only while its charged memory (the
# accounted bytes of every connection it holds plus SRV_CONN_UNACCOUNTED each, its mem_charged
# gauge) and the charge of one more (the mean of those held) stay within the budget. hayabusa with a 256 KiB
# budget and hayabusa-bench (net_memif, as test_bench_smoke.sh) asking for 40 held connections,
# 20 per second so that each handshake is over before the next starts:
#   1. the server holds some but not all of them, counts refused_mem, and the charged memory it
#      ends with is within the budget and within two connections' charge of it (the budget was
#      filled, not refused early);
#   2. once the held connections are gone (the server's 12 s idle timeout; --hold connections
#      have none of their own), conns_active and mem_charged are back to 0 (every byte charged
#      was given back);
#   3. a second run is admitted again, up to one fewer than the first held: every one of them
#      is made and held (transient refusals while handshakes overlap are retried by the client).
# No timing assertions. Exit 77 without root, iproute2, python3 or network namespaces.
set -u

bench=${1:?usage: test_mem_budget.sh HAYABUSA-BENCH HAYABUSA}
server=${2:?usage: test_mem_budget.sh HAYABUSA-BENCH HAYABUSA}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || it_skip "python3 missing (JSON checks)"
it_init mem "$bench"
it_www
budget=$((256 * 1024))
it_memif_serve "$server" --root "$it_tmp/www" --retry never --worker-memory 256K \
	--idle-timeout 12000 --stats 1
sock=$it_sock

# hold NAME N: one bounded hayabusa-bench run asking for N held connections; exit status 0
# (all held) or 3 (some refused) is expected. Prints the handshakes it completed.
hold()
{
	local rc=0

	it_bench_eal "hbc_${it_ns}_$1" "net_memif0,role=client,socket=$sock,mac=$IT_CLI_MAC" 0
	ip netns exec "$it_ns" timeout --kill-after=5 60 "$bench" "${it_eal[@]}" -- handshake \
		--hold --conns "$2" --rate 20 --duration 2.5 --server "$IT_SRV_IP:$IT_PORT" \
		--local "$IT_CLI_IP/24" --lport $((20000 + ${3:-0})) --quiet --start-delay 0.5 \
		--poll busy --json "$it_tmp/$1.json" >"$it_tmp/$1.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		tail -n 30 "$it_tmp/$1.log" >&2
		it_bad "$1: exit status $rc"
	fi
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["handshakes"])' \
		"$it_tmp/$1.json" 2>/dev/null || echo 0
}

it_say "1. budget $budget bytes, 40 connections asked"
hs1=$(hold first 40)
it_settle
held=$(it_gauge conns_active) charged=$(it_gauge mem_charged) refused=$(it_gauge refused_mem)
it_say "held $held (bench: $hs1 handshakes), mem_charged $charged, refused_mem $refused"
[ "$held" -gt 0 ] || it_bad "no connection held within $budget bytes"
[ "$held" -lt 40 ] || it_bad "all 40 held: the budget refused nothing"
[ "$refused" -gt 0 ] || it_bad "refused_mem is 0"
[ "$charged" -le "$budget" ] || it_bad "mem_charged $charged above the budget $budget"
if [ "$held" -gt 0 ]; then
	per=$((charged / held))
	[ $((charged + 2 * per)) -gt "$budget" ] ||
		it_bad "refused with room for two more connections ($charged + 2 x $per <= $budget)"
	# On top of the accounted bytes (conn_mem_bytes), the same constant for each connection.
	extra=$((charged - $(it_gauge conn_mem_bytes)))
	[ "$extra" -gt 0 ] && [ $((extra % held)) -eq 0 ] ||
		it_bad "mem_charged - conn_mem_bytes = $extra: not a constant for each of $held"
fi

it_say "2. the held connections time out (12 s): the budget is given back"
for _ in $(seq 50); do
	[ "$(it_gauge conns_active)" -eq 0 ] && [ "$(it_gauge mem_charged)" -eq 0 ] && break
	sleep 0.5
done
[ "$(it_gauge conns_active)" -eq 0 ] || it_bad "conns_active $(it_gauge conns_active), want 0"
[ "$(it_gauge mem_charged)" -eq 0 ] || it_bad "mem_charged $(it_gauge mem_charged) with no connection"

want=$((held > 2 ? held - 1 : 1))
it_say "3. $want connections asked again"
refused0=$(it_gauge refused_mem)
hs2=$(hold second "$want" 1000)
it_settle
[ "$hs2" -eq "$want" ] || it_bad "second run: $hs2 of $want handshakes"
[ "$(it_gauge conns_active)" -eq "$want" ] || it_bad "second run: $(it_gauge conns_active) held, want $want"
# Refusals on the way are possible and not a fault: the charge of one more is the mean of those
# held, and a connection still in its handshake carries its handshake buffers, so when
# handshakes overlap (a loaded machine, the sanitized server) an Initial can be refused for a
# moment and its retransmission admitted. What must hold is above: every connection asked for
# was made and held, the charge given back in step 2 admitting them again.
it_say "second run: $hs2 held, refused_mem $refused0 -> $(it_gauge refused_mem) on the way"

it_stop
it_finish
