package itty

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ittygo/itty/ittytest"
)

func TestIsLocalURL(t *testing.T) {
	for _, tt := range []struct {
		target string
		local  bool
	}{
		{"/", true},
		{"/account", true},
		{"/a/b?next=%2F%2Fevil#top", true},
		{"/caf%C3%A9/", true},
		{"", false},
		{"account", false},
		{"//evil.example", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"\\\\evil.example", false},
		{"/\t/evil.example", false},
		{"/\n/evil.example", false},
		{"https:evil.example", false},
		{"https://evil.example", false},
		{"http://evil.example/", false},
		{"javascript:alert(1)", false},
		{"data:text/html,hi", false},
		{" //evil.example", false},
		{"/a\\b", false},
		{"/%0d%0aSet-Cookie:x", true}, // encoded: stays a path on this site
	} {
		if got := IsLocalURL(tt.target); got != tt.local {
			t.Errorf("IsLocalURL(%q) = %v, want %v", tt.target, got, tt.local)
		}
	}
}

func TestRedirectLocal(t *testing.T) {
	app := New()
	app.Get("/login", func(req *Request) *Response { return app.RedirectLocal(req, req.GET.Get("next"), "/") })
	c := ittytest.NewClient(t, app)
	for next, want := range map[string]string{
		"%2Faccount":           "/account",
		"%2F%2Fevil.example":   "/",
		"%2F%5Cevil.example":   "/",
		"https%3Aevil.example": "/",
		"":                     "/",
	} {
		if r := c.Get("/login?next=" + next); r.StatusCode != 302 || r.Location() != want {
			t.Errorf("next=%s: %d %q, want %q", next, r.StatusCode, r.Location(), want)
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

// TestError500: a handler's error answered as a panic would be: logged,
// the generic page (err shown only with Debug), an HTTPStatus() error's
// status, or the App's ServerError page.
func TestError500(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.Get("/fail", func(req *Request) *Response { return app.Error500(req, errors.New("disk full")) })
	app.Get("/conflict", func(req *Request) *Response { return app.Error500(req, conflictErr{}) })
	get := func(p string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		return rec
	}
	if r := get("/fail"); r.Code != 500 || strings.Contains(r.Body.String(), "disk full") || !strings.Contains(logs.String(), "disk full") {
		t.Errorf("Error500: %d %q, log %q", r.Code, r.Body.String(), logs.String())
	}
	if r := get("/conflict"); r.Code != 409 {
		t.Errorf("an HTTPStatus error: %d", r.Code)
	}
	app.Debug = true
	if r := get("/fail"); !strings.Contains(r.Body.String(), "disk full") {
		t.Errorf("Debug: %q", r.Body.String())
	}
	app.ServerError = func(req *Request, err error) *Response { return NewResponse("Sorry: "+err.Error(), 500) }
	if r := get("/fail"); r.Body.String() != "Sorry: disk full" {
		t.Errorf("ServerError: %q", r.Body.String())
	}
}

// TestItty3Conveniences: <any:…> is itty3's <path:…>, and Default gives
// itty3's get(key, default) for query values and cookies.
func TestItty3Conveniences(t *testing.T) {
	app := New()
	app.Get("/files/<any:rest>", func(req *Request) *Response { return app.Render(req, req.Params.Get("rest")) })
	app.Get("/hello", func(req *Request) *Response {
		return app.Render(req, req.GET.Default("name", "unknown")+"|"+req.COOKIES.Default("theme", "light"))
	})
	c := ittytest.NewClient(t, app)
	if got := c.Get("/files/a/b/c.txt").Body; got != "a/b/c.txt" {
		t.Errorf("<any:rest>: %q", got)
	}
	if got := c.Get("/hello").Body; got != "unknown|light" {
		t.Errorf("defaults: %q", got)
	}
	c.SetCookie(&http.Cookie{Name: "theme", Value: "dark"})
	if got := c.Get("/hello?name=").Body; got != "|dark" {
		t.Errorf("present but empty, and a cookie: %q", got)
	}
}
