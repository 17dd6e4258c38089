#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The hayabusa server on DPDK's net_tap inside a network namespace, fetched over HTTP/3 by
# ngtcp2's client (gtlsclient): every file is checked by size and SHA-256 against the web root,
# the server's counters are printed, and everything is removed again (also on Ctrl-C).
#
# Usage: scripts/demo.sh [--bin PATH] [--ns NAME]   as root on Debian 12 (/dev/net/tun, netns)
#          --bin PATH   use this hayabusa binary: no package install, no build (tests)
#          --ns NAME    network namespace to create and delete [hb-demo]
#          -- OPTS...   further hayabusa options (--keylog FILE, --retry always ...)
#        scripts/demo.sh --crypto [--quick]   the crypto self-check and micro-benchmark
# Exit status: 0 when every file matched, 1 otherwise.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh

mode=server
bin=
ns=hb-demo
bench_args=()
srv_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--crypto) mode=crypto ;;
	--quick) bench_args+=(--quick) ;;
	--bin) bin=${2:?--bin needs a path}; shift ;;
	--ns) ns=${2:?--ns needs a name}; shift ;;
	--) shift; srv_args+=("$@"); break ;;
	-h | --help)
		sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) hb_die "unknown option '$1' (try --help)" ;;
	esac
	shift
done

if [ -z "$bin" ]; then
	hb_install_deps
	hb_say "building (release)"
	hb_meson_setup build-demo -Dbuildtype=release -Dtests=disabled
	ninja -C build-demo >/dev/null || { ninja -C build-demo -j1; exit 1; }
	bin=build-demo/dataplane/server/hayabusa
fi

if [ "$mode" = crypto ]; then
	hb_say "crypto self-check and micro-benchmark"
	./build-demo/bench/hayabusa-crypto-bench "${bench_args[@]}" \
		--json build-demo/crypto-bench.json
	hb_say "JSON written to build-demo/crypto-bench.json"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || hb_die "the server demo needs root (network namespace, tap device)"
[ -c /dev/net/tun ] || hb_die "/dev/net/tun is missing: no tap device possible"
[ -x "$bin" ] || hb_die "no server binary at $bin"
command -v gtlsclient >/dev/null || hb_die "gtlsclient missing (Debian package ngtcp2-client)"

SRV_IP=198.18.0.1
CLI_IP=198.18.0.2
PORT=4433
TAP=hbtap0
files=(index.html hello.txt about.txt 1m.bin 5m.bin)

tmp=$(mktemp -d /tmp/hb-demo.XXXXXX)
srv_pid=
cleanup()
{
	trap - EXIT INT TERM
	if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
		kill -TERM "$srv_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$srv_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Web root: the bundled files, plus two larger random ones made now rather than committed.
mkdir -p "$tmp/www" "$tmp/dl"
cp www/* "$tmp/www/"
head -c 1048576 /dev/urandom >"$tmp/www/1m.bin"
head -c 5242880 /dev/urandom >"$tmp/www/5m.bin"

eal=(--no-pci --no-shconf --file-prefix="hb_$ns" --vdev="net_tap0,iface=$TAP"
	--log-level=lib.eal:warning --log-level=pmd.net.tap:error)
hp=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${hp:-0}" -ge 128 ]; then eal+=(-m 256); else eal+=(--no-huge -m 256); fi
if [ "$(nproc)" -ge 2 ]; then eal+=(--lcores=0@1); else eal+=(--lcores=0@0); fi

hb_say "namespace $ns: hayabusa on net_tap ($SRV_IP:$PORT), client on $TAP ($CLI_IP)"
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$bin" "${eal[@]}" -- --listen "$SRV_IP/24:$PORT" --root "$tmp/www" \
	${srv_args[@]+"${srv_args[@]}"} >"$tmp/server.log" 2>&1 &
srv_pid=$!
for _ in $(seq 100); do
	grep -q '^hayabusa: serving' "$tmp/server.log" && break
	kill -0 "$srv_pid" 2>/dev/null || { cat "$tmp/server.log"; hb_die "server exited"; }
	sleep 0.2
done
grep -q '^hayabusa: serving' "$tmp/server.log" || { cat "$tmp/server.log"; hb_die "no server"; }
ip -n "$ns" addr add "$CLI_IP/24" dev "$TAP"
ip -n "$ns" link set "$TAP" up
grep '^hayabusa:' "$tmp/server.log"

urls=()
for f in "${files[@]}"; do urls+=("https://$SRV_IP:$PORT/$f"); done
hb_say "gtlsclient (h3): ${files[*]}"
rc=0
ip netns exec "$ns" timeout 60 gtlsclient -q --exit-on-all-streams-close --timeout=5s \
	--handshake-timeout=5s --download "$tmp/dl" "$SRV_IP" "$PORT" "${urls[@]}" \
	>"$tmp/client.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { tail -n 20 "$tmp/client.log"; hb_say "gtlsclient exit status $rc"; }

hb_say "served files"
printf '%-12s %10s %10s  %-16s %s\n' file size got sha256 verdict
bad=0
for f in "${files[@]}"; do
	want=$(sha256sum <"$tmp/www/$f" | cut -c1-64)
	got=$( [ -f "$tmp/dl/$f" ] && sha256sum <"$tmp/dl/$f" | cut -c1-64 || echo none)
	gsz=$( [ -f "$tmp/dl/$f" ] && stat -c %s "$tmp/dl/$f" || echo -)
	verdict=ok
	[ "$want" = "$got" ] || { verdict=MISMATCH; bad=$((bad + 1)); }
	printf '%-12s %10s %10s  %-16s %s\n' "$f" "$(stat -c %s "$tmp/www/$f")" "$gsz" \
		"${got:0:16}" "$verdict"
done

hb_say "stopping the server (SIGTERM)"
kill -TERM "$srv_pid"
# Room for a sanitized build's leak check at exit (the integration suite runs one).
for _ in $(seq 200); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
wait "$srv_pid" 2>/dev/null && srv_rc=0 || srv_rc=$?
srv_pid=
sed -n '/^--- stats/,$p' "$tmp/server.log"
hb_say "server exit status $srv_rc"
# AddressSanitizer, LeakSanitizer or UBSan output, if any, with the failure.
[ "$srv_rc" -eq 0 ] || sed -n -E '/^==[0-9]+==|runtime error:/,$p' "$tmp/server.log" | head -n 300
if [ "$bad" -ne 0 ] || [ "$rc" -ne 0 ] || [ "$srv_rc" -ne 0 ]; then
	hb_say "FAILED: $bad file(s) did not match"
	exit 1
fi
hb_say "all ${#files[@]} files matched"
