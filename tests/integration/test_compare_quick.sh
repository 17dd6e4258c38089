#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/compare.sh --quick (issue 6): one short side-by-side run, hayabusa over net_memif and
# ngtcp2's gtlsserver over net_tap, with the crypto and link floors. Checks that every figure
# that should exist is in the JSON (no nulls: handshakes/s, bulk goodput, Retries/s, rr p99 for
# hayabusa, ngtcp2 and the limits; the fraction of legitimate handshakes during the flood;
# hayabusa's valid tokens validated/s and memory per idle connection),
# that bulk transfers verified, and that REPORT.md was written. It runs two rounds (--rounds 2):
# each headline figure must be present in both, and the headline must be their median (of the
# rounds whose floor held). No
# timing assertions. Exit 77
# (meson: skipped) when compare.sh says a prerequisite is missing.
set -u

bench=${1:?usage: test_compare_quick.sh HAYABUSA-BENCH HAYABUSA CRYPTO-BENCH}
server=${2:?usage: test_compare_quick.sh HAYABUSA-BENCH HAYABUSA CRYPTO-BENCH}
cbench=${3:?usage: test_compare_quick.sh HAYABUSA-BENCH HAYABUSA CRYPTO-BENCH}
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
out=$(mktemp -d /tmp/hb-cmpq.XXXXXX)
trap 'rm -rf "$out"' EXIT
rc=0
HB_BENCH=$bench HB_SERVER=$server HB_CRYPTO_BENCH=$cbench timeout --kill-after=10 240 \
	"$top/bench/compare.sh" --quick --rounds 2 --out "$out" --json "$out/compare.json" || rc=$?
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || echo "FAIL: compare.sh exit status $rc"
[ -s "$out/REPORT.md" ] || { echo "FAIL: no REPORT.md"; exit 1; }
grep -q '^## Rounds' "$out/REPORT.md" || { echo "FAIL: REPORT.md has no Rounds section"; rc=1; }
python3 - "$out/compare.json" <<'PY' || rc=1
import json, numbers, sys
j = json.load(open(sys.argv[1]))
bad = []
for side in ("hayabusa", "ngtcp2", "limits"):
    for k in ("handshakes_per_s", "bulk_gbit_per_s", "retry_per_s", "rr_p99_us"):
        v = j.get(side, {}).get(k)
        ok = isinstance(v, numbers.Real) and v > 0
        print("   %-8s %-18s %-14s %s" % (side, k, v, "ok" if ok else "MISSING"))
        if not ok:
            bad.append(side + "." + k)
for k in ("token_validate_per_s", "mem_per_idle_conn_bytes"):
    v = (j.get(k) or {}).get("hayabusa")
    ok = isinstance(v, numbers.Real) and v > 0
    print("   hayabusa %-24s %-14s %s" % (k, v, "ok" if ok else "MISSING"))
    if not ok:
        bad.append("hayabusa." + k)
f = j["hayabusa"].get("legit_fraction")
print("   legit_fraction %s" % f)
if not isinstance(f, numbers.Real):
    bad.append("hayabusa.legit_fraction")
print("   bulk_verified %s %s" % (j["checks"]["bulk_verified"], j["checks"]["bulk_failed"]))
if j["checks"]["bulk_verified"] is not True:
    bad.append("bulk transfers not verified")
# --rounds 2: every round has each headline figure, and the headline is their median.
rounds = j.get("rounds") or []
if len(rounds) != 2:
    bad.append("rounds: %d, want 2" % len(rounds))
for k, side, key in (("handshakes_per_s", "hayabusa", "hayabusa"),
                     ("bulk_gbit_per_s", "hayabusa", "hayabusa"),
                     ("retry_per_s", "hayabusa", "hayabusa"),
                     ("handshakes_per_s", "limits", "floor"),
                     ("bulk_gbit_per_s", "ngtcp2", "ngtcp2")):
    vs = [(r.get(k) or {}).get(key) for r in rounds]
    if len(vs) != 2 or not all(isinstance(v, numbers.Real) and v > 0 for v in vs):
        bad.append("rounds %s.%s: %s" % (side, k, vs))
        continue
    # A round whose figure came out above its own floor is not counted (unless none held).
    held = [v for v, r in zip(vs, rounds) if (r[k].get("pct_of_floor") or 0) <= 100] or vs
    want, got = sum(held) / len(held), j[side][k]
    print("   rounds %-8s %-18s %s -> %s" % (side, k, vs, got))
    if abs(got - want) > 1e-9 * max(1.0, abs(want)):
        bad.append("%s.%s %s is not the median of %s" % (side, k, got, vs))
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
[ "$rc" -eq 0 ] && echo "== passed" || echo "== FAILED"
exit "$rc"
