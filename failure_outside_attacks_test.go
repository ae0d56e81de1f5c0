package itty_test

// Outside attacks on itty.FailureNotifier, the access log of NewServer and
// the fallback of a ServerError page that cannot be sent. Written from the
// promises and docs only.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty"
)

// ---------------------------------------------------------------- helpers

// lockedBuf is a goroutine-safe log sink.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the log lines containing s.
func (l *lockedBuf) lines(s string) []string {
	var out []string
	for _, ln := range strings.Split(l.String(), "\n") {
		if strings.Contains(ln, s) {
			out = append(out, ln)
		}
	}
	return out
}

func newLogger() (*slog.Logger, *lockedBuf) {
	b := &lockedBuf{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// accessLines waits briefly for the access-log lines (they are written
// after the response went out) and returns them.
func accessLines(t *testing.T, b *lockedBuf, want int) []string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		ls := b.lines(`msg="itty: request"`)
		if len(ls) >= want || time.Now().After(deadline) {
			time.Sleep(20 * time.Millisecond)
			return b.lines(`msg="itty: request"`)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// notifyW is a FailureNotifier writer that records what happened to it.
type notifyW struct {
	http.ResponseWriter
	mu               sync.Mutex
	failed           int
	wrote            bool // a byte or a header went out through it
	wroteBeforeFail  bool
	serverErrorRan   bool
	serverErrorFirst bool // ServerError ran before HandlerFailed
	onFail           func()
}

func (n *notifyW) HandlerFailed() {
	n.mu.Lock()
	n.failed++
	if n.wrote {
		n.wroteBeforeFail = true
	}
	if n.serverErrorRan && n.failed == 1 {
		n.serverErrorFirst = true
	}
	f := n.onFail
	n.mu.Unlock()
	if f != nil {
		f()
	}
}

func (n *notifyW) WriteHeader(code int) {
	n.ResponseWriter.WriteHeader(code) // may panic for an invalid code: then nothing went out
	n.mu.Lock()
	n.wrote = true
	n.mu.Unlock()
}

func (n *notifyW) Write(b []byte) (int, error) {
	n.mu.Lock()
	n.wrote = true
	n.mu.Unlock()
	return n.ResponseWriter.Write(b)
}

func (n *notifyW) Flush() { http.NewResponseController(n.ResponseWriter).Flush() }

func (n *notifyW) Unwrap() http.ResponseWriter { return n.ResponseWriter }

func (n *notifyW) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.failed
}

type nwKey struct{}

// serverErrorProbe is a ServerError that notes, on the request's notifyW,
// that it ran (so that the order against HandlerFailed is checked).
func serverErrorProbe(req *itty.Request, err error) *itty.Response {
	if n, ok := req.Context().Value(nwKey{}).(*notifyW); ok {
		n.mu.Lock()
		n.serverErrorRan = true
		n.mu.Unlock()
	}
	return itty.NewResponse("custom error page\n", http.StatusInternalServerError)
}

// serveNotified serves one request through app with a notifyW around rec.
func serveNotified(h http.Handler, r *http.Request) (*notifyW, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	n := &notifyW{ResponseWriter: rec}
	r = r.WithContext(context.WithValue(r.Context(), nwKey{}, n))
	h.ServeHTTP(n, r)
	return n, rec
}

// chunkedBody is a body with no declared length.
type chunkedBody struct{ r io.Reader }

func (c chunkedBody) Read(p []byte) (int, error) { return c.r.Read(p) }

// ------------------------------------------------------------- promise 1

// failureApp has a route for every way a handler can fail, and for the
// ways it can answer without failing.
func failureApp(t *testing.T) *itty.App {
	app := itty.New()
	app.ServerError = serverErrorProbe
	app.MaxBodyBytes = 16
	app.Get("/ok", func(req *itty.Request) *itty.Response { return app.Render(req, "ok") })
	app.Get("/panic", func(req *itty.Request) *itty.Response { panic("boom") })
	app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
	app.Post("/readall", func(req *itty.Request) *itty.Response {
		io.ReadAll(req.Body)
		return app.Render(req, "read")
	})
	app.Get("/badcookie", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "x")
		resp.SetCookie("bad name;", "v")
		return resp
	})
	for _, s := range []int{42, 99, 100, 1000, -1} {
		app.Get(fmt.Sprintf("/status/%d", s+10), func(req *itty.Request) *itty.Response {
			return itty.NewResponse("x", s)
		})
	}
	app.Get("/template", func(req *itty.Request) *itty.Response { return app.RenderTemplate(req, "nope", nil) })
	app.Get("/hookerr", func(req *itty.Request) *itty.Response {
		req.OnResponse(func(*itty.Request, *itty.Response) error { return errors.New("hook failed") })
		return app.Render(req, "x")
	})
	app.Get("/hookpanic", func(req *itty.Request) *itty.Response {
		req.OnResponse(func(*itty.Request, *itty.Response) error { panic("hook panic") })
		return app.Render(req, "x")
	})
	app.Get("/hookcookie", func(req *itty.Request) *itty.Response {
		req.OnResponse(func(_ *itty.Request, resp *itty.Response) error {
			resp.SetCookie("", "v")
			return nil
		})
		return app.Render(req, "x")
	})
	app.Get("/hookstatus", func(req *itty.Request) *itty.Response {
		req.OnResponse(func(*itty.Request, *itty.Response) error { return nil })
		return itty.NewResponse("x", 42)
	})
	app.Get("/err500", func(req *itty.Request) *itty.Response { return app.Error500(req, errors.New("deliberate")) })
	app.Post("/plainread", itty.HandlerFunc(func(req *itty.Request) *itty.Response { return app.Render(req, "never") }))
	app.Handle("GET", "/plainpanic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Half", "1")
		panic("plain boom")
	}))
	app.Handle("GET", "/plain42", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(42)
	}))
	app.Handle("GET", "/plainok", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain ok")
	}))
	app.Handle("POST", "/plainpost", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain post")
	}))
	app.Get("/onlyget", func(req *itty.Request) *itty.Response { return app.Render(req, "x") })
	return app
}

