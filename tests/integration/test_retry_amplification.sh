#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Amplification before address validation (RFC 9000 §8.1: "an endpoint MUST limit the amount
# of data it sends to the unvalidated address to three times the amount of data received
# from that address"), issue #7: a client sends one Initial and vanishes, against a server
# whose certificate chain has 9 certificates (a leaf, 7 intermediates and a root made here,
# RSA-2048 above an ECDSA P-256 leaf), so that its first flight is far over 3 x 1200 bytes.
#
# hayabusa-bench retry-flood --count 1 --linger sends one fresh, real first Initial from one
# port and only counts what comes back for the whole --duration (long enough for the server's
# probe timeouts, RFC 9002 §6.2): the UDP payload bytes back must be <= 3 x the bytes sent,
# and something must come back. Under --retry never the server answers with its handshake
# (a connection is made); under --retry always with one Retry and no state. Exit 77 without
# root, iproute2, python3, openssl or network namespaces.
set -u

# shellcheck source=retry_lib.sh
. "$(dirname "$0")/retry_lib.sh"
rt_setup ramp "$@"

# chain N: $it_tmp/chain.pem (N certificates, leaf first) and $it_tmp/leaf.key.
chain()
{
	local d="$it_tmp/pki" i n=$1 ext

	mkdir -p "$d"
	ext="$d/ca.ext"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' >"$ext"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hayabusa test root" \
		-keyout "$d/c0.key" -out "$d/c0.pem" >/dev/null 2>&1 || return 1
	for i in $(seq 1 $((n - 2))); do
		openssl req -new -newkey rsa:2048 -nodes -subj "/CN=hayabusa test intermediate $i" \
			-keyout "$d/c$i.key" -out "$d/c$i.csr" >/dev/null 2>&1 || return 1
		openssl x509 -req -in "$d/c$i.csr" -CA "$d/c$((i - 1)).pem" \
			-CAkey "$d/c$((i - 1)).key" -CAcreateserial -days 2 -extfile "$ext" \
			-out "$d/c$i.pem" >/dev/null 2>&1 || return 1
	done
	i=$((n - 1))
	printf 'subjectAltName=DNS:localhost\n' >"$d/leaf.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-keyout "$it_tmp/leaf.key" -out "$d/leaf.csr" >/dev/null 2>&1 || return 1
	openssl x509 -req -in "$d/leaf.csr" -CA "$d/c$((i - 1)).pem" -CAkey "$d/c$((i - 1)).key" \
		-CAcreateserial -days 2 -extfile "$d/leaf.ext" -out "$d/leaf.pem" \
		>/dev/null 2>&1 || return 1
	cat "$d/leaf.pem" >"$it_tmp/chain.pem"
	for i in $(seq $((n - 2)) -1 0); do cat "$d/c$i.pem" >>"$it_tmp/chain.pem"; done
}

chain 9 || it_die "openssl could not make the certificate chain"
n=$(grep -c 'BEGIN CERTIFICATE' "$it_tmp/chain.pem")
# The certificates' DER bytes, in one PKCS#7 bundle (a few bytes more than their sum).
der=$(openssl crl2pkcs7 -nocrl -certfile "$it_tmp/chain.pem" -outform DER | wc -c)
it_say "certificate chain: $n certificates, $der bytes DER"
rt_check "certificates in the chain" "$n" -eq 9
rt_check "chain bytes (well over 3 x 1200)" "$der" -gt 7200

vanish=(retry-flood --count 1 --linger --duration 4 --src-port 40000)
for policy in never always; do
	rt_server "$policy" --retry "$policy" --cert "$it_tmp/chain.pem" --key "$it_tmp/leaf.key"
	rt_bench "$policy" "v_$policy" "${vanish[@]}"
	it_want "v_$policy" 't["pkts_tx"] == 1 and t["bytes_tx"] >= 1200 and t["pkts_rx"] >= 1'
	it_want "v_$policy" 't["bytes_rx"] <= 3 * t["bytes_tx"]'
	python3 - "$it_tmp/v_$policy.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
print("   amplification: %d bytes in %d datagrams back for %d bytes sent: %.2f x" %
      (t["bytes_rx"], t["pkts_rx"], t["bytes_tx"], t["bytes_rx"] / max(t["bytes_tx"], 1)))
PY
	rt_stop "$policy"
done
rt_check "never: conns_accepted" "$(rt_counter never conns_accepted)" -eq 1
rt_check "never: handshakes" "$(rt_counter never handshakes)" -eq 0
rt_check "always: retry_sent" "$(rt_counter always retry_sent)" -eq 1
rt_check "always: conns_accepted" "$(rt_counter always conns_accepted)" -eq 0
it_want v_always 't["retries_rx"] == 1 and t["bytes_rx"] < t["bytes_tx"]'
it_finish
