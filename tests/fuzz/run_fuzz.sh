#!/bin/sh
# Run one libFuzzer target for a bounded time over a scratch corpus seeded from the committed
# one, so the committed seeds are never rewritten. Usage: run_fuzz.sh TARGET WORKDIR SEEDS SECONDS
set -eu
target=$1 work=$2 seeds=$3 secs=$4
mkdir -p "$work"
# libFuzzer's default exit status for a crash is 77, which meson reads as a skip: 1 instead.
exec "$target" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 "$work" "$seeds"
