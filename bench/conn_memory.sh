#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/conn_memory.sh: memory per established idle connection on one hayabusa worker at
# 100,000 connections (issue #6, target <= 8 KiB), and how many connections the worker holds
# within its configured memory (--worker-memory).
#
# hayabusa (one busy worker, CPU 1) and hayabusa-bench (CPU 0) are two DPDK processes joined by
# net_memif in a network namespace of this run (198.18.0.0/15), as in bench/compare.sh. One
# bench process keeps at most 16,384 connections (one local port each), so the connections are
# made by runs of `hayabusa-bench handshake --hold` one after the other: each run completes its
# handshakes, waits until they are confirmed and quiet, and leaves without closing them; the
# server holds every one of them, idle, until its idle timeout (set to the longest, 600 s). A
# later run may reuse the ports: the server tells connections apart by connection ID. --hold
# connections advertise no idle timeout of their own, so the server's 600 s applies (with the
# bench's default of 30 s, each run's connections timed out during the next runs).
#
# After each run: the server's VmRSS (/proc/PID/status), and its conns_active and
# conn_mem_bytes (its own accounting of slots, quic_conn_mem_bytes(), stream buffers and h3
# state; AEAD state is not in it) and mem_charged (that plus SRV_CONN_UNACCOUNTED a connection)
# from its --stats lines. The figure is the marginal one, the
# RSS growth from the end of the first run to the end of the last divided by the connections
# added in between: what one more established idle connection costs, with the fixed costs
# (mbuf pools, tables, the first slabs) left out. Everything the process allocates counts. It
# moves with the allocator: what the handshakes of one run free (TLS state) leaves holes that
# the next run's connections fill, so a short range (16,384 -> 32,768) reads low or high by a
# few KB; the growth from the start over the connections held is printed too.
#
# --worker-memory SIZE: the server runs with that per-worker budget instead (its --max-conns
# derived from it), and runs of 16,384 held connections go on until the server refuses some
# for memory (refused_mem); the figure is the largest number of connections one worker held
# within SIZE, with the RSS growth they cost and the server's own charged memory.
#
# Exit status: 0 measured, 1 a run failed or fewer connections were held than asked (without
# --worker-memory) or the budget was never reached, 2 a bad option, 77 a prerequisite is
# missing (root, iproute2, python3, network namespaces).
set -u

usage()
{
	cat <<'USAGE'
usage: bench/conn_memory.sh [--conns N | --worker-memory SIZE] [--json FILE] [--build DIR]

Holds N established idle connections on one hayabusa worker (runs of hayabusa-bench handshake
--hold over net_memif) and reports the server's memory per connection; with --worker-memory,
fills the worker's memory budget with idle connections until the server refuses some and
reports how many it held within it.

  --conns N             connections to hold, 1000..1000000 [100000]
  --worker-memory SIZE  the server's --worker-memory (bytes, or K, M, G), e.g. 256M
  --json FILE           also write the figures as JSON
  --build DIR           the meson build directory with the binaries [build]
  --help                this text
USAGE
}

top=$(cd "$(dirname "$0")/.." && pwd)
per_run=16384 # the most one hayabusa-bench process keeps (GEN_MAX_CONNS)
total=100000 json='' build="$top/build" budget=''
while [ $# -gt 0 ]; do
	case $1 in
	--conns | --json | --build | --worker-memory)
		[ $# -ge 2 ] || { echo "conn_memory.sh: $1 needs a value" >&2; exit 2; }
		case $1 in
		--conns) total=$2 ;; --json) json=$2 ;; --build) build=$2 ;;
		--worker-memory) budget=$2 ;;
		esac
		shift ;;
	--help | -h) usage; exit 0 ;;
	*) echo "conn_memory.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ "$total" =~ ^[0-9]+$ ]] && [ "$total" -ge 1000 ] && [ "$total" -le 1000000 ] ||
	{ echo "conn_memory.sh: --conns $total: want 1000..1000000" >&2; exit 2; }
