package sessions_test

// Outside attacks on the sessions middleware as an itty.FailureNotifier:
// a failed handler behind it saves nothing, its ServerError page is
// read-only and says so, and a session first used after the header went
// out is read-only and says so. Written from the promises and docs only.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// nSyncBuf is the package's lockedBuffer, counting what was logged.
type nSyncBuf struct{ lockedBuffer }

func (s *nSyncBuf) count(sub string) int { return strings.Count(s.String(), sub) }

const nLateMsg = "changed after it was committed"

// notifierRig is an App behind mgr.Middleware with routes that fail in every way,
// a ServerError page that reads the session and tries to change it, and
// routes to seed and read the session.
type notifierRig struct {
	app  *itty.App
	mgr  *sessions.Manager
	logs *nSyncBuf
	mu   sync.Mutex
	// what the ServerError page saw
	pageRead string
	pageErrs []error
}

func newNotifierRig(t *testing.T, useFromContextInPage bool) *notifierRig {
	t.Helper()
	rg := &notifierRig{app: itty.New(), logs: &nSyncBuf{}}
	app := rg.app
	app.Logger = slog.New(slog.NewTextHandler(rg.logs, nil))
	mgr, err := sessions.New(app, sessions.NewMemoryStore(), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	rg.mgr = mgr
	app.ServerError = func(req *itty.Request, err error) *itty.Response {
		var s *sessions.Session
		if useFromContextInPage {
			s = mgr.FromContext(req.Context())
		} else {
			s = mgr.Get(req)
		}
		rg.mu.Lock()
		rg.pageRead = s.GetString("seed")
		rg.pageErrs = []error{s.Set("page", "1"), s.Set("page2", "2"), s.Renew()}
		rg.mu.Unlock()
		return itty.NewResponse("error page\n", http.StatusInternalServerError)
	}
	get := func(req *itty.Request, ctx bool) *sessions.Session {
		if ctx {
			return mgr.FromContext(req.Context())
		}
		return mgr.Get(req)
	}
	app.Get("/seed", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.Set("seed", "original")
		return app.Render(req, "seeded")
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		return app.Render(req, fmt.Sprintf("seed=%s bad=%s page=%s", s.GetString("seed"), s.GetString("bad"), s.GetString("page")))
	})
	for _, ctx := range []bool{false, true} {
		pre := "/get"
		if ctx {
			pre = "/ctx"
		}
		app.Get(pre+"/panic", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			panic("handler failed")
		})
		app.Get(pre+"/nil", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			return nil
		})
		app.Get(pre+"/status42", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			return itty.NewResponse("x", 42)
		})
		app.Get(pre+"/cookie", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			resp := app.Render(req, "x")
			resp.SetCookie("no good", "x")
			return resp
		})
		app.Get(pre+"/template", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			return app.RenderTemplate(req, "missing", nil)
		})
		app.Get(pre+"/hookerr", func(req *itty.Request) *itty.Response {
			req.OnResponse(func(*itty.Request, *itty.Response) error { return errors.New("hook failed") })
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			return app.Render(req, "x")
		})
		app.Post(pre+"/body", func(req *itty.Request) *itty.Response {
			s := get(req, ctx)
			s.Set("seed", "changed")
			s.Set("bad", "1")
			io.ReadAll(req.Body)
			return app.Render(req, "x")
		})
	}
	app.MaxBodyBytes = 8
	app.Handle("GET", "/plain/panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.Set("seed", "changed")
		s.Set("bad", "1")
		w.Header().Set("X-Partial", "1")
		panic("plain failed")
	}))
	app.Handle("GET", "/plain/status42", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.Set("seed", "changed")
		s.Set("bad", "1")
		w.WriteHeader(42) // net/http refuses it: nothing goes out, the App answers 500
	}))
	app.Handle("GET", "/plain/status1000", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.Set("seed", "changed")
		s.Set("bad", "1")
		w.WriteHeader(1000)
	}))
	app.Use(mgr.Middleware)
	return rg
}

type nClient struct {
	t   *testing.T
	c   *http.Client
	url string
}

