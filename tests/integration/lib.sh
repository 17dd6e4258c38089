# SPDX-License-Identifier: BSD-3-Clause
#
# Shared set-up for the interop scenarios (test_interop_*.sh), sourced, not run: the hayabusa
# server on DPDK's net_tap inside a network namespace unique to the run, ngtcp2's gtlsclient
# on the tap device in the same namespace, a generated web root, SHA-256 checks, and a cleanup
# trap that always stops the server and removes the namespace. The same set-up as
# scripts/demo.sh. Every wait is bounded. Exit 77 (meson: skipped) without root, /dev/net/tun,
# iproute2, gtlsclient or network namespaces.
#
# Use:  . lib.sh; it_init NAME HAYABUSA; it_www; it_start [server options]; it_client LOG ...;
#       it_check FILE...; it_stop; it_finish

IT_SRV_IP=198.18.0.1
IT_CLI_IP=198.18.0.2
# IPv6 unique local addresses (RFC 4193), one /64 on the tap link.
IT_SRV_IP6=fd00:4842:5359::1
IT_CLI_IP6=fd00:4842:5359::2
IT_PORT=4433
# MAC addresses on net_memif links (hayabusa-bench to hayabusa).
# shellcheck disable=SC2034 # for the scripts that source this file
IT_SRV_MAC=02:48:42:00:00:01
IT_CLI_MAC=02:48:42:00:00:02
IT_TAP=hbtap0

it_ns=
it_tmp=
it_bin=
it_srv_pid=
it_fail=0

it_say()
{
	printf '== %s\n' "$*"
}

it_skip()
{
	echo "SKIP: $*"
	exit 77
}

# A failed check: the run goes on (to print counters) and ends with exit status 1.
it_bad()
{
	printf 'FAIL: %s\n' "$*"
	it_fail=1
}

it_die()
{
	printf 'FAIL: %s\n' "$*"
	exit 1
}

it_kill_server()
{
	[ -n "$it_srv_pid" ] || return 0
	if kill -0 "$it_srv_pid" 2>/dev/null; then
		kill -TERM "$it_srv_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$it_srv_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$it_srv_pid" 2>/dev/null || true
	fi
	wait "$it_srv_pid" 2>/dev/null || true
	it_srv_pid=
}

it_cleanup()
{
	trap - EXIT INT TERM
	it_kill_server
	[ -z "$it_ns" ] || ip netns del "$it_ns" 2>/dev/null || true
	[ -z "$it_tmp" ] || rm -rf "$it_tmp"
}

# it_init NAME HAYABUSA: checks the host (else exit 77), makes the temporary directory and
# sets the cleanup trap. NAME makes the namespace and DPDK file prefix unique to this run.
# it_prereqs: skip (exit 77) without root, /dev/net/tun, iproute2, gtlsclient or namespaces.
it_prereqs()
{
	[ "$(id -u)" -eq 0 ] || it_skip "needs root (network namespace, tap device)"
	[ -c /dev/net/tun ] || it_skip "/dev/net/tun is missing"
	command -v ip >/dev/null || it_skip "iproute2 missing"
	command -v gtlsclient >/dev/null || it_skip "gtlsclient missing (package ngtcp2-client)"
	ip netns add "hb-probe-$$" 2>/dev/null || it_skip "cannot create network namespaces here"
	ip netns del "hb-probe-$$"
}

it_init()
{
	local name=${1:?it_init NAME HAYABUSA}

	it_bin=${2:?it_init NAME HAYABUSA}
	it_prereqs
	[ -x "$it_bin" ] || it_die "no server binary at $it_bin"
	it_ns="hb-$name-$$"
	ip netns add "$it_ns" 2>/dev/null || it_skip "cannot create network namespaces here"
	ip -n "$it_ns" link set lo up
	it_tmp=$(mktemp -d /tmp/hb-it.XXXXXX)
	mkdir -p "$it_tmp/www" "$it_tmp/dl"
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM
}

