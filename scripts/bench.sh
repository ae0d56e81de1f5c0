#!/usr/bin/env bash
# make bench: the routers' instructions per request under callgrind
# (scripts/instrcount.sh, INSTR_ROUNDS rounds, default 1), every Go benchmark
# (routers, cookies, signed cookies, sessions) in COUNT rounds, then the
# end-to-end wrk test; writes the Markdown tables to bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
mkdir -p bench/results
# The counts first: they take a few minutes, do not depend on the machine's
# load, and stop the run early if valgrind is missing.
instr=bench/results/instructions.txt
ROUNDS=${INSTR_ROUNDS:-1} scripts/instrcount.sh | tee "$instr"
raw=bench/results/go-bench.txt
# COUNT rounds, each running every benchmark once: the contestants of one
# benchmark run back to back, so a drift in the machine's speed between
# rounds moves the ratios within a round little (benchtable pairs them).
for round in $(seq "$COUNT"); do
	echo "# round $round of $COUNT" >&2
	(cd bench && go test -run '^$' -bench . -benchtime "$BENCHTIME" -count 1 .)
	go test -run '^$' -bench 'Cookie|SignedCookie' -benchtime "$BENCHTIME" -count 1 .
	go test -run '^$' -bench 'SessionRequest' -benchtime "$BENCHTIME" -count 1 ./sessions/
done | tee "$raw"
out=bench/results/latest.md
{
	echo "## Run of $(date -u +%Y-%m-%d) on $(go env GOOS)/$(go env GOARCH), $(go version | awk '{print $3}')"
	echo
	echo "CPU: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown), $(nproc) cores"
	echo
	(cd bench && go run ./cmd/benchtable -instr "../$instr") <"$raw"
	echo
	scripts/bench-e2e.sh
} >"$out"
echo "wrote $out"
