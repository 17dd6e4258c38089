# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2154 # it_* come from lib.sh
#
# Shared set-up of the Retry tests of issue #7 (test_retry_*.sh), sourced, not run; it sources
# lib.sh. Several hayabusa servers at once, each on a net_memif link of its own (its own
# socket, DPDK file prefix and log), all inside the run's namespace, and bounded
# hayabusa-bench runs against them (it_bench_run, it_want). Servers may share one address:
# their links are separate. Every wait is bounded; the cleanup stops every server started
# here before lib.sh's cleanup removes the namespace.
#
# Use:  . retry_lib.sh; rt_setup NAME "$@"; rt_server A [server options];
#       rt_bench A RUN MODE [options]; it_want RUN EXPR; rt_stop A; rt_check ...; it_finish

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A rt_pid=()
rt_server_bin=
rt_scpu=0

rt_cleanup()
{
	local n

	for n in "${!rt_pid[@]}"; do
		kill -KILL "${rt_pid[$n]}" 2>/dev/null || true
		wait "${rt_pid[$n]}" 2>/dev/null || true
	done
	it_cleanup
}

# rt_setup NAME HAYABUSA-BENCH HAYABUSA: the script's two arguments, the checks of the host
# (else exit 77: root, iproute2, namespaces, python3), the web root, the cleanup trap.
rt_setup()
{
	local name=$1

	[ $# -eq 3 ] || it_die "usage: $(basename "$0") HAYABUSA-BENCH HAYABUSA"
	rt_server_bin=$3
	it_init "$name" "$2"
	[ -x "$rt_server_bin" ] || it_die "no server binary at $rt_server_bin"
	command -v python3 >/dev/null || it_skip "python3 missing (JSON checks)"
	[ "$(nproc)" -ge 2 ] && rt_scpu=1
	trap rt_cleanup EXIT
	it_www
}

# rt_server NAME [server options]: hayabusa on the memif link NAME (listening on
# $IT_SRV_IP:$IT_PORT, counters every second in $it_tmp/NAME.log); waits until it serves.
# --poll busy: under --poll adaptive the bench's memif link sometimes never came up (seen
# here in 3 of 7 runs, none of 6 with busy polling).
rt_server()
{
	local name=$1

	shift
	it_bench_eal "hbs_${it_ns}_$name" \
		"net_memif0,role=server,socket=$it_tmp/$name.sock,mac=$IT_SRV_MAC" "$rt_scpu"
	ip netns exec "$it_ns" "$rt_server_bin" "${it_eal[@]}" -- \
		--listen "$IT_SRV_IP/24:$IT_PORT" --root "$it_tmp/www" --stats 1 --poll busy "$@" \
		>"$it_tmp/$name.log" 2>&1 &
	rt_pid[$name]=$!
	it_wait_serving "$it_tmp/$name.log" "${rt_pid[$name]}"
}

# rt_stop NAME: SIGTERM, bounded wait, final counters printed; a non-zero exit is a failure.
rt_stop()
{
	local name=$1 rc=0

	it_term "${rt_pid[$name]}" || rc=$?
	unset "rt_pid[$name]"
	it_say "server $name: $(rt_counters "$name")"
	if [ "$rc" -ne 0 ]; then
		sed -n -E '/^==[0-9]+==|runtime error:/,$p' "$it_tmp/$name.log" | head -n 60
		it_bad "server $name exit status $rc"
	fi
}

# rt_counter NAME CNT: the last value of counter CNT in server NAME's log (0 when none yet).
rt_counter()
{
	awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$it_tmp/$1.log"
}

# rt_counters NAME: the counters the Retry tests look at, on one line.
rt_counters()
{
	local c out=

	for c in conns_accepted handshakes retry_sent validated screen_reply screen_drop; do
		out+="$c=$(rt_counter "$1" "$c") "
	done
	echo "$out"
}

# rt_wait_counter NAME CNT OP VALUE: waits (bounded, 5 s) until counter CNT of server NAME
# compares to VALUE by OP (-ge, -eq, -le ...) in its counters printed each second.
rt_wait_counter()
{
	for _ in $(seq 50); do
		test "$(rt_counter "$1" "$2")" "$3" "$4" && return 0
		sleep 0.1
	done
	return 1
}

# rt_json RUN KEY: totals[KEY] of bench run RUN's JSON.
rt_json()
{
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' \
		"$it_tmp/$1.json" "$2"
}

# rt_bench SERVER RUN MODE [options]: it_bench_run on server SERVER's link.
rt_bench()
{
	local srv=$1

	shift
	it_bench_run "$it_tmp/$srv.sock" "$@"
}

# rt_check WHAT VALUE OP WANT: a numeric check on a server counter (OP: -eq, -ge, -le ...).
rt_check()
{
	if test "$2" "$3" "$4"; then
		printf '   check %-60s ok\n' "$1 $3 $4 ($2)"
	else
		it_bad "$1: $2, want $3 $4"
	fi
}