# budget_bytes: --worker-memory in bytes (the server checks the range and says why not).
budget_bytes=0
if [ -n "$budget" ]; then
	[[ "$budget" =~ ^([0-9]+)([KkMmGg]?)$ ]] ||
		{ echo "conn_memory.sh: --worker-memory $budget: want bytes or K, M, G" >&2; exit 2; }
	case ${BASH_REMATCH[2]} in
	[Kk]) budget_bytes=$((BASH_REMATCH[1] << 10)) ;;
	[Mm]) budget_bytes=$((BASH_REMATCH[1] << 20)) ;;
	[Gg]) budget_bytes=$((BASH_REMATCH[1] << 30)) ;;
	*) budget_bytes=${BASH_REMATCH[1]} ;;
	esac
	# At least ~8 KiB a connection: the runs needed to find the budget's end, plus one.
	total=$((budget_bytes / 8192 + per_run))
	[ "$total" -le 1000000 ] || total=1000000
fi

bench=${HB_BENCH:-$build/bench/hayabusa-bench}
server=${HB_SERVER:-$build/dataplane/server/hayabusa}
for b in "$bench" "$server"; do
	[ -x "$b" ] || { echo "conn_memory.sh: no binary $b (build first, or --build DIR)" >&2; exit 1; }
done
skip() { echo "SKIP: $*"; exit 77; }
say() { printf '== %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace)"
command -v ip >/dev/null || skip "iproute2 missing"
command -v python3 >/dev/null || skip "python3 missing"
command -v openssl >/dev/null || skip "openssl missing"

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh" # it_bench_eal, it_cert, it_wait_serving, it_cleanup
it_ns="hb-mem-$$"
it_tmp=$(mktemp -d /tmp/hb-mem.XXXXXX)
trap it_cleanup EXIT # stops the server (it_srv_pid), removes the namespace and it_tmp
trap 'exit 130' INT TERM
ip netns add "$it_ns" 2>/dev/null || skip "cannot create network namespaces here"
ip -n "$it_ns" link set lo up
ns=$it_ns tmp=$it_tmp
mkdir -p "$tmp/www"
echo ok >"$tmp/www/index.html"
it_cert
SRV_IP=$IT_SRV_IP CLI_IP=198.18.0.2 PORT=$IT_PORT
limit=(--max-conns $((total + per_run)))
[ -z "$budget" ] || limit=(--worker-memory "$budget")
it_memif_serve "$server" --root "$tmp/www" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
	--retry never "${limit[@]}" --idle-timeout 600000 --stats 1
srv_pid=$it_srv_pid
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$srv_pid/status"; }
rss0=$(rss_kib)

say "server: one worker, ${limit[*]}, idle timeout 600 s, RSS $rss0 KiB before any connection"
rows=()
held=0 run=0 fail=0 refused_mem=0 t0=$(date +%s)
max_runs=$(((total + per_run - 1) / per_run + 2))
# A run with failed or refused handshakes never has all its connections held: it ends at
# --duration (then 3 s of grace), so the duration is what starting them at 1,000/s takes, and
# 40 s more (a loaded machine); the next run makes up for what one did not hold.
dur=$((per_run / 1000 + 40))
# Without a budget: until $total are held. With one: until the server refuses for memory.
while if [ -n "$budget" ]; then [ "$refused_mem" -eq 0 ]; else [ "$held" -lt "$total" ]; fi; do
	run=$((run + 1))
	if [ "$run" -gt "$max_runs" ]; then
		echo "FAIL: $max_runs runs and the server holds $held connections: it does not keep them"
		fail=1
		break
	fi
	n=$((total - held))
	[ "$n" -le "$per_run" ] || n=$per_run
	it_bench_eal "hbc_${ns}_$run" "net_memif0,role=client,socket=$it_sock,mac=$IT_CLI_MAC" 0
	rc=0
	ip netns exec "$ns" timeout --kill-after=5 240 "$bench" "${it_eal[@]}" -- handshake --hold --rate 1000 \
		--conns "$n" --duration "$dur" --seed "$run" --server "$SRV_IP:$PORT" --local "$CLI_IP/24" \
		--start-delay 0.5 --poll busy --quiet --json "$tmp/run$run.json" \
		>"$tmp/run$run.log" 2>&1 || rc=$?
	hs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["handshakes"])' \
		"$tmp/run$run.json" 2>/dev/null || echo 0)
	it_settle
	held=$(it_gauge conns_active)
	rss=$(rss_kib)
	mem=$(it_gauge conn_mem_bytes)
	charged=$(it_gauge mem_charged)
	refused_mem=$(it_gauge refused_mem)
	rows+=("$run $n $hs $held $rss $mem $charged $refused_mem")
	printf '   run %d: %d asked, %d handshakes (exit %d); server holds %d, RSS %d KiB, conn_mem_bytes %d, mem_charged %d, refused_mem %d (%ds)\n' \
		"$run" "$n" "$hs" "$rc" "$held" "$rss" "$mem" "$charged" "$refused_mem" $(($(date +%s) - t0))
	# 3: some handshakes failed (counted; the next run makes up for them; or the budget
	# refused them); else broken. No handshake at all is fine only once the budget is full.
	if { [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; } || { [ "$hs" -eq 0 ] && [ "$refused_mem" -eq 0 ]; }; then
		tail -n 15 "$tmp/run$run.log"
		echo "FAIL: run $run: exit status $rc, $hs of $n handshakes"
		fail=1
		break
	fi
done
refused=$(it_gauge refused_full)

python3 - "$json" "$total" "$((total + per_run))" "$refused" "$budget_bytes" "$rss0" "${rows[@]}" <<'PY'
import json, sys
out, total, max_conns, refused, budget, rss0 = sys.argv[1], *map(int, sys.argv[2:7])
keys = ("run", "asked", "handshakes", "held", "rss_kib", "conn_mem_bytes", "mem_charged",
        "refused_mem")
rows = [dict(zip(keys, map(int, r.split()))) for r in sys.argv[7:]]
if not rows:
    sys.exit(0)
first, last = rows[0], rows[-1]
added = last["held"] - first["held"]
per_rss = (last["rss_kib"] - first["rss_kib"]) * 1024 / added if added > 0 else None
per_acc = last["conn_mem_bytes"] / last["held"] if last["held"] else None
growth = last["rss_kib"] - rss0
res = {"conns_asked": total, "conns_held": last["held"], "refused_full": refused,
       "max_conns": None if budget else max_conns,
       "rss_kib_start": rss0, "rss_kib_end": last["rss_kib"], "rss_growth_kib": growth,
       "rss_growth_per_conn_bytes": growth * 1024 / last["held"] if last["held"] else None,
       "mem_per_idle_conn_bytes": per_rss, "accounted_per_conn_bytes": per_acc,
       "from_conns": first["held"], "runs": rows}
if per_rss is None:
    print("memory per established idle connection: not measured (one run only)")
else:
    print("memory per established idle connection, %d -> %d connections: %.0f bytes (RSS), limit "
          "8192 bytes: %s; the server's own accounting (slot, quic/, streams): %.0f bytes"
          % (first["held"], last["held"], per_rss, "met" if per_rss <= 8192 else "MISSED",
             per_acc))
if last["held"]:
    print("RSS growth from the start: %.1f MiB for %d connections, %.0f bytes a connection "
          "(fixed costs included); charged by the server: %.0f bytes a connection"
          % (growth / 1024, last["held"], growth * 1024 / last["held"],
             last["mem_charged"] / last["held"]))
if budget:
    res.update({"worker_memory_bytes": budget, "conns_held_within_budget": last["held"],
                "refused_mem": last["refused_mem"], "mem_charged_bytes": last["mem_charged"],
                "charged_per_conn_bytes":
                    last["mem_charged"] / last["held"] if last["held"] else None})
    print("largest number of connections held within --worker-memory %.0f MiB: %d (RSS growth "
          "%.1f MiB, %.0f bytes a connection; charged %.1f MiB; refused_mem %d)"
          % (budget / 2**20, last["held"], growth / 1024, growth * 1024 / max(last["held"], 1),
             last["mem_charged"] / 2**20, last["refused_mem"]))
else:
    print("connections held by one worker: %d of %d asked, refused_full %d, RSS %.1f MiB"
          % (last["held"], total, refused, last["rss_kib"] / 1024))
if out:
    json.dump(res, open(out, "w"), indent=1)
PY
if [ -n "$budget" ]; then
	[ "$refused_mem" -gt 0 ] || { echo "FAIL: the budget $budget was never reached"; fail=1; }
else
	[ "$held" -ge "$total" ] || { echo "FAIL: the server holds $held connections, $total asked"; fail=1; }
fi
exit "$fail"
