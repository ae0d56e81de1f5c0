package itty

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRouterMatch(t *testing.T) {
	rt := &router{}
	for _, p := range []string{
		"/",
		"/greet/<str:name>/",
		"/items/<int:id>",
		"/items/<str:name>",
		"/items/new",
		"/price/<float:amount>",
		"/obj/<uuid:id>",
		"/posts/<slug:slug>/",
		"/files/<path:rest>",
		"/a/<int:x>/b/<str:y>",
		"/a/<str:x>/c",
	} {
		rt.add(&route{method: http.MethodGet, pattern: p})
	}
	tests := []struct {
		path    string
		pattern string // "" means no match
		values  []string
	}{
		{"/", "/", nil},
		{"/greet/bob/", "/greet/<str:name>/", []string{"bob"}},
		{"/greet/café/", "/greet/<str:name>/", []string{"café"}},
		{"/greet/bob", "", nil}, // exact trailing slash
		{"/greet//", "", nil},   // empty values never match
		{"/items/42", "/items/<int:id>", []string{"42"}},
		{"/items/hat", "/items/<str:name>", []string{"hat"}},
		{"/items/new", "/items/new", nil},                                                      // literal beats parameters
		{"/items/99999999999999999999", "/items/<str:name>", []string{"99999999999999999999"}}, // int overflow is not an int
		{"/items/-1", "/items/<str:name>", []string{"-1"}},
		{"/price/1.50", "/price/<float:amount>", []string{"1.50"}},
		{"/price/3", "/price/<float:amount>", []string{"3"}},
		{"/price/1.2.3", "", nil},
		{"/price/NaN", "", nil},
		{"/obj/123e4567-e89b-12d3-a456-426614174000", "/obj/<uuid:id>", []string{"123e4567-e89b-12d3-a456-426614174000"}},
		{"/obj/123e4567-e89b-12d3-a456-42661417400", "", nil},
		{"/obj/123e4567xe89b-12d3-a456-426614174000", "", nil},
		{"/posts/hello-world_2/", "/posts/<slug:slug>/", []string{"hello-world_2"}},
		{"/posts/héllo/", "", nil},
		{"/files/a/b/c.txt", "/files/<path:rest>", []string{"a/b/c.txt"}},
		{"/files/dir/", "/files/<path:rest>", []string{"dir/"}},
		{"/files/", "", nil},
		{"/a/1/b/x", "/a/<int:x>/b/<str:y>", []string{"1", "x"}},
		{"/a/1/c", "/a/<str:x>/c", []string{"1"}}, // backtracks from the int branch
		{"/a/z/b/x", "", nil},
		{"/nope", "", nil},
	}
	for _, tt := range tests {
		var ps Params
		ps.reset()
		r := rt.find(http.MethodGet, tt.path, &ps)
		got := ""
		if r != nil {
			got = r.pattern
		}
		if got != tt.pattern {
			t.Errorf("%s: matched %q, want %q", tt.path, got, tt.pattern)
			continue
		}
		if r != nil && strings.Join(ps.values, "|") != strings.Join(tt.values, "|") {
			t.Errorf("%s: values %q, want %q", tt.path, ps.values, tt.values)
		}
	}
}

func TestRouterRegistrationPanics(t *testing.T) {
	tests := []struct {
		first, second string
		want          string // in the panic message
	}{
		{"", "/x/<bogus:a>", `unknown parameter type "bogus"`},
		{"", "/x/<int:a>/<str:a>", `duplicate parameter name "a"`},
		{"", "/x/<a>", "needs a type"},
		{"", "/x/pre<str:a>", "must fill a whole path segment"},
		{"", "/x/<path:a>/more", "must be the last segment"},
		{"", "x", "must begin with /"},
		{"", "/x/<int:1a>", "invalid parameter name"},
		{"/u/<int:id>", "/u/<int:other>", `GET "/u/<int:other>" conflicts with GET "/u/<int:id>"`},
		{"/same", "/same", `GET "/same" conflicts with GET "/same"`},
	}
	for _, tt := range tests {
		t.Run(tt.second, func(t *testing.T) {
			app := New()
			if tt.first != "" {
				app.Get(tt.first, hello)
			}
			defer func() {
				v := recover()
				msg, _ := v.(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic %q, want it to contain %q", v, tt.want)
				}
			}()
			app.Get(tt.second, hello)
		})
	}
}

func TestDistinctShapesDoNotConflict(t *testing.T) {
	app := New()
	app.Get("/u/<int:id>", hello)
	app.Get("/u/<str:name>", hello)
	app.Post("/u/<int:id>", hello) // same shape, other method
	app.Get("/u/<int:id>/", hello) // trailing slash is another path
}

func hello(req *Request) *Response { return NewResponse("hello", 200) }

func TestNeedsClean(t *testing.T) {
	for p, want := range map[string]bool{
		"/": false, "/a/b/": false, "/a.b/.c": false, "/a..b": false,
		"//a": true, "/a//b": true, "/./a": true, "/a/.": true, "/a/..": true, "/a/../b": true,
	} {
		if got := needsClean(p); got != want {
			t.Errorf("needsClean(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestGreedyWalkAgreesWithSearch checks find's greedy first walk against
// the backtracking search alone, on random route sets built from a few
// literals and every converter, so that overlapping routes (where the first
// choice dead-ends and a later one matches) are common.
func TestGreedyWalkAgreesWithSearch(t *testing.T) {
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
