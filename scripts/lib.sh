# SPDX-License-Identifier: BSD-3-Clause
# Shared by scripts/test.sh and scripts/demo.sh: package installation and small helpers.
# Sourced, not run.

# Debian 12 packages the build, the tests, the demo and the benchmarks need.
HB_PACKAGES="build-essential pkg-config meson ninja-build python3 \
libssl-dev libipsec-mb-dev libdpdk-dev dpdk-dev libcriterion-dev \
clang libclang-rt-14-dev llvm \
ngtcp2-client ngtcp2-server tshark gnuplot-nox iproute2 ca-certificates"

hb_say()
{
	printf '==> %s\n' "$*"
}

hb_die()
{
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Install whatever of HB_PACKAGES is missing, quietly and idempotently. Needs root for apt;
# without root it only reports what is missing.
hb_install_deps()
{
	local missing="" p
	for p in $HB_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		hb_die "missing Debian packages:$missing (run as root to install them)"
	fi
	hb_say "installing Debian packages:$missing"
	local log
	log=$(mktemp)
	if ! { apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		rm -f "$log"
		hb_die "apt-get failed installing:$missing"
	fi
	rm -f "$log"
}

# meson setup DIR ARGS... once, or reconfigure DIR with ARGS when it exists.
hb_meson_setup()
{
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null ||
			{ meson setup "$dir" "$@"; hb_die "meson setup $dir failed"; }
	fi
}
