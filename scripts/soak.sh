#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak test (issue 8): hayabusa under a rotating mix of hayabusa-bench loads for a given time,
# with loss on the bench's own path, then four checks:
#   1. every download verified: bulk over perf (pattern-verified by the bench) and h3 (status
#      200, content-length), and get mode's files compared by SHA-256; no fail_verify or
#      fail_status in any run, and every run made progress;
#   2. server memory flat after warm-up: the highest VmHWM of the server (/proc/PID/status, one
#      reading per sample) over the whole run, against the highest over the first third:
#      growth <= --mem-margin KiB, plus what the server's live connections held at their peak
#      (its conn_mem_bytes) beyond their peak in the first third;
#   3. counters consistent: every handshake started is completed, refused or timed out. At each
#      sample the handshakes in flight (conns_accepted - handshakes - hs_failed) lie between 0
#      and conns_active, give or take 8 (the stats thread reads counters one by one while the
#      worker runs); at the end, once the server holds no connection (bounded by its idle timeout),
#      conns_accepted == handshakes + hs_failed exactly (refused_full and accept_fail count the
#      Initials refused before any connection existed; they are reported);
#   4. the server answers a fresh client at the end (get, no loss, SHA-256 checked).
#
# Arrangement: hayabusa and each bench run as separate DPDK processes joined by net_memif (shared
# memory) in a network namespace of their own, as in tests/integration/test_bench_smoke.sh. The
# server's busy lcore is on CPU 1, the bench's on CPU 0 (one CPU: both on 0). The server has one
# port and memif joins one client at a time, and on a 2-CPU machine a second busy-polling bench
# could only share CPU 0 with the first, so the benches run in sequence: handshake, bulk (perf),
# bulk (h3), rr, retry-flood, get, again until the time is up; each runs one mode for a few
# seconds (--step). The server runs --retry always, so every connection also goes through the
# token validator (RFC 9000 §8.1.2). Every wait and every bench run is bounded.
#
# Exit status: 0 every check passed, 1 a check failed, 2 a bad option, 77 a prerequisite is
# missing (root, iproute2, python3, network namespaces, the binaries).
set -u

usage()
{
	cat <<'EOF'
usage: scripts/soak.sh [options]
  --duration SEC     load time [1800]
  --loss PCT         loss on the bench's path, each way [5]
  --out DIR          keep logs, JSON and samples in DIR [a temporary directory, removed]
  --step SEC         seconds each bench run loads [duration/30, within 6..20]
  --sample SEC       seconds between samples and progress lines [5]
  --mem-margin KIB   allowed VmHWM growth after the warm-up third [4096]
  --server BIN       hayabusa [build/dataplane/server/hayabusa]
  --bench BIN        hayabusa-bench [build/bench/hayabusa-bench]
EOF
}

top=$(cd "$(dirname "$0")/.." && pwd)
duration=1800
loss=5
out=
step=
sample=5
mem_margin=4096
server=$top/build/dataplane/server/hayabusa
bench_bin=$top/build/bench/hayabusa-bench
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=${2:-} ;;
	--loss) loss=${2:-} ;;
	--out) out=${2:-} ;;
	--step) step=${2:-} ;;
	--sample) sample=${2:-} ;;
	--mem-margin) mem_margin=${2:-} ;;
	--server) server=${2:-} ;;
	--bench) bench_bin=${2:-} ;;
	-h | --help) usage; exit 0 ;;
	*) echo "soak: unknown option $1" >&2; exit 2 ;;
	esac
	[ $# -ge 2 ] || { echo "soak: $1 needs a value" >&2; exit 2; }
	shift 2
done
for v in "$duration" "$sample" "$mem_margin" ${step:+"$step"}; do
	if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -eq 0 ]; then echo "soak: not a positive integer: $v" >&2; exit 2; fi
