#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Token key rotation with SIGHUP under load (issue #7; the key file format of quic/token.h):
#  1. keys {1}; hayabusa-bench runs handshakes under --retry always (bounded in count and
#     time) while the file is rotated to {1, 2} (a new current key, the old one kept as the
#     previous) and the server gets SIGHUP: no handshake fails (bench failures 0), no token is
#     refused (no INVALID_TOKEN close: screen_reply == retry_sent), and the server reports the
#     reload with current key 2.
#  2. A saved Initial carrying a Retry token under key 2 (--token-out) is refused once a
#     rotation to {3, 4} drops key 2 (INVALID_TOKEN close, no connection), and accepted again,
#     within its lifetime, after a rotation to {2, 3, 4} in which key 2 is only a previous key:
#     the refusal was the dropped key, not the token's age.
# Exit 77 without root, iproute2, python3 or network namespaces.
set -u

# shellcheck source=retry_lib.sh
. "$(dirname "$0")/retry_lib.sh"
rt_setup rsh "$@"
keys="$it_tmp/keys"
declare -A key=()
for s in 1 2 3 4; do
	key[$s]="$s $(openssl rand -hex 16) $(openssl rand -hex 12)"
done

# rotate SEQ...: the key file with these keys (the highest is current), replaced atomically
# as an operator would, then SIGHUP and a bounded wait for the server's reload line.
rotate()
{
	local s cur=0 n

	n=$(grep -c 'SIGHUP: .*keys reloaded' "$it_tmp/S.log" 2>/dev/null)
	(
		umask 077
		{
			echo "# test keys"
			for s in "$@"; do echo "${key[$s]}"; done
		} >"$keys.new"
	)
	mv "$keys.new" "$keys"
	for s in "$@"; do [ "$s" -gt "$cur" ] && cur=$s; done
	[ -n "${rt_pid[S]:-}" ] || return 0
	kill -HUP "${rt_pid[S]}"
	for _ in $(seq 50); do
		[ "$(grep -c 'SIGHUP: .*keys reloaded' "$it_tmp/S.log")" -gt "$n" ] && break
		sleep 0.1
	done
	if grep 'SIGHUP: .*keys reloaded' "$it_tmp/S.log" | tail -n 1 |
		grep -q "(current key $cur)"; then
		it_say "reloaded {$*}, current key $cur"
	else
		it_bad "no reload to current key $cur after SIGHUP"
	fi
}

rotate 1
rt_server S --retry always --token-keys "$keys"

it_say "1. rotation under load"
rt_bench S load handshake --conns 4 --rate 150 --count 600 --duration 3 &
pl=$!
# Under load: once the server has sent 50 Retries of this run (bounded: 30 s).
for _ in $(seq 300); do
	[ "$(rt_counter S retry_sent)" -ge 50 ] && break
	sleep 0.1
done
rotate 1 2
kill -0 "$pl" 2>/dev/null || it_bad "the load had ended before the reload"
wait "$pl"
it_want load 't["handshakes"] > 0 and j["failures_total"] == 0'
it_want load 't["retries_rx"] >= t["handshakes"]'
rt_wait_counter S retry_sent -ge "$(rt_json load retries_rx)" ||
	it_bad "the server's retry_sent did not reach the bench's Retries"
rt_check "screen_reply - retry_sent (INVALID_TOKEN closes)" \
	$(($(rt_counter S screen_reply) - $(rt_counter S retry_sent))) -eq 0

# part2: one attempt; returns 2 when too slow to test the previous key within the lifetime.
part2()
{
	local r_pre t0 v0 s0 r0 replay

	r_pre=$(rt_counter S retry_sent) # settled: part 1 waited for every Retry of the load
	rt_bench S save handshake --conns 1 --count 1 --duration 5 --token-out "$it_tmp/k2.tok"
	it_want save 't["handshakes"] == 1 and t["retries_rx"] == 1'
	t0=$(date +%s)
	replay=(retry-flood --token "$it_tmp/k2.tok" --count 1 --linger --duration 0.5)
	# The counters come from the server's --stats printouts, once a second: wait for printouts
	# that include the saved run's Retry and then its validated token, so that the baselines
	# below are not taken from an older printout.
	rt_wait_counter S retry_sent -ge $((r_pre + 1)) || it_bad "the saved run's Retry was not counted"
	rt_wait_counter S validated -ge $((r_pre + 1)) || it_bad "the saved run's token was not counted"
	# The saved run's own connection (keyed by the same DCID) must be gone, or the replay would
	# reach it instead of the validator.
	rt_wait_counter S conns_active -eq 0 || it_bad "the saved run's connection is still there"
	rotate 3 4
	v0=$(rt_counter S validated)
	s0=$(rt_counter S screen_reply)
	r0=$(rt_counter S retry_sent)
	rt_bench S dropped "${replay[@]}"
	rt_wait_counter S screen_reply -ge $((s0 + 1)) || it_bad "no INVALID_TOKEN close for the dropped key"
	rt_check "validated after the key was dropped" "$(rt_counter S validated)" -eq "$v0"
	rt_check "retry_sent" "$(rt_counter S retry_sent)" -eq "$r0"
	# A bench run that had to wait for its memif link (lib.sh retries it) can use up the
	# token's lifetime: then this check would test the token's age, not the key; retry.
	[ $(($(date +%s) - t0)) -le 8 ] || return 2
	rotate 2 3 4
	rt_bench S kept "${replay[@]}"
	rt_wait_counter S validated -ge $((v0 + 1)) || it_bad "the token under a previous key was refused"
	rt_check "seconds from the token to its last use (lifetime 10 + 2)" $(($(date +%s) - t0)) -le 12
	rt_check "retry_sent" "$(rt_counter S retry_sent)" -eq "$r0"
}

it_say "2. a rotation that drops the token's key"
rc=0
part2 || rc=$?
if [ "$rc" -eq 2 ]; then
	it_say "2. too slow for the token's lifetime (link retries); once more with key 2 current"
	rotate 1 2
	rc=0
	part2 || rc=$?
	[ "$rc" -ne 2 ] || it_bad "too slow twice to test a previous key within the token's lifetime"
fi
rt_stop S
it_finish