func (c *nClient) do(method, path string, body io.Reader) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, body)
	if body != nil {
		req.ContentLength = -1 // chunked: the App finds out only by reading
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func newNClient(t *testing.T, ts *httptest.Server) *nClient {
	jar, _ := cookiejar.New(nil)
	c := ts.Client()
	c.Jar = jar
	return &nClient{t: t, c: c, url: ts.URL}
}

func nSidCookie(resp *http.Response) string {
	for _, l := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(l, "sid=") {
			return l
		}
	}
	return ""
}

// TestAttackFailedHandlerBehindMiddlewareSavesNothing: behind
// mgr.Middleware, every kind of failure of an itty handler (with mgr.Get
// or mgr.FromContext) or a plain route saves nothing; the ServerError page
// reads the session, its changes return ErrCommitted, and that is logged
// once. Over HTTP/1 and HTTP/2, with the page using Get and FromContext.
func TestAttackFailedHandlerBehindMiddlewareSavesNothing(t *testing.T) {
	paths := []struct {
		method, path string
		status       int
		page         bool // the ServerError page answers
	}{
		{"GET", "/get/panic", 500, true}, {"GET", "/ctx/panic", 500, true},
		{"GET", "/get/nil", 500, true}, {"GET", "/ctx/nil", 500, true},
		{"GET", "/get/status42", 500, true}, {"GET", "/ctx/status42", 500, true},
		{"GET", "/get/cookie", 500, true}, {"GET", "/ctx/cookie", 500, true},
		{"GET", "/get/template", 500, true}, {"GET", "/ctx/template", 500, true},
		{"GET", "/get/hookerr", 500, true}, {"GET", "/ctx/hookerr", 500, true},
		{"POST", "/get/body", 413, false}, {"POST", "/ctx/body", 413, false},
		{"GET", "/plain/panic", 500, true},
	}
	for _, h2 := range []bool{false, true} {
		for _, fromCtx := range []bool{false, true} {
			t.Run(fmt.Sprintf("h2=%v/pageFromContext=%v", h2, fromCtx), func(t *testing.T) {
				rg := newNotifierRig(t, fromCtx)
				ts := httptest.NewUnstartedServer(rg.app)
				if h2 {
					ts.EnableHTTP2 = true
					ts.StartTLS()
				} else {
					ts.Start()
				}
				defer ts.Close()
				for _, p := range paths {
					c := newNClient(t, ts)
					if resp, body := c.do("GET", "/seed", nil); resp.StatusCode != 200 || nSidCookie(resp) == "" {
						t.Fatalf("seed: %d %q %v", resp.StatusCode, body, resp.Header)
					}
					before := rg.logs.count(nLateMsg)
					var body io.Reader
					if p.method == "POST" {
						body = strings.NewReader(strings.Repeat("z", 64))
					}
					resp, got := c.do(p.method, p.path, body)
					if h2 && resp.ProtoMajor != 2 {
						t.Errorf("%s: HTTP/%d", p.path, resp.ProtoMajor)
					}
					if resp.StatusCode != p.status {
						t.Errorf("%s: status %d %q, want %d", p.path, resp.StatusCode, got, p.status)
					}
					if sc := nSidCookie(resp); sc != "" {
						t.Errorf("%s: a failed request sent the session cookie %q", p.path, sc)
					}
					if _, read := c.do("GET", "/read", nil); read != "seed=original bad= page=" {
						t.Errorf("%s: after the failure the session reads %q, want it untouched", p.path, read)
					}
					if !p.page {
						continue
					}
					rg.mu.Lock()
					pageRead, pageErrs := rg.pageRead, rg.pageErrs
					rg.pageRead, rg.pageErrs = "", nil
					rg.mu.Unlock()
					if pageRead == "" {
						t.Errorf("%s: the ServerError page could not read the session", p.path)
					}
					for i, err := range pageErrs {
						if !errors.Is(err, sessions.ErrCommitted) {
							t.Errorf("%s: change %d on the ServerError page returned %v, want ErrCommitted", p.path, i, err)
						}
					}
					if len(pageErrs) != 3 {
						t.Errorf("%s: ServerError page did not run (%d results)", p.path, len(pageErrs))
					}
					if n := rg.logs.count(nLateMsg) - before; n != 1 {
						t.Errorf("%s: the page's refused changes were logged %d times, want once", p.path, n)
					}
				}
			})
		}
	}
}