done
[[ $loss =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "soak: --loss: not a percentage: $loss" >&2; exit 2; }
[ -n "$step" ] || step=$(( duration / 30 < 6 ? 6 : (duration / 30 > 20 ? 20 : duration / 30) ))

# shellcheck source=tests/integration/lib.sh
. "$top/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespace)"
for t in ip python3 sha256sum; do
	command -v "$t" >/dev/null || it_skip "$t missing"
done
for b in "$server" "$bench_bin"; do
	[ -x "$b" ] || it_skip "no binary at $b"
done
it_ns="hb-soak-$$"
ip netns add "$it_ns" 2>/dev/null || it_skip "cannot create network namespaces here"
ip -n "$it_ns" link set lo up
it_tmp=$(mktemp -d /tmp/hb-soak.XXXXXX)
mkdir -p "$it_tmp/www" "$it_tmp/dl"
keep=
if [ -n "$out" ]; then
	mkdir -p "$out" || it_die "cannot make $out"
	keep=$(cd "$out" && pwd)
fi
sampler_pid=

# shellcheck disable=SC2317 # run by the EXIT trap
soak_cleanup()
{
	[ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
	[ -z "$keep" ] || cp -r "$it_tmp"/. "$keep"/ 2>/dev/null || true
	[ -z "$keep" ] || rm -rf "$keep/www" "$keep/dl"
	it_cleanup
}
trap soak_cleanup EXIT
trap 'exit 130' INT TERM

it_www
head -c 262144 /dev/urandom >"$it_tmp/www/256k.bin"
sock="$it_tmp/memif.sock"
scpu=0
[ "$(nproc)" -ge 2 ] && scpu=1
srv_mac=02:48:42:00:00:01
cli_mac=02:48:42:00:00:02
idle_ms=10000

# An AddressSanitizer build holds freed memory in a quarantine (256 MB by default) that grows
# the RSS until it is full, and its allocator maps new chunks while the quarantine delays reuse:
# a 16 MB quarantine (use-after-free within the last 16 MB of frees is still caught), and the
# margin widened by as much, keep the memory check meaningful there.
if ldd "$server" 2>/dev/null | grep -q libasan; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
	mem_margin=$((mem_margin + 16384))
	echo "soak: AddressSanitizer build: quarantine 16 MB, memory margin ${mem_margin} KiB"
fi
it_bench_eal "hbs_${it_ns}" "net_memif0,role=server,socket=$sock,mac=$srv_mac" "$scpu"
ip netns exec "$it_ns" "$server" "${it_eal[@]}" -- --listen "$IT_SRV_IP/24:$IT_PORT" \
	--root "$it_tmp/www" --alpn h3,hq-interop,perf --retry always --poll busy \
	--idle-timeout "$idle_ms" --stats 1 >"$it_tmp/server.log" 2>&1 &
it_srv_pid=$!
it_wait_serving

# counters: the last complete block of the server's quic counters (--stats 1), as "name value"
# lines; a block counts once its last counter (hs_failed) is printed.
counters()
{
	awk '/^--- stats: quic/ { q = 1; n = 0; next }
	     /^--- stats:/ { q = 0 }
	     q && NF == 2 { k[++n] = $1; v[n] = $2
		if ($1 == "hs_failed") { for (i = 1; i <= n; i++) last[k[i]] = v[i] } }
	     END { for (x in last) print x, last[x] }' "$it_tmp/server.log"
}

# proc_kib FIELD: VmRSS or VmHWM of the server, in KiB.
proc_kib()
{
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$it_srv_pid/status" 2>/dev/null
}

# sample_loop START: every $sample s, one line of samples.tsv and a progress line.
sample_loop()
{
	local t0=$1 c acc hs hf act clo rs now

	while kill -0 "$it_srv_pid" 2>/dev/null; do
		now=$(( $(date +%s) - t0 ))
		c=$(counters)
		acc=$(awk '$1 == "conns_accepted" { print $2 }' <<<"$c")
		hs=$(awk '$1 == "handshakes" { print $2 }' <<<"$c")
		hf=$(awk '$1 == "hs_failed" { print $2 }' <<<"$c")
		act=$(awk '$1 == "conns_active" { print $2 }' <<<"$c")
		clo=$(awk '$1 == "conns_closed" { print $2 }' <<<"$c")
		rs=$(awk '$1 == "retry_sent" { print $2 }' <<<"$c")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$(proc_kib VmRSS)" \
			"$(proc_kib VmHWM)" "${acc:-}" "${hs:-}" "${hf:-}" "${act:-}" "${clo:-}" \
			"${rs:-}" "$(cat "$it_tmp/step" 2>/dev/null)" >>"$it_tmp/samples.tsv"
		tail -n 1 "$it_tmp/samples.tsv" | awk -F'\t' '{ printf "soak %5ss  %-10s rss %6.1f MiB  hwm %6.1f MiB  accepted %s  handshakes %s  hs_failed %s  active %s  retry_sent %s\n", $1, $10, $2 / 1024, $3 / 1024, $4, $5, $6, $7, $9 }'
		sleep "$sample"
	done
}

# hwm_max: the highest VmHWM seen so far, samples and now. Linux updates the recorded high-water
# mark lazily and reports max(it, VmRSS), so one reading can be lower than an earlier one.
hwm_max()
{
	{ proc_kib VmHWM; cut -f3 "$it_tmp/samples.tsv" 2>/dev/null; } |
		awk '$1 + 0 > m { m = $1 + 0 } END { print m + 0 }'
}

# conn_mem_peak: the largest conn_mem_bytes (the server's accounting of what its connections
# hold: slots, quic_conn_mem_bytes(), stream buffers) in its counters so far, in KiB.
conn_mem_peak()
{
	awk '$1 == "conn_mem_bytes" && $2 + 0 > m { m = $2 + 0 } END { printf "%d\n", m / 1024 }' \
		"$it_tmp/server.log"
}

seq_no=0
# run NAME MODE [options]: one bounded bench run (impaired by --loss unless NAME is "fresh"),
# JSON in $it_tmp/NAME-SEQ.json, one row of runs.tsv; a non-zero exit other than 3 (failures
# counted, judged from the JSON) is a failed check.
run()
{
	local name=$1 rc=0 lossopt=(--loss "$loss")

	shift
	seq_no=$((seq_no + 1))
	[ "$name" != fresh ] || lossopt=()
	echo "$name" >"$it_tmp/step"
	it_bench_eal "hbc_${it_ns}_$seq_no" "net_memif0,role=client,socket=$sock,mac=$cli_mac" 0
	ip netns exec "$it_ns" timeout --kill-after=5 $((step + 60)) "$bench_bin" "${it_eal[@]}" -- \
		"$@" --server "$IT_SRV_IP:$IT_PORT" --local "$IT_CLI_IP/24" --poll busy --quiet \
		"${lossopt[@]}" --seed "$seq_no" --lport $((20000 + (seq_no % 64) * 512)) \
		--start-delay 0.5 --json "$it_tmp/$name-$seq_no.json" \
		>"$it_tmp/$name-$seq_no.log" 2>&1 || rc=$?
	python3 - "$it_tmp/$name-$seq_no.json" "$name" "$seq_no" "$rc" >>"$it_tmp/runs.tsv" <<'PY'
import json, sys
path, name, seq, rc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    j = json.load(open(path))
    t = j["totals"]
    f = j["failures"]
    row = [t["handshakes"], t["streams_done"], t["app_bytes"], t["retries_rx"], t["pkts_tx"],
           j["failures_total"], f["fail_verify"], f["fail_status"], t["impair_loss"]]
except (OSError, ValueError, KeyError):
    row = ["-"] * 9
print("\t".join([name, seq, rc] + [str(x) for x in row]))
PY
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		tail -n 20 "$it_tmp/$name-$seq_no.log"
		it_bad "$name-$seq_no: exit status $rc"
	fi
}

# get_check NAME FILE...: get mode fetches FILEs into dl/SEQ; each must match by SHA-256.
get_check()
{
	local name=$1 dir f

	shift
	dir="$it_tmp/dl/$((seq_no + 1))"
	mkdir -p "$dir"
	run "$name" get --alpn h3 --out "$dir" --duration 30 "${@/#//}"
	for f in "$@"; do
		if [ "$(sha256sum <"$it_tmp/www/$f" | cut -c1-64)" = \
			"$(sha256sum <"$dir/$f" 2>/dev/null | cut -c1-64)" ]; then
			echo ok >>"$it_tmp/files.txt"
		else
			echo "$name-$seq_no $f" >>"$it_tmp/files.txt"
			it_bad "$name-$seq_no: $f missing or not as served (SHA-256)"
		fi
	done
	rm -rf "$dir"
}

t0=$(date +%s)
sample_loop "$t0" &
sampler_pid=$!
it_say "soak: ${duration}s, ${loss}% loss each way, ${step}s per bench run, server CPU $scpu, bench CPU 0"
warm_hwm=
warm_conn=
cycle=0
while [ $(( $(date +%s) - t0 )) -lt "$duration" ]; do
	cycle=$((cycle + 1))
	for s in hs bulk bulkh3 rr flood get; do
		[ $(( $(date +%s) - t0 )) -lt "$duration" ] || break
		case $s in
		hs) run hs handshake --conns 8 --duration "$step" ;;
		bulk) run bulk bulk --alpn perf --conns 2 --streams 2 --size 64k --duration "$step" ;;
		bulkh3) run bulkh3 bulk --alpn h3 --path /256k.bin --conns 1 --streams 2 \
			--duration "$step" ;;
		rr) run rr rr --conns 4 --streams 4 --rate 500 --size 64 --duration "$step" ;;
		flood) run flood retry-flood --rate 5000 --duration "$step" --src-port 30000-39999 ;;
		get) get_check get p0$((cycle % 10)).txt p4$((cycle % 10)).txt 1m.bin ;;
		esac
		if [ -z "$warm_hwm" ] && [ $(( ($(date +%s) - t0) * 3 )) -ge "$duration" ]; then
			warm_hwm=$(hwm_max)
			warm_conn=$(conn_mem_peak)
			it_say "warm-up third over: server VmHWM ${warm_hwm} KiB, connections held at most ${warm_conn} KiB"
		fi
	done