// TestAttackNotifierOnceForEveryFailureBeforeServerError drives every kind
// of failure the promise lists and checks HandlerFailed ran exactly once,
// before ServerError and before any byte went out.
func TestAttackNotifierOnceForEveryFailureBeforeServerError(t *testing.T) {
	app := failureApp(t)
	cases := []struct {
		name, method, path string
		body               io.Reader
		wantStatus         int
		customPage         bool // ServerError answers
	}{
		{"panic", "GET", "/panic", nil, 500, true},
		{"nil", "GET", "/nil", nil, 500, true},
		{"body-past-limit", "POST", "/readall", chunkedBody{strings.NewReader(strings.Repeat("a", 100))}, 413, false},
		{"invalid-cookie", "GET", "/badcookie", nil, 500, true},
		{"status-42", "GET", "/status/52", nil, 500, true},
		{"status-99", "GET", "/status/109", nil, 500, true},
		{"status-100", "GET", "/status/110", nil, 500, true},
		{"status-1000", "GET", "/status/1010", nil, 500, true},
		{"status-neg", "GET", "/status/9", nil, 500, true},
		{"template", "GET", "/template", nil, 500, true},
		{"hook-error", "GET", "/hookerr", nil, 500, true},
		{"hook-panic", "GET", "/hookpanic", nil, 500, true},
		{"hook-invalid-cookie", "GET", "/hookcookie", nil, 500, true},
		{"hook-then-status-42", "GET", "/hookstatus", nil, 500, true},
		{"plain-panic", "GET", "/plainpanic", nil, 500, true},
		{"plain-writeheader-42", "GET", "/plain42", nil, 500, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, c.body)
			if c.body != nil {
				r.ContentLength = -1
			}
			n, rec := serveNotified(app, r)
			if rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d (body %q)", rec.Code, c.wantStatus, rec.Body.String())
			}
			if got := n.count(); got != 1 {
				t.Errorf("HandlerFailed called %d times, want 1", got)
			}
			if n.wroteBeforeFail {
				t.Error("bytes went out before HandlerFailed")
			}
			if n.serverErrorFirst {
				t.Error("ServerError ran before HandlerFailed")
			}
			if c.customPage && !strings.Contains(rec.Body.String(), "custom error page") {
				t.Errorf("ServerError page not used: %q", rec.Body.String())
			}
			if c.name == "plain-panic" && rec.Header().Get("X-Half") != "1" {
				// not a promise; only logged to show what the page kept
				t.Logf("plain panic page headers: %v", rec.Header())
			}
		})
	}
}

