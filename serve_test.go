package itty

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

type conflictErr struct{}

func (conflictErr) Error() string { return "conflict" }

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

type panickyReader struct{ n int }

func (p *panickyReader) Read(b []byte) (int, error) {
	if p.n > 0 {
		panic("reader broke mid-stream")
	}
	p.n++
	return copy(b, "partial "), nil
}

// TestPanicWhileStreaming: a panic after the response has started is
// logged and aborts the response, so that the client sees it fail instead
// of taking the part that arrived for a whole answer; no 500 page is
// appended to it.
func TestPanicWhileStreaming(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.Get("/", func(req *Request) *Response { return &Response{BodyReader: &panickyReader{}} })
	srv := httptest.NewServer(app)
	defer srv.Close()
	// The part written before the panic may still sit in net/http's
	// buffer when the connection is cut, so the request itself can fail.
	if resp, err := http.Get(srv.URL); err == nil {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("the body read as whole: %d %q", resp.StatusCode, body)
		}
		if strings.Contains(string(body), "500") {
			t.Fatalf("body %q: a 500 page was appended", body)
		}
	}
	if !strings.Contains(logs.String(), "panic after the response started") {
		t.Fatalf("not logged: %s", logs.String())
	}
}

func TestRouting(t *testing.T) {
	c := ittytest.NewClient(t, newTestApp())
	tests := []struct {
		method, path string
		status       int
		body         string
		header       string // "Name: value" expected in the response
	}{
		{"GET", "/", 200, "Hello, world!", "Content-Type: text/html; charset=utf-8"},
		{"HEAD", "/", 200, "", "Content-Type: text/html; charset=utf-8"},
		{"GET", "/greet/caf%C3%A9/", 200, "Hello, café!", ""},
		{"GET", "/greet/bob", 301, "", "Location: /greet/bob/"},
		{"GET", "/greet/bob?x=1", 301, "", "Location: /greet/bob/?x=1"},
		{"POST", "/items", 308, "", "Location: /items/"},
		{"GET", "//greet/bob/", 301, "", "Location: /greet/bob/"},
		{"GET", "/greet/../", 301, "", "Location: /"},
		{"DELETE", "/items/7", 200, "deleted 7", ""},
		{"DELETE", "/items/99999999999999999999", 404, "404 Not Found\n", ""},
		{"DELETE", "/items/x", 404, "404 Not Found\n", ""},
		{"GET", "/missing", 404, "404 Not Found\n", "Content-Type: text/plain; charset=utf-8"},
		{"PUT", "/", 405, "405 Method Not Allowed\n", "Allow: GET, HEAD, OPTIONS"},
		{"GET", "/items/", 405, "405 Method Not Allowed\n", "Allow: POST, OPTIONS"},
		{"OPTIONS", "/", 204, "", "Allow: GET, HEAD, OPTIONS"},
		{"OPTIONS", "/items/3", 204, "", "Allow: DELETE, OPTIONS"},
		{"BREW", "/", 405, "405 Method Not Allowed\n", "Allow: GET, HEAD, OPTIONS"},
		{"GET", "/panic", 500, "500 Internal Server Error\n", ""},
		{"GET", "/nil", 500, "500 Internal Server Error\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := c.Do(c.NewRequest(tt.method, tt.path, nil))
			if resp.StatusCode != tt.status || resp.Body != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := resp.Headers.Get(name); got != value {
					t.Fatalf("%s = %q, want %q", name, got, value)
				}
			}
		})
	}
}

func TestPanicIsLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := ittytest.NewClient(t, app)
	resp := c.Get("/panic")
	if resp.StatusCode != 500 || strings.Contains(resp.Body, "secret") {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(logs.String(), "secret internals") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("panic and stack not logged: %s", logs.String())
	}
	// The server keeps serving.
	if resp := c.Get("/"); resp.StatusCode != 200 {
		t.Fatalf("after panic: %d", resp.StatusCode)
	}
	app.Debug = true
	if resp := c.Get("/panic"); !strings.Contains(resp.Body, "secret internals") {
		t.Fatalf("debug body lacks the panic: %q", resp.Body)
	}
}