done
load_s=$(( $(date +%s) - t0 ))

# The fresh client, then the wait for every connection to end (closing, draining or idle timeout).
get_check fresh index.html p00.txt 5m.bin
end_hwm=$(hwm_max)
end_conn=$(conn_mem_peak)
echo drain >"$it_tmp/step"
for _ in $(seq $(( (idle_ms / 1000 + 15) * 5 ))); do
	[ "$(counters | awk '$1 == "conns_active" { print $2 }')" = 0 ] && break
	sleep 0.2
done
sleep 1.5
kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=
fin=$(counters)
it_stop >"$it_tmp/server-final.txt"
cnt() { awk -v n="$1" '$1 == n { print $2 }' <<<"$fin"; }

# ---- checks and summary
sum() { awk -F'\t' -v m="$1" -v c="$2" '$1 == m && $(c) != "-" { s += $(c) } END { print s + 0 }' "$it_tmp/runs.tsv"; }
nruns() { awk -F'\t' -v m="$1" '$1 == m' "$it_tmp/runs.tsv" | wc -l; }
verify_fail=$(awk -F'\t' '$10 != "0" || $11 != "0"' "$it_tmp/runs.tsv" | wc -l)
noprog=$(awk -F'\t' '($1 == "hs" && $4 + 0 == 0) || (($1 ~ /^bulk|^rr|^get|^fresh/) && $5 + 0 == 0) ||
	($1 == "flood" && $7 + 0 == 0)' "$it_tmp/runs.tsv" | wc -l)
files_ok=$(grep -c '^ok$' "$it_tmp/files.txt" 2>/dev/null)
files_bad=$(grep -vc '^ok$' "$it_tmp/files.txt" 2>/dev/null)
# The stats thread reads the counters one by one while the worker runs, so a sample may be off by
# a few; the exact equation is checked at the end, when nothing moves.
bad_sample=$(awk -F'\t' '$4 != "" && ($4 - $5 - $6 < -8 || $4 - $5 - $6 > $7 + 8)' "$it_tmp/samples.tsv" | wc -l)
max_inflight=$(awk -F'\t' '$4 != "" && $4 - $5 - $6 > m { m = $4 - $5 - $6 } END { print m + 0 }' "$it_tmp/samples.tsv")
max_active=$(awk -F'\t' '$7 != "" && $7 + 0 > m { m = $7 + 0 } END { print m + 0 }' "$it_tmp/samples.tsv")
acc=$(cnt conns_accepted); hs=$(cnt handshakes); hf=$(cnt hs_failed); act=$(cnt conns_active)

printf '\n%-8s %5s %10s %10s %14s %10s %9s %9s %9s\n' run runs handshakes streams app_bytes retries \
	failures fail_vfy loss_drop
for m in hs bulk bulkh3 rr flood get fresh; do
	printf '%-8s %5s %10s %10s %14s %10s %9s %9s %9s\n' "$m" "$(nruns "$m")" "$(sum "$m" 4)" \
		"$(sum "$m" 5)" "$(sum "$m" 6)" "$(sum "$m" 7)" "$(sum "$m" 9)" \
		"$(( $(sum "$m" 10) + $(sum "$m" 11) ))" "$(sum "$m" 12)"
done
echo
echo "server counters at the end:"
for k in conns_accepted handshakes hs_failed conns_active conns_closed refused_full accept_fail \
	retry_sent validated screen_drop unknown_cid tx_fail; do
	printf '  %-16s %s\n' "$k" "$(cnt "$k")"
done
echo

check()
{
	local name=$1 ok=$2 detail=$3

	printf '%-28s %-6s %s\n' "$name" "$([ "$ok" -eq 1 ] && echo pass || echo FAIL)" "$detail"
	[ "$ok" -eq 1 ] || it_fail=1
}

ok=0
[ "$verify_fail" -eq 0 ] && [ "$noprog" -eq 0 ] && [ "${files_bad:-0}" -eq 0 ] && [ "${files_ok:-0}" -gt 0 ] &&
	ok=1
check "downloads verified" "$ok" "$(($(sum bulk 5) + $(sum bulkh3 5))) bulk streams, ${files_ok:-0} files by SHA-256, $verify_fail runs with fail_verify/fail_status, $noprog runs without progress, ${files_bad:-0} bad files"
# A later run may hold more in live connections (send buffers grow with the window, up to the
# server's limit per stream) than any run of the warm-up did: that higher peak is accounted for
# (conn_mem_bytes), and only growth beyond it and the margin counts.
ok=0
growth=$(( ${end_hwm:-0} - ${warm_hwm:-0} ))
conn_more=$(( ${end_conn:-0} - ${warm_conn:-0} ))
[ "$conn_more" -ge 0 ] || conn_more=0
[ -n "$warm_hwm" ] && [ -n "$end_hwm" ] && [ "$growth" -le $((mem_margin + conn_more)) ] && ok=1
check "memory flat after warm-up" "$ok" "VmHWM ${warm_hwm:-?} KiB at ${duration}/3 s, ${end_hwm:-?} KiB at the end: +${growth} KiB (margin ${mem_margin} + ${conn_more} KiB more held by connections at peak than in the warm-up: ${warm_conn:-?} -> ${end_conn:-?} KiB)"
ok=0
[ -n "$acc" ] && [ -n "$hs" ] && [ -n "$hf" ] && [ "$bad_sample" -eq 0 ] && [ "$act" = 0 ] &&
	[ "$acc" -eq $((hs + hf)) ] && [ "$acc" -gt 0 ] && ok=1
check "counters consistent" "$ok" "accepted ${acc:-?} = handshakes ${hs:-?} + hs_failed ${hf:-?} (refused before accept: $(cnt refused_full) full, $(cnt accept_fail) accept_fail), active ${act:-?} at the end; samples: handshakes in flight <= $max_inflight, conns_active <= $max_active, $bad_sample with in-flight outside 0..conns_active (+-8)"
ok=0
fr=$(awk -F'\t' '$1 == "fresh" { print $3 }' "$it_tmp/runs.tsv")
[ "$fr" = 0 ] && ! grep -q '^fresh' "$it_tmp/files.txt" && ok=1
check "fresh client at the end" "$ok" "get of 3 files without loss: exit ${fr:-?}"
samples=$(wc -l <"$it_tmp/samples.tsv")
echo "load ${load_s}s in $cycle cycles, $seq_no bench runs, $samples samples; logs in ${keep:-$it_tmp (removed)}"
it_finish