// TestAttackNotifierNeverForSuccessOr404405Error500Or413 checks the
// answers the promise says are not failures.
func TestAttackNotifierNeverForSuccessOr404405Error500Or413(t *testing.T) {
	app := failureApp(t)
	cases := []struct {
		name, method, path string
		body               string
		wantStatus         int
	}{
		{"success", "GET", "/ok", "", 200},
		{"plain-success", "GET", "/plainok", "", 200},
		{"404", "GET", "/nowhere", "", 404},
		{"405", "DELETE", "/onlyget", "", 405},
		{"error500", "GET", "/err500", "", 500},
		{"413-content-length-itty", "POST", "/readall", strings.Repeat("a", 100), 413},
		{"413-content-length-plain", "POST", "/plainpost", strings.Repeat("a", 100), 413},
		{"413-content-length-handlerfunc", "POST", "/plainread", strings.Repeat("a", 100), 413},
		{"redirect-clean", "GET", "/a/../ok", "", 0},
		{"options", "OPTIONS", "/onlyget", "", 204},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			r := httptest.NewRequest(c.method, c.path, body)
			n, rec := serveNotified(app, r)
			if c.wantStatus != 0 && rec.Code != c.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, c.wantStatus)
			}
			if got := n.count(); got != 0 {
				t.Errorf("HandlerFailed called %d times for a non-failure", got)
			}
		})
	}
}

// TestAttackNotifierNestedAppsOverRealHTTP mounts an App in another with
// Handle, behind a chain of wrappers (notifier, Unwrap-only wrapper,
// notifier) on a real server: the inner App's failure reaches every
// notifier once, and the outer App (which sees a plain handler that wrote a
// 500) adds no second call.
func TestAttackNotifierNestedAppsOverRealHTTP(t *testing.T) {
	inner := itty.New()
	inner.ServerError = serverErrorProbe
	inner.Get("/in/panic", func(req *itty.Request) *itty.Response { panic("inner") })
	inner.Get("/in/nil", func(req *itty.Request) *itty.Response { return nil })
	inner.Get("/in/ok", func(req *itty.Request) *itty.Response { return inner.Render(req, "inner ok") })
	inner.Handle("GET", "/in/plainpanic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("inner plain") }))
	outer := itty.New()
	outer.ServerError = func(req *itty.Request, err error) *itty.Response {
		return itty.NewResponse("outer page\n", 500)
	}
	for _, p := range []string{"/in/panic", "/in/nil", "/in/ok", "/in/plainpanic"} {
		outer.Handle("GET", p, inner)
	}

	type result struct{ n1, n2 *notifyW }
	results := make(chan result, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n2 := &notifyW{ResponseWriter: w}
		mid := &unwrapOnly{ResponseWriter: n2}
		n1 := &notifyW{ResponseWriter: mid}
		r = r.WithContext(context.WithValue(r.Context(), nwKey{}, n1))
		outer.ServeHTTP(n1, r)
		results <- result{n1, n2}
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, c := range []struct {
		path   string
		status int
		fails  int
		body   string
	}{
		{"/in/panic", 500, 1, "custom error page"},
		{"/in/nil", 500, 1, "custom error page"},
		{"/in/plainpanic", 500, 1, "custom error page"},
		{"/in/ok", 200, 0, "inner ok"},
	} {
		resp, err := ts.Client().Get(ts.URL + c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res := <-results
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.body) {
			t.Errorf("%s: %d %q, want %d %q", c.path, resp.StatusCode, b, c.status, c.body)
		}
		if res.n1.count() != c.fails || res.n2.count() != c.fails {
			t.Errorf("%s: HandlerFailed outer=%d inner=%d, want %d each", c.path, res.n1.count(), res.n2.count(), c.fails)
		}
		if res.n1.wroteBeforeFail || res.n2.wroteBeforeFail {
			t.Errorf("%s: bytes before HandlerFailed", c.path)
		}
	}
}

// unwrapOnly is a middleware writer that only passes things on.
type unwrapOnly struct{ http.ResponseWriter }

func (u *unwrapOnly) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// selfLoop is a notifier whose Unwrap returns itself.
type selfLoop struct {
	http.ResponseWriter
	n int
}

func (s *selfLoop) HandlerFailed()              { s.n++ }
func (s *selfLoop) Unwrap() http.ResponseWriter { return s }

// pairLoop notifiers unwrap to each other.
type pairLoop struct {
	http.ResponseWriter
	other *pairLoop
	n     int
}

func (p *pairLoop) HandlerFailed()              { p.n++ }
func (p *pairLoop) Unwrap() http.ResponseWriter { return p.other }

// TestAttackNotifierUnwrapLoopCallsOnce: a writer whose Unwrap loops to
// itself (or a pair that unwrap to each other) must be told once, not once
// per turn of the loop.
func TestAttackNotifierUnwrapLoopCallsOnce(t *testing.T) {
	app := itty.New()
	app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
	app.Handle("GET", "/plainpanic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }))
	for _, path := range []string{"/nil", "/plainpanic"} {
		t.Run("self"+path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s := &selfLoop{ResponseWriter: rec}
			app.ServeHTTP(s, httptest.NewRequest("GET", path, nil))
			if rec.Code != 500 {
				t.Errorf("status %d", rec.Code)
			}
			if s.n != 1 {
				t.Errorf("HandlerFailed called %d times on a self-unwrapping writer, want 1", s.n)
			}
		})
		t.Run("pair"+path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			a := &pairLoop{ResponseWriter: rec}
			b := &pairLoop{ResponseWriter: rec, other: a}
			a.other = b
			app.ServeHTTP(a, httptest.NewRequest("GET", path, nil))
			if rec.Code != 500 {
				t.Errorf("status %d", rec.Code)
			}
			if a.n != 1 || b.n != 1 {
				t.Errorf("HandlerFailed called a=%d b=%d times in a two-writer loop, want 1 each", a.n, b.n)
			}
		})
	}
}

// nilUnwrap unwraps to nil.
type nilUnwrap struct {
	http.ResponseWriter
	n int
}

func (w *nilUnwrap) HandlerFailed()              { w.n++ }
func (w *nilUnwrap) Unwrap() http.ResponseWriter { return nil }

// TestAttackNotifierUnwrapNilDoesNotCrash: the chain ends at a nil
// writer without a crash.
func TestAttackNotifierUnwrapNilDoesNotCrash(t *testing.T) {
	app := itty.New()
	app.Get("/panic", func(req *itty.Request) *itty.Response { panic("x") })
	rec := httptest.NewRecorder()
	w := &nilUnwrap{ResponseWriter: rec}
	app.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))
	if rec.Code != 500 || w.n != 1 {
		t.Errorf("status %d, HandlerFailed %d; want 500, 1", rec.Code, w.n)
	}
}

