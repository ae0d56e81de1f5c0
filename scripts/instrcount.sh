#!/usr/bin/env bash
# Instructions per request for each routing contestant and case, counted
# with callgrind, which a shared, noisy machine does not move the way it
# moves times. bench/cmd/instrcount serves one case through one
# contestant's router (the benchmarks' cases, request lists and reused
# response writer) and exits; it runs under valgrind --tool=callgrind with
# GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 GOGC=off at two request counts
# N1 < N2, and the figure is
#
#	(Ir(N2) - Ir(N1)) / (N2 - N1)
#
# with Ir callgrind's total instruction count (its output's totals: line),
# which leaves out start-up, the router's build and the warm-up op.
#
# GOGC=off leaves the garbage collector out: how many instructions its
# concurrent marking costs the program (write barriers, assists) depends on
# when its worker gets the one CPU, a matter of time, and it moved an
# allocating router's figure by up to 10 % between runs; with a stopped-world
# collector instead, one cycle more or less between N1 and N2 still moved it
# by 1 %. So an allocation counts as the allocator's own instructions, and
# the allocs/op beside the figure say who leaves garbage behind; itty, which
# allocates nothing a request, loses nothing by it.
#
# The total moves from run to run by a few hundred thousand instructions
# whatever N is: Go's runtime fills a type assertion's cache at a random
# call (one in 1024, for each call site). So N2 is sized for
# Ir(N2) - Ir(N1) to be about BUDGET instructions (N1 is 1,000 requests,
# in whole ops; see one below). With the default 3e8 a figure moves by
# 0.05 % between runs typically, by 0.3 % at most in four runs of every
# count. A router that looks a request up in a small map (httprouter's
# trees by method) also pays, in a process whose map seed makes two keys
# share their hash's top bits, a string comparison more on some requests:
# once in those four runs that moved a figure by 1.2 %. With ROUNDS=3,
# benchtable's median of the rounds drops such a run.
#
# Prints one line per contestant and case, in Go benchmark format (benchstat
# reads it; benchtable -instr puts it beside the times):
#
#	BenchmarkGitHubAll/itty 217616 1371.19 instr/req 203 req/op 346.10 loads/req 233.05 stores/req 1015 req1 8583498 Ir1 218631 req2 306976544 Ir2
#
# (the iteration count is N2 - N1). loads/req and stores/req are the data
# reads and writes among those instructions (callgrind's Dr and Dw, from
# its cache simulation), subtracted the same way. A request that allocates
# nothing runs so many instructions a cycle that memory operations, not
# instructions, bound its time: docs/performance.md shows how the time
# ratios follow them.
#
# Environment: ROUTERS and CASES (space-separated names; default every
# contestant and case, as instrcount -list prints them), BUDGET, N1, JOBS
# (parallel valgrind runs; default the number of CPUs: counts do not depend
# on load), ROUNDS (default 1; 2 or more to see how much the figures move).
# Installs Debian's valgrind when it is missing and this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${BUDGET:-300000000}
JOBS=${JOBS:-$(nproc)}
ROUNDS=${ROUNDS:-1}
N1=${N1:-1000}

