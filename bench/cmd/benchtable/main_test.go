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