// TestAttackNotifierPanickingHandlerFailed: the outermost writer's
// HandlerFailed panics. The notifier behind it must still be told (it is
// reachable through Unwrap), and the client still gets a 500.
func TestAttackNotifierPanickingHandlerFailed(t *testing.T) {
	app := itty.New()
	app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
	app.Get("/panic", func(req *itty.Request) *itty.Response { panic("x") })
	inner := make(chan *notifyW, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := &notifyW{ResponseWriter: w}
		inner <- in
		out := &notifyW{ResponseWriter: in, onFail: func() { panic("notifier bug") }}
		app.ServeHTTP(out, r)
	}))
	defer ts.Close()
	for _, p := range []string{"/nil", "/panic"} {
		t.Run(p, func(t *testing.T) {
			resp, err := ts.Client().Get(ts.URL + p)
			in := <-inner
			if err != nil {
				t.Errorf("request failed: %v", err)
			} else {
				resp.Body.Close()
				if resp.StatusCode != 500 {
					t.Errorf("status %d, want 500", resp.StatusCode)
				}
			}
			if in.count() != 1 {
				t.Errorf("notifier behind a panicking one told %d times, want 1", in.count())
			}
		})
	}
}

// TestAttackNotifierStandaloneHandlerFunc: a HandlerFunc mounted in a
// plain mux tells the writer it was given.
func TestAttackNotifierStandaloneHandlerFunc(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/nil", itty.HandlerFunc(func(*itty.Request) *itty.Response { return nil }))
	mux.Handle("/ok", itty.HandlerFunc(func(*itty.Request) *itty.Response { return itty.NewResponse("ok", 200) }))
	n, rec := serveNotified(mux, httptest.NewRequest("GET", "/nil", nil))
	if rec.Code != 500 || n.count() != 1 {
		t.Errorf("nil: status %d, HandlerFailed %d", rec.Code, n.count())
	}
	n, rec = serveNotified(mux, httptest.NewRequest("GET", "/ok", nil))
	if rec.Code != 200 || n.count() != 0 {
		t.Errorf("ok: status %d, HandlerFailed %d", rec.Code, n.count())
	}
}

// TestAttackNotifierConcurrentPoolReuse: pooled Requests that failed are
// reused by successful ones under -race; every request is counted right.
func TestAttackNotifierConcurrentPoolReuse(t *testing.T) {
	app := failureApp(t)
	paths := []string{"/ok", "/panic", "/nil", "/plainok", "/plainpanic", "/hookerr", "/err500", "/nowhere", "/status/52"}
	fails := map[string]int{"/panic": 1, "/nil": 1, "/plainpanic": 1, "/hookerr": 1, "/status/52": 1}
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				p := paths[(g+i)%len(paths)]
				n, _ := serveNotified(app, httptest.NewRequest("GET", p, nil))
				if n.count() != fails[p] {
					bad.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d requests told wrongly", bad.Load())
	}
}

