package itty

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ittygo/itty/ittytest"
)

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestResponseForms(t *testing.T) {
	app := New()
	stream := &closeRecorder{Reader: strings.NewReader(strings.Repeat("z", 100000))}
	app.Get("/literal", func(*Request) *Response {
		return &Response{StatusCode: 302, Headers: http.Header{"Location": {"/"}}}
	})
	app.Get("/new", func(*Request) *Response { return NewResponse("created", 201) })
	app.Get("/bytes", func(*Request) *Response {
		return &Response{BodyBytes: []byte{0, 1, 2}, ContentType: "application/octet-stream"}
	})
	app.Get("/stream", func(*Request) *Response { return &Response{BodyReader: stream, ContentType: "text/csv"} })
	app.Get("/header-ct", func(*Request) *Response {
		r := NewResponse("<x/>", 200)
		r.SetHeader("Content-Type", "application/xml")
		r.SetHeader("X-Extra", "1")
		return r
	})
	app.Get("/empty", func(*Request) *Response { return &Response{StatusCode: 204, Body: "ignored"} })
	c := ittytest.NewClient(t, app)
	tests := []struct {
		path, ctype string
		status      int
		body        string
	}{
		{"/literal", "text/plain; charset=utf-8", 302, ""},
		{"/new", "text/plain; charset=utf-8", 201, "created"},
		{"/bytes", "application/octet-stream", 200, "\x00\x01\x02"},
		{"/stream", "text/csv; charset=utf-8", 200, strings.Repeat("z", 100000)},
		{"/header-ct", "application/xml", 200, "<x/>"},
		{"/empty", "", 204, ""},
	}
	for _, tt := range tests {
		r := c.Get(tt.path)
		if r.StatusCode != tt.status || r.Body != tt.body || r.Headers.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: got %d %q %q, want %d %q %q", tt.path, r.StatusCode, r.Headers.Get("Content-Type"),
				trunc(r.Body), tt.status, tt.ctype, trunc(tt.body))
		}
	}
	if !stream.closed {
		t.Error("BodyReader was not closed")
	}
	if c.Get("/literal").Location() != "/" {
		t.Error("literal Location lost")
	}
}

func trunc(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
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