// TestAttackFailedHandlerNewSessionSendsNoCookie: a client with no session
// whose failing handler creates one gets no cookie, and nothing is saved
// that a later request could find.
func TestAttackFailedHandlerNewSessionSendsNoCookie(t *testing.T) {
	rg := newNotifierRig(t, false)
	ts := httptest.NewServer(rg.app)
	defer ts.Close()
	for _, p := range []string{"/get/panic", "/ctx/panic", "/ctx/nil", "/ctx/status42", "/plain/panic"} {
		c := newNClient(t, ts)
		resp, _ := c.do("GET", p, nil)
		if resp.StatusCode != 500 || nSidCookie(resp) != "" {
			t.Errorf("%s: %d, cookie %q", p, resp.StatusCode, nSidCookie(resp))
		}
	}
}

// TestAttackPlainInvalidStatusBehindMiddlewareSavesNothing: a plain route
// that changes the session and calls WriteHeader with a status net/http
// refuses (42, 1000) panics before anything is written: the App answers
// 500, and the session must not be saved (nor its cookie sent with the
// 500).
func TestAttackPlainInvalidStatusBehindMiddlewareSavesNothing(t *testing.T) {
	for _, p := range []string{"/plain/status42", "/plain/status1000"} {
		t.Run(strings.TrimPrefix(p, "/plain/"), func(t *testing.T) {
			rg := newNotifierRig(t, false)
			ts := httptest.NewServer(rg.app)
			defer ts.Close()
			c := newNClient(t, ts)
			c.do("GET", "/seed", nil)
			resp, body := c.do("GET", p, nil)
			if resp.StatusCode != 500 {
				t.Errorf("status %d %q, want 500", resp.StatusCode, body)
			}
			if sc := nSidCookie(resp); sc != "" {
				t.Errorf("the 500 for a failed handler carries the session cookie %q", sc)
			}
			if _, read := c.do("GET", "/read", nil); read != "seed=original bad= page=" {
				t.Errorf("after a plain handler that failed before writing, the session reads %q, want it untouched", read)
			}
			// A client with no session: the 500 must not carry a new one.
			fresh := newNClient(t, ts)
			resp, _ = fresh.do("GET", p, nil)
			if sc := nSidCookie(resp); resp.StatusCode != 500 || sc != "" {
				t.Errorf("fresh client: %d, the 500 of a failed handler carries a new session cookie %q", resp.StatusCode, sc)
			}
		})
	}
}

// TestAttackNestedAppBehindMiddlewareSavesNothing: an inner App mounted
// with Handle in an outer App that is wrapped in mgr.Middleware; the
// inner itty handler uses FromContext (and mgr.Get) and fails.
func TestAttackNestedAppBehindMiddlewareSavesNothing(t *testing.T) {
	outer := itty.New()
	logs := &nSyncBuf{}
	outer.Logger = slog.New(slog.NewTextHandler(logs, nil))
	mgr, err := sessions.New(outer, sessions.NewMemoryStore(), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	inner := itty.New()
	inner.Get("/in/ctx", func(req *itty.Request) *itty.Response {
		mgr.FromContext(req.Context()).Set("seed", "changed")
		panic("inner")
	})
	inner.Get("/in/get", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set("seed", "changed")
		return nil
	})
	outer.Handle("GET", "/in/ctx", inner)
	outer.Handle("GET", "/in/get", inner)
	outer.Get("/seed", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set("seed", "original")
		return outer.Render(req, "ok")
	})
	outer.Get("/read", func(req *itty.Request) *itty.Response {
		return outer.Render(req, mgr.Get(req).GetString("seed"))
	})
	ts := httptest.NewServer(mgr.Middleware(outer))
	defer ts.Close()
	for _, p := range []string{"/in/ctx", "/in/get"} {
		c := newNClient(t, ts)
		c.do("GET", "/seed", nil)
		resp, _ := c.do("GET", p, nil)
		if resp.StatusCode != 500 || nSidCookie(resp) != "" {
			t.Errorf("%s: %d, cookie %q", p, resp.StatusCode, nSidCookie(resp))
		}
		if _, read := c.do("GET", "/read", nil); read != "original" {
			t.Errorf("%s: session reads %q after the inner App's failure", p, read)
		}
	}
}