# count N: one callgrind run of instrcount serving at least N requests;
# sets ir (total instructions), dr and dw (data reads and writes), req
# (requests served) and perop (requests an op).
count() {
	local out="$tmp/$router.$case.$1"
	if ! GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 GOGC=off valgrind --tool=callgrind --cache-sim=yes \
		--callgrind-out-file="$out.cg" "$bin" -router "$router" -case "$case" -requests "$1" \
		>"$out.stdout" 2>"$out.stderr"; then
		echo "instrcount: $router $case at $1 requests failed:" >&2
		tail -20 "$out.stderr" >&2
		return 1
	fi
	# totals: holds one figure for each name of the events: line.
	read -r ir dr dw < <(awk '$1 == "events:" { for (i = 2; i <= NF; i++) col[$i] = i }
		$1 == "totals:" { print $col["Ir"], $col["Dr"], $col["Dw"] }' "$out.cg")
	req=$(awk '$1 == "requests" { print $2 }' "$out.stdout")
	perop=$(awk '$1 == "requests" { print $4 }' "$out.stdout")
	if [ -z "$ir" ] || [ -z "$dw" ] || [ -z "$req" ]; then
		echo "instrcount: $router $case: no Ir, Dr and Dw on the totals: line of callgrind's output, or no request count" >&2
		return 1
	fi
	rm -f "$out.cg" "$out.stdout" "$out.stderr"
}

# one ROUTER CASE: the line for one contestant and case.
one() {
	router=$1 case=$2
	local ir1 dr1 dw1 req1 ir2 dr2 dw2 req2 per n tries=0
	count "$N1"
	ir1=$ir dr1=$dr dw1=$dw req1=$req
	# Ir(N1) / N1 overstates a request's cost (start-up is in it), so the
	# first N2 spends at most about BUDGET; while it spends less than half
	# of it, N2 is sized again from what it cost per request (taken as at
	# least 20 instructions, so a run lost in the noise cannot make N2 huge).
	per=$((ir1 / req1))
	while :; do
		n=$((req1 + BUDGET / per))
		count "$n"
		ir2=$ir dr2=$dr dw2=$dw req2=$req tries=$((tries + 1))
		[ $((2 * (ir2 - ir1))) -lt "$BUDGET" ] && [ "$tries" -lt 3 ] || break
		per=$(((ir2 - ir1) / (req2 - req1)))
		[ "$per" -ge 20 ] || per=20
	done
	awk -v name="$case/$router" -v ir1="$ir1" -v req1="$req1" -v ir2="$ir2" -v req2="$req2" -v perop="$perop" \
		-v dr="$((dr2 - dr1))" -v dw="$((dw2 - dw1))" 'BEGIN {
		n = req2 - req1
		printf "Benchmark%s %d %.2f instr/req %d req/op %.2f loads/req %.2f stores/req %d req1 %d Ir1 %d req2 %d Ir2\n",
			name, n, (ir2 - ir1) / n, perop, dr / n, dw / n, req1, ir1, req2, ir2
	}'
}

if [ "${1:-}" = --one ]; then
	# A worker of the parallel run below: bin and tmp come from it.
	bin=$INSTRCOUNT_BIN tmp=$INSTRCOUNT_TMP
	one "$2" "$3" >"$tmp/line.$4"
	exit
fi

if ! command -v valgrind >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "instrcount: installing valgrind..." >&2
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends valgrind >/dev/null
	fi
	command -v valgrind >/dev/null || { echo "instrcount: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/instrcount
(cd bench && go build -o "$bin" ./cmd/instrcount)
read -r -a routers <<<"${ROUTERS:-$("$bin" -list | awk '$1 == "contestant" { printf "%s ", $2 }')}"
read -r -a cases <<<"${CASES:-$("$bin" -list | awk '$1 == "case" { printf "%s ", $2 }')}"

echo "# instructions per request: $(valgrind --version) --tool=callgrind, GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 GOGC=off, $(go version | awk '{print $3}'), BUDGET=$BUDGET"
for round in $(seq "$ROUNDS"); do
	start=$SECONDS
	jobs=()
	for c in "${cases[@]}"; do
		for r in "${routers[@]}"; do
			jobs+=("$r $c ${#jobs[@]}")
		done
	done
	printf '%s\n' "${jobs[@]}" |
		INSTRCOUNT_BIN=$bin INSTRCOUNT_TMP=$tmp xargs -P "$JOBS" -L 1 "$0" --one
	for i in "${!jobs[@]}"; do
		cat "$tmp/line.$i"
	done
	echo "# round $round of $ROUNDS: ${#jobs[@]} counts in $((SECONDS - start)) s with $JOBS parallel runs"
done
