#!/usr/bin/env bash
# Runs the whole test suite: gofmt and go vet checks, then every module in
# go.work with -race, then a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=$(go list -m -f '{{.Dir}}')

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

for dir in $modules; do
	echo "== module .${dir#"$PWD"}: go vet"
	(cd "$dir" && go vet ./...)
	echo "== module .${dir#"$PWD"}: go test -race"
	(cd "$dir" && go test -race -count=1 ./...)
done

echo "== benchmarks (smoke run, -benchtime=1x, so they never rot)"
for dir in $modules; do
	(cd "$dir" && go test -run '^$' -bench . -benchtime=1x ./... >/dev/null) ||
		{ echo "benchmarks failed in .${dir#"$PWD"}"; (cd "$dir" && go test -run '^$' -bench . -benchtime=1x ./... | tail -20); exit 1; }
done

if [ -x scripts/fuzz.sh ]; then
	echo "== fuzz (short)"
	FUZZTIME=${FUZZTIME:-30000x} scripts/fuzz.sh
fi
echo "== all tests passed"
