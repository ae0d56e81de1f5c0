package itty

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

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

// TestRedirectsKeepTheMountPrefix: an App mounted under a prefix with
// http.StripPrefix keeps the prefix in its own redirects (trailing slash,
// clean path, a static directory), since the request line still has it.
func TestRedirectsKeepTheMountPrefix(t *testing.T) {
	app := New()
	app.Get("/greet/<str:name>/", func(req *Request) *Response { return app.Render(req, "hi") })
	app.Static("/static/", fstest.MapFS{"docs/index.html": {Data: []byte("<h1>docs</h1>")}})
	mounted := http.StripPrefix("/app", app)
	tests := []struct{ target, want string }{
		{"/app/greet/Ada", "/app/greet/Ada/"},
		{"/app/x/../greet/Ada/?q=1", "/app/greet/Ada/?q=1"},
		{"/app/static/docs", "/app/static/docs/"},
		{"http://example.com/app/greet/Ada", "/app/greet/Ada/"}, // absolute-form request line
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		mounted.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
		if got := rec.Header().Get("Location"); rec.Code != http.StatusMovedPermanently || got != tt.want {
			t.Errorf("GET %s: %d Location %q, want %q", tt.target, rec.Code, got, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/greet/Ada", nil))
	if got := rec.Header().Get("Location"); got != "/greet/Ada/" {
		t.Errorf("unmounted: Location %q", got)
	}
}

// TestAttackRedirectCarriesControls: a request whose URL was rewritten to
// hold a space, CR or LF (net/http's parser lets none through, but CGI and
// middleware may) is redirected with them escaped, never with a header
// split.
func TestAttackRedirectCarriesControls(t *testing.T) {
	app := New()
	app.Get("/a/", func(req *Request) *Response { return app.Render(req, "a") })
	r := httptest.NewRequest("GET", "/a", nil)
	r.URL.RawQuery = "q=x y\r\nSet-Cookie: evil=1"
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	if loc := rec.Header().Get("Location"); rec.Code != 301 || loc != "/a/?q=x%20y%0D%0ASet-Cookie:%20evil=1" {
		t.Fatalf("%d Location %q", rec.Code, loc)
	}
}
