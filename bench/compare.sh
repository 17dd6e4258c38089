#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/compare.sh: Hayabusa side by side with ngtcp2's gtlsserver (issue #6, figures of #7),
# every figure measured in one invocation together with its floors:
#   - hayabusa, one busy worker core, joined to hayabusa-bench by net_memif (shared memory, no
#     kernel): two DPDK processes, distinct --file-prefix, busy lcores on different CPUs;
#   - gtlsserver (ngtcp2 + GnuTLS, kernel UDP) pinned to the same CPU, reached by the bench over
#     net_tap into a network namespace this script creates (198.18.0.0/15 only);
#   - floors: hayabusa-crypto-bench (crypto) and hayabusa-bench link-floor (net_memif, no QUIC).
# Writes OUT/REPORT.md, OUT/*.png (gnuplot) and, with --json FILE, the figures as JSON.
# Every run is bounded (timeout); a trap stops every process and removes the namespace, also
# on Ctrl-C. Exit status: 0 every figure measured, 1 a run failed or a figure is missing,
# 2 bad option, 77 a prerequisite is missing (root, /dev/net/tun, iproute2, gtlsserver).
set -u

usage()
{
	cat <<'EOF'
usage: bench/compare.sh [--quick] [--duration SEC] [--rounds N] [--out DIR] [--json FILE]
                        [--build DIR]

Runs the same hayabusa-bench modes against hayabusa (net_memif, one worker core) and against
ngtcp2's gtlsserver (kernel UDP over net_tap, one core), plus the crypto and link floors, and
writes a report with every figure as a ratio to its floor and to gtlsserver.

  --quick          one point per sweep, 0.5 s runs, crypto --quick (~45 s; rough figures)
  --duration SEC   seconds of load per run, 0.5..60 [3; --quick 0.5]
  --rounds N       measure the headline figures, their floors and gtlsserver's N times,
                   alternating, and report the median of each round's ratios, 1..9
                   [3; --quick 1]
  --out DIR        where REPORT.md and the plots go [bench/report]
  --json FILE      also write the figures as JSON (keys hayabusa, ngtcp2, limits, ...)
  --build DIR      the meson build directory with the binaries [build]
  --help           this text

Needs root, /dev/net/tun, iproute2, python3 and gtlsserver (Debian ngtcp2-server); plots need
gnuplot (Debian gnuplot-nox, installed on demand when apt-get can; else skipped with a line).
EOF
}

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0 dur='' rounds='' out="$top/bench/report" json='' build="$top/build"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--duration | --rounds | --out | --json | --build)
		[ $# -ge 2 ] || { echo "compare.sh: $1 needs a value" >&2; exit 2; }
		case $1 in
		--duration) dur=$2 ;; --rounds) rounds=$2 ;; --out) out=$2 ;; --json) json=$2 ;;
		--build) build=$2 ;;
		esac
		shift ;;
	--help | -h) usage; exit 0 ;;
	*) echo "compare.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$dur" ] || { [ "$quick" -eq 1 ] && dur=0.5 || dur=3; }
awk -v d="$dur" 'BEGIN { exit !(d ~ /^[0-9]+(\.[0-9]+)?$/ && d >= 0.5 && d <= 60) }' ||
	{ echo "compare.sh: --duration $dur: want 0.5..60" >&2; exit 2; }
[ -n "$rounds" ] || { [ "$quick" -eq 1 ] && rounds=1 || rounds=3; }
case $rounds in
[1-9]) ;;
*) echo "compare.sh: --rounds $rounds: want 1..9" >&2; exit 2 ;;
esac

