#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A fleet sharing one --token-keys file (issue #7; RFC 9000 §8.1.2; the shared-state token of
# draft-ietf-quic-retry-offload): server B, a second hayabusa process with A's key file,
# validates the Retry token that A issued; server C, with a key file of its own, refuses it
# with an INVALID_TOKEN close and no state.
#
# hayabusa-bench makes one handshake at A under --retry always and saves the Initial that
# carries A's Retry token (--token-out: the token is bound to the client's address and port
# and to the Retry's SCID, the datagram's DCID). The bench then sends that very datagram to B
# and then to C (--token, from the saved port), within the token's lifetime (checked: C's
# refusal is not the token's age; on a host too slow for that, the whole step once more). The three servers sit on separate net_memif links with the
# same address. From the servers' counters: B made a connection validated by the token and
# sent no Retry; C sent one close, no Retry, made no connection.
# The NEW_TOKEN token A sent after that handshake (--new-token-out) starts a connection at A
# and at B without a Retry (--new-token); at C it counts as no token: a Retry (§8.1.3).
# Exit 77 without root, iproute2, python3 or network namespaces.
set -u

# shellcheck source=retry_lib.sh
. "$(dirname "$0")/retry_lib.sh"
rt_setup rfl "$@"
"$rt_server_bin" keygen "$it_tmp/fleet.keys" || it_die "hayabusa keygen"
"$rt_server_bin" keygen "$it_tmp/other.keys" || it_die "hayabusa keygen"

rt_server A --retry always --token-keys "$it_tmp/fleet.keys"
rt_server B --retry always --token-keys "$it_tmp/fleet.keys"
rt_server C --retry always --token-keys "$it_tmp/other.keys"

# ms_since T: milliseconds from date +%s.%N value T to now.
ms_since()
{
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

# A fresh token to B, then to C: once more when the host was too slow to answer within the
# token's lifetime (10 s + 2 s of grace), where a refusal could be its age. $n: attempts.
replay=(retry-flood --token "$it_tmp/retry.tok" --count 1 --linger --duration 1)
for n in 1 2; do
	t0=$(date +%s.%N)
	rt_bench A hs handshake --conns 1 --count 1 --duration 5 --token-out "$it_tmp/retry.tok" \
		--new-token-out "$it_tmp/new.tok"
	it_want hs 't["handshakes"] == 1 and t["retries_rx"] == 1 and j["failures_total"] == 0'
	[ -s "$it_tmp/retry.tok" ] || { cat "$it_tmp/hs.log"; it_die "no Initial saved"; }
	[ -s "$it_tmp/new.tok" ] || { cat "$it_tmp/hs.log"; it_die "no NEW_TOKEN saved"; }
	bv=$(rt_counter B validated)
	cs=$(rt_counter C screen_reply)
	rt_bench B atB "${replay[@]}"
	rt_bench C atC "${replay[@]}"
	ms=$(ms_since "$t0")
	[ "$ms" -lt 11000 ] && break
	it_say "C answered $ms ms after the token was asked for: too slow to tell; once more"
done
rt_check "ms from before the token to C's answer (lifetime + grace 12000)" "$ms" -lt 11000
it_want atB 't["pkts_tx"] == 1 and t["pkts_rx"] >= 1 and t["retries_rx"] == 0'
it_want atC 't["pkts_tx"] == 1 and t["pkts_rx"] >= 1 and t["retries_rx"] == 0'
rt_wait_counter B validated -ge $((bv + 1)) || it_bad "B did not validate A's Retry token"
rt_wait_counter C screen_reply -ge $((cs + 1)) || it_bad "C sent no INVALID_TOKEN close"

# NEW_TOKEN (RFC 9000 §8.1.3): A itself and B take the token without a Retry; C does not know
# its key and treats it as no token: a Retry, then the handshake completes.
for s in A B C; do
	rt_bench "$s" "nt$s" handshake --conns 1 --count 1 --duration 5 --new-token "$it_tmp/new.tok"
	it_want "nt$s" 't["handshakes"] == 1 and j["failures_total"] == 0'
	it_want "nt$s" 't["retries_rx"] == '"$([ "$s" = C ] && echo 1 || echo 0)"
done

rt_stop A
rt_stop B
rt_stop C
rt_check "A retry_sent (the first handshakes only)" "$(rt_counter A retry_sent)" -eq "$n"
rt_check "A new_tokens" "$(rt_counter A new_tokens)" -ge 1
rt_check "A validated (Retry tokens, then NEW_TOKEN)" "$(rt_counter A validated)" -eq $((n + 1))
rt_check "B validated (A's Retry token, then NEW_TOKEN)" "$(rt_counter B validated)" -eq $((bv + 2))
rt_check "B retry_sent" "$(rt_counter B retry_sent)" -eq 0
rt_check "C validated (its own Retry's token only)" "$(rt_counter C validated)" -eq 1
rt_check "C conns_accepted (none for A's Retry tokens)" "$(rt_counter C conns_accepted)" -eq 1
rt_check "C retry_sent (for the unknown NEW_TOKEN token)" "$(rt_counter C retry_sent)" -eq 1
rt_check "C screen_reply (INVALID_TOKEN closes, Retry)" "$(rt_counter C screen_reply)" -eq $((n + 1))
it_finish
