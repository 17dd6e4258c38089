#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): an independent decoder reads every packet. dumpcap captures the tap link
# inside the namespace (bounded by packet count and time) while gtlsclient downloads over
# HTTP/3 from hayabusa run with --keylog; then Wireshark's dissectors read the capture with
# that key log (tls.keylog_file) and must find:
#   - every QUIC packet decrypted: no "Failed to decrypt" (quic.decryption_failed), no payload
#     left undecoded (quic.remaining_payload) and no datagram without a decoded frame;
#   - no malformed packet (_ws.malformed) and no expert error (_ws.expert.severity == error);
#   - CRYPTO, ACK and STREAM frames (RFC 9000 §19) and HTTP/3 HEADERS and DATA frames
#     (RFC 9114 §7.2) decoded.
# Exit 77 without root, /dev/net/tun, gtlsclient, tshark or dumpcap.
set -u
. "$(dirname "$0")/lib.sh"

it_init tshark "${1:?usage: test_interop_tshark.sh HAYABUSA}"
command -v tshark >/dev/null || it_skip "tshark missing (package tshark)"
command -v dumpcap >/dev/null || it_skip "dumpcap missing (package wireshark-common)"
it_www
it_start --keylog "$it_tmp/keys.log"
cap="$it_tmp/tap.pcapng"
ip netns exec "$it_ns" dumpcap -q -i "$IT_TAP" -c 20000 -a duration:60 -w "$cap" \
	>"$it_tmp/dumpcap.log" 2>&1 &
cap_pid=$!
for _ in $(seq 50); do
	[ -s "$cap" ] && break
	kill -0 "$cap_pid" 2>/dev/null || break
	sleep 0.1
done
[ -s "$cap" ] || { cat "$it_tmp/dumpcap.log"; it_die "dumpcap did not start"; }
sleep 0.3 # dumpcap writes the file header just before it opens the interface
mapfile -t urls < <(it_urls index.html 1m.bin p00.txt)
it_say "gtlsclient: ${#urls[@]} requests, captured on $IT_TAP"
it_client client.log -q --download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" ||
	it_bad "gtlsclient failed"
sleep 0.5 # the last ACKs and the server's close
kill -INT "$cap_pid" 2>/dev/null || true
for _ in $(seq 50); do
	kill -0 "$cap_pid" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$cap_pid" 2>/dev/null || true
wait "$cap_pid" 2>/dev/null || true
it_check index.html 1m.bin p00.txt
it_stop

# count FILTER: packets of the capture that match a display filter, decrypted with the key log.
count()
{
	timeout 120 tshark -n -r "$cap" -o "tls.keylog_file:$it_tmp/keys.log" -Y "$1" \
		-T fields -e frame.number 2> >(grep -v '^Running as user' >>"$it_tmp/tshark.err") |
		wc -l
}

total=$(count "udp.port == $IT_PORT")
quic=$(count quic)
undecrypted=$(count "quic.decryption_failed || quic.remaining_payload || (quic && !quic.frame)")
bad=$(count "_ws.malformed || _ws.expert.severity == error")
crypto=$(count "quic.frame_type == 0x06")
acks=$(count "quic.frame_type == 0x02 || quic.frame_type == 0x03")
stream=$(count "quic.frame_type >= 0x08 && quic.frame_type <= 0x0f")
headers=$(count "http3.frame_type == 0x01")
data=$(count "http3.frame_type == 0x00")
it_say "udp $total, quic $quic, undecrypted $undecrypted, malformed/error $bad," \
	"crypto $crypto, ack $acks, stream $stream, h3 headers $headers, h3 data $data"
if [ -s "$it_tmp/tshark.err" ]; then
	head -n 5 "$it_tmp/tshark.err"
	it_bad "tshark reported errors"
fi
[ "$total" -gt 100 ] || it_bad "only $total UDP packets captured"
[ "$quic" = "$total" ] || it_bad "$quic of $total UDP packets dissected as QUIC"
[ "$undecrypted" = 0 ] || it_bad "$undecrypted packets not decrypted"
[ "$bad" = 0 ] || {
	timeout 60 tshark -n -r "$cap" -o "tls.keylog_file:$it_tmp/keys.log" \
		-Y "_ws.malformed || _ws.expert.severity == error" 2>/dev/null | head -n 5
	it_bad "$bad packets malformed or with an expert error"
}
[ "$crypto" -gt 0 ] || it_bad "no CRYPTO frame decoded"
[ "$acks" -gt 0 ] || it_bad "no ACK frame decoded"
[ "$stream" -gt 0 ] || it_bad "no STREAM frame decoded"
[ "$headers" -gt 0 ] || it_bad "no HTTP/3 HEADERS frame decoded"
[ "$data" -gt 0 ] || it_bad "no HTTP/3 DATA frame decoded"
it_finish
