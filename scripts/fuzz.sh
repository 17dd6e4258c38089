#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Long libFuzzer campaigns over the targets of tests/fuzz (issue 8); scripts/test.sh only runs
# each for a bounded time. See --help.
set -euo pipefail

usage()
{
	cat <<'EOF'
Usage: scripts/fuzz.sh [--time SEC] [--jobs N] [--build DIR] [--work DIR] [--merge] [TARGET...]

Builds the libFuzzer targets (clang, ASan+UBSan, -Dfuzzers=true) in DIR (default build-fuzz)
if needed, then runs each TARGET (default: all; names as in tests/fuzz/fuzz_<name>.c, e.g.
conn frame header) for SEC seconds (default 600), N targets at a time (default 1).

Corpora live in the work directory (default fuzz-work/<target>/corpus), seeded from the
committed tests/fuzz/corpus/<target>/, which is never written unless --merge is given: then
the inputs that add coverage are merged into the committed corpus at the end (libFuzzer
-merge=1), ready to review and commit.

Report, one line per target: executions, exec/s, coverage (libFuzzer cov: and ft: of the last
status line), new corpus entries, crashes. A crash (also a leak, timeout or OOM) is minimised
(-minimize_crash=1) and its reproducer path printed; the script then exits 1. Reproduce with
  BUILD/tests/fuzz/fuzz_<target> PATH
and turn the input into a unit test (issue 8). Logs: WORK/<target>/fuzz.log.
EOF
}

top=$(cd "$(dirname "$0")/.." && pwd)
secs=600 jobs=1 build="$top/build-fuzz" work="$top/fuzz-work" merge=0
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--time) secs=${2:?--time SEC}; shift 2 ;;
	--jobs) jobs=${2:?--jobs N}; shift 2 ;;
	--build) build=${2:?--build DIR}; shift 2 ;;
	--work) work=${2:?--work DIR}; shift 2 ;;
	--merge) merge=1; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) targets+=("$1"); shift ;;
	esac
done
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || { echo "fuzz.sh: --time wants seconds" >&2; exit 2; }
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || { echo "fuzz.sh: --jobs wants a count" >&2; exit 2; }

cd "$top"
. scripts/lib.sh

build_fuzzers()
{
	command -v clang >/dev/null || hb_die "clang is needed for the libFuzzer targets"
	CC=clang hb_meson_setup "$build" -Dwerror=true -Dtests=disabled -Dfuzzers=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C "$build" >/dev/null || { ninja -C "$build" -j1; hb_die "fuzz build failed"; }
}

# Count the files of a directory.
count()
{
	find "$1" -maxdepth 1 -type f | wc -l
}

# run_one NAME: one campaign; writes WORK/NAME/result (the report line) and, after a crash,
# WORK/NAME/crash (the minimised reproducer's path).
run_one()
{
	local name=$1 exe="$build/tests/fuzz/fuzz_$1" d="$work/$1" seeds="$top/tests/fuzz/corpus/$1"
	local rc=0 before after execs rate cov ft crash min

	mkdir -p "$d/corpus" "$d/artifacts"
	rm -f "$d/result" "$d/crash"
	touch "$d/.start"
	before=$(count "$d/corpus")
	# The committed seeds are read, never written: libFuzzer adds new inputs to the first dir.
	"$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$d/artifacts/" "$d/corpus" "$seeds" >"$d/fuzz.log" 2>&1 || rc=$?
	after=$(count "$d/corpus")
	execs=$(awk '/^stat::number_of_executed_units/ { print $NF }' "$d/fuzz.log")
	rate=$(awk '/^stat::average_exec_per_sec/ { print $NF }' "$d/fuzz.log")
	cov=$(grep -o 'cov: [0-9]*' "$d/fuzz.log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$d/fuzz.log" | tail -n 1 | cut -d' ' -f2)
	crash=$(find "$d/artifacts" -maxdepth 1 -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
		-newer "$d/.start" -print -quit 2>/dev/null || true)
	# A failure that left no artifact (the target could not start) is reported as such.
	[ -n "$crash" ] || [ "$rc" -eq 0 ] || crash="$d/fuzz.log"
	if [ -n "$crash" ] && [ "$crash" = "$d/fuzz.log" ]; then
		echo "$crash" >"$d/crash"
	elif [ -n "$crash" ]; then
		min="$d/artifacts/minimised-$(basename "$crash")"
		"$exe" -minimize_crash=1 -max_total_time=60 -exact_artifact_path="$min" \
			"$crash" >"$d/minimise.log" 2>&1 || true
		[ -s "$min" ] || min=$crash
		echo "$min" >"$d/crash"
	fi
	printf '%-18s execs %-10s exec/s %-7s cov %-6s ft %-7s new %-5s crashes %s\n' "$name" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$((after - before))" \
		"$([ -n "$crash" ] && echo 1 || echo 0)" >"$d/result"
	if [ "$merge" -eq 1 ] && [ -z "$crash" ]; then
		"$exe" -merge=1 -rss_limit_mb=2048 -timeout=10 "$seeds" "$d/corpus" \
			>"$d/merge.log" 2>&1 || echo "$name: merge failed, see $d/merge.log" >&2
	fi
}

build_fuzzers
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$build"/tests/fuzz/fuzz_*; do
		[ -x "$f" ] && targets+=("${f##*/fuzz_}")
	done
fi
for t in "${targets[@]}"; do
	[ -x "$build/tests/fuzz/fuzz_$t" ] || hb_die "no fuzz target '$t' in $build/tests/fuzz"
done

hb_say "fuzzing ${targets[*]}: ${secs}s each, $jobs at a time, work in $work"
running=0
for t in "${targets[@]}"; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

status=0
hb_say "report"
for t in "${targets[@]}"; do
	cat "$work/$t/result"
	if [ -f "$work/$t/crash" ]; then
		echo "  crash: minimised reproducer $(cat "$work/$t/crash") (log $work/$t/fuzz.log)"
		status=1
	fi
done
[ "$merge" -eq 0 ] || hb_say "merged new inputs into tests/fuzz/corpus/: review and commit"
exit $status
