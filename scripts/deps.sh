#!/usr/bin/env bash
# Installs, from Debian's packages, the programs the tests drive for real
# when they are missing: chromium (browser tests), redis-server and
# redis-cli (the Redis session store, one server and a cluster), PostgreSQL
# (the PostgreSQL session store) and valgrind (the instruction counter's
# smoke run). Sourced by .ci/run; usable by hand: sudo scripts/deps.sh
set -uo pipefail

apt_updated=
apt_install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "deps: cannot install $* (needs root and apt-get)" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	local log
	log=$(mktemp)
	if [ -z "$apt_updated" ]; then
		timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -qq >"$log" 2>&1 || { tail -5 "$log" >&2; return 1; }
		apt_updated=1
	fi
	echo "deps: installing $* from Debian packages..."
	timeout 900 apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "$@" >>"$log" 2>&1 ||
		{ echo "deps: apt-get install $* failed:" >&2; tail -5 "$log" >&2; return 1; }
}

# need CMD PACKAGE: make sure CMD exists, installing PACKAGE if it does not.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	apt_install "$2" && command -v "$1" >/dev/null 2>&1
}

# have_initdb: PostgreSQL's server binaries, which Debian keeps off PATH.
have_initdb() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }

missing=()
need chromium chromium || missing+=(chromium)
need redis-server redis-server || missing+=(redis-server)
need redis-cli redis-tools || missing+=(redis-tools)
need valgrind valgrind || missing+=(valgrind)
have_initdb || { apt_install postgresql && have_initdb; } || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: missing: ${missing[*]}" >&2
	return 1 2>/dev/null || exit 1
fi
echo "deps: $(chromium --version 2>/dev/null)"
echo "deps: $(redis-server --version 2>/dev/null)"
echo "deps: $(valgrind --version 2>/dev/null)"
echo "deps: $(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | head -1) $("$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | head -1)" --version 2>/dev/null)"