skip() { echo "SKIP: $*"; exit 77; }
say() { printf '== %s\n' "$*"; }
bench=${HB_BENCH:-$build/bench/hayabusa-bench}
server=${HB_SERVER:-$build/dataplane/server/hayabusa}
cbench=${HB_CRYPTO_BENCH:-$build/bench/hayabusa-crypto-bench}
for b in "$bench" "$server" "$cbench"; do
	[ -x "$b" ] || { echo "compare.sh: no binary $b (build first, or --build DIR)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, tap device)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing"
command -v ip >/dev/null || skip "iproute2 missing"
command -v python3 >/dev/null || skip "python3 missing"
command -v gtlsserver >/dev/null || skip "gtlsserver missing (Debian ngtcp2-server)"
command -v openssl >/dev/null || skip "openssl missing"

ns="hb-cmp-$$"
tmp=$(mktemp -d /tmp/hb-cmp.XXXXXX)
pids=()
cleanup()
{
	local p
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	if [ -n "${HB_KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns" 2>/dev/null || skip "cannot create network namespaces here"
ip -n "$ns" link set lo up
mkdir -p "$tmp/www" "$out"

SRV_IP=198.18.0.1 CLI_IP=198.18.0.2 SRV_IP2=198.18.1.1 CLI_IP2=198.18.1.2 PORT=4433
scpu=0 ccpu=0
[ "$(nproc)" -ge 2 ] && scpu=1
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M')
fail=0
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }

# The web root both servers serve: the bulk file and the small rr response.
bulk_file=1m.bin bulk_size=1048576 rr_file=r64.bin
head -c "$bulk_size" /dev/urandom >"$tmp/www/$bulk_file"
head -c 64 /dev/urandom >"$tmp/www/$rr_file"
echo ok >"$tmp/www/index.html"

# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib.sh
. "$top/tests/integration/lib.sh" # it_bench_eal, it_cert, it_wait_link; nothing runs
it_ns=$ns it_tmp=$tmp # lib.sh's namespace and directory
it_cert

# eal PREFIX LCORE VDEV...: EAL options of one DPDK process (lib.sh's, more vdevs), as eal[].
eal()
{
	local prefix=$1 cpu=$2 v
	shift 2
	it_bench_eal "$prefix" "$1" "$cpu"
	shift
	for v in "$@"; do it_eal+=(--vdev="$v"); done
	eal=("${it_eal[@]}")
}

# stop_pid PID: SIGTERM, bounded wait (a sanitized build checks for leaks at exit), SIGKILL.
# @return the process's exit status
stop_pid()
{
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ---- hayabusa over net_memif ----
srv_pid=
# hay_start RETRY [server args]: hayabusa on CPU $scpu, busy poll, two memif ports (the second
# for the legitimate clients of the flood run), file prefix unique to this run.
hay_start()
{
	local retry=$1
	shift
	eal "hbs_$ns" "$scpu" "net_memif0,role=server,socket=$tmp/m0.sock,mac=02:48:42:00:00:01" \
		"net_memif1,role=server,socket=$tmp/m1.sock,mac=02:48:42:00:01:01"
	ip netns exec "$ns" "$server" "${eal[@]}" -- --port "0,ip=$SRV_IP/24" \
		--port "1,ip=$SRV_IP2/24" --udp-port "$PORT" --root "$tmp/www" \
		--cert "$tmp/cert.pem" --key "$tmp/key.pem" --alpn h3,hq-interop,perf \
		--retry "$retry" --poll busy --max-conns 16384 "$@" >"$tmp/server.log" 2>&1 &
	srv_pid=$!
	pids+=("$srv_pid")
	it_srv_pid=$srv_pid
	it_wait_serving
}

# hay_stop NAME: stops hayabusa; its log (final counters) becomes $tmp/server-NAME.log.
hay_stop()
{
	local rc=0
	stop_pid "$srv_pid" || rc=$?
	mv "$tmp/server.log" "$tmp/server-$1.log"
	if [ "$rc" -ne 0 ]; then
		grep -A30 -E '^(==[0-9]+==|.*runtime error:)' "$tmp/server-$1.log" | head -n 60
		bad "hayabusa ($1) exit status $rc"
	fi
}

# bench_once NAME VDEV CPU POLL [bench args]: one bounded hayabusa-bench run. @return its status
bench_once()
{
	local name=$1 vdev=$2 cpu=$3 poll=$4
	shift 4
	eal "hbc_${ns}_$name" "$cpu" "$vdev"
	ip netns exec "$ns" timeout --kill-after=5 $((${dur%.*} + 60)) "$bench" "${eal[@]}" -- \
		"$@" --poll "$poll" --quiet --json "$tmp/$name.json" >"$tmp/$name.log" 2>&1
}

# run NAME VDEV CPU POLL [bench args]: one bounded hayabusa-bench run; $tmp/NAME.json. A memif
# link that never came up (nothing sent; seen on this loaded machine) is given one more try.
run()
{
	local name=$1 rc=0
	say "$name: hayabusa-bench ${*:5}"
	bench_once "$@" || rc=$?
	if grep -q 'did not finish in time (port link down' "$tmp/$name.log" &&
		grep -qE '^pkts_tx +0$' "$tmp/$name.log"; then
		say "$name: the link did not come up; once more"
		rc=0
		bench_once "$@" || rc=$?
	fi
	grep -E '^(handshakes|goodput|retries|latency|generator cpu|failures_total|--- failures)' \
		"$tmp/$name.log" | sed 's/^/   /'
	# 3: the run counted failures (reported in the figures); anything else is broken.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		tail -n 20 "$tmp/$name.log"
		bad "$name: hayabusa-bench exit status $rc"
	fi
	[ -s "$tmp/$name.json" ] || bad "$name: no JSON"
}

m0="net_memif0,role=client,socket=$tmp/m0.sock,mac=02:48:42:00:00:02"
m1="net_memif0,role=client,socket=$tmp/m1.sock,mac=02:48:42:00:01:02"
hay=(--server "$SRV_IP:$PORT" --local "$CLI_IP/24" --start-delay 0.5)

if [ "$quick" -eq 1 ]; then
	hs_conns=(8) bulk_conns=(1) rr_rates=(2000) idle_conns=64 idle_dur=3
else
	hs_conns=(1 8 64) bulk_conns=(1 4 16) rr_rates=(1000 5000 20000 50000)
	idle_conns=${HB_IDLE_CONNS:-2000} idle_dur=${HB_IDLE_SECONDS:-20}
fi
d=(--duration "$dur")
tok_pool=1024 tok_conns=16
rr_opts=(--alpn h3 --path "/$rr_file" --conns 4 --streams 16 --warmup 0.5 --client-crypto light "${d[@]}")
# light: the generator's client handshake must cost less than the server's (README, bench).
hs_opts=(--warmup 0.5 --client-crypto light "${d[@]}")
# bulk: each connection fetches the file again and again for the duration, as hs and rr run.
# (The "stall after about 7 MiB" against gtlsserver of REPORT.md was the bench's control clock
# racing ahead on net_tap's SIGIOs, fixed; the 6 x 1 MiB per connection that avoided it is gone.)
bulk_opts=(--alpn h3 --path "/$bulk_file" --streams 1 --client-crypto light "${d[@]}")

say "crypto floors: hayabusa-crypto-bench"
cq=()
[ "$quick" -eq 1 ] && cq=(--quick)
timeout 120 "$cbench" "${cq[@]}" --json "$tmp/crypto.json" >"$tmp/crypto.log" 2>&1 ||
	bad "hayabusa-crypto-bench failed"
tail -n 1 "$tmp/crypto.log" | sed 's/^/   /'

say "hayabusa (net_memif, busy worker on CPU $scpu; bench on CPU $ccpu), --retry never"
hay_start never
for n in "${hs_conns[@]}"; do run "hay-hs-$n" "$m0" "$ccpu" busy handshake --conns "$n" "${hs_opts[@]}" "${hay[@]}"; done
for n in "${bulk_conns[@]}"; do run "hay-bulk-$n" "$m0" "$ccpu" busy bulk --conns "$n" "${bulk_opts[@]}" "${hay[@]}"; done
for r in "${rr_rates[@]}"; do run "hay-rr-$r" "$m0" "$ccpu" busy rr --rate "$r" "${rr_opts[@]}" "${hay[@]}"; done
# Link floors: raw datagrams of the sizes used (Initials and full packets) over the same port
# and cores; the bulk size is what the bulk run's server packets carried on average.
psize=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(min(1500, max(64, round(t["bytes_rx"]/max(1,t["pkts_rx"])))))' "$tmp/hay-bulk-${bulk_conns[0]}.json" 2>/dev/null || echo 1452)
# To a UDP port the server does not serve: its dataplane receives, checks and drops each
# datagram (drop_udp_port) before any QUIC work, so the floor is the link's, not a QUIC path's.
hay_floor=(--server "$SRV_IP:$((PORT + 1))" --local "$CLI_IP/24" --start-delay 0.5)
run hay-floor-1200 "$m0" "$ccpu" busy link-floor --size 1200 "${d[@]}" "${hay_floor[@]}"
run hay-floor-bulk "$m0" "$ccpu" busy link-floor --size "$psize" "${d[@]}" "${hay_floor[@]}"
hay_stop never

say "hayabusa, --retry always: retry-flood alone, then with legitimate handshakes beside it"
hay_start always --echo-port "$((PORT + 2))"
run hay-flood "$m0" "$ccpu" busy retry-flood --rate 0 --src-port 1024-65535 "${d[@]}" "${hay[@]}"
# The Retry floor (issue #7: 1200-byte Initials in and Retries out): link-floor datagrams of
# 1200 bytes to the server's --echo-port, which its dataplane answers (no QUIC) with as many
# bytes as the flood's Retries carried on average; the floor is the answers that came back.
rsize=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(min(1200, max(16, round(t["bytes_rx"]/max(1,t["pkts_rx"])))))' "$tmp/hay-flood.json" 2>/dev/null || echo 130)
run hay-floor-echo "$m0" "$ccpu" busy link-floor --size 1200 --reply-size "$rsize" "${d[@]}" \
	--server "$SRV_IP:$((PORT + 2))" --local "$CLI_IP/24" --start-delay 0.5
# Legitimate clients on the second port (own address), adaptive polling: they share CPU $ccpu
# with the flooding generator (a 2-core machine has no third), which their latency includes.
# They start first; once their handshakes complete (link up: a memif link may not come up
# while the flood holds the CPU) the flood starts. Their warm-up covers the flood's start-up,
# so they are measured while it runs (the flood lasts 2 s longer to cover them).
eal "hbc_${ns}_legit" "$ccpu" "$m1"
ip netns exec "$ns" timeout --kill-after=5 $((${dur%.*} + 60)) "$bench" "${eal[@]}" -- \
	handshake --conns 32 --rate 200 --server "$SRV_IP2:$PORT" --local "$CLI_IP2/24" \
	--start-delay 0.5 --warmup 3 --duration "$dur" --poll adaptive \
	--json "$tmp/hay-legit.json" >"$tmp/hay-legit.log" 2>&1 &
legit=$!
pids+=("$legit")
for _ in $(seq 100); do
	grep -q ' hs [1-9]' "$tmp/hay-legit.log" && break
	kill -0 "$legit" 2>/dev/null || break
	sleep 0.1
done
grep -q ' hs [1-9]' "$tmp/hay-legit.log" || bad "hay-legit: no handshake before the flood"
run hay-flood-legit "$m0" "$ccpu" busy retry-flood --rate 0 --src-port 1024-65535 \
	--duration "$(awk -v d="$dur" 'BEGIN { print d + 2 }')" "${hay[@]}"
wait "$legit"
[ -s "$tmp/hay-legit.json" ] || bad "hay-legit: no JSON"
grep -E '^(handshakes|latency|--- failures)' "$tmp/hay-legit.log" | sed 's/^/   legit /'
hay_stop always

# Valid tokens validated/s (issue #7): the bench seals Retry tokens for spoofed sources with
# the key file the server uses (a fleet's shared --token-keys), a pool of $tok_pool Initials sent
# round; the server validates each token (tokens_valid), makes connections up to --max-conns
# $tok_conns and refuses the rest after validation (refused_full). The figure counts validation
# up to the point of connection creation: the later Initials of a pool entry whose connection
# lives go to that connection instead (a duplicate Initial, no token validated), so the pool is
# kept large against --max-conns ($tok_conns of $tok_pool entries, under 2 % of the flood).
# Memory per established idle connection (issue #6): $idle_conns connections held by rr at 1
# request/s in all, while the server's --stats 1 lines give conn_mem_bytes and conns_active.
say "hayabusa, --retry always, --token-keys: token-flood; then idle connections (memory)"
"$server" keygen "$tmp/token.keys" >/dev/null && chmod 600 "$tmp/token.keys" ||
	bad "hayabusa keygen"
hay_start always --token-keys "$tmp/token.keys" --max-conns "$tok_conns"
run hay-tokens "$m0" "$ccpu" busy token-flood --token-keys "$tmp/token.keys" --rate 0 \
	--token-pool "$tok_pool" --src-port 1024-65535 "${d[@]}" "${hay[@]}"
hay_stop tokens
hay_start never --stats 1
run hay-idle "$m0" "$ccpu" busy rr --conns "$idle_conns" --rate 1 --alpn h3 --path "/$rr_file" \
	--duration "$idle_dur" "${hay[@]}"
hay_stop idle
# Full runs: memory per connection at 100,000 idle connections, from the server's RSS
# (bench/conn_memory.sh, its own namespace and processes; a few minutes).
if [ "$quick" -eq 0 ]; then
	say "hayabusa: ${HB_MEM_CONNS:-100000} idle connections held (bench/conn_memory.sh)"
	HB_BENCH=$bench HB_SERVER=$server "$top/bench/conn_memory.sh" \
		--conns "${HB_MEM_CONNS:-100000}" --json "$tmp/conn_memory.json" 2>&1 |
		grep -E '^(==|   run|memory|connections|FAIL)' | sed 's/^/   /' ||
		bad "bench/conn_memory.sh"
	[ -s "$tmp/conn_memory.json" ] || bad "bench/conn_memory.sh: no JSON"
	# Issue #6's second figure: connections one worker holds within its --worker-memory.
	say "hayabusa: idle connections within --worker-memory ${HB_MEM_BUDGET:-256M} (bench/conn_memory.sh)"
	HB_BENCH=$bench HB_SERVER=$server "$top/bench/conn_memory.sh" \
		--worker-memory "${HB_MEM_BUDGET:-256M}" --json "$tmp/conn_budget.json" 2>&1 |
		grep -E '^(==|   run|largest|FAIL)' | sed 's/^/   /' ||
		bad "bench/conn_memory.sh --worker-memory"
	[ -s "$tmp/conn_budget.json" ] || bad "bench/conn_memory.sh --worker-memory: no JSON"
fi

# ---- gtlsserver over net_tap ----
tap="hbcmp$$"
tap=${tap:0:15}
gpid=
gtls_start()
{
	ip netns exec "$ns" timeout --kill-after=5 600 taskset -c "$scpu" gtlsserver -q \
		-d "$tmp/www" "$@" '*' "$PORT" "$tmp/key.pem" "$tmp/cert.pem" \
		>"$tmp/gtls$*.log" 2>&1 &
	gpid=$!
	pids+=("$gpid")
	sleep 0.3
	kill -0 "$gpid" 2>/dev/null || { cat "$tmp/gtls$*.log"; echo "FAIL: gtlsserver"; exit 1; }
}

# grun NAME [bench args]: run() over net_tap, the kernel side configured alongside.
grun()
{
	it_wait_link "$tap" &
	local t=$!
	run "$@"
	wait "$t"
}

tv="net_tap0,iface=$tap"
gt=(--server "$SRV_IP:$PORT" --local "$CLI_IP/24" --start-delay 1)
# The bench polls adaptively here: the kernel's side of the tap needs CPU $ccpu too.
say "gtlsserver (kernel UDP, pinned to CPU $scpu), bench on net_tap (CPU $ccpu, adaptive poll)"
gtls_start
for n in "${hs_conns[@]}"; do grun "ng-hs-$n" "$tv" "$ccpu" adaptive handshake --conns "$n" "${hs_opts[@]}" "${gt[@]}"; done
for n in "${bulk_conns[@]}"; do grun "ng-bulk-$n" "$tv" "$ccpu" adaptive bulk --conns "$n" "${bulk_opts[@]}" "${gt[@]}"; done
for r in "${rr_rates[@]}"; do grun "ng-rr-$r" "$tv" "$ccpu" adaptive rr --rate "$r" "${rr_opts[@]}" "${gt[@]}"; done
stop_pid "$gpid"
gtls_start -V
grun ng-flood "$tv" "$ccpu" adaptive retry-flood --rate 0 --src-port 1024-65535 "${d[@]}" "${gt[@]}"
stop_pid "$gpid"

# ---- rounds 2..N: the headline figures again ----
# The speed of this shared machine drifts by up to 2x within minutes (REPORT.md history), so
# one measurement of each figure minutes away from its floor and from gtlsserver's can flip a
# verdict. Each further round measures the headline figures again with their floors and
# gtlsserver's, back to back; compare.py reports the median of the rounds' ratios and every
# round beside it. Round 1 is everything above (sweeps, rr, memory and the flood's legitimate
# handshakes are measured there only).
# best PREFIX: the hs point with the most handshakes/s in round 1 (each side its own).
best()
{
	python3 "$top/bench/report/compare.py" --tmp "$tmp" --hs "${hs_conns[*]}" --best "$1"
}
for ((r = 2; r <= rounds; r++)); do
	s=".r$r" hb=$(best hay) nb=$(best ng)
	say "round $r of $rounds: headline figures, floors and gtlsserver's again"
	timeout 120 "$cbench" --runs 3 --json "$tmp/crypto$s.json" >"$tmp/crypto$s.log" 2>&1 ||
		bad "hayabusa-crypto-bench (round $r) failed"
	hay_start never
	run "hay-hs-$hb$s" "$m0" "$ccpu" busy handshake --conns "$hb" "${hs_opts[@]}" "${hay[@]}"
	run "hay-bulk-${bulk_conns[0]}$s" "$m0" "$ccpu" busy bulk --conns "${bulk_conns[0]}" \
		"${bulk_opts[@]}" "${hay[@]}"
	run "hay-floor-1200$s" "$m0" "$ccpu" busy link-floor --size 1200 "${d[@]}" "${hay_floor[@]}"
	run "hay-floor-bulk$s" "$m0" "$ccpu" busy link-floor --size "$psize" "${d[@]}" \
		"${hay_floor[@]}"
	hay_stop "never$s"
	hay_start always --echo-port "$((PORT + 2))"
	run "hay-flood$s" "$m0" "$ccpu" busy retry-flood --rate 0 --src-port 1024-65535 "${d[@]}" \
		"${hay[@]}"
	run "hay-floor-echo$s" "$m0" "$ccpu" busy link-floor --size 1200 --reply-size "$rsize" \
		"${d[@]}" --server "$SRV_IP:$((PORT + 2))" --local "$CLI_IP/24" --start-delay 0.5
	hay_stop "always$s"
	hay_start always --token-keys "$tmp/token.keys" --max-conns "$tok_conns"
	run "hay-tokens$s" "$m0" "$ccpu" busy token-flood --token-keys "$tmp/token.keys" --rate 0 \
		--token-pool "$tok_pool" --src-port 1024-65535 "${d[@]}" "${hay[@]}"
	hay_stop "tokens$s"
	gtls_start
	grun "ng-hs-$nb$s" "$tv" "$ccpu" adaptive handshake --conns "$nb" "${hs_opts[@]}" "${gt[@]}"
	grun "ng-bulk-${bulk_conns[0]}$s" "$tv" "$ccpu" adaptive bulk --conns "${bulk_conns[0]}" \
		"${bulk_opts[@]}" "${gt[@]}"
	stop_pid "$gpid"
done

# ---- figures, report, plots ----
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
gp=
if command -v gnuplot >/dev/null; then
	gp=gnuplot
elif command -v apt-get >/dev/null && { apt-get install -y -qq --no-install-recommends \
	gnuplot-nox >"$tmp/apt.log" 2>&1 || { apt-get update -qq && apt-get install -y -qq \
	--no-install-recommends gnuplot-nox; } >>"$tmp/apt.log" 2>&1; }; then
	gp=gnuplot
fi
python3 "$top/bench/report/compare.py" --tmp "$tmp" --out "$out" --json "${json:-}" \
	--quick "$quick" --duration "$dur" --rounds "$rounds" --load "$load_start" \
	--load-end "$load_end" \
	--started "$started" \
	--hs "${hs_conns[*]}" --bulk "${bulk_conns[*]}" --rr "${rr_rates[*]}" \
	--bulk-file-size "$bulk_size" --packet-size "$psize" --gnuplot "$gp" \
	--max-conns 16384 --idle-conns "$idle_conns" --token-pool "$tok_pool" \
	--token-conns "$tok_conns" || bad "report"
[ -n "$gp" ] || echo "plots skipped: gnuplot (Debian gnuplot-nox) missing and not installable"
say "report: $out/REPORT.md${json:+, JSON: $json}"
exit "$fail"
