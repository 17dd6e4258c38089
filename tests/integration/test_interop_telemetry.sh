#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop (issue 5): the running server's counters through DPDK telemetry, as
# dpdk-telemetry.py reads them: a python3 client of the telemetry socket
# (/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2, UNIX SOCK_SEQPACKET, JSON replies) asks
# /hayabusa/stats (dataplane counters) and /hayabusa/server (QUIC endpoint counters), summed
# and of worker 0, before and after two connections download 1 MiB and two small files. The
# replies must follow the downloads (connections, handshakes, datagrams and bytes at least
# what the files need) and agree with the counters the server prints when it stops.
# Exit 77 without root, /dev/net/tun, gtlsclient or python3.
set -u
. "$(dirname "$0")/lib.sh"

it_init telem "${1:?usage: test_interop_telemetry.sh HAYABUSA}"
command -v python3 >/dev/null || it_skip "python3 missing"
it_www
it_start
sock="/var/run/dpdk/hb_$it_ns/dpdk_telemetry.v2"
for _ in $(seq 50); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || it_die "no telemetry socket at $sock"

# query OUT CMD...: one JSON reply per command, one line each, into $it_tmp/OUT.
query()
{
	local out=$1

	shift
	timeout 20 python3 - "$sock" "$@" >"$it_tmp/$out" <<'PY'
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
hello = json.loads(s.recv(16384))
assert "pid" in hello and hello["max_output_len"] > 0, hello
for cmd in sys.argv[2:]:
    s.send(cmd.encode())
    print(json.dumps(json.loads(s.recv(hello["max_output_len"]))))
PY
}

# field FILE LINE CMD KEY: a counter from the LINE-th reply of a query ("none" when the reply
# is null, as DPDK answers a command that failed, or lacks KEY).
field()
{
	python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1])
v = r.get(sys.argv[3].split(",")[0])  # replies are keyed by the command, without parameters
print(v[sys.argv[4]] if isinstance(v, dict) and sys.argv[4] in v else "none")' "$it_tmp/$1" "$2" "$3" "$4"
}

query before.json / /hayabusa/server /hayabusa/stats || it_die "telemetry query failed"
grep -q '"/hayabusa/server"' "$it_tmp/before.json" || it_bad "/hayabusa/server not listed"
grep -q '"/hayabusa/stats"' "$it_tmp/before.json" || it_bad "/hayabusa/stats not listed"
[ "$(field before.json 2 /hayabusa/server conns_accepted)" = 0 ] ||
	it_bad "connections before any client: $(field before.json 2 /hayabusa/server conns_accepted)"

it_client c1.log -q --download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "$(it_urls 1m.bin)" ||
	it_bad "gtlsclient 1 failed"
mapfile -t urls < <(it_urls p00.txt p01.txt)
it_client c2.log -q --download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" ||
	it_bad "gtlsclient 2 failed"
it_check 1m.bin p00.txt p01.txt
# The server frees a connection after its closing period: wait (bounded) for none active.
for _ in $(seq 50); do
	query active.json /hayabusa/server || break
	[ "$(field active.json 1 /hayabusa/server conns_active)" = 0 ] && break
	sleep 0.1
done
query after.json /hayabusa/server /hayabusa/stats /hayabusa/server,0 /hayabusa/stats,0 \
	/hayabusa/server,9 || it_die "telemetry query failed"
cat "$it_tmp/after.json"
it_stop

bytes=$((1048576 + $(stat -c %s "$it_tmp/www/p00.txt") + $(stat -c %s "$it_tmp/www/p01.txt")))
for k in conns_accepted handshakes conns_closed; do
	v=$(field after.json 1 /hayabusa/server $k)
	[ "$v" = 2 ] || it_bad "telemetry $k $v, want 2"
	[ "$v" = "$(it_counter $k)" ] || it_bad "telemetry $k $v, final stats $(it_counter $k)"
	[ "$(field after.json 3 /hayabusa/server,0 $k)" = "$v" ] ||
		it_bad "worker 0's $k differs from the sum with one worker"
done
for k in rx_datagrams tx_datagrams tx_bytes rx_pkts; do
	v=$(field after.json 2 /hayabusa/stats $k)
	final=$(it_counter $k)
	[ "$v" != none ] && [ "$v" -gt 0 ] || it_bad "telemetry $k $v"
	[ "$v" -le "${final:-0}" ] || it_bad "telemetry $k $v above the final $final"
	[ "$(field after.json 4 /hayabusa/stats,0 $k)" = "$v" ] ||
		it_bad "worker 0's $k differs from the sum with one worker"
done
# The downloads alone need this many bytes and full-size datagrams (1472-byte payloads).
tx=$(field after.json 2 /hayabusa/stats tx_bytes)
[ "$tx" -ge "$bytes" ] || it_bad "telemetry tx_bytes $tx below the $bytes bytes served"
txd=$(field after.json 2 /hayabusa/stats tx_datagrams)
[ "$txd" -ge $((bytes / 1472)) ] || it_bad "telemetry tx_datagrams $txd below $((bytes / 1472))"
[ "$(field after.json 5 /hayabusa/server,9 conns_accepted)" = none ] ||
	it_bad "/hayabusa/server,9 answered for a worker that does not exist"
it_say "telemetry: $(field after.json 1 /hayabusa/server conns_accepted) connections," \
	"$txd datagrams, $tx bytes sent"
it_finish
