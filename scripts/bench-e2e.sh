#!/usr/bin/env bash
# End-to-end load test: serves each contestant's "GET /" on 127.0.0.1 in the
# same http.Server and drives it with wrk, comparing it with the bare
# handler. A shared machine's speed drifts by more than the differences
# measured, so each contestant's server and a bare server run side by side
# and wrk drives them in turn, in short slices (ABBA order), and each ratio
# is the median of the ratios of adjacent slices. Prints a Markdown table of
# median req/s and p99 latency and those paired ratios. Installs Debian's
# wrk when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SLICE=${SLICE:-1s}
SLICES=${SLICES:-10}
CONNS=${CONNS:-32}
read -r -a contestants <<<"${CONTESTANTS:-itty httprouter gin echo chi gorillamux servemux bare-noheader}"

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

start() { # contestant -> sets url_<contestant>; the server's pid is in $tmp/<contestant>.pid
	local name=$1 log="$tmp/$1.log" url=
	GOMAXPROCS=1 $pin_server "$tmp/e2eserver" -router "$name" 2>"$log" &
	echo $! >"$tmp/$name.pid"
	for _ in $(seq 100); do
		url=$(grep -o 'http://[^ ]*' "$log" 2>/dev/null || true)
		[ -n "$url" ] && break
		sleep 0.05
	done
	[ -n "$url" ] || { echo "bench-e2e: $name did not start" >&2; cat "$log" >&2; exit 1; }
	printf -v "url_${name//-/_}" %s "$url"
	$pin_client wrk -t1 -c"$CONNS" -d1s "$url" >/dev/null # warm up
}

stop() { kill "$(cat "$tmp/$1.pid")" 2>/dev/null || true; wait "$(cat "$tmp/$1.pid")" 2>/dev/null || true; }

drive() { # url -> "rps p99_us"
	local out rps p99
	out=$($pin_client wrk -t1 -c"$CONNS" -d"$SLICE" --latency "$1")
	rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
	p99=$(awk '$1=="99%" {v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v); if (u=="ms") v*=1000; else if (u=="s") v*=1000000; print v}' <<<"$out")
	echo "$rps $p99"
}

: >"$tmp/results"
for name in "${contestants[@]}"; do
	[ "$name" = bare ] && continue
	start bare
	start "$name"
	url_c=url_${name//-/_}
	for i in $(seq "$SLICES"); do
		if [ $((i % 4)) = 1 ] || [ $((i % 4)) = 0 ]; then # ABBA: bare, c, c, bare, ...
			b=$(drive "$url_bare") c=$(drive "${!url_c}")
		else
			c=$(drive "${!url_c}") b=$(drive "$url_bare")
		fi
		echo "$name $c $b" >>"$tmp/results"
		echo "bench-e2e: $name $c (bare $b)" >&2
	done
	stop "$name"
	stop bare
	echo "bench-e2e: $name done" >&2
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# results: name rps p99 bare_rps bare_p99, one line per pair of adjacent slices
bare_rps=$(awk '{print $4}' "$tmp/results" | median)
bare_p99=$(awk '{print $5}' "$tmp/results" | median)
echo "### End to end: GET / over loopback (wrk -c$CONNS, $SLICES slices of $SLICE per contestant and as many of bare, server GOMAXPROCS=1${pin_server:+, servers and wrk pinned to separate CPUs})"
echo
echo "Each contestant's server ran beside a bare one and wrk drove them in turn; the ratios are the"
echo "medians of the ratios of adjacent slices, the req/s and p99 columns medians of the slices."
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