// ------------------------------------------------------------- promise 4

// TestAttackServerErrorPageUnsendableFallsBack: a ServerError page with
// an invalid status or cookie, a failed template, or a panic gives way to
// the generic page, with the status the error asked for.
func TestAttackServerErrorPageUnsendableFallsBack(t *testing.T) {
	cases := []struct {
		name string
		page func(app *itty.App, req *itty.Request, err error) *itty.Response
	}{
		{"status-42", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { return itty.NewResponse("bad", 42) }},
		{"status-99", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { return itty.NewResponse("bad", 99) }},
		{"status-101", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { return itty.NewResponse("bad", 101) }},
		{"status-1000", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { return itty.NewResponse("bad", 1000) }},
		{"cookie", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response {
			r := itty.NewResponse("bad", 500)
			r.SetCookie("no good", "x")
			return r
		}},
		{"template", func(app *itty.App, req *itty.Request, _ error) *itty.Response {
			return app.RenderTemplate(req, "none", nil)
		}},
		{"panic", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { panic("server error page panics") }},
		{"nil", func(_ *itty.App, _ *itty.Request, _ error) *itty.Response { return nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := itty.New()
			log, logs := newLogger()
			app.Logger = log
			app.ServerError = func(req *itty.Request, err error) *itty.Response { return c.page(app, req, err) }
			app.Get("/panic", func(req *itty.Request) *itty.Response { panic("x") })
			app.Get("/conflict", func(req *itty.Request) *itty.Response {
				req.OnResponse(func(*itty.Request, *itty.Response) error { return conflictErr{} })
				return app.Render(req, "x")
			})
			app.Get("/err500", func(req *itty.Request) *itty.Response { return app.Error500(req, errors.New("e")) })
			app.Handle("GET", "/plain", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("p") }))
			srv := httptest.NewUnstartedServer(app)
			srv.EnableHTTP2 = true
			srv.StartTLS()
			defer srv.Close()
			for _, p := range []struct {
				path   string
				status int
				notify int
			}{{"/panic", 500, 1}, {"/plain", 500, 1}, {"/conflict", 409, 1}, {"/err500", 500, 0}} {
				rec := httptest.NewRecorder()
				n := &notifyW{ResponseWriter: rec}
				app.ServeHTTP(n, httptest.NewRequest("GET", p.path, nil))
				want := fmt.Sprintf("%d %s\n", p.status, http.StatusText(p.status))
				if rec.Code != p.status || rec.Body.String() != want {
					t.Errorf("%s: %d %q, want generic %d %q", p.path, rec.Code, rec.Body.String(), p.status, want)
				}
				if len(rec.Header().Values("Set-Cookie")) != 0 {
					t.Errorf("%s: the unsendable page's cookie went out: %v", p.path, rec.Header().Values("Set-Cookie"))
				}
				if n.count() != p.notify {
					t.Errorf("%s: HandlerFailed %d times, want %d", p.path, n.count(), p.notify)
				}
				// The same over real HTTP/2 (net/http panics on a bad status).
				resp, err := srv.Client().Get(srv.URL + p.path)
				if err != nil {
					t.Errorf("%s over HTTP/2: %v", p.path, err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != 2 || resp.StatusCode != p.status || string(b) != want {
					t.Errorf("%s over HTTP/%d: %d %q, want %d %q", p.path, resp.ProtoMajor, resp.StatusCode, b, p.status, want)
				}
			}
			if c.name == "panic" && len(logs.lines("ServerError handler panicked")) == 0 {
				t.Error("the ServerError panic was not logged")
			}
		})
	}
}

type conflictErr struct{}

func (conflictErr) Error() string   { return "conflict" }
func (conflictErr) HTTPStatus() int { return 409 }

