#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/conn_memory.sh: memory per established idle connection on one hayabusa worker at
# 100,000 connections (issue #6, target <= 8 KiB), and how many connections the worker held
# within its configured --max-conns.
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
# conn_mem_bytes (its own accounting of slots, quic_conn_mem_bytes() and stream buffers; TLS
# and AEAD state are not in it) from its --stats lines. The figure is the marginal one, the
# RSS growth from the end of the first run to the end of the last divided by the connections
# added in between: what one more established idle connection costs, with the fixed costs
# (mbuf pools, tables, the first slabs) left out. Everything the process allocates counts.
#
# Exit status: 0 measured, 1 a run failed or fewer connections were held than asked, 2 a bad
# option, 77 a prerequisite is missing (root, iproute2, python3, network namespaces).
set -u

usage()
{
	cat <<'EOF'
usage: bench/conn_memory.sh [--conns N] [--json FILE] [--build DIR]

Holds N established idle connections on one hayabusa worker (runs of hayabusa-bench handshake
--hold over net_memif) and reports the server's memory per connection.

  --conns N      connections to hold, 1000..1000000 [100000]
  --json FILE    also write the figures as JSON
  --build DIR    the meson build directory with the binaries [build]
  --help         this text
EOF
}

top=$(cd "$(dirname "$0")/.." && pwd)
total=100000 json='' build="$top/build"
while [ $# -gt 0 ]; do
	case $1 in
	--conns | --json | --build)
		[ $# -ge 2 ] || { echo "conn_memory.sh: $1 needs a value" >&2; exit 2; }
		case $1 in --conns) total=$2 ;; --json) json=$2 ;; --build) build=$2 ;; esac
		shift ;;
	--help | -h) usage; exit 0 ;;
	*) echo "conn_memory.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ "$total" =~ ^[0-9]+$ ]] && [ "$total" -ge 1000 ] && [ "$total" -le 1000000 ] ||
	{ echo "conn_memory.sh: --conns $total: want 1000..1000000" >&2; exit 2; }

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

per_run=16384 # the most one hayabusa-bench process keeps (GEN_MAX_CONNS)
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
scpu=0
[ "$(nproc)" -ge 2 ] && scpu=1
SRV_IP=198.18.0.1 CLI_IP=198.18.0.2 PORT=4433

it_bench_eal "hbs_$ns" "net_memif0,role=server,socket=$tmp/m.sock,mac=02:48:42:00:00:01" "$scpu"
ip netns exec "$ns" "$server" "${it_eal[@]}" -- --listen "$SRV_IP/24:$PORT" --root "$tmp/www" \
	--cert "$tmp/cert.pem" --key "$tmp/key.pem" --retry never --poll busy \
	--max-conns $((total + per_run)) --idle-timeout 600000 --stats 1 >"$tmp/server.log" 2>&1 &
srv_pid=$!
it_srv_pid=$srv_pid
it_wait_serving

# gauge NAME: the server's counter NAME from its latest complete --stats block.
gauge()
{
	awk -v n="$1" '/^--- stats: quic/ { q = 1; next } /^--- stats:/ { q = 0 }
		q && $1 == n { v = $2 } END { print v + 0 }' "$tmp/server.log"
}
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$srv_pid/status"; }

# settle: waits (bounded, 10 s) until two --stats blocks a second apart agree on conns_active.
settle()
{
	local a b
	a=$(gauge conns_active)
	for _ in $(seq 10); do
		sleep 1.2
		b=$(gauge conns_active)
		[ "$a" = "$b" ] && return
		a=$b
	done
}

say "server: one worker on CPU $scpu, --max-conns $((total + per_run)), idle timeout 600 s, RSS $(rss_kib) KiB before any connection"
rows=()
held=0 run=0 fail=0 first_n= first_rss= t0=$(date +%s)
max_runs=$(((total + per_run - 1) / per_run + 2))
while [ "$held" -lt "$total" ]; do
	run=$((run + 1))
	if [ "$run" -gt "$max_runs" ]; then
		echo "FAIL: $max_runs runs and the server holds $held connections: it does not keep them"
		fail=1
		break
	fi
	n=$((total - held))
	[ "$n" -le "$per_run" ] || n=$per_run
	it_bench_eal "hbc_${ns}_$run" "net_memif0,role=client,socket=$tmp/m.sock,mac=02:48:42:00:00:02" 0
	rc=0
	ip netns exec "$ns" timeout --kill-after=5 240 "$bench" "${it_eal[@]}" -- handshake --hold --rate 1000 \
		--conns "$n" --duration 180 --seed "$run" --server "$SRV_IP:$PORT" --local "$CLI_IP/24" \
		--start-delay 0.5 --poll busy --quiet --json "$tmp/run$run.json" \
		>"$tmp/run$run.log" 2>&1 || rc=$?
	hs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["handshakes"])' \
		"$tmp/run$run.json" 2>/dev/null || echo 0)
	settle
	held=$(gauge conns_active)
	rss=$(rss_kib)
	mem=$(gauge conn_mem_bytes)
	rows+=("$run $n $hs $held $rss $mem")
	printf '   run %d: %d asked, %d handshakes (exit %d); server holds %d, RSS %d KiB, conn_mem_bytes %d (%ds)\n' \
		"$run" "$n" "$hs" "$rc" "$held" "$rss" "$mem" $(($(date +%s) - t0))
	# 3: some handshakes failed (counted; the next run makes up for them); else broken.
	if { [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; } || [ "$hs" -eq 0 ]; then
		tail -n 15 "$tmp/run$run.log"
		echo "FAIL: run $run: exit status $rc, $hs of $n handshakes"
		fail=1
		break
	fi
	if [ -z "$first_n" ]; then first_n=$held first_rss=$rss; fi
done
refused=$(gauge refused_full)

python3 - "$json" "$total" "$((total + per_run))" "$refused" "${rows[@]}" <<'PY'
import json, sys
out, total, max_conns, refused = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [dict(zip(("run", "asked", "handshakes", "held", "rss_kib", "conn_mem_bytes"),
                 map(int, r.split()))) for r in sys.argv[5:]]
first, last = rows[0], rows[-1]
added = last["held"] - first["held"]
per_rss = (last["rss_kib"] - first["rss_kib"]) * 1024 / added if added > 0 else None
per_acc = last["conn_mem_bytes"] / last["held"] if last["held"] else None
res = {"conns_asked": total, "conns_held": last["held"], "max_conns": max_conns,
       "refused_full": refused, "rss_kib_end": last["rss_kib"],
       "mem_per_idle_conn_bytes": per_rss, "accounted_per_conn_bytes": per_acc,
       "from_conns": first["held"], "runs": rows}
if per_rss is None:
    print("memory per established idle connection: not measured (one run only)")
else:
    print("memory per established idle connection, %d -> %d connections: %.0f bytes (RSS), limit "
          "8192 bytes: %s; the server's own accounting (slot, quic/, streams): %.0f bytes"
          % (first["held"], last["held"], per_rss, "met" if per_rss <= 8192 else "MISSED",
             per_acc))
print("connections held by one worker: %d of %d asked, --max-conns %d, refused_full %d, RSS %.1f MiB"
      % (last["held"], total, max_conns, refused, last["rss_kib"] / 1024))
if out:
    json.dump(res, open(out, "w"), indent=1)
PY
[ "$held" -ge "$total" ] || { echo "FAIL: the server holds $held connections, $total asked"; fail=1; }
exit "$fail"
