package itty

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ittygo/itty/ittytest"
)

type conflictErr struct{}

func (conflictErr) Error() string   { return "conflict" }
func (conflictErr) HTTPStatus() int { return 409 }

type ctxKey struct{}

func TestOnResponseHooks(t *testing.T) {
	app := New()
	var ran []string
	app.OnResponse(func(req *Request, resp *Response) error {
		ran = append(ran, req.Path)
		if v, _ := req.Value(ctxKey{}).(string); v != "" {
			resp.SetHeader("X-Value", v)
		}
		switch req.Path {
		case "/fail":
			return errors.New("store down")
		case "/conflict":
			return conflictErr{}
		}
		return nil
	})
	app.Get("/ok", func(req *Request) *Response {
		req.SetValue(ctxKey{}, "first")
		req.SetValue(ctxKey{}, "second") // replaces
		return app.Render(req, "ok")
	})
	app.Get("/plain", func(req *Request) *Response { return app.Render(req, "plain") })
	app.Get("/fail", func(req *Request) *Response { return app.Render(req, "looks fine") })
	app.Get("/conflict", func(req *Request) *Response { return app.Render(req, "looks fine") })
	app.Get("/panic", func(req *Request) *Response { panic("boom") })
	c := ittytest.NewClient(t, app)
	if r := c.Get("/ok"); r.Headers.Get("X-Value") != "second" {
		t.Errorf("hook did not see the value: %v", r.Headers)
	}
	if r := c.Get("/plain"); r.Headers.Get("X-Value") != "" {
		t.Errorf("value leaked into the next request: %v", r.Headers)
	}
	if r := c.Get("/fail"); r.StatusCode != 500 || r.Body != "500 Internal Server Error\n" {
		t.Errorf("failing hook: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/conflict"); r.StatusCode != 409 || r.Body != "409 Conflict\n" {
		t.Errorf("status error: %d %q", r.StatusCode, r.Body)
	}
	ran = nil
	if r := c.Get("/panic"); r.StatusCode != 500 || len(ran) != 0 {
		t.Errorf("hooks ran after a panic: %v", ran)
	}
}

// TestHookErrorKeepsHookCookies: when a later hook fails, the error page
// still carries the cookies earlier hooks set for state they stored (one
// session manager's new id while another conflicts), but none of the
// handler's; a 4xx from a hook is logged as a refusal, not a server error.
func TestHookErrorKeepsHookCookies(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.OnResponse(func(req *Request, resp *Response) error {
		return resp.SetCookie("a_sid", "renewed")
	})
	app.OnResponse(func(req *Request, resp *Response) error { return conflictErr{} })
	app.Post("/", func(req *Request) *Response {
		resp := app.Render(req, "saved")
		resp.SetCookie("flash", "saved")
		return resp
	})
	r := ittytest.NewClient(t, app).Post("/", "text/plain", nil)
	if r.StatusCode != 409 || r.Cookie("a_sid") == nil || r.Cookie("a_sid").Value != "renewed" {
		t.Fatalf("409 page: %d, Set-Cookie %v", r.StatusCode, r.Headers.Values("Set-Cookie"))
	}
	if r.Cookie("flash") != nil {
		t.Fatalf("the failed response's own cookie went out: %v", r.Headers.Values("Set-Cookie"))
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "itty: request refused") || !strings.Contains(l, "status=409") {
		t.Fatalf("log: %s", l)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	app := New()
	app.Post("/do", func(req *Request) *Response { return NewResponse("done", 200) })
	app.Get("/do", func(req *Request) *Response { return NewResponse("read", 200) })
	c := ittytest.NewClient(t, app)
	send := func(method string, headers map[string]string) int {
		req := c.NewRequest(method, "/do", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return c.Do(req).StatusCode
	}
	tests := []struct {
		method  string
		headers map[string]string
		want    int
	}{
		{"POST", nil, 200}, // no browser headers: curl, server-to-server
		{"POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"POST", map[string]string{"Origin": "http://example.com"}, 200}, // same host
		{"GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},  // safe method
	}
	for _, tt := range tests {
		if got := send(tt.method, tt.headers); got != tt.want {
			t.Errorf("%s %v: %d, want %d", tt.method, tt.headers, got, tt.want)
		}
	}
	if err := app.CrossOrigin.AddTrustedOrigin("https://partner.example"); err != nil {
		t.Fatal(err)
	}
	if got := send("POST", map[string]string{"Origin": "https://partner.example", "Sec-Fetch-Site": "cross-site"}); got != 200 {
		t.Errorf("trusted origin: %d", got)
	}
	app.DisableCrossOriginProtection = true
	if got := send("POST", map[string]string{"Sec-Fetch-Site": "cross-site"}); got != 200 {
		t.Errorf("protection off: %d", got)
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

type panickyReader struct{ n int }

func (p *panickyReader) Read(b []byte) (int, error) {
	if p.n > 0 {
		panic("reader broke mid-stream")
	}
	p.n++
	return copy(b, "partial "), nil
}

// TestPanicWhileStreaming: a panic after the response has started is
// logged; no second response is written over the first.
func TestPanicWhileStreaming(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.Get("/", func(req *Request) *Response { return &Response{BodyReader: &panickyReader{}} })
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "partial ") || strings.Contains(rec.Body.String(), "500") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "panic while writing the response") {
		t.Fatalf("not logged: %s", logs.String())
	}
}
