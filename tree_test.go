package itty

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestFindAgreesWithSearch checks find (the exact-path index, then the
// greedy first walk) against the backtracking search alone, on random route sets built from a few
// literals and every converter, so that overlapping routes (where the first
// choice dead-ends and a later one matches) are common.
func TestFindAgreesWithSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patSegs := []string{"a", "b", "1", "<int:p>", "<float:p>", "<slug:p>", "<str:p>", "<uuid:p>"}
	pathSegs := []string{"a", "b", "1", "2.5", "x-y", "a.b", "123e4567-e89b-12d3-a456-426614174000", "", "c"}
	methods := []string{http.MethodGet, http.MethodPost, "PURGE"}
	matched := 0
	for set := 0; set < 300; set++ {
		rt := &router{}
		for range 2 + rng.IntN(12) {
			var b strings.Builder
			n := 1 + rng.IntN(4)
			for i := range n {
				s := patSegs[rng.IntN(len(patSegs))]
				if i == n-1 && rng.IntN(5) == 0 {
					s = "<path:p>"
				}
				b.WriteString("/" + strings.ReplaceAll(s, ":p>", fmt.Sprintf(":p%d>", i)))
			}
			func() {
				defer func() { recover() }() // conflicting shapes are refused; skip them
				rt.add(&route{method: methods[rng.IntN(len(methods))], pattern: b.String()})
			}()
		}
		for range 50 {
			var b strings.Builder
			for range 1 + rng.IntN(5) {
				b.WriteString("/" + pathSegs[rng.IntN(len(pathSegs))])
			}
			path, method := b.String(), methods[rng.IntN(len(methods))]
			var got, want Params
			got.reset()
			want.reset()
			r := rt.find(method, path, &got)
			w := rt.root.search(path[1:], &match{method: method, slot: slotOf(method), ps: &want})
			if r != w || !slices.Equal(got.values, want.values) {
				t.Fatalf("set %d, %s %s: greedy walk found %v %q, search found %v %q",
					set, method, path, r, got.values, w, want.values)
			}
			if r != nil {
				matched++
			}
		}
	}
	if matched < 500 {
		t.Fatalf("only %d of 15000 lookups matched: the sets are too sparse to test anything", matched)
	}
	t.Logf("%d of 15000 lookups matched", matched)
}

func TestHasSegmentPrefix(t *testing.T) {
	for _, tc := range []struct {
		rest, key string
		want      bool
	}{
		{"repos/x", "repos", true},
		{"repos", "repos", true},
		{"repos/", "repos", true},
		{"reposx/y", "repos", false},
		{"repo", "repos", false},
		{"rePos/x", "repos", false},
		{"", "", true},
		{"/x", "", true},
		{"x", "", false},
		{"café/x", "café", true},
	} {
		if got := hasSegmentPrefix(tc.rest, tc.key); got != tc.want {
			t.Errorf("hasSegmentPrefix(%q, %q) = %v, want %v", tc.rest, tc.key, got, tc.want)
		}
	}
}

// TestMethodSlots: every method with a slot maps to its own, and the
// others share slotOther.
func TestMethodSlots(t *testing.T) {
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
	if len(methods) != int(numSlots) {
		t.Fatalf("%d methods listed, %d slots", len(methods), numSlots)
	}
	seen := map[methodSlot]string{}
	for _, m := range methods {
		s := slotOf(m)
		if s >= numSlots {
			t.Errorf("slotOf(%s) = %d, not a slot of its own", m, s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("%s and %s share slot %d", m, other, s)
		}
		seen[s] = m
	}
	for _, m := range []string{"get", "PURGE", "", "GETX"} {
		if s := slotOf(m); s != slotOther {
			t.Errorf("slotOf(%q) = %d, want slotOther", m, s)
		}
	}
	if slotOf("GET") != slotGet || slotOf("HEAD") != slotHead {
		t.Error("GET and HEAD are not in the slots the HEAD fallback reads")
	}
}

// TestWindow checks window against its definition, written as a plain
// loop, on every string up to nine bytes long over a small alphabet that
// includes the slash.
func TestWindow(t *testing.T) {
	ref := func(s string) uint64 {
		seg, _, _ := strings.Cut(s, "/")
		var w uint64
		for i := 7; i >= 0; i-- {
			c := byte('/')
			if i < len(seg) {
				c = seg[i]
			}
			w = w<<8 | uint64(c)
		}
		return w
	}
	alphabet := "a/\xffZ"
	var gen func(prefix string)
	n := 0
	gen = func(prefix string) {
		n++
		if got, want := window(prefix), ref(prefix); got != want {
			t.Fatalf("window(%q) = %#x, want %#x", prefix, got, want)
		}
		if len(prefix) == 9 {
			return
		}
		for i := range len(alphabet) {
			gen(prefix + alphabet[i:i+1])
		}
	}
	gen("")
	t.Logf("%d strings", n)
}

// TestLiteralsAgainstAMap checks the literal table against a plain map of
// keys: for random sets of keys that share long prefixes and random paths
// made of them, lookup finds the key that is the path's first segment,
// with its length, or nothing when no key is.
func TestLiteralsAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"go", "go1", ".", "1", "html", "contrib", "contribute", "x", "é", "-", "abcdefgh"}
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		return b.String()
	}
	for set := range 200 {
		var lits literals
		keys := map[string]*node{}
		for range 1 + rng.IntN(60) {
			k := word()
			c := lits.add(k)
			if old, ok := keys[k]; ok && old != c {
				t.Fatalf("set %d: adding %q again gave a new child", set, k)
			}
			keys[k] = c
		}
		for range 200 {
			rest := word()
			if rng.IntN(2) == 0 {
				rest += "/" + word()
			}
			seg, _, _ := strings.Cut(rest, "/")
			want, wantLen := keys[seg], len(seg)
			if want == nil {
				wantLen = 0
			}
			got, k := lits.lookup(rest)
			if got != want || k != wantLen {
				t.Fatalf("set %d (%d keys): lookup(%q) = %p, %d; want %p, %d", set, len(keys), rest, got, k, want, wantLen)
			}
		}
	}
}
