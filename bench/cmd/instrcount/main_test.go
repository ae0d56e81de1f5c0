package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ittygo/itty/bench"
)

// TestRunServesWholeOps runs the counter natively (no valgrind) for every
// contestant and case: each answers its case's requests, and the count
// printed is whole ops, at least the number asked for.
func TestRunServesWholeOps(t *testing.T) {
	perOp := map[string]int{"Static1": 1, "Param1": 1, "GitHubStatic": 1, "GitHubParam": 1,
		"GitHubAll": 203, "ParseAll": 26, "StaticAll": 157}
	for _, c := range bench.Cases {
		for _, ct := range bench.Contestants {
			for _, tc := range []struct{ ask, want int }{
				{0, perOp[c.Name]},                  // one op at least
				{1000, ceilTo(1000, perOp[c.Name])}, // rounded up to whole ops
			} {
				var out strings.Builder
				if err := run(&out, ct.Name, c.Name, tc.ask); err != nil {
					t.Fatalf("%s %s: %v", ct.Name, c.Name, err)
				}
				want := fmt.Sprintf("requests %d per-op %d\n", tc.want, perOp[c.Name])
				if out.String() != want {
					t.Errorf("%s %s -requests %d printed %q, want %q", ct.Name, c.Name, tc.ask, out.String(), want)
				}
			}
		}
	}
}

func TestRunRefusesUnknownNames(t *testing.T) {
	for _, tc := range []struct{ router, name, msg string }{
		{"nosuch", "GitHubAll", `no contestant "nosuch"`},
		{"itty", "GitHubEverything", `no routing case "GitHubEverything"`},
	} {
		var out strings.Builder
		err := run(&out, tc.router, tc.name, 10)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("run(%s, %s) = %v, want %s", tc.router, tc.name, err, tc.msg)
		}
		if out.Len() != 0 {
			t.Errorf("run(%s, %s) printed %q", tc.router, tc.name, out.String())
		}
	}
}

func ceilTo(n, unit int) int { return (n + unit - 1) / unit * unit }