// TestAttackDoubleFailureHookThenServerErrorPanics: a hook fails, then the
// ServerError page panics: one notification, the generic 500, the hook's
// cookies kept, and one access-log line.
func TestAttackDoubleFailureHookThenServerErrorPanics(t *testing.T) {
	app := itty.New()
	log, logs := newLogger()
	app.Logger = log
	app.ServerError = func(req *itty.Request, err error) *itty.Response { panic("again") }
	app.OnResponse(func(_ *itty.Request, resp *itty.Response) error {
		return resp.SetCookie("kept", "1")
	})
	app.OnResponse(func(*itty.Request, *itty.Response) error { panic("hook") })
	app.Get("/x", func(req *itty.Request) *itty.Response { return app.Render(req, "x") })
	var told atomic.Int64
	app.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := &notifyW{ResponseWriter: w}
			next.ServeHTTP(n, r)
			told.Add(int64(n.count()))
		})
	})
	ts := httptest.NewServer(app.NewServer("").Handler)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || string(b) != "500 Internal Server Error\n" {
		t.Errorf("%d %q", resp.StatusCode, b)
	}
	if !strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), "kept=1") {
		t.Errorf("hook cookie lost: %v", resp.Header.Values("Set-Cookie"))
	}
	ls := accessLines(t, logs, 1)
	if told.Load() != 1 {
		t.Errorf("HandlerFailed %d times, want 1", told.Load())
	}
	if len(ls) != 1 || !strings.Contains(ls[0], "status=500") || strings.Contains(ls[0], "aborted") {
		t.Errorf("access log: %q", ls)
	}
}

// ------------------------------------------------------------- promise 3

func loggedServer(t *testing.T, app *itty.App, h2 bool) (*httptest.Server, *lockedBuf) {
	t.Helper()
	log, logs := newLogger()
	app.Logger = log
	srv := app.NewServer("")
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config.ErrorLog = srv.ErrorLog
	if h2 {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts, logs
}

// TestAttackAccessLogAbortedAfterFirstByte: a panic after the first byte
// (with and without an explicit status) and ErrAbortHandler before any
// byte are WARN aborted=true with the status that went out.
func TestAttackAccessLogAbortedAfterFirstByte(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			app := itty.New()
			app.Handle("GET", "/partial", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				panic("after first byte")
			}))
			app.Handle("GET", "/created", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(201)
				io.WriteString(w, "abc")
				panic(http.ErrAbortHandler)
			}))
			app.Handle("GET", "/abortnow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				panic(http.ErrAbortHandler)
			}))
			app.Get("/stream", func(req *itty.Request) *itty.Response {
				resp := itty.NewResponse("", 200)
				resp.BodyReader = io.MultiReader(strings.NewReader("some"), errReader{})
				return resp
			})
			ts, logs := loggedServer(t, app, h2)
			want := map[string]string{
				"/partial":  "status=200",
				"/created":  "status=201",
				"/abortnow": "status=0",
				"/stream":   "status=200",
			}
			for p := range want {
				resp, err := ts.Client().Get(ts.URL + p)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Errorf("%s: the client took an aborted response for a whole one", p)
				}
			}
			ls := accessLines(t, logs, len(want))
			if len(ls) != len(want) {
				t.Fatalf("%d access lines for %d requests: %q", len(ls), len(want), ls)
			}
			for p, st := range want {
				found := false
				for _, l := range ls {
					if strings.Contains(l, "path="+p+" ") {
						found = true
						if !strings.Contains(l, "level=WARN") || !strings.Contains(l, "aborted=true") || !strings.Contains(l, " "+st+" ") {
							t.Errorf("%s: line %q, want WARN aborted=true %s", p, l, st)
						}
					}
				}
				if !found {
					t.Errorf("%s: no access line", p)
				}
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// TestAttackAccessLogStatusOfAnsweredFailures: requests that the App
// answered whole (a 500 page) are INFO with the status the client got.
// A plain handler whose WriteHeader(1000) net/http refuses gets a 500: the
// log must say 500, not the refused 1000.
func TestAttackAccessLogStatusOfAnsweredFailures(t *testing.T) {
	app := itty.New()
	app.Get("/panic", func(req *itty.Request) *itty.Response { panic("x") })
	app.Get("/ok", func(req *itty.Request) *itty.Response { return app.Render(req, "ok") })
	app.Handle("GET", "/plain1000", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(1000)
	}))
	app.Handle("GET", "/plain42", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(42)
	}))
	ts, logs := loggedServer(t, app, false)
	want := map[string]int{"/panic": 500, "/ok": 200, "/plain1000": 500, "/plain42": 500}
	for p, st := range want {
		resp, err := ts.Client().Get(ts.URL + p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != st {
			t.Errorf("%s: client got %d, want %d", p, resp.StatusCode, st)
		}
	}
	ls := accessLines(t, logs, len(want))
	if len(ls) != len(want) {
		t.Fatalf("access lines %q", ls)
	}
	for _, l := range ls {
		for p, st := range want {
			if strings.Contains(l, "path="+p+" ") {
				if !strings.Contains(l, fmt.Sprintf(" status=%d ", st)) || !strings.Contains(l, "level=INFO") || strings.Contains(l, "aborted") {
					t.Errorf("%s: client got %d, access log says %q", p, st, l)
				}
			}
		}
	}
}

