# The README's test command is `make test`; .ci/run calls it too.
.PHONY: test test-min-go fuzz bench hardening

# Everything: gofmt, go vet and staticcheck, every module's tests with the race
# detector, and a short run of every fuzz target.
test:
	./scripts/test.sh

# The core module's tests on the oldest Go its go.mod allows, alone (no
# go.work), as a consumer builds it.
MIN_GO ?= go1.25.12
test-min-go:
	GOWORK=off GOTOOLCHAIN=$(MIN_GO) go vet ./...
	GOWORK=off GOTOOLCHAIN=$(MIN_GO) go test -count=1 ./...

# Fuzz every target for FUZZTIME each (default 30s).
fuzz:
	FUZZTIME=$${FUZZTIME:-30s} ./scripts/fuzz.sh

# The routers' instructions per request under callgrind (needs valgrind),
# all benchmarks and the wrk end-to-end run; writes bench/results/latest.md.
bench:
	./scripts/bench.sh

# The hardening tests at full length (load 32 clients x 30 s, 50 crashes,
# 30 s of fuzzing per target); make test runs their short versions.
hardening:
	./scripts/hardening.sh
