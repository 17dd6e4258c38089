#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): 10 % packet loss in each direction (gtlsclient --tx-loss/--rx-loss drop at
# the client) while downloading a 1 MB file and two small ones: loss recovery (RFC 9002 §6),
# retransmitted CRYPTO and STREAM data. Every file must match by SHA-256.
# Exit 77 without root, /dev/net/tun or gtlsclient.
set -u
. "$(dirname "$0")/lib.sh"

it_init loss "${1:?usage: test_interop_loss.sh HAYABUSA}"
it_www
it_start
files=(index.html hello.txt 1m.bin)
mapfile -t urls < <(it_urls "${files[@]}")
it_say "gtlsclient: 10 % loss each way"
it_client client.log -q --tx-loss=0.1 --rx-loss=0.1 --timeout=15s \
	--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" || it_bad "gtlsclient failed"
it_check "${files[@]}"
it_stop
it_finish