// TestAttackAccessLogRecorderInterfaces: middleware under NewServer gets
// the recorder; it must be an http.Flusher and http.Hijacker, have
// FlushError and Unwrap.
func TestAttackAccessLogRecorderInterfaces(t *testing.T) {
	app := itty.New()
	got := make(chan string, 1)
	app.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var miss []string
			if _, ok := w.(http.Flusher); !ok {
				miss = append(miss, "Flusher")
			}
			if _, ok := w.(http.Hijacker); !ok {
				miss = append(miss, "Hijacker")
			}
			if _, ok := w.(interface{ FlushError() error }); !ok {
				miss = append(miss, "FlushError")
			}
			if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok {
				miss = append(miss, "Unwrap")
			}
			got <- strings.Join(miss, ",")
			next.ServeHTTP(w, r)
		})
	})
	app.Get("/", func(req *itty.Request) *itty.Response { return app.Render(req, "x") })
	ts, _ := loggedServer(t, app, false)
	resp, err := ts.Client().Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if m := <-got; m != "" {
		t.Errorf("access-log recorder lacks %s", m)
	}
}

// TestAttackAccessLogSSEStreamingAndResponseController: a plain handler's
// events reach the client one by one (HTTP/1 and HTTP/2) through the
// recorder, with Flusher and ResponseController (Flush, SetWriteDeadline,
// EnableFullDuplex on HTTP/1); the log line is INFO 200 with every byte.
func TestAttackAccessLogSSEStreamingAndResponseController(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			app := itty.New()
			next := make(chan struct{})
			rcErrs := make(chan error, 4)
			app.Handle("GET", "/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rc := http.NewResponseController(w)
				rcErrs <- rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if r.ProtoMajor == 1 {
					rcErrs <- rc.EnableFullDuplex()
				} else {
					rcErrs <- nil
				}
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, "data: one\n\n")
				w.(http.Flusher).Flush()
				<-next
				io.WriteString(w, "data: two\n\n")
				rcErrs <- rc.Flush()
				<-next
			}))
			ts, logs := loggedServer(t, app, h2)
			resp, err := ts.Client().Get(ts.URL + "/events")
			if err != nil {
				close(next)
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if h2 && resp.ProtoMajor != 2 {
				t.Errorf("proto %d", resp.ProtoMajor)
			}
			br := bufio.NewReader(resp.Body)
			readEvent := func() string {
				done := make(chan string, 1)
				go func() {
					l, _ := br.ReadString('\n')
					br.ReadString('\n')
					done <- l
				}()
				select {
				case l := <-done:
					return l
				case <-time.After(3 * time.Second):
					return "(timeout: not streamed)"
				}
			}
			if l := readEvent(); l != "data: one\n" {
				t.Errorf("first event %q", l)
			}
			next <- struct{}{}
			if l := readEvent(); l != "data: two\n" {
				t.Errorf("second event %q", l)
			}
			close(next)
			io.Copy(io.Discard, resp.Body)
			for range 3 {
				if err := <-rcErrs; err != nil {
					t.Errorf("ResponseController through the recorder: %v", err)
				}
			}
			ls := accessLines(t, logs, 1)
			if len(ls) != 1 || !strings.Contains(ls[0], "level=INFO") || !strings.Contains(ls[0], " status=200 ") ||
				!strings.Contains(ls[0], " bytes=22 ") {
				t.Errorf("access log %q", ls)
			}
		})
	}
}

// TestAttackAccessLogHijackHTTP1: a websocket-style plain handler hijacks
// through the recorder (Hijacker and ResponseController), speaks its own
// protocol, and the request is logged once, not as aborted.
func TestAttackAccessLogHijackHTTP1(t *testing.T) {
	for _, via := range []string{"hijacker", "controller"} {
		t.Run(via, func(t *testing.T) {
			app := itty.New()
			app.Handle("GET", "/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var c net.Conn
				var rw *bufio.ReadWriter
				var err error
				if via == "hijacker" {
					c, rw, err = w.(http.Hijacker).Hijack()
				} else {
					c, rw, err = http.NewResponseController(w).Hijack()
				}
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				defer c.Close()
				rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
				rw.Flush()
				line, _ := rw.ReadString('\n')
				rw.WriteString("echo:" + line)
				rw.Flush()
			}))
			ts, logs := loggedServer(t, app, false)
			c, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 101 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			fmt.Fprintf(c, "hello\n")
			l, err := br.ReadString('\n')
			if err != nil || l != "echo:hello\n" {
				t.Errorf("echo %q %v", l, err)
			}
			ls := accessLines(t, logs, 1)
			if len(ls) != 1 || strings.Contains(ls[0], "aborted") || !strings.Contains(ls[0], "level=INFO") {
				t.Errorf("access log %q", ls)
			}
		})
	}
}

