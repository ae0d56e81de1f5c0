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
// and that every router's handlers read the same parameter values, so a
// benchmark never measures a router that silently fails or skips work.
func TestContestantsAnswerEveryRoute(t *testing.T) {
	for _, set := range []string{"github", "parse", "static"} {
		routes := LoadRoutes(set)
		reqs := requests(routes)
		read := -1 // bytes of parameter values the first router's handlers read
		for _, c := range Contestants {
			h := c.Build(routes)
			before := sink
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
			if read < 0 {
				read = sink - before
				if set != "static" && read == 0 {
					t.Errorf("%s %s: the handlers read no parameter", set, c.Name)
				}
			} else if got := sink - before; got != read {
				t.Errorf("%s %s: the handlers read %d bytes of parameters, %s's %d", set, c.Name, got, Contestants[0].Name, read)
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

// benchCase runs the routing case called name for every contestant: one
// op serves every request of the case once (Serve).
func benchCase(b *testing.B, name string) {
	c, err := LookupCase(name)
	if err != nil {
		b.Fatal(err)
	}
	routes, reqs := c.Load()
	for _, ct := range Contestants {
		b.Run(ct.Name, func(b *testing.B) {
			h := ct.Build(routes)
			w := NewResponseWriter()
			b.ReportAllocs()
			for b.Loop() {
				Serve(h, w, reqs)
			}
		})
	}
}

// TestEveryCaseIsBenchmarked: each case of Cases has its Benchmark function
// (the tables and the instruction counter go by the same names).
func TestEveryCaseIsBenchmarked(t *testing.T) {
	benches := map[string]func(*testing.B){
		"Static1": BenchmarkStatic1, "Param1": BenchmarkParam1,
		"GitHubStatic": BenchmarkGitHubStatic, "GitHubParam": BenchmarkGitHubParam,
		"GitHubAll": BenchmarkGitHubAll, "ParseAll": BenchmarkParseAll, "StaticAll": BenchmarkStaticAll,
	}
	if len(benches) != len(Cases) {
		t.Fatalf("%d benchmarks for %d cases", len(benches), len(Cases))
	}
	for _, c := range Cases {
		if benches[c.Name] == nil {
			t.Errorf("case %s has no benchmark", c.Name)
		}
		if _, reqs := c.Load(); len(reqs) == 0 {
			t.Errorf("case %s requests nothing", c.Name)
		}
	}
}

func BenchmarkStatic1(b *testing.B)      { benchCase(b, "Static1") }
func BenchmarkParam1(b *testing.B)       { benchCase(b, "Param1") }
func BenchmarkGitHubStatic(b *testing.B) { benchCase(b, "GitHubStatic") }
func BenchmarkGitHubParam(b *testing.B)  { benchCase(b, "GitHubParam") }
func BenchmarkGitHubAll(b *testing.B)    { benchCase(b, "GitHubAll") }
func BenchmarkParseAll(b *testing.B)     { benchCase(b, "ParseAll") }
func BenchmarkStaticAll(b *testing.B)    { benchCase(b, "StaticAll") }

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

// TestIttyRowsProtection holds the two itty rows to their names: itty
// (itty.New()'s defaults) refuses a browser's cross-origin POST, itty-noxo
// serves it; both serve the benchmarks' POSTs, which carry no browser
// headers.
func TestIttyRowsProtection(t *testing.T) {
	routes := []Route{{"POST", "/1/classes/:className"}}
	for _, tc := range []struct {
		name      string
		crossSite int // status of a cross-site POST from a browser
	}{{"itty", http.StatusForbidden}, {"itty-noxo", http.StatusOK}} {
		c, err := LookupContestant(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		h := c.Build(routes)
		plain := httptest.NewRecorder()
		h.ServeHTTP(plain, httptest.NewRequest("POST", "/1/classes/vclassName", nil))
		if plain.Code != http.StatusOK {
			t.Errorf("%s: POST without browser headers -> %d, want 200", tc.name, plain.Code)
		}
		req := httptest.NewRequest("POST", "/1/classes/vclassName", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://elsewhere.example")
		cross := httptest.NewRecorder()
		h.ServeHTTP(cross, req)
		if cross.Code != tc.crossSite {
			t.Errorf("%s: cross-site POST -> %d, want %d", tc.name, cross.Code, tc.crossSite)
		}
	}
}