// TestAttackLateFirstUseIsReadOnlyAndSaysSo: a plain handler behind the
// middleware that first uses the session after the header went out (a
// Write, a WriteHeader, a Flush, a Hijack) gets a read-only session: Set
// and Renew return ErrCommitted, and the Manager logs it once.
func TestAttackLateFirstUseIsReadOnlyAndSaysSo(t *testing.T) {
	app := itty.New()
	logs := &nSyncBuf{}
	app.Logger = slog.New(slog.NewTextHandler(logs, nil))
	mgr, err := sessions.New(app, sessions.NewMemoryStore(), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan []error, 1)
	late := func(s *sessions.Session) {
		results <- []error{s.Set("late", "1"), s.Set("late2", "2"), s.Renew()}
	}
	app.Get("/seed", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set("seed", "original")
		return app.Render(req, "ok")
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		return app.Render(req, s.GetString("seed")+"|"+s.GetString("late"))
	})
	app.Handle("GET", "/write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hi")
		late(mgr.FromContext(r.Context()))
	}))
	app.Handle("GET", "/header", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		late(mgr.FromContext(r.Context()))
	}))
	app.Handle("GET", "/flush", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).Flush()
		late(mgr.FromContext(r.Context()))
		io.WriteString(w, "after")
	}))
	app.Handle("GET", "/hijack", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			results <- []error{err}
			return
		}
		defer conn.Close()
		late(mgr.FromContext(r.Context()))
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
		rw.Flush()
	}))
	app.Use(mgr.Middleware)
	ts := httptest.NewServer(app)
	defer ts.Close()
	for _, p := range []string{"/write", "/header", "/flush", "/hijack"} {
		c := newNClient(t, ts)
		c.do("GET", "/seed", nil)
		before := logs.count(nLateMsg)
		var resp *http.Response
		if p == "/hijack" {
			// raw, with the seeded cookie
			u := ts.URL + "/"
			var cookie string
			for _, ck := range c.c.Jar.Cookies(nMustURL(t, u)) {
				cookie = ck.Name + "=" + ck.Value
			}
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "GET /hijack HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n\r\n", cookie)
			resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			conn.Close()
		} else {
			resp, _ = c.do("GET", p, nil)
		}
		errs := <-results
		if len(errs) != 3 {
			t.Errorf("%s: %v", p, errs)
			continue
		}
		for i, err := range errs {
			if !errors.Is(err, sessions.ErrCommitted) {
				t.Errorf("%s: late change %d returned %v, want ErrCommitted", p, i, err)
			}
		}
		if n := logs.count(nLateMsg) - before; n != 1 {
			t.Errorf("%s: late changes logged %d times, want once", p, n)
		}
		if sc := nSidCookie(resp); sc != "" {
			t.Errorf("%s: late session sent cookie %q", p, sc)
		}
		if _, read := c.do("GET", "/read", nil); read != "original|" {
			t.Errorf("%s: session reads %q", p, read)
		}
	}
}

// TestAttackConcurrentFailuresAndSuccessesBehindMiddleware: under -race,
// concurrent failing and succeeding requests behind the middleware each
// get their own outcome (pooled Requests and writers are not mixed up).
func TestAttackConcurrentFailuresAndSuccessesBehindMiddleware(t *testing.T) {
	rg := newNotifierRig(t, true)
	ts := httptest.NewServer(rg.app)
	defer ts.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, Transport: ts.Client().Transport}
			get := func(p string) (*http.Response, string) {
				resp, err := hc.Get(ts.URL + p)
				if err != nil {
					return nil, err.Error()
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp, string(b)
			}
			get("/seed")
			fails := []string{"/ctx/panic", "/get/nil", "/plain/panic", "/ctx/hookerr"}
			for i := 0; i < 20; i++ {
				resp, _ := get(fails[(g+i)%len(fails)])
				if resp == nil || resp.StatusCode != 500 || nSidCookie(resp) != "" {
					errs <- fmt.Sprintf("failure answered %v", resp)
					return
				}
				if _, read := get("/read"); read != "seed=original bad= page=" {
					errs <- "session changed by a failure: " + read
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func nMustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