# it_www: the bundled files plus random ones: 1m.bin, 5m.bin and 50 small p00..p49.txt.
it_www()
{
	local top i

	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	cp "$top"/www/* "$it_tmp/www/"
	head -c 1048576 /dev/urandom >"$it_tmp/www/1m.bin"
	head -c 5242880 /dev/urandom >"$it_tmp/www/5m.bin"
	for i in $(seq -w 0 49); do
		head -c $((1000 + 797 * 10#$i)) /dev/urandom | base64 >"$it_tmp/www/p$i.txt"
	done
}

# shellcheck disable=SC2120 # options are optional
# it_start [--v6] [server options...]: the server on net_tap, then the client's side of the
# tap (IPv4, and IPv6 too with --v6). Waits (bounded) for "hayabusa: serving".
it_start()
{
	local v6=0 eal hp listen

	if [ "${1:-}" = --v6 ]; then
		v6=1
		shift
	fi
	eal=(--no-pci --no-shconf --file-prefix="hb_$it_ns" --vdev="net_tap0,iface=$IT_TAP"
		--log-level=lib.eal:warning --log-level=pmd.net.tap:error)
	hp=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${hp:-0}" -ge 128 ]; then eal+=(-m 256); else eal+=(--no-huge -m 256); fi
	# IT_LCORES: an --lcores mapping of the test's own (several workers), else one worker.
	if [ -n "${IT_LCORES:-}" ]; then
		eal+=(--lcores="$IT_LCORES")
	elif [ "$(nproc)" -ge 2 ]; then eal+=(--lcores=0@1); else eal+=(--lcores=0@0); fi
	listen=(--listen "$IT_SRV_IP/24:$IT_PORT")
	[ "$v6" -eq 0 ] || listen+=(--listen "[$IT_SRV_IP6]:$IT_PORT") # on-link /64 by default
	ip netns exec "$it_ns" "$it_bin" "${eal[@]}" -- "${listen[@]}" --root "$it_tmp/www" \
		"$@" >"$it_tmp/server.log" 2>&1 &
	it_srv_pid=$!
	for _ in $(seq 100); do
		grep -q '^hayabusa: serving' "$it_tmp/server.log" && break
		kill -0 "$it_srv_pid" 2>/dev/null || break
		sleep 0.2
	done
	if ! grep -q '^hayabusa: serving' "$it_tmp/server.log"; then
		cat "$it_tmp/server.log"
		# A server that died at start with nothing in its log: say how it ended.
		kill -0 "$it_srv_pid" 2>/dev/null ||
			{ wait "$it_srv_pid"; echo "server exit status $? (128+N: signal N)"; }
		it_die "the server did not start"
	fi
	grep '^hayabusa:' "$it_tmp/server.log"
	if [ "$v6" -eq 1 ]; then
		ip netns exec "$it_ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 || true
		ip netns exec "$it_ns" sysctl -qw "net.ipv6.conf.$IT_TAP.disable_ipv6=0" || true
		ip -n "$it_ns" -6 addr add "$IT_CLI_IP6/64" dev "$IT_TAP" nodad
	fi
	ip -n "$it_ns" addr add "$IT_CLI_IP/24" dev "$IT_TAP"
	ip -n "$it_ns" link set "$IT_TAP" up
}

# it_client LOG [gtlsclient options and arguments...]: one bounded gtlsclient run in the
# namespace, output to $it_tmp/LOG; returns gtlsclient's exit status.
it_client()
{
	local log=${1:?it_client LOG ...} rc=0

	shift
	ip netns exec "$it_ns" timeout --kill-after=5 90 gtlsclient --exit-on-all-streams-close \
		--timeout=5s --handshake-timeout=5s "$@" >"$it_tmp/$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$it_tmp/$log"
		it_say "gtlsclient ($log) exit status $rc"
	fi
	return "$rc"
}

# it_urls FILE...: prints the https:// URLs of FILEs at the IPv4 server address.
it_urls()
{
	local f

	for f in "$@"; do printf 'https://%s:%s/%s\n' "$IT_SRV_IP" "$IT_PORT" "$f"; done
}

# it_crypto_rx LOG LEVEL: the hex bytes ("02 00 00 56 ...") of the first CRYPTO data at offset 0
# that the client received at LEVEL (Initial, Handshake), from a gtlsclient log made without -q
# or --no-quic-dump (ngtcp2 dumps ordered CRYPTO data 16 bytes a line, then its length).
it_crypto_rx()
{
	awk -v lvl="$2" '
		$0 ~ ("frm rx [0-9]+ " lvl " CRYPTO\\(0x06\\) offset=0 ") { f = 1; next }
		f && /^[0-9a-f]+  / { printf "%s ", substr($0, 11, 49); next }
		f && /^[0-9a-f]+$/ { exit }' "$it_tmp/$1" | tr -s ' ' | sed 's/^ //'
}

# it_check [--dir DIR] FILE...: each downloaded file must match the web root's by SHA-256.
it_check()
{
	local dir="$it_tmp/dl" f want got

	if [ "${1:-}" = --dir ]; then
		dir=$2
		shift 2
	fi
	for f in "$@"; do
		want=$(sha256sum <"$it_tmp/www/$f" | cut -c1-64)
		got=none
		[ -f "$dir/$f" ] && got=$(sha256sum <"$dir/$f" | cut -c1-64)
		if [ "$want" = "$got" ]; then
			printf '%-12s %10s  %s ok\n' "$f" "$(stat -c %s "$it_tmp/www/$f")" "${got:0:16}"
		else
			it_bad "$f: sha256 $got, want $want"
		fi
	done
}

# it_sanitizer_report: what AddressSanitizer, LeakSanitizer or UBSan wrote in the server log (a
# sanitized build exits non-zero after such a report: ASAN_OPTIONS from tests/integration).
it_sanitizer_report()
{
	grep -qE '^==[0-9]+==|runtime error:' "$it_tmp/server.log" || return 0
	it_say "sanitizer report"
	sed -n -E '/^==[0-9]+==|runtime error:/,$p' "$it_tmp/server.log" | head -n 300
}

# it_term PID: SIGTERM, a bounded wait (20 s: a sanitized build checks for leaks at exit), then
# SIGKILL; returns the process's exit status.
it_term()
{
	local rc=0

	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null || rc=$?
	return "$rc"
}

# it_stop: SIGTERM, bounded wait, the server's counters printed; a non-zero exit is a failure.
# The wait allows for a sanitized build's leak check at exit.
it_stop()
{
	local rc=0

	[ -n "$it_srv_pid" ] || return 0
	it_term "$it_srv_pid" || rc=$?
	it_srv_pid=
	sed -n '/^--- stats/,$p' "$it_tmp/server.log" | sed -E '/^==[0-9]+==|^={40,}$/,$d'
	[ "$rc" -eq 0 ] || { it_sanitizer_report; it_bad "server exit status $rc"; }
}

# it_counter NAME: a counter from the server's final stats (after it_stop), or empty.
it_counter()
{
	awk -v n="$1" '$1 == n { print $2 }' "$it_tmp/server.log" | tail -n 1
}

# it_finish: exit status 0 when no check failed.
it_finish()
{
	if [ "$it_fail" -ne 0 ]; then
		it_say "FAILED"
		exit 1
	fi
	it_say "passed"
	exit 0
}

# ---- hayabusa-bench as the client (issue 6), added for test_interop_client_gtlsserver.sh and
# test_bench_smoke.sh; the helpers above are unchanged.

it_peer_pid=

# it_bench_eal PREFIX VDEV LCORE: EAL options for one hayabusa-bench or hayabusa process (a DPDK
# file prefix unique to the run, hugepages when there are enough, else --no-huge), as it_eal[].
it_bench_eal()
{
	local hp

	it_eal=(--no-pci --no-shconf --file-prefix="$1" --vdev="$2" --lcores="0@$3"
		--log-level=lib.eal:warning --log-level=pmd.net.tap:error
		--log-level=pmd.net.memif:error)
	hp=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${hp:-0}" -ge 256 ]; then it_eal+=(-m 256); else it_eal+=(--no-huge -m 256); fi
}

# it_cert: a self-signed ECDSA P-256 certificate for localhost, $it_tmp/cert.pem and key.pem.
it_cert()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost \
		-keyout "$it_tmp/key.pem" -out "$it_tmp/cert.pem" >/dev/null 2>&1 ||
		it_die "openssl could not make a certificate"
}

# it_wait_link DEV: waits (bounded) for DEV to appear in the namespace; gives it the IPv4
# address $IT_SRV_IP/24 and brings it up. The bench creates the tap device when it starts.
it_wait_link()
{
	for _ in $(seq 100); do
		ip -n "$it_ns" link show "$1" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip -n "$it_ns" link show "$1" >/dev/null 2>&1 || return 1
	ip -n "$it_ns" addr add "$IT_SRV_IP/24" dev "$1" 2>/dev/null || true
	ip -n "$it_ns" link set "$1" up
}

# it_gtlsserver_start LOG [options]: ngtcp2's gtlsserver on *:$IT_PORT in the namespace,
# serving $it_tmp/www with it_cert's certificate, output to $it_tmp/LOG.
it_gtlsserver_start()
{
	local log=${1:?it_gtlsserver_start LOG ...}

	shift
	ip netns exec "$it_ns" timeout --kill-after=5 300 gtlsserver -q -d "$it_tmp/www" "$@" \
		'*' "$IT_PORT" "$it_tmp/key.pem" "$it_tmp/cert.pem" >"$it_tmp/$log" 2>&1 &
	it_peer_pid=$!
	sleep 0.3
	kill -0 "$it_peer_pid" 2>/dev/null || { cat "$it_tmp/$log"; it_die "gtlsserver did not start"; }
}

# it_peer_stop: stops the peer started by it_gtlsserver_start (bounded), as it_kill_server does.
it_peer_stop()
{
	local srv=$it_srv_pid

	it_srv_pid=$it_peer_pid
	it_kill_server
	it_srv_pid=$srv
	it_peer_pid=
}

# shellcheck disable=SC2120 # arguments are optional
# it_wait_serving [LOG PID]: waits (bounded) for "hayabusa: serving" in LOG from the server
# started as PID [$it_tmp/server.log, $it_srv_pid]; dies with the log when it does not come.
it_wait_serving()
{
	local log=${1:-$it_tmp/server.log} pid=${2:-$it_srv_pid}

	for _ in $(seq 100); do
		grep -q '^hayabusa: serving' "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	cat "$log"
	it_die "the server did not start"
}

# it_bench_run SOCK NAME MODE [options]: one bounded run of hayabusa-bench ($it_bin: it_init was
# given the bench) in the namespace, the client of the net_memif link at SOCK, from $IT_CLI_IP
# to $IT_SRV_IP; its JSON in $it_tmp/NAME.json, its output in $it_tmp/NAME.log. A non-zero
# exit is a failure.
it_bench_run()
{
	local sock=$1 name=$2 rc=0 try

	shift 2
	it_say "hayabusa-bench $*"
	it_bench_eal "hbc_${it_ns}_$name" "net_memif0,role=client,socket=$sock,mac=$IT_CLI_MAC" 0
	for try in 1 2; do
		rc=0
		ip netns exec "$it_ns" timeout --kill-after=5 60 "$it_bin" "${it_eal[@]}" -- "$@" \
			--server "$IT_SRV_IP:$IT_PORT" --local "$IT_CLI_IP/24" --quiet \
			--start-delay 0.5 --json "$it_tmp/$name.json" >"$it_tmp/$name.log" 2>&1 || rc=$?
		# The memif link now and then never comes up on a loaded host: nothing was sent,
		# nothing was tested; once more.
		if [ "$rc" -eq 0 ] || [ "$try" -eq 2 ] ||
			! grep -q '^pkts_tx  *0$' "$it_tmp/$name.log" ||
			! grep -q 'port link down' "$it_tmp/$name.log"; then
			break
		fi
		it_say "$name: the link never came up (nothing sent); once more"
	done
	sed -n '/^--- result/,/^latency/p' "$it_tmp/$name.log"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$it_tmp/$name.log"
		it_bad "$name: exit status $rc"
	fi
}

# it_want NAME PYTHON-EXPR: the expression over $it_tmp/NAME.json (j, its totals t) must hold.
it_want()
{
	[ -f "$it_tmp/$1.json" ] || { it_bad "$1: no JSON"; return; }
	python3 - "$it_tmp/$1.json" "$2" <<'PY' || it_bad "$1: $2"
import json, sys
j = json.load(open(sys.argv[1]))
t = j["totals"]
ok = eval(sys.argv[2])
print("   check %-60s %s" % (sys.argv[2], "ok" if ok else "FAILED"))
sys.exit(0 if ok else 1)
PY
}

# it_session_first FILE...: a first gtlsclient connection (full handshake) downloading FILEs,
# which must leave a session ticket and the server's transport parameters for a later one
# (RFC 9001 §4.6); it_session holds the options that hand both to that connection.
it_session=()
it_session_first()
{
	local urls

	it_session=(--session-file="$it_tmp/session.pem" --tp-file="$it_tmp/tp.txt")
	mapfile -t urls < <(it_urls "$@")
	it_say "gtlsclient: first connection (full handshake, keeps the ticket and parameters)"
	it_client first.log --no-quic-dump --no-http-dump "${it_session[@]}" \
		--download "$it_tmp/dl" "$IT_SRV_IP" "$IT_PORT" "${urls[@]}" ||
		it_bad "gtlsclient failed"
	it_check "$@"
	[ -s "$it_tmp/session.pem" ] || it_bad "no session ticket was received (--session-file empty)"
	[ -s "$it_tmp/tp.txt" ] || it_bad "no transport parameters were saved (--tp-file empty)"
}

# ---- hayabusa served over net_memif to hayabusa-bench (test_bench_smoke.sh,
# test_mem_budget.sh, bench/conn_memory.sh).

# it_memif_serve SERVER [server options]: SERVER (hayabusa) as the server side of a net_memif
# link at $it_tmp/memif.sock (it_sock), listening on $IT_SRV_IP/24:$IT_PORT, its busy lcore on
# CPU 1 when there are two, output to $it_tmp/server.log; waits (bounded) until it serves.
it_sock=
it_memif_serve()
{
	local server=${1:?it_memif_serve SERVER [options]} scpu=0

	shift
	[ -x "$server" ] || it_die "no server binary at $server"
	[ "$(nproc)" -ge 2 ] && scpu=1
	it_sock="$it_tmp/memif.sock"
	it_bench_eal "hbs_${it_ns}" "net_memif0,role=server,socket=$it_sock,mac=$IT_SRV_MAC" "$scpu"
	ip netns exec "$it_ns" "$server" "${it_eal[@]}" -- --listen "$IT_SRV_IP/24:$IT_PORT" \
		--poll busy "$@" >"$it_tmp/server.log" 2>&1 &
	it_srv_pid=$!
	it_wait_serving
}

# it_gauge NAME: the server's counter NAME from its latest complete --stats block (0 if none).
it_gauge()
{
	awk -v n="$1" '/^--- stats: quic/ { q = 1; next } /^--- stats:/ { q = 0 }
		q && $1 == n { v = $2 } END { print v + 0 }' "$it_tmp/server.log"
}

# it_settle: waits (bounded, 12 s) until two --stats blocks a second apart (--stats 1) agree on
# conns_active.
it_settle()
{
	local a b

	a=$(it_gauge conns_active)
	for _ in $(seq 10); do
		sleep 1.2
		b=$(it_gauge conns_active)
		[ "$a" = "$b" ] && return
		a=$b
	done
}
