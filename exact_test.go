package itty

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExactIndexFindsEveryPath fills the index with paths built to collide
// in the bytes the hash reads (one length, one prefix, one suffix, short
// ones), across several growths, and checks that every path finds its own
// node and that near misses find none.
func TestExactIndexFindsEveryPath(t *testing.T) {
	var paths []string
	for i := range 300 {
		paths = append(paths,
			fmt.Sprintf("/repos/%03d/x", i),             // shared prefix and length
			fmt.Sprintf("/%03d/same/long/suffix", i),    // shared suffix
			fmt.Sprintf("/a%03d-middle-b", i),           // shared length, differing middle
			fmt.Sprintf("/ends-same/%03d/ends-same", i), // longer than 16, equal first and last 8 bytes
		)
	}
	paths = append(paths, "/", "/a", "/ab", "/abc", "/abcd", "/abcdefg", "/abcdefgh")
	var x exactIndex
	nodes := map[string]*node{}
	for _, p := range paths {
		n := new(node)
		nodes[p] = n
		x.add(p, n)
	}
	x.add(paths[0], new(node)) // adding a path again keeps its node
	if x.n != len(paths) || 2*x.n > len(x.slots) {
		t.Fatalf("index holds %d entries in %d slots, want %d at most half full", x.n, len(x.slots), len(paths))
	}
	for _, p := range paths {
		if got := x.lookup(p); got != nodes[p] {
			t.Fatalf("lookup(%q) = %p, want %p", p, got, nodes[p])
		}
	}
	for _, p := range []string{"/repos/000/y", "/repos/000/x/", "/abcdefghi", "/b", "/A", "/a000-middle-c", "/repos/1000/x", "/ends-same/999/ends-same", "/ends-same/0000/ends-same"} {
		if got := x.lookup(p); got != nil {
			t.Fatalf("lookup(%q) found a node, want none", p)
		}
	}
	var empty exactIndex
	if empty.lookup("/") != nil {
		t.Fatal("the zero index found a node")
	}
}

// TestExactIndexLeavesAnswersToTheTree serves requests whose path spells a
// parameter-free pattern but whose method only a typed route takes, and the
// HEAD fallback, through a real App: the index must not shadow the tree.
func TestExactIndexLeavesAnswersToTheTree(t *testing.T) {
	app := New()
	app.Get("/users/new", func(req *Request) *Response { return app.Render(req, "form") })
	app.Post("/about", func(req *Request) *Response { return app.Render(req, "post about") })
	app.Get("/about", func(req *Request) *Response { return app.Render(req, "about") })
	app.Post("/items/5", func(req *Request) *Response { return app.Render(req, "post five") })
	app.Get("/items/<int:id>", func(req *Request) *Response { return app.Render(req, "item "+req.Params.Get("id")) })
	app.Post("/users/<str:name>", func(req *Request) *Response {
		return app.Render(req, "post "+req.Params.Get("name"))
	})
	app.Get("/", func(req *Request) *Response { return app.Render(req, "home") })
	for _, tc := range []struct {
		method, path, want string
		status             int
	}{
		{http.MethodGet, "/users/new", "form", 200},
		{http.MethodPost, "/users/new", "post new", 200}, // the literal node has no POST
		{http.MethodHead, "/users/new", "", 200},         // HEAD falls back to GET
		{http.MethodGet, "/", "home", 200},
		{http.MethodGet, "/about", "about", 200}, // a GET registered after a POST of its path
		{http.MethodPost, "/about", "post about", 200},
		{http.MethodGet, "/items/5", "item 5", 200}, // the literal node has no GET: the typed route takes it
		{http.MethodPost, "/items/5", "post five", 200},
		{http.MethodPut, "/users/new", "405 Method Not Allowed\n", 405},
		{http.MethodGet, "/users/new/", "", http.StatusMovedPermanently},
	} {
		w := httptest.NewRecorder()
		app.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.status || (tc.want != "" && strings.TrimSpace(w.Body.String()) != strings.TrimSpace(tc.want)) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, w.Code, w.Body.String(), tc.status, tc.want)
		}
	}
}

// TestExactIndexHoldsOnlyParameterFreePatterns checks what registration
// puts in the index: every parameter-free pattern of the GitHub route set,
// and nothing else.
func TestExactIndexHoldsOnlyParameterFreePatterns(t *testing.T) {
	pats, methods, _ := routeSet(t, "github")
	app := New()
	literal := 0
	for i, p := range pats {
		app.Handle(methods[i], p, HandlerFunc(func(req *Request) *Response { return nil }))
		if !strings.Contains(p, "<") {
			literal++
		}
	}
	seen := map[string]bool{}
	for i, p := range pats {
		if strings.Contains(p, "<") || seen[p] {
			continue
		}
		seen[p] = true
		n := app.router.exact.lookup(p)
		if n == nil || n.route(methods[i], slotOf(methods[i])) == nil {
			t.Fatalf("%s %s: not in the exact-path index", methods[i], p)
		}
	}
	if app.router.exact.n != len(seen) || literal == 0 {
		t.Fatalf("index holds %d paths, want the %d distinct parameter-free patterns", app.router.exact.n, len(seen))
	}
}