// TestAttackAccessLogHijackRefusedOnHTTP2: on HTTP/2 Hijack fails with
// ErrNotSupported through the recorder; the handler then answers 426 and
// the access log must record 426, the status the client got.
func TestAttackAccessLogHijackRefusedOnHTTP2(t *testing.T) {
	app := itty.New()
	hijackErr := make(chan error, 1)
	app.Handle("GET", "/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err := http.NewResponseController(w).Hijack()
		hijackErr <- err
		if err != nil {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
	}))
	ts, logs := loggedServer(t, app, true)
	resp, err := ts.Client().Get(ts.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err := <-hijackErr; !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("hijack on HTTP/2: %v, want ErrNotSupported", err)
	}
	if resp.ProtoMajor != 2 || resp.StatusCode != 426 {
		t.Fatalf("HTTP/%d %d", resp.ProtoMajor, resp.StatusCode)
	}
	ls := accessLines(t, logs, 1)
	if len(ls) != 1 || !strings.Contains(ls[0], " status=426 ") {
		t.Errorf("client got 426, access log says %q", ls)
	}
}

// noFlushWriter is a writer that can neither flush nor hijack.
type noFlushWriter struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (w *noFlushWriter) Header() http.Header { return w.h }
func (w *noFlushWriter) WriteHeader(c int) {
	if w.code == 0 {
		w.code = c
	}
}
func (w *noFlushWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return w.buf.Write(p)
}

// TestAttackAccessLogFailedFlushDoesNotFixStatus: a FlushError that fails
// (the server's writer cannot flush) sent nothing; the 503 the handler
// writes after it is what the log must say.
func TestAttackAccessLogFailedFlushDoesNotFixStatus(t *testing.T) {
	app := itty.New()
	log, logs := newLogger()
	app.Logger = log
	flushErr := make(chan error, 1)
	app.Handle("GET", "/f", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flushErr <- http.NewResponseController(w).Flush()
		w.WriteHeader(503)
	}))
	h := app.NewServer("").Handler
	w := &noFlushWriter{h: http.Header{}}
	h.ServeHTTP(w, httptest.NewRequest("GET", "/f", nil))
	if err := <-flushErr; !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("flush: %v", err)
	}
	ls := logs.lines(`msg="itty: request"`)
	if w.code != 503 || len(ls) != 1 || !strings.Contains(ls[0], " status=503 ") {
		t.Errorf("sent %d, access log %q", w.code, ls)
	}
}

// TestAttackAccessLogConcurrentOneLinePerRequest: a concurrent mix of
// successes, failures, aborts and streams over HTTP/2 gets exactly one
// line per request.
func TestAttackAccessLogConcurrentOneLinePerRequest(t *testing.T) {
	app := itty.New()
	app.Get("/ok", func(req *itty.Request) *itty.Response { return app.Render(req, "ok") })
	app.Get("/panic", func(req *itty.Request) *itty.Response { panic("x") })
	app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
	app.Handle("GET", "/abort", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "x")
		w.(http.Flusher).Flush()
		panic("late")
	}))
	app.Handle("GET", "/flush", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "b")
	}))
	ts, logs := loggedServer(t, app, true)
	tr := ts.Client().Transport.(*http.Transport)
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	paths := []string{"/ok", "/panic", "/nil", "/abort", "/flush"}
	const per = 20
	var wg sync.WaitGroup
	for i := 0; i < per*len(paths); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := ts.Client().Get(ts.URL + paths[i%len(paths)])
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}(i)
	}
	wg.Wait()
	ls := accessLines(t, logs, per*len(paths))
	if len(ls) != per*len(paths) {
		t.Fatalf("%d access lines for %d requests", len(ls), per*len(paths))
	}
	aborted := 0
	for _, l := range ls {
		if strings.Contains(l, "aborted=true") {
			aborted++
			if !strings.Contains(l, "path=/abort ") {
				t.Errorf("aborted line for a whole answer: %q", l)
			}
		}
	}
	if aborted != per {
		t.Errorf("%d aborted lines, want %d", aborted, per)
	}
}
