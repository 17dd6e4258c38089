#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# NEW_TOKEN with ngtcp2's client (issue #7; RFC 9000 §8.1.3): hayabusa on net_tap under
# --retry always with a key file; gtlsclient fetches a file twice with one --token-file (it
# writes the token of the server's NEW_TOKEN frame there, PEM-armoured, and would send it in
# its next connection's Initials). The first connection follows a Retry and must receive a
# NEW_TOKEN token (the file is written; the server counts new_tokens). Debian's ngtcp2 0.12.1
# cannot read that file back ("Could not read token in FILE"), so its second connection
# carries no token and follows a Retry again: the test says so and checks 2 Retries. With a
# client that reads it, the second connection must get no Retry: one Retry for two validated
# connections. (hayabusa-bench --new-token-out/--new-token covers the reuse in
# test_retry_fleet.sh.) Exit 77 without root, /dev/net/tun, iproute2, gtlsclient or network
# namespaces.
set -u

bin=${1:?usage: test_retry_newtoken.sh HAYABUSA}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

it_init rnt "$bin"
gtlsclient --help 2>&1 | grep -q -- '--token-file' || it_skip "gtlsclient has no --token-file"
it_www
"$bin" keygen "$it_tmp/keys" || it_die "hayabusa keygen"
it_start --retry always --token-keys "$it_tmp/keys"

tok="$it_tmp/client.token"
for run in 1 2; do
	mkdir -p "$it_tmp/dl$run"
	it_client "get$run" --download="$it_tmp/dl$run" --token-file="$tok" "$IT_SRV_IP" "$IT_PORT" \
		"$(it_urls index.html)" || it_bad "gtlsclient run $run"
	it_check --dir "$it_tmp/dl$run" index.html
	if [ "$run" -eq 1 ]; then
		if [ -s "$tok" ]; then
			it_say "token file: $(stat -c %s "$tok") bytes"
		else
			it_bad "gtlsclient wrote no NEW_TOKEN token to --token-file"
		fi
	fi
done
it_stop
want_retries=1
if grep -q 'Could not read token' "$it_tmp/get2"; then
	it_say "gtlsclient could not read back its --token-file: no token in the second connection"
	want_retries=2
fi
[ "$(it_counter retry_sent)" = "$want_retries" ] ||
	it_bad "retry_sent $(it_counter retry_sent), want $want_retries"
[ "$(it_counter validated)" = 2 ] || it_bad "validated $(it_counter validated), want 2"
[ "$(it_counter new_tokens)" -ge 1 ] || it_bad "no NEW_TOKEN sent"
it_finish
