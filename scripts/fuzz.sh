#!/usr/bin/env bash
# Runs every fuzz target in the core module for FUZZTIME (default 10s) each
# and prints the executions and findings of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "-- $pkg $target ($fuzztime)"
		out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1) || { echo "$out"; exit 1; }
		echo "$out" | grep -E 'fuzz: elapsed' | tail -1 || true
	done
done
