#!/usr/bin/env bash
# Runs the whole test suite: gofmt, go vet and staticcheck, then every module in
# go.work with -race, then a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=$(go list -m -f '{{.Dir}}')

# Every module the workspace builds, into the module cache first: the docs'
# snippets are built offline (internal/docsnippets) and import the store
# drivers, whose dependencies the root module's own tests would not fetch.
echo "== go mod download"
go mod download

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

# testsummary prints one line per package, the output of failed tests, and
# (at the end) every skipped test with its reason, without -v.
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
go build -o "$results/testsummary" ./internal/cmd/testsummary
# staticcheck, at the version internal/tools/go.mod pins.
(cd internal/tools && go build -o "$results/staticcheck" honnef.co/go/tools/cmd/staticcheck)

failed=0
for dir in $modules; do
	name=${dir#"$PWD"}
	echo "== module .$name: go vet"
	(cd "$dir" && go vet ./...)
	echo "== module .$name: staticcheck"
	(cd "$dir" && "$results/staticcheck" ./...)
	echo "== module .$name: go test -race"
	json="$results/module$(echo "$name" | tr '/' '_').json"
	(cd "$dir" && go test -race -count=1 -json ./... >"$json") || failed=1
	"$results/testsummary" <"$json" || failed=1
done
if [ "$failed" != 0 ]; then
	echo "== tests failed"; exit 1
fi

echo "== the released modules as a consumer builds them (scripts/consumer.sh)"
scripts/consumer.sh

echo "== benchmarks (smoke run, -benchtime=1x, so they never rot)"
for dir in $modules; do
	(cd "$dir" && go test -run '^$' -bench . -benchtime=1x ./... >/dev/null) ||
		{ echo "benchmarks failed in .${dir#"$PWD"}"; (cd "$dir" && go test -run '^$' -bench . -benchtime=1x ./... | tail -20); exit 1; }
done

# The instruction counter end to end on two contestants and one case, with a
# small budget (figures rough, a few seconds): callgrind runs, its totals are
# read, and a count comes out for each. CI installs valgrind (scripts/deps.sh).
echo "== instruction counter (smoke run of scripts/instrcount.sh)"
if command -v valgrind >/dev/null; then
	counts=$(ROUTERS="itty bare" CASES=GitHubAll BUDGET=20000000 scripts/instrcount.sh)
	if [ "$(echo "$counts" | awk '/^BenchmarkGitHubAll\/(itty|bare) [0-9]+ [0-9.]+ instr\/req/ && $3 > 0 && $8 == "loads/req" && $7 > 0 && $10 == "stores/req" && $9 > 0' | wc -l)" != 2 ]; then
		echo "instrcount.sh gave no count of instructions, loads and stores for itty and bare:"; echo "$counts"; exit 1
	fi
elif [ "${CI:-}" = true ]; then
	echo "valgrind is missing (scripts/deps.sh installs it)"; exit 1
else
	echo "skipped: valgrind is not installed (apt-get install valgrind; make bench needs it too)"
fi

if [ -x scripts/fuzz.sh ]; then
	echo "== fuzz (short)"
	FUZZTIME=${FUZZTIME:-30000x} scripts/fuzz.sh
fi
cat "$results"/*.json | "$results/testsummary" -skips

# A test run must not change the checkout (go.work.sum, testdata, stray files).
if [ -d .git ] && [ -n "$(git status --porcelain)" ]; then
	echo "== the test run changed the checkout:"; git status --short
	if [ "${CI:-}" = true ]; then exit 1; fi
fi
echo "== all tests passed"