func TestCustomErrorHandlers(t *testing.T) {
	app := newTestApp()
	app.NotFound = func(req *Request) *Response { return NewResponse("no such page: "+req.Path, 404) }
	app.MethodNotAllowed = func(req *Request) *Response { return NewResponse("nope", 405) }
	var gotErr error
	app.ServerError = func(req *Request, err error) *Response {
		gotErr = err
		return NewResponse("sorry", 500)
	}
	c := ittytest.NewClient(t, app)
	if r := c.Get("/x"); r.StatusCode != 404 || r.Body != "no such page: /x" {
		t.Errorf("404: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Do(c.NewRequest("PUT", "/", nil)); r.StatusCode != 405 || r.Body != "nope" || r.Headers.Get("Allow") == "" {
		t.Errorf("405: %d %q %v", r.StatusCode, r.Body, r.Headers)
	}
	if r := c.Get("/panic"); r.StatusCode != 500 || r.Body != "sorry" {
		t.Errorf("500: %d %q", r.StatusCode, r.Body)
	}
	var pe *PanicError
	if !errors.As(gotErr, &pe) || pe.Value != "secret internals" {
		t.Errorf("ServerError got %v", gotErr)
	}
	if r := c.Get("/nil"); r.StatusCode != 500 || !errors.Is(gotErr, errNilResponse) {
		t.Errorf("nil response: %d, err %v", r.StatusCode, gotErr)
	}
	// A ServerError handler that panics falls back to the generic page.
	app.ServerError = func(*Request, error) *Response { panic("again") }
	if r := c.Get("/panic"); r.StatusCode != 500 || r.Body != "500 Internal Server Error\n" {
		t.Errorf("panicking ServerError: %d %q", r.StatusCode, r.Body)
	}
}

func TestHandlerFuncIsHTTPHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/hi", HandlerFunc(func(req *Request) *Response { return NewResponse("hi "+req.GET.Get("n"), 200) }))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/hi?n=1", nil))
	if rec.Body.String() != "hi 1" {
		t.Fatalf("got %q", rec.Body.String())
	}
}

func TestUnknownMethodAndOddRequestTargets(t *testing.T) {
	app := newTestApp()
	for _, tt := range []struct {
		method, target string
		status         int
	}{
		{"FOO", "/", 405},
		{"OPTIONS", "*", 204},
	} {
		req := httptest.NewRequest(tt.method, "/", nil)
		req.RequestURI = tt.target
		if tt.target == "*" {
			req.URL.Path = ""
		} else {
			req.URL.Path = tt.target
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, rec.Code, tt.status)
		}
	}
}

// TestContentTypeIsTheResponses checks that the type a handler's response
// chose is the one sent, whatever Content-Type the writer's header map
// already held (earlier middleware, or a writer that keeps its map between
// responses), and that the header ends with exactly one value.
func TestContentTypeIsTheResponses(t *testing.T) {
	app := New()
	app.Get("/text", func(req *Request) *Response { return NewResponse("t", 200) })
	app.Get("/html", func(req *Request) *Response { return app.Render(req, "h") })
	app.Get("/json", func(req *Request) *Response { return app.RenderJSON(req, 1) })
	app.Get("/created", func(req *Request) *Response {
		resp := app.Render(req, "c")
		resp.StatusCode = http.StatusCreated
		return resp
	})
	for _, tc := range []struct {
		path   string
		before []string
		want   string
	}{
		{"/html", nil, contentTypeHTML},
		{"/html", []string{contentTypeHTML}, contentTypeHTML},
		{"/html", []string{"application/json"}, contentTypeHTML},
		{"/html", []string{contentTypeHTML, "text/plain"}, contentTypeHTML},
		{"/html", []string{}, contentTypeHTML},
		{"/text", []string{contentTypeHTML}, contentTypeText},
		{"/json", []string{contentTypeText}, contentTypeJSON},
		{"/created", []string{"image/png"}, contentTypeHTML},
	} {
		w := httptest.NewRecorder()
		if tc.before != nil {
			w.Header()["Content-Type"] = tc.before
		}
		app.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
		if got := w.Result().Header["Content-Type"]; len(got) != 1 || got[0] != tc.want {
			t.Errorf("GET %s with %q already set: Content-Type %q, want [%q]", tc.path, tc.before, got, tc.want)
		}
	}
}

