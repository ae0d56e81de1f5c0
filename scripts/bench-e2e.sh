#!/usr/bin/env bash
# End-to-end load test: serves each contestant's "GET /" on 127.0.0.1 in the
# same http.Server and drives it with wrk. Each round runs every contestant
# back to back with the bare handler (which of the two goes first
# alternates), so each ratio compares two runs seconds apart: a shared
# machine's speed drifts by more than the differences measured. Prints a
# Markdown table of median req/s and p99 latency and the median of the
# paired ratios. Installs Debian's wrk when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-4s}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-32}
read -r -a contestants <<<"${CONTESTANTS:-bare itty httprouter gin echo chi gorillamux servemux}"

if ! command -v wrk >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "bench-e2e: installing wrk..." >&2
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends wrk >/dev/null
	fi
	command -v wrk >/dev/null || { echo "bench-e2e: wrk is needed (apt-get install wrk)" >&2; exit 1; }
fi

# With two or more CPUs, pin the server and wrk to different ones, so the
# scheduler moving them around does not swamp the differences measured.
pin_server= pin_client=
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_server="taskset -c 0" pin_client="taskset -c 1"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; jobs -p | xargs -r kill 2>/dev/null || true' EXIT
(cd bench && go build -o "$tmp/e2eserver" ./cmd/e2eserver)

run_one() { # contestant -> "rps p99_us"
	local name=$1 log="$tmp/$1.log" pid url
	GOMAXPROCS=1 $pin_server "$tmp/e2eserver" -router "$name" 2>"$log" &
	pid=$!
	for _ in $(seq 100); do
		url=$(grep -o 'http://[^ ]*' "$log" 2>/dev/null || true)
		[ -n "$url" ] && break
		sleep 0.05
	done
	$pin_client wrk -t1 -c"$CONNS" -d1s "$url" >/dev/null # warm up
	local out
	out=$($pin_client wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$url")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	local rps p99
	rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1=="99%" {v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v); if (u=="ms") v*=1000; else if (u=="s") v*=1000000; print v}' <<<"$out")
	echo "$rps $p99"
}

for round in $(seq "$ROUNDS"); do
	# rotate the order each round so no contestant always runs first
	n=${#contestants[@]}
	for i in $(seq 0 $((n - 1))); do
		name=${contestants[$(((i + round) % n))]}
		[ "$name" = bare ] && continue
		if [ $(((round + i) % 2)) = 0 ]; then
			b=$(run_one bare) c=$(run_one "$name")
		else
			c=$(run_one "$name") b=$(run_one bare)
		fi
		echo "$name $c $b" >>"$tmp/results"
		echo "bench-e2e: round $round $name: $c (bare $b)" >&2
	done
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# results: name rps p99 bare_rps bare_p99
bare_rps=$(awk '{print $4}' "$tmp/results" | median)
bare_p99=$(awk '{print $5}' "$tmp/results" | median)
echo "### End to end: GET / over loopback (wrk -c$CONNS, $DURATION runs, $ROUNDS rounds, server GOMAXPROCS=1${pin_server:+, server and wrk pinned to separate CPUs})"
echo
echo "Each contestant ran back to back with the bare handler in every round; the ratios are the"
echo "medians of those paired ratios, the req/s and p99 columns medians of the runs themselves."
echo
echo "| Contestant | req/s | ÷ bare (paired) | p99 latency | ÷ bare (paired) |"
echo "|---|---:|---:|---:|---:|"
printf '| bare | %.0f | 100.0%% | %.0f µs | 1.00× |\n' "$bare_rps" "$bare_p99"
for name in "${contestants[@]}"; do
	[ "$name" = bare ] && continue
	rps=$(awk -v n="$name" '$1==n {print $2}' "$tmp/results" | median)
	p99=$(awk -v n="$name" '$1==n {print $3}' "$tmp/results" | median)
	rr=$(awk -v n="$name" '$1==n {print $2/$4}' "$tmp/results" | median)
	pr=$(awk -v n="$name" '$1==n {print $3/$5}' "$tmp/results" | median)
	awk -v n="$name" -v r="$rps" -v p="$p99" -v rr="$rr" -v pr="$pr" \
		'BEGIN {printf "| %s | %.0f | %.1f%% | %.0f µs | %.2f× |\n", n, r, 100*rr, p, pr}'
done
