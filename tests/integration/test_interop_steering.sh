#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): connection-ID steering between two workers (design.md "Data flow" step 3).
# hayabusa runs two workers, each owning one queue of a two-queue net_tap; the kernel spreads
# the client's datagrams over the tap's queues by a hash of their 4-tuple (then follows the
# queue the server answered the flow on). gtlsclient moves to a new local port after the
# handshake and before its request (--change-local-addr: a new 4-tuple, RFC 9000 §9.3; every
# other run with --nat-rebinding, keeping its connection ID, the others switching to a new
# one, RFC 9000 §9.5), so the datagrams of the new 4-tuple land on either queue,
# whichever worker owns the connection; one on the wrong worker's queue must reach its owner
# through the steering ring, and the download must complete. Several transfers
# make the wrong-queue case all but certain (each move lands on the other queue with
# probability 1/2: all ten on the right one, 1 in 1024); the server's counters must show
# datagram hand-offs (steer_out less the ARP/NDP frames shared, neigh_shared, above 0; every
# frame put on a ring taken off it) and every download must be byte-exact.
# Both workers share CPU 1 with the idle back-off, so gtlsclient keeps CPU 0.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init steer "${1:?usage: test_interop_steering.sh HAYABUSA}"
it_www
if [ "$(nproc)" -ge 2 ]; then IT_LCORES='(0,1)@1'; else IT_LCORES='(0,1)@0'; fi
it_start
grep -q '2 worker(s)' "$it_tmp/server.log" || it_die "the server did not start two workers"
runs=10
for i in $(seq "$runs"); do
	mkdir -p "$it_tmp/dl$i"
	rebind=()
	[ $((i % 2)) -eq 0 ] || rebind=(--nat-rebinding)
	it_client "client$i.log" -q "${rebind[@]}" --change-local-addr=20ms \
		--delay-stream=100ms --download "$it_tmp/dl$i" \
		"$IT_SRV_IP" "$IT_PORT" "$(it_urls 1m.bin)" || it_bad "gtlsclient $i failed"
	it_check --dir "$it_tmp/dl$i" 1m.bin
done
it_stop
out=$(it_counter steer_out)
in=$(it_counter steer_in)
ring_full=$(it_counter drop_ring_full)
shared=$(it_counter neigh_shared)
steered=$((${out:-0} - ${shared:-0}))
it_say "steer_out ${out:-0} (datagrams $steered, ARP/NDP ${shared:-0}), steer_in ${in:-0}," \
	"drop_ring_full ${ring_full:-0}, connections $(it_counter conns_accepted)"
[ "$steered" -gt 0 ] || it_bad "no datagram was steered to another worker"
[ "${out:-0}" = "${in:-0}" ] || it_bad "steer_out ${out:-0} != steer_in ${in:-0}"
[ "${ring_full:-0}" = 0 ] || it_bad "steering ring full ${ring_full} times"
[ "$(it_counter conns_accepted)" = "$runs" ] || it_bad "want $runs connections"
it_finish