// TestContentTypeHeader: the shortcuts' constants are known by their
// address, but a type that shares their bytes' address and not their
// length (a prefix of one) or their bytes and not their address (built at
// run time) gets the same answer as by comparing.
func TestContentTypeHeader(t *testing.T) {
	built := strings.Join([]string{"text/html", "charset=utf-8"}, "; ")
	for _, tc := range []struct {
		name, ct string
		want     string
		shared   []string // the shared slice it must be, or nil for a new one
	}{
		{"html constant", contentTypeHTML, contentTypeHTML, headerHTML},
		{"json constant", contentTypeJSON, contentTypeJSON, headerJSON},
		{"text constant", contentTypeText, contentTypeText, headerText},
		{"empty", "", contentTypeText, headerText},
		{"html built at run time", built, contentTypeHTML, headerHTML},
		{"prefix of the html constant", contentTypeHTML[:9], "text/html; charset=utf-8", nil},
		{"prefix of the json constant", contentTypeJSON[:11], "application", nil},
		{"other", "image/png", "image/png", nil},
	} {
		got := contentTypeHeader(tc.ct)
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: contentTypeHeader(%q) = %q, want [%q]", tc.name, tc.ct, got, tc.want)
			continue
		}
		var shared []string
		for _, s := range [][]string{headerHTML, headerJSON, headerText} {
			if &got[0] == &s[0] {
				shared = s
			}
		}
		if (shared == nil) != (tc.shared == nil) || shared != nil && &shared[0] != &tc.shared[0] {
			t.Errorf("%s: contentTypeHeader(%q) is the shared slice %q, want %q (nil: a new one)", tc.name, tc.ct, shared, tc.shared)
		}
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(b []byte) (int, error) {
	if f.n > 0 {
		return 0, errors.New("disk gone")
	}
	f.n++
	return copy(b, strings.Repeat("row\n", 2048)), nil // past net/http's buffer: the header goes out
}

// TestAttackStreamErrorLooksLikeSuccess: a body reader that fails
// mid-stream aborts the response, so that the client does not take the
// rows that arrived for all of them.
func TestAttackStreamErrorLooksLikeSuccess(t *testing.T) {
	app := New()
	app.Logger = slog.New(slog.DiscardHandler)
	app.Get("/export", func(req *Request) *Response { return &Response{BodyReader: &failingReader{}} })
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/export")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("%d, %d bytes read as a whole body", resp.StatusCode, len(b))
	}
}

// failureRecorder is a middleware's writer that wants to hear of a failed
// handler (FailureNotifier), under one that only unwraps to it.
type failureRecorder struct {
	http.ResponseWriter
	failed int
}

func (f *failureRecorder) HandlerFailed()              { f.failed++ }
func (f *failureRecorder) Unwrap() http.ResponseWriter { return f.ResponseWriter }
func (u unwrapOnly) Unwrap() http.ResponseWriter       { return u.ResponseWriter }
func (u unwrapOnly) Header() http.Header               { return u.ResponseWriter.Header() }
func (u unwrapOnly) Write(p []byte) (int, error)       { return u.ResponseWriter.Write(p) }
func (u unwrapOnly) WriteHeader(code int)              { u.ResponseWriter.WriteHeader(code) }

type unwrapOnly struct{ http.ResponseWriter }

