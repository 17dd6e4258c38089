#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The whole test suite, from a fresh Debian 12 machine (as root) or an existing checkout:
#   1. installs the Debian packages it needs (quietly, only what is missing);
#   2. configures and builds with warnings as errors, runs every suite;
#   3. rebuilds with ASan+UBSan (and pool_debug) and runs the unit, vectors, tls, transport,
#      dataplane, integration (against the sanitized hayabusa) and fuzz-replay suites again,
#      where a leak fails its test;
#   4. builds the ThreadSanitizer program (tests/tsan) and runs it (a few seconds);
#   5. with clang, builds the libFuzzer targets (the whole-connection one included) and runs
#      each for a bounded time.
# Exits non-zero on any failure. .ci/run calls exactly this script.
#
# Environment: HB_JOBS (build jobs, default nproc), HB_FUZZ=0 skips step 5.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

jobs=${HB_JOBS:-$(nproc)}
passed=0
failed=0
skipped=0
phases=()

# Run meson test in build dir $1 with the remaining args; tally results from testlog.json.
run_suites()
{
	local dir=$1 name=$2 rc=0
	shift 2
	hb_say "$name: meson test $*"
	meson test -C "$dir" --num-processes "$jobs" --print-errorlogs "$@" || rc=$?
	local counts
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
names = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r.get("result") == "SKIP":
        skip += 1
        names.append(r["name"])
    else:
        bad += 1
print(ok, bad, skip, ",".join(names) or "-")
PY
)
	local ok bad skip names
	read -r ok bad skip names <<<"$counts"
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + skip))
	# A skipped test (exit 77: a prerequisite missing) is neither passed nor failed: named here.
	if [ "$skip" -gt 0 ]; then
		phases+=("$name: $ok passed, $bad failed, $skip skipped ($names)")
	else
		phases+=("$name: $ok passed, $bad failed")
	fi
	[ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]
}

hb_install_deps

status=0

hb_say "build: debugoptimized, warnings as errors"
hb_meson_setup build -Dwerror=true -Dtests=enabled
ninja -C build -j "$jobs" >/dev/null || { ninja -C build -j1; exit 1; }
run_suites build "default build" || status=1

hb_say "build: ASan+UBSan, pool_debug"
hb_meson_setup build-asan -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined \
	-Db_lundef=false -Dpool_debug=true
ninja -C build-asan -j "$jobs" >/dev/null || { ninja -C build-asan -j1; exit 1; }
# integration: the same scripts against this build's hayabusa (lib.sh and demo.sh take the
# binary from meson); a sanitizer report or a leak at exit fails the test with its report.
# The `load` suite (the 2-minute soak, compare.sh --quick) runs in the default build only: it
# measures and soaks, and under ASan it would double CI time for no new code path.
run_suites build-asan "sanitizers" --suite unit --suite vectors --suite tls --suite transport \
	--suite dataplane --suite integration --no-suite load \
	--suite fuzz || status=1

hb_say "build: ThreadSanitizer (steering rings and token key rotation, tests/tsan)"
hb_meson_setup build-tsan -Dwerror=true -Dtests=disabled -Db_sanitize=thread -Db_lundef=false
# Only the TSan program: nothing else runs in this build.
ninja -C build-tsan -j "$jobs" tests/tsan/tsan_steer_keys >/dev/null ||
	{ ninja -C build-tsan -j1 tests/tsan/tsan_steer_keys; exit 1; }
run_suites build-tsan "thread sanitizer" --no-rebuild --suite tsan || status=1

if [ "${HB_FUZZ:-1}" != 0 ] && command -v clang >/dev/null; then
	hb_say "build: libFuzzer targets (clang, ASan+UBSan), bounded runs"
	CC=clang hb_meson_setup build-fuzz -Dwerror=true -Dtests=disabled -Dfuzzers=true \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz -j "$jobs" >/dev/null || { ninja -C build-fuzz -j1; exit 1; }
	run_suites build-fuzz "fuzzing" --suite fuzz --num-processes "$jobs" || status=1
else
	phases+=("fuzzing: not run (HB_FUZZ=0 or no clang)")
fi

echo
hb_say "summary"
for p in "${phases[@]}"; do
	echo "  $p"
done
[ "$skipped" -eq 0 ] || echo "$skipped skipped (not counted as passed; see above)"
echo "$passed passed, $failed failed"
exit $status
