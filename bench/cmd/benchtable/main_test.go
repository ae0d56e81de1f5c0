package main

import (
	"strings"
	"testing"
)

// Two rounds in which the machine ran twice as slow in the second: the
// times move, the ratio within each round does not.
const tworounds = `
BenchmarkGitHubAll/itty-2        100  1000 ns/op  0 B/op  0 allocs/op
BenchmarkGitHubAll/httprouter-2  100   800 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/gin-2         100   900 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/echo-2        100  1200 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/itty-2        100  2000 ns/op  0 B/op  0 allocs/op
BenchmarkGitHubAll/httprouter-2  100  1600 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/gin-2         100  1500 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/echo-2        100  2400 ns/op  5 B/op  1 allocs/op
`

func TestPairedRatio(t *testing.T) {
	samples, order := parse(strings.NewReader(tworounds))
	if len(order) != 4 || len(samples["GitHubAll/itty"].ns) != 2 {
		t.Fatalf("parsed %v, %d itty samples", order, len(samples["GitHubAll/itty"].ns))
	}
	// Round 1: 1000/800 = 1.25; round 2: 2000/1500 = 1.333 (gin was
	// fastest there). The median of two is the upper one.
	r, ok := pairedRatio(samples, "GitHubAll")
	if !ok || r < 1.33 || r > 1.34 {
		t.Errorf("pairedRatio = %v, %v; want 1.333", r, ok)
	}
	if _, ok := pairedRatio(samples, "StaticAll"); ok {
		t.Error("pairedRatio of a benchmark without samples reported a ratio")
	}
}

// Two rounds of the session-middleware benchmark, the second twice as slow.
const sessionRounds = `
BenchmarkSessionMiddleware/read/itty/handler-2       100  400 ns/op  300 B/op  5 allocs/op
BenchmarkSessionMiddleware/read/itty/middleware-2    100  600 ns/op  700 B/op  9 allocs/op
BenchmarkSessionMiddleware/read/scs/LoadAndSave-2    100  800 ns/op  900 B/op 20 allocs/op
BenchmarkSessionMiddleware/read/itty/handler-2       100  800 ns/op  300 B/op  5 allocs/op
BenchmarkSessionMiddleware/read/itty/middleware-2    100 1200 ns/op  700 B/op  9 allocs/op
BenchmarkSessionMiddleware/read/scs/LoadAndSave-2    100 1600 ns/op  900 B/op 20 allocs/op
`

func TestSessionTable(t *testing.T) {
	samples, _ := parse(strings.NewReader(sessionRounds))
	mw := samples["SessionMiddleware/read/itty/middleware"]
	if mw == nil || len(mw.bytes) != 2 || mw.bytes[0] != 700 || mw.allocs[1] != 9 {
		t.Fatalf("parsed %+v", mw)
	}
	if r, ok := roundRatio(mw, samples["SessionMiddleware/read/itty/handler"]); !ok || r != 1.5 {
		t.Errorf("middleware ÷ handler = %v, %v; want 1.5", r, ok)
	}
	if r, ok := roundRatio(mw, samples["SessionMiddleware/read/scs/LoadAndSave"]); !ok || r != 0.75 {
		t.Errorf("middleware ÷ scs = %v, %v; want 0.75", r, ok)
	}
	if _, ok := roundRatio(mw, samples["SessionMiddleware/write/itty/handler"]); ok {
		t.Error("a ratio against a missing benchmark")
	}
}