// TestFailureNotifier: the App tells a FailureNotifier in its writer's
// Unwrap chain, once, before the error page is made, that the handler
// failed; and only then: a deliberate error page, a 404 or a 413 refused
// before the handler ran are no failure of a handler.
func TestFailureNotifier(t *testing.T) {
	app := New()
	app.Logger = slog.New(slog.DiscardHandler)
	var rec *failureRecorder
	notifiedBeforePage := false
	app.ServerError = func(req *Request, err error) *Response {
		notifiedBeforePage = rec.failed == 1
		if req.Path == "/panic-badpage" {
			return NewResponse("sorry", 99) // cannot be sent: a second error page
		}
		return nil // the generic page
	}
	app.OnResponse(func(req *Request, resp *Response) error {
		if req.Path == "/hookfails" {
			return errors.New("hook failed")
		}
		return nil
	})
	app.Get("/ok", func(req *Request) *Response { return app.Render(req, "ok") })
	app.Get("/error500", func(req *Request) *Response { return app.Error500(req, errors.New("handled")) })
	app.Get("/nil", func(req *Request) *Response { return nil })
	app.Get("/panic", func(req *Request) *Response { panic("boom") })
	app.Get("/panic-badpage", func(req *Request) *Response { panic("boom") })
	app.Get("/hookfails", func(req *Request) *Response { return app.Render(req, "ok") })
	app.Get("/badcookie", func(req *Request) *Response {
		resp := app.Render(req, "ok")
		resp.SetCookie("bad name", "v")
		return resp
	})
	app.Get("/bad-status", func(req *Request) *Response { return NewResponse("ok", 99) })
	app.Post("/body", func(req *Request) *Response {
		io.ReadAll(req.Body)
		return app.Render(req, "ok")
	})
	app.Handle("GET", "/plain", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	app.MaxBodyBytes = 4
	cases := []struct {
		method, path string
		body         io.Reader
		failed       int
	}{
		{"GET", "/ok", nil, 0},
		{"GET", "/error500", nil, 0},
		{"GET", "/missing", nil, 0},
		{"POST", "/body", strings.NewReader("12345"), 0}, // refused by its Content-Length: the handler never ran
		{"POST", "/body", io.MultiReader(strings.NewReader("12345")), 1},
		{"GET", "/nil", nil, 1},
		{"GET", "/panic", nil, 1},
		{"GET", "/panic-badpage", nil, 1},
		{"GET", "/bad-status", nil, 1},
		{"GET", "/hookfails", nil, 1},
		{"GET", "/badcookie", nil, 1},
		{"GET", "/plain", nil, 1},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, tc.body)
		if tc.body != nil {
			r.Header.Set("Content-Type", "text/plain")
		}
		rec = &failureRecorder{ResponseWriter: httptest.NewRecorder()}
		notifiedBeforePage = false
		app.ServeHTTP(unwrapOnly{rec}, r)
		if rec.failed != tc.failed {
			t.Errorf("%s %s: HandlerFailed called %d times, want %d", tc.method, tc.path, rec.failed, tc.failed)
		}
		if tc.failed == 1 && tc.path != "/body" && !notifiedBeforePage {
			t.Errorf("%s %s: the ServerError page ran before the writer was told", tc.method, tc.path)
		}
	}
}

// TestHooksSkipFailedResponses: a handler whose response cannot be sent
// (an invalid cookie, a status that is not one) has failed, so no hook
// runs to commit what it half did; a hook that spoils the response stops
// the hooks after it, and its 500 page keeps the cookies the hooks before
// it set (they stand for what those hooks stored).
func TestHooksSkipFailedResponses(t *testing.T) {
	var ran []string
	app := New()
	app.Logger = slog.New(slog.DiscardHandler)
	app.OnResponse(func(req *Request, resp *Response) error {
		ran = append(ran, "first")
		return resp.SetCookie("stored", "1")
	})
	app.OnResponse(func(req *Request, resp *Response) error {
		ran = append(ran, "spoiler")
		if req.Path == "/spoiled-by-hook" {
			resp.SetCookie("bad name", "v")
		}
		return nil
	})
	app.OnResponse(func(req *Request, resp *Response) error {
		ran = append(ran, "last")
		return nil
	})
	app.Get("/bad-cookie", func(req *Request) *Response {
		resp := app.Render(req, "ok")
		resp.SetCookie("bad name", "v")
		return resp
	})
	app.Get("/bad-status", func(req *Request) *Response { return NewResponse("ok", 99) })
	app.Get("/spoiled-by-hook", func(req *Request) *Response { return app.Render(req, "ok") })
	app.Get("/ok", func(req *Request) *Response { return app.Render(req, "ok") })
	cases := []struct {
		path, ran string
		status    int
		cookie    bool // the first hook's cookie is on the answer
	}{
		{"/ok", "first spoiler last", 200, true},
		{"/bad-cookie", "", 500, false},
		{"/bad-status", "", 500, false},
		{"/spoiled-by-hook", "first spoiler", 500, true},
	}
	for _, tc := range cases {
		ran = nil
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if got := strings.Join(ran, " "); got != tc.ran || rec.Code != tc.status {
			t.Errorf("%s: %d, hooks ran %q; want %d, %q", tc.path, rec.Code, got, tc.status, tc.ran)
		}
		if got := strings.Contains(rec.Header().Get("Set-Cookie"), "stored=1"); got != tc.cookie {
			t.Errorf("%s: Set-Cookie %q; the first hook's cookie there: %v, want %v", tc.path, rec.Header().Values("Set-Cookie"), got, tc.cookie)
		}
	}
}
