#!/bin/sh
# Run one libFuzzer target for a bounded time over a scratch corpus seeded from the committed
# one, so the committed seeds are never rewritten. Usage: run_fuzz.sh TARGET WORKDIR SEEDS SECONDS
set -eu
target=$1 work=$2 seeds=$3 secs=$4
mkdir -p "$work"
exec "$target" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	"$work" "$seeds"
