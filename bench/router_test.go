package bench

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"testing"
)

// TestContestantsAnswerEveryRoute checks each router serves each route of
// each set with "ok" (and, for the routers, that a made-up path is a 404),
// so a benchmark never measures a router that silently fails.
func TestContestantsAnswerEveryRoute(t *testing.T) {
	for _, set := range []string{"github", "parse", "static"} {
		routes := LoadRoutes(set)
		reqs := requests(routes)
		for _, c := range Contestants {
			h := c.Build(routes)
			for i, req := range reqs {
				w := NewResponseWriter()
				h.ServeHTTP(w, req)
				if w.status != 0 && w.status != http.StatusOK {
					t.Fatalf("%s %s: %s %s -> %d", set, c.Name, routes[i].Method, req.URL.Path, w.status)
				}
			}
			if c.Name == "bare" {
				continue
			}
			w := NewResponseWriter()
			req, _ := http.NewRequest("GET", "/no/such/route/anywhere", nil)
			h.ServeHTTP(w, req)
			if w.status != http.StatusNotFound {
				t.Errorf("%s %s: unknown path -> %d", set, c.Name, w.status)
			}
		}
	}
	if n := len(LoadRoutes("github")); n != 203 {
		t.Fatalf("github set has %d routes, want 203", n)
	}
}

func benchRoutes(b *testing.B, c Contestant, routes []Route, reqs []*http.Request) {
	h := c.Build(routes)
	w := NewResponseWriter()
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reqs {
			h.ServeHTTP(w, r)
		}
	}
}

func benchOne(b *testing.B, set string, pick func([]Route) []Route) {
	all := LoadRoutes(set)
	routes := pick(all)
	reqs := requests(routes)
	for _, c := range Contestants {
		b.Run(c.Name, func(b *testing.B) { benchRoutes(b, c, all, reqs) })
	}
}

func find(method, path string) func([]Route) []Route {
	return func(rs []Route) []Route {
		for _, r := range rs {
			if r.Method == method && r.Path == path {
				return []Route{r}
			}
		}
		panic("no route " + path)
	}
}

func all(rs []Route) []Route { return rs }

func BenchmarkStatic1(b *testing.B) {
	// One static route among one: the cost of the stack itself.
	routes := []Route{{"GET", "/user/repos"}}
	reqs := requests(routes)
	for _, c := range Contestants {
		b.Run(c.Name, func(b *testing.B) { benchRoutes(b, c, routes, reqs) })
	}
}

func BenchmarkParam1(b *testing.B) {
	routes := []Route{{"GET", "/user/:name"}}
	reqs := requests(routes)
	for _, c := range Contestants {
		b.Run(c.Name, func(b *testing.B) { benchRoutes(b, c, routes, reqs) })
	}
}

func BenchmarkGitHubStatic(b *testing.B) { benchOne(b, "github", find("GET", "/user/repos")) }
func BenchmarkGitHubParam(b *testing.B) {
	benchOne(b, "github", find("GET", "/repos/:owner/:repo/issues/:number"))
}
func BenchmarkGitHubAll(b *testing.B) { benchOne(b, "github", all) }
func BenchmarkParseAll(b *testing.B)  { benchOne(b, "parse", all) }
func BenchmarkStaticAll(b *testing.B) { benchOne(b, "static", all) }

// TestBareWritesIttysBytes holds the floor to its definition: over a real
// server, the bare handler's response is byte for byte itty's, apart from
// the Date header.
func TestBareWritesIttysBytes(t *testing.T) {
	dump := func(h http.Handler) string {
		srv := httptest.NewServer(h)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		resp.Header.Del("Date")
		b, err := httputil.DumpResponse(resp, true)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	route := []Route{{"GET", "/"}}
	itty, bare := dump(buildItty(route)), dump(buildBare(route))
	if itty != bare {
		t.Fatalf("bare writes\n%s\nitty writes\n%s", bare, itty)
	}
	if !strings.Contains(itty, "Content-Type: text/html; charset=utf-8") {
		t.Fatalf("unexpected response:\n%s", itty)
	}
}

// TestBareNoHeaderLeavesTypeToSniffing: the end-to-end row that prices one
// header must set none itself; net/http then sniffs "ok" as text/plain.
func TestBareNoHeaderLeavesTypeToSniffing(t *testing.T) {
	w := NewResponseWriter()
	BareNoHeader().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if len(w.h) != 0 {
		t.Fatalf("bare-noheader set headers %v, want none", w.h)
	}
	srv := httptest.NewServer(BareNoHeader())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q, want net/http's sniffed text/plain", got)
	}
}
