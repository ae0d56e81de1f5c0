package itty

import (
	"errors"
	"html/template"
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

func TestRenderShortcuts(t *testing.T) {
	app := New()
	err := app.LoadTemplates(fstest.MapFS{
		"templates/index.html": {Data: []byte(`<h1>{{.Title}}</h1>{{range .Items}}<li>{{.}}</li>{{end}}`)},
		"templates/bad.html":   {Data: []byte(`<p>start</p>{{.Missing.Field}}`)},
	}, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/html", func(req *Request) *Response {
		a := app.Render(req, "first")
		b := app.Render(req, "<b>second</b>")
		if a == b {
			panic("two Render calls returned the same Response")
		}
		b.StatusCode = 202
		return b
	})
	app.Get("/json", func(req *Request) *Response { return app.RenderJSON(req, map[string]any{"ok": true, "n": 2}) })
	app.Get("/badjson", func(req *Request) *Response { return app.RenderJSON(req, make(chan int)) })
	app.Get("/tpl", func(req *Request) *Response {
		return app.RenderTemplate(req, "index.html", map[string]any{"Title": "<Todo>", "Items": []string{"a", "b"}})
	})
	app.Get("/badtpl", func(req *Request) *Response {
		return app.RenderTemplate(req, "bad.html", map[string]any{"Missing": nil})
	})
	app.Get("/go", func(req *Request) *Response { return app.Redirect(req, "/there?x=1") })
	app.Get("/moved", func(req *Request) *Response { return app.RedirectPermanent(req, "/new") })
	app.Get("/see", func(req *Request) *Response {
		r := app.Redirect(req, "/done")
		r.StatusCode = http.StatusSeeOther
		return r
	})
	app.Get("/missing", func(req *Request) *Response { return app.Error404(req, "no such item") })
	app.Get("/inject", func(req *Request) *Response { return app.Redirect(req, req.GET.Get("next")) })
	c := ittytest.NewClient(t, app)
	tests := []struct {
		path   string
		status int
		ctype  string
		body   string
		loc    string
	}{
		{"/html", 202, "text/html; charset=utf-8", "<b>second</b>", ""},
		{"/json", 200, "application/json", "{\"n\":2,\"ok\":true}\n", ""},
		{"/badjson", 500, "text/plain; charset=utf-8", "500 Internal Server Error\n", ""},
		{"/tpl", 200, "text/html; charset=utf-8", "<h1>&lt;Todo&gt;</h1><li>a</li><li>b</li>", ""},
		{"/badtpl", 500, "text/plain; charset=utf-8", "500 Internal Server Error\n", ""},
		{"/go", 302, "text/plain; charset=utf-8", "", "/there?x=1"},
		{"/moved", 301, "text/plain; charset=utf-8", "", "/new"},
		{"/see", 303, "text/plain; charset=utf-8", "", "/done"},
		{"/missing", 404, "text/plain; charset=utf-8", "no such item", ""},
		{"/inject?next=/a%0d%0aSet-Cookie:%20x=1", 302, "text/plain; charset=utf-8", "", "/a%0D%0ASet-Cookie:%20x=1"},
	}
	for _, tt := range tests {
		r := c.Get(tt.path)
		if r.StatusCode != tt.status || r.Headers.Get("Content-Type") != tt.ctype || r.Body != tt.body || r.Location() != tt.loc {
			t.Errorf("%s: got %d %q %q loc %q", tt.path, r.StatusCode, r.Headers.Get("Content-Type"), r.Body, r.Location())
		}
		if r.Headers.Get("Set-Cookie") != "" {
			t.Errorf("%s: header injected: %v", tt.path, r.Headers)
		}
	}
}

func TestRenderTemplateWithoutTemplates(t *testing.T) {
	app := New()
	app.Get("/", func(req *Request) *Response { return app.RenderTemplate(req, "x.html", nil) })
	if r := ittytest.NewClient(t, app).Get("/"); r.StatusCode != 500 {
		t.Fatalf("got %d", r.StatusCode)
	}
}

func TestTemplateFuncs(t *testing.T) {
	app := New()
	app.TemplateFuncs = template.FuncMap{"shout": func(s string) string { return s + "!" }}
	if err := app.LoadTemplates(fstest.MapFS{"a.html": {Data: []byte(`{{shout .}}`)}}, "*.html"); err != nil {
		t.Fatal(err)
	}
	app.Get("/", func(req *Request) *Response { return app.RenderTemplate(req, "a.html", "hi") })
	if r := ittytest.NewClient(t, app).Get("/"); r.Body != "hi!" {
		t.Fatalf("got %q", r.Body)
	}
}
