#!/usr/bin/env bash
# make hardening: the full-length versions of the hardening tests, whose
# short versions run in make test. Prints each test's figures.
#   LOAD_CLIENTS (32), LOAD_DURATION (30s), CRASH_ROUNDS (50), FUZZTIME (30s)
set -euo pipefail
cd "$(dirname "$0")/.."
export LOAD_CLIENTS=${LOAD_CLIENTS:-32} LOAD_DURATION=${LOAD_DURATION:-30s} CRASH_ROUNDS=${CRASH_ROUNDS:-50}
figures() { grep -E '(load|leaks|crash|shutdown|outage):|cut after|--- (FAIL|PASS)|^(ok|FAIL)' || true; }

echo "== fuzzing, ${FUZZTIME:-30s} per target"
FUZZTIME=${FUZZTIME:-30s} scripts/fuzz.sh
echo "== load with the race detector ($LOAD_CLIENTS clients, $LOAD_DURATION)"
go test -race -count=1 -run '^TestLoad$' -v -timeout 30m ./sessions/ | figures
echo "== crash safety ($CRASH_ROUNDS SIGKILLs)"
go test -count=1 -run '^TestCrashSafety$' -v ./sessions/ | figures
echo "== hostile clients, open redirects, traversal"
go test -race -count=1 -run 'Slow|Thousands|NoHeaderInjection|HugeHeaders|BodyLimit|Traversal|IsLocalURL|RedirectLocal' -v . | figures
echo "== graceful shutdown under load"
go test -count=1 -run '^TestShutdownDuringLoad$' -v ./examples/login/ | figures
echo "== Redis outage"
(cd sessions/redisstore && go test -race -count=1 -run '^TestOutage$' -v .) | figures
