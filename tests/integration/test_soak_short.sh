#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The 2-minute soak (issue 8): scripts/soak.sh --duration 120 against this build's hayabusa and
# hayabusa-bench: mixed handshakes, verified bulk transfers, request/response and a Retry flood
# at 5 % loss, then its four checks (downloads verified, server memory flat after warm-up,
# counters consistent, a fresh client served at the end). Its exit status is the test's: 77
# (skipped) without root, iproute2, python3 or network namespaces.
set -u

bench=${1:?usage: test_soak_short.sh HAYABUSA-BENCH HAYABUSA}
server=${2:?usage: test_soak_short.sh HAYABUSA-BENCH HAYABUSA}
exec "$(dirname "$0")/../../scripts/soak.sh" --duration 120 --server "$server" --bench "$bench"
