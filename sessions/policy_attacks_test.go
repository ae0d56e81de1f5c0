package sessions_test

// Attacks on the cookie policy, the timeouts, the net/http middleware, CSRF
// and two Managers on one App, written from docs/sessions.md and
// docs/security.md alone, without reading the package's other tests.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// ---------------------------------------------------------------- helpers

var oaNoRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oaHit sends one request over real HTTP and returns the response (body
// read) and its body.
func oaHit(t *testing.T, client *http.Client, method, target string, cookies []*http.Cookie, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	if client == nil {
		client = oaNoRedirect
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func oaCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func oaSetCookieLine(resp *http.Response, name string) string {
	for _, l := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(l, name+"=") {
			return l
		}
	}
	return ""
}

func oaVaryHasCookie(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "Cookie") || strings.TrimSpace(tok) == "*" {
				return true
			}
		}
	}
	return false
}

func oaNoStore(h http.Header) bool {
	return strings.Contains(strings.ToLower(h.Get("Cache-Control")), "no-store")
}

// oaManager is sessions.New, failing the test on an error.
func oaManager(t *testing.T, app *itty.App, store sessions.Store, o sessions.Options) *sessions.Manager {
	t.Helper()
	mgr, err := sessions.New(app, store, o)
	if err != nil {
		t.Fatal(err)
	}
	return mgr
}

func oaQuietServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	return srv
}

// flakyStore is a memory store whose calls can be made to fail.
type flakyStore struct {
	*sessions.MemoryStore
	failLoad, failUpdate, failCreate atomic.Bool
}

var errOAFire = errors.New("store on fire")

func (f *flakyStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	if f.failLoad.Load() {
		return nil, errOAFire
	}
	return f.MemoryStore.Load(ctx, id)
}

func (f *flakyStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	if f.failUpdate.Load() {
		return errOAFire
	}
	return f.MemoryStore.Update(ctx, id, fn)
}

func (f *flakyStore) Create(ctx context.Context, rec *sessions.Record) error {
	if f.failCreate.Load() {
		return errOAFire
	}
	return f.MemoryStore.Create(ctx, rec)
}

// ------------------------------------------------------------- middleware

// A plain mux behind Middleware whose handlers log in and answer by every
// way a net/http handler can start a response.
func TestAttackMiddlewareEveryWayToStartAResponse(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	login := func(r *http.Request) { mgr.FromContext(r.Context()).SetUser("ada") }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /body", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("POST /flush", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		w.(http.Flusher).Flush()
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("POST /rcflush", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			http.Error(w, "SetWriteDeadline: "+err.Error(), 599)
			return
		}
		if err := rc.Flush(); err != nil {
			http.Error(w, "Flush: "+err.Error(), 599)
			return
		}
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("POST /copy", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		io.Copy(w, io.LimitReader(strings.NewReader("hello world"), 5)) // no WriterTo: ReaderFrom path
	})
	mux.HandleFunc("POST /servecontent", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		http.ServeContent(w, r, "x.txt", time.Time{}, strings.NewReader("hello"))
	})
	mux.HandleFunc("POST /early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		login(r) // after the 1xx: the real header is still to come
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("POST /nothing", func(w http.ResponseWriter, r *http.Request) {
		login(r)
	})
	mux.HandleFunc("POST /redirect", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /writeheader", func(w http.ResponseWriter, r *http.Request) {
		login(r)
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, mgr.FromContext(r.Context()).User())
	})
	srv := httptest.NewServer(mgr.Middleware(mux))
	defer srv.Close()

	for _, path := range []string{"/body", "/flush", "/rcflush", "/copy", "/servecontent", "/early", "/nothing", "/redirect", "/writeheader"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			resp, body := oaHit(t, nil, "POST", srv.URL+path, nil, url.Values{}, nil)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d: %q", resp.StatusCode, body)
			}
			c := oaCookie(resp, "sid")
			if c == nil || c.Value == "" {
				t.Fatalf("no session cookie on the response (status %d, Set-Cookie %q)", resp.StatusCode, resp.Header.Values("Set-Cookie"))
			}
			if !oaVaryHasCookie(resp.Header) || !oaNoStore(resp.Header) {
				t.Errorf("Vary %q, Cache-Control %q: want Vary: Cookie and no-store", resp.Header.Values("Vary"), resp.Header.Get("Cache-Control"))
			}
			_, me := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil)
			if me != "ada" {
				t.Errorf("after %s, the cookie's session is %q, want ada", path, me)
			}
		})
	}
}

// A hijacking handler: the doc says Hijack keeps working behind the
// middleware.
func TestAttackMiddlewareHijack(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr := oaManager(t, nil, store, sessions.Options{CookieName: "sid"})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hijack", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 599)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		buf.Flush()
	})
	srv := httptest.NewServer(mgr.Middleware(mux))
	defer srv.Close()
	resp, body := oaHit(t, nil, "POST", srv.URL+"/hijack", nil, url.Values{}, nil)
	if resp.StatusCode != 200 || body != "hijacked" {
		t.Fatalf("status %d body %q: Hijack does not work behind the middleware", resp.StatusCode, body)
	}
	infos, err := mgr.UserSessions(context.Background(), "ada")
	if err != nil || len(infos) != 1 {
		t.Fatalf("UserSessions = %v, %v: the hijacking handler's login was not saved", infos, err)
	}
}

// An itty App served behind mgr.Middleware (a Manager made with a nil App,
// as the doc's net/http example does) whose itty handler writes to the
// session and then panics. The App turns the panic into a 500 page, written
// through the middleware's writer.
func TestAttackIttyHandlerPanicsBehindMiddleware(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app := itty.New()
	app.Logger = nil
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	app.Post("/boom", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.Set("role", "admin")
		s.SetUser("mallory")
		panic("handler failed half-way")
	})
	app.Get("/me", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		return app.Render(req, s.User()+"/"+s.GetString("role"))
	})
	srv := oaQuietServer(mgr.Middleware(app))
	defer srv.Close()

	resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("login set no cookie")
	}
	resp, _ = oaHit(t, nil, "POST", srv.URL+"/boom", []*http.Cookie{c}, url.Values{}, nil)
	if resp.StatusCode != 500 {
		t.Errorf("panicking handler answered %d, want 500", resp.StatusCode)
	}
	if nc := oaCookie(resp, "sid"); nc != nil {
		t.Errorf("the panicking handler's response set the session cookie %q (the renew of SetUser was committed)", oaSetCookieLine(resp, "sid"))
	}
	_, me := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil)
	if me != "ada/" {
		t.Errorf("after a handler that panicked, the session is %q, want %q: \"nothing is saved when the handler panics\"", me, "ada/")
	}
	infos, _ := mgr.UserSessions(context.Background(), "mallory")
	if len(infos) != 0 {
		t.Errorf("the panicking handler's SetUser(mallory) was stored: %d sessions of mallory", len(infos))
	}
}

// A plain handler behind Middleware that writes to the session and panics
// (before writing anything).
func TestAttackPlainHandlerPanicsBehindMiddleware(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr := oaManager(t, nil, store, sessions.Options{CookieName: "sid"})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
	})
	mux.HandleFunc("POST /boom", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("role", "admin")
		panic("boom")
	})
	mux.HandleFunc("POST /abort", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("role", "admin")
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		io.WriteString(w, s.User()+"/"+s.GetString("role"))
	})
	srv := oaQuietServer(mgr.Middleware(mux))
	defer srv.Close()
	resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("login set no cookie")
	}
	for _, p := range []string{"/boom", "/abort"} {
		req, _ := http.NewRequest("POST", srv.URL+p, strings.NewReader(""))
		req.AddCookie(c)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		_, me := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil)
		if me != "ada/" {
			t.Errorf("after %s panicked, session is %q, want ada/", p, me)
		}
	}
}

// Two requests of one session behind Middleware change the same key; the
// one that loaded first commits last. Then a request in flight during a
// logout changes something.
func TestAttackMiddlewareLostUpdateAndEndedSession(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr := oaManager(t, nil, store, sessions.Options{CookieName: "sid"})
	loaded := make(chan struct{})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
	})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		_ = s.GetString("cart")
		loaded <- struct{}{}
		<-release
		s.Set("cart", "slow")
		w.Header().Set("Location", "/done")
		w.WriteHeader(http.StatusSeeOther)
		io.WriteString(w, "handler body")
	})
	mux.HandleFunc("POST /fast", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("cart", "fast")
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Destroy()
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, mgr.FromContext(r.Context()).GetString("cart"))
	})
	srv := httptest.NewServer(mgr.Middleware(mux))
	defer srv.Close()
	resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("login set no cookie")
	}

	type result struct {
		resp *http.Response
		body string
	}
	slow := func() chan result {
		ch := make(chan result, 1)
		go func() {
			req, _ := http.NewRequest("POST", srv.URL+"/slow", nil)
			req.AddCookie(c)
			resp, err := oaNoRedirect.Do(req)
			if err != nil {
				ch <- result{}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			ch <- result{resp, string(b)}
		}()
		return ch
	}

	ch := slow()
	<-loaded
	if r, _ := oaHit(t, nil, "POST", srv.URL+"/fast", []*http.Cookie{c}, url.Values{}, nil); r.StatusCode != 200 {
		t.Fatalf("fast writer: %d", r.StatusCode)
	}
	release <- struct{}{}
	res := <-ch
	if res.resp == nil {
		t.Fatal("slow request failed")
	}
	if res.resp.StatusCode != http.StatusConflict {
		t.Errorf("lost update: the slow writer answered %d (%q), want 409", res.resp.StatusCode, res.body)
	}
	if res.resp.Header.Get("Location") != "" || strings.Contains(res.body, "handler body") {
		t.Errorf("the 409 carries the handler's response: Location %q body %q", res.resp.Header.Get("Location"), res.body)
	}
	if _, cart := oaHit(t, nil, "GET", srv.URL+"/cart", []*http.Cookie{c}, nil, nil); cart != "fast" {
		t.Errorf("cart = %q, want fast (the first committed write)", cart)
	}

	// A request in flight during a logout.
	ch = slow()
	<-loaded
	if r, _ := oaHit(t, nil, "POST", srv.URL+"/logout", []*http.Cookie{c}, url.Values{}, nil); r.StatusCode != 200 {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	release <- struct{}{}
	res = <-ch
	if res.resp == nil {
		t.Fatal("slow request failed")
	}
	if res.resp.StatusCode != http.StatusConflict {
		t.Errorf("write after logout answered %d, want 409", res.resp.StatusCode)
	}
	if del := oaCookie(res.resp, "sid"); del == nil || del.MaxAge >= 0 && del.Value != "" {
		t.Errorf("the 409 after a logout does not clear the cookie: %q", res.resp.Header.Values("Set-Cookie"))
	}
	if _, cart := oaHit(t, nil, "GET", srv.URL+"/cart", []*http.Cookie{c}, nil, nil); cart != "" {
		t.Errorf("the logged-out session came back with cart %q", cart)
	}
}

// A store that fails behind Middleware: the load, then the save.
func TestAttackMiddlewareStoreFailure(t *testing.T) {
	store := &flakyStore{MemoryStore: sessions.NewMemoryStore()}
	defer store.Close()
	mgr := oaManager(t, nil, store, sessions.Options{CookieName: "sid", StoreTimeout: time.Second})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+mgr.FromContext(r.Context()).User())
	})
	mux.HandleFunc("POST /set", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("k", "v")
		w.Header().Set("Location", "/")
		w.WriteHeader(http.StatusSeeOther)
	})
	srv := oaQuietServer(mgr.Middleware(mux))
	defer srv.Close()
	resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("login set no cookie")
	}
	store.failLoad.Store(true)
	resp, body := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil)
	if resp.StatusCode != 500 || strings.Contains(body, "hello") {
		t.Errorf("load failure: %d %q, want 500 and not the handler's (logged-out) page", resp.StatusCode, body)
	}
	if del := oaCookie(resp, "sid"); del != nil {
		t.Errorf("a store outage touched the cookie: %q", oaSetCookieLine(resp, "sid"))
	}
	store.failLoad.Store(false)
	store.failUpdate.Store(true)
	resp, _ = oaHit(t, nil, "POST", srv.URL+"/set", []*http.Cookie{c}, url.Values{}, nil)
	if resp.StatusCode != 500 || resp.Header.Get("Location") != "" {
		t.Errorf("save failure: %d Location %q, want 500", resp.StatusCode, resp.Header.Get("Location"))
	}
	store.failUpdate.Store(false)
	if _, body := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil); body != "hello ada" {
		t.Errorf("after the outage: %q, want hello ada", body)
	}
}

// Nested Middlewares of two Managers: B's commit fails (its session was
// logged out while the request ran), A renewed. The 409 must keep A's new
// cookie, in both nesting orders.
func TestAttackNestedManagersConflictDropsOtherCookie(t *testing.T) {
	for _, aOuter := range []bool{true, false} {
		t.Run(fmt.Sprintf("aOuter=%v", aOuter), func(t *testing.T) {
			store := sessions.NewMemoryStore()
			defer store.Close()
			a, _ := sessions.New(nil, store, sessions.Options{CookieName: "shop"})
			b, _ := sessions.New(nil, store, sessions.Options{CookieName: "staff"})
			loaded := make(chan struct{})
			release := make(chan struct{})
			mux := http.NewServeMux()
			mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
				a.FromContext(r.Context()).SetUser("ada")
				b.FromContext(r.Context()).SetUser("bob")
			})
			mux.HandleFunc("POST /both", func(w http.ResponseWriter, r *http.Request) {
				sb := b.FromContext(r.Context())
				_ = sb.User()
				loaded <- struct{}{}
				<-release
				if err := a.FromContext(r.Context()).Renew(); err != nil {
					http.Error(w, err.Error(), 599)
					return
				}
				sb.Set("x", 1)
				io.WriteString(w, "ok")
			})
			mux.HandleFunc("POST /stafflogout", func(w http.ResponseWriter, r *http.Request) {
				b.FromContext(r.Context()).Destroy()
			})
			mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, a.FromContext(r.Context()).User())
			})
			var h http.Handler
			if aOuter {
				h = a.Middleware(b.Middleware(mux))
			} else {
				h = b.Middleware(a.Middleware(mux))
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
			ca, cb := oaCookie(resp, "shop"), oaCookie(resp, "staff")
			if ca == nil || cb == nil {
				t.Fatalf("login cookies: %q", resp.Header.Values("Set-Cookie"))
			}
			done := make(chan *http.Response, 1)
			go func() {
				req, _ := http.NewRequest("POST", srv.URL+"/both", nil)
				req.AddCookie(ca)
				req.AddCookie(cb)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- nil
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				done <- resp
			}()
			<-loaded
			oaHit(t, nil, "POST", srv.URL+"/stafflogout", []*http.Cookie{cb}, url.Values{}, nil)
			release <- struct{}{}
			resp = <-done
			if resp == nil {
				t.Fatal("request failed")
			}
			if resp.StatusCode != http.StatusConflict {
				t.Fatalf("status %d, want 409", resp.StatusCode)
			}
			na := oaCookie(resp, "shop")
			if na == nil || na.Value == "" || na.Value == ca.Value {
				t.Fatalf("the 409 lacks A's renewed cookie: %q", resp.Header.Values("Set-Cookie"))
			}
			if _, me := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{na}, nil, nil); me != "ada" {
				t.Errorf("A's renewed cookie names %q, want ada", me)
			}
		})
	}
}

// -------------------------------------------------------- Vary / caching

// A handler that sets a Vary header of its own (but no Cache-Control) on a
// page that shows the logged-in user.
func TestAttackHandlerVaryDisablesNoStore(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	app := itty.New()
	mgr := oaManager(t, app, store, sessions.Options{CookieName: "sid"})
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	app.Get("/page", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "Hello "+mgr.Get(req).User())
		resp.SetHeader("Vary", req.GET.Get("vary"))
		return resp
	})
	mgr2, _ := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", r.URL.Query().Get("vary"))
		io.WriteString(w, "Hello "+mgr2.FromContext(r.Context()).User())
	})
	isrv := httptest.NewServer(app)
	defer isrv.Close()
	msrv := httptest.NewServer(mgr2.Middleware(mux))
	defer msrv.Close()

	resp, _ := oaHit(t, nil, "POST", isrv.URL+"/login", nil, url.Values{}, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("no cookie")
	}
	for _, srv := range []struct{ name, url string }{{"itty", isrv.URL}, {"middleware", msrv.URL}} {
		for _, vary := range []string{"Accept-Encoding", "Cookie", "X-Cookie-Consent"} {
			t.Run(srv.name+"/"+vary, func(t *testing.T) {
				resp, body := oaHit(t, nil, "GET", srv.url+"/page?vary="+url.QueryEscape(vary), []*http.Cookie{c}, nil, nil)
				if body != "Hello ada" {
					t.Fatalf("body %q", body)
				}
				if !oaVaryHasCookie(resp.Header) {
					t.Errorf("handler's Vary: %s; response Vary %q lacks Cookie", vary, resp.Header.Values("Vary"))
				}
				if !oaNoStore(resp.Header) {
					t.Errorf("handler's Vary: %s and no Cache-Control; response Cache-Control %q, want no-store (docs/sessions.md: \"otherwise unless the handler set its own\")",
						vary, resp.Header.Get("Cache-Control"))
				}
			})
		}
	}
}

// ------------------------------------------------------------ two Managers

// TestAttackTwoDefaultManagersOnOneApp: two Managers on one App with the
// zero Options would share the default cookie name, and read, clear and
// overwrite each other's cookie (the staff area greeting the shopper, or
// logging them out). The second is refused; one under a name of its own,
// or the same name on another App, is not.
func TestAttackTwoDefaultManagersOnOneApp(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	app := itty.New()
	if _, err := sessions.New(app, store, sessions.Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := sessions.New(app, store, sessions.Options{})
	if err == nil || !strings.Contains(err.Error(), sessions.DefaultCookieName()) {
		t.Fatalf("a second Manager of the App under the same cookie name: err %v, want it refused naming the cookie", err)
	}
	cs, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.NewCookieManager(app, cs, sessions.Options{}); err == nil {
		t.Fatal("a cookie Manager under the same name was accepted")
	}
	if _, err := sessions.New(app, store, sessions.Options{CookieName: "staff"}); err != nil {
		t.Fatalf("a Manager with its own cookie name: %v", err)
	}
	if _, err := sessions.New(itty.New(), store, sessions.Options{}); err != nil {
		t.Fatalf("the same name on another App: %v", err)
	}
}

// Two Managers with their own names given one store object.
func TestAttackTwoManagersOneStoreCrossIDs(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	app := itty.New()
	shop, _ := sessions.New(app, store, sessions.Options{CookieName: "shop_sid"})
	staff, _ := sessions.New(app, store, sessions.Options{CookieName: "staff_sid"})
	app.Post("/shop/login", func(req *itty.Request) *itty.Response {
		shop.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	app.Post("/staff/login", func(req *itty.Request) *itty.Response {
		staff.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	app.Get("/shop", func(req *itty.Request) *itty.Response { return app.Render(req, shop.Get(req).User()) })
	app.Get("/staff", func(req *itty.Request) *itty.Response { return app.Render(req, staff.Get(req).User()) })
	app.Post("/shop/cart", func(req *itty.Request) *itty.Response {
		shop.Get(req).Set("cart", "x")
		return app.Render(req, "ok")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, _ := oaHit(t, nil, "POST", srv.URL+"/shop/login", nil, url.Values{}, nil)
	shopC := oaCookie(resp, "shop_sid")
	if shopC == nil || oaCookie(resp, "staff_sid") != nil {
		t.Fatalf("shop login cookies %q", resp.Header.Values("Set-Cookie"))
	}
	// The shopper's id copied into the staff cookie.
	if _, body := oaHit(t, nil, "GET", srv.URL+"/staff", []*http.Cookie{{Name: "staff_sid", Value: shopC.Value}}, nil, nil); body != "" {
		t.Errorf("the shopper's id in the staff cookie is a staff session of %q", body)
	}
	// A shop-only write sets no staff cookie.
	resp, _ = oaHit(t, nil, "POST", srv.URL+"/shop/cart", []*http.Cookie{shopC}, url.Values{}, nil)
	if oaCookie(resp, "staff_sid") != nil {
		t.Errorf("a shop-only handler set the staff cookie")
	}
	resp, _ = oaHit(t, nil, "POST", srv.URL+"/staff/login", nil, url.Values{}, nil)
	staffC := oaCookie(resp, "staff_sid")
	if staffC == nil {
		t.Fatal("staff login set no cookie")
	}
	if n, err := staff.DestroyUser(context.Background(), "ada"); err != nil || n != 1 {
		t.Errorf("staff.DestroyUser(ada) = %d, %v, want 1 (only the staff session)", n, err)
	}
	if _, body := oaHit(t, nil, "GET", srv.URL+"/shop", []*http.Cookie{shopC}, nil, nil); body != "ada" {
		t.Errorf("staff's DestroyUser ended the shop session: %q", body)
	}
	if _, body := oaHit(t, nil, "GET", srv.URL+"/staff", []*http.Cookie{staffC}, nil, nil); body != "" {
		t.Errorf("staff session survived DestroyUser: %q", body)
	}
	if infos, _ := staff.UserSessions(context.Background(), "ada"); len(infos) != 0 {
		t.Errorf("staff.UserSessions lists %d sessions (the shop's?)", len(infos))
	}
}

// ------------------------------------------------------------------ cookies

func TestAttackCookieAttributes(t *testing.T) {
	def := sessions.DefaultCookieName()
	cases := []struct {
		name    string
		opts    sessions.Options
		tls     bool
		cookie  string
		want    []string // attributes that must appear
		notWant []string
	}{
		{"plain", sessions.Options{}, false, def, []string{"HttpOnly", "SameSite=Lax", "Path=/"}, []string{"Secure", "Domain=", "Max-Age", "Expires", "Partitioned"}},
		{"tls", sessions.Options{}, true, def, []string{"HttpOnly", "SameSite=Lax", "Path=/", "Secure"}, []string{"Domain=", "Max-Age"}},
		{"secure-behind-proxy", sessions.Options{Secure: true}, false, "__Host-" + def, []string{"HttpOnly", "Secure", "Path=/"}, []string{"Domain="}},
		{"secure-tls", sessions.Options{Secure: true}, true, "__Host-" + def, []string{"HttpOnly", "Secure", "Path=/"}, []string{"Domain="}},
		{"secure-domain", sessions.Options{Secure: true, Domain: "example.com"}, false, def, []string{"Secure", "Domain=example.com"}, nil},
		{"secure-path", sessions.Options{Secure: true, Path: "/app"}, false, def, []string{"Secure", "Path=/app"}, nil},
		{"strict", sessions.Options{SameSite: itty.SameSiteStrict}, false, def, []string{"SameSite=Strict"}, nil},
		{"chips", sessions.Options{Secure: true, SameSite: itty.SameSiteNone, Partitioned: true}, false, "__Host-" + def, []string{"Secure", "SameSite=None", "Partitioned", "HttpOnly"}, nil},
		{"persistent", sessions.Options{Persistent: true, IdleTimeout: 30 * time.Minute}, false, def, []string{"Max-Age=1800", "HttpOnly"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := sessions.NewMemoryStore()
			defer store.Close()
			app := itty.New()
			mgr, err := sessions.New(app, store, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if mgr.CookieName() != tc.cookie {
				t.Errorf("CookieName() = %q, want %q", mgr.CookieName(), tc.cookie)
			}
			prefix := tc.opts.Path
			if prefix == "/" {
				prefix = ""
			}
			app.Post(prefix+"/login", func(req *itty.Request) *itty.Response {
				mgr.Get(req).SetUser("ada")
				return app.Render(req, "ok")
			})
			app.Post(prefix+"/logout", func(req *itty.Request) *itty.Response {
				mgr.Get(req).Destroy()
				return app.Render(req, "bye")
			})
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(app)
			} else {
				srv = httptest.NewServer(app)
			}
			defer srv.Close()
			client := srv.Client()
			client.CheckRedirect = oaNoRedirect.CheckRedirect
			resp, _ := oaHit(t, client, "POST", srv.URL+prefix+"/login", nil, url.Values{}, nil)
			line := oaSetCookieLine(resp, tc.cookie)
			if line == "" {
				t.Fatalf("no %s cookie: %q", tc.cookie, resp.Header.Values("Set-Cookie"))
			}
			attrs := strings.Split(line, "; ")[1:]
			has := func(a string) bool {
				for _, x := range attrs {
					if x == a || strings.HasSuffix(a, "=") && strings.HasPrefix(x, a) || a == "Max-Age" && strings.HasPrefix(x, "Max-Age=") || a == "Expires" && strings.HasPrefix(x, "Expires=") {
						return true
					}
				}
				return false
			}
			for _, a := range tc.want {
				if !has(a) {
					t.Errorf("Set-Cookie %q lacks %s", line, a)
				}
			}
			for _, a := range tc.notWant {
				if has(a) {
					t.Errorf("Set-Cookie %q has %s", line, a)
				}
			}
			c := oaCookie(resp, tc.cookie)
			resp, _ = oaHit(t, client, "POST", srv.URL+prefix+"/logout", []*http.Cookie{c}, url.Values{}, nil)
			del := oaCookie(resp, tc.cookie)
			if del == nil || del.MaxAge >= 0 {
				t.Fatalf("logout does not delete the cookie: %q", resp.Header.Values("Set-Cookie"))
			}
			dl := oaSetCookieLine(resp, tc.cookie)
			for _, a := range []string{"Path=" + tc.opts.Path, "Domain=" + tc.opts.Domain} {
				if strings.HasSuffix(a, "=") {
					continue
				}
				if !strings.Contains(dl, a) {
					t.Errorf("deletion %q lacks %s: the browser keeps the cookie", dl, a)
				}
			}
			if tc.opts.Partitioned && !strings.Contains(dl, "Partitioned") {
				t.Errorf("deletion %q lacks Partitioned", dl)
			}
			if strings.HasPrefix(tc.cookie, "__Host-") && !strings.Contains(dl, "Secure") {
				t.Errorf("deletion %q of a __Host- cookie lacks Secure", dl)
			}
		})
	}
}

// Settings a browser would refuse must fail sessions.New.
func TestAttackCookieSettingsBrowsersRefuse(t *testing.T) {
	bad := map[string]sessions.Options{
		"SameSiteNone without Secure":   {SameSite: itty.SameSiteNone},
		"Partitioned without Secure":    {Partitioned: true},
		"__Host- name with Path":        {CookieName: "__Host-sid", Secure: true, Path: "/app"},
		"__Host- name with Domain":      {CookieName: "__Host-sid", Secure: true, Domain: "example.com"},
		"__Host- name without Secure":   {CookieName: "__Host-sid"},
		"__Secure- name without Secure": {CookieName: "__Secure-sid"},
		"__host- lowercase no Secure":   {CookieName: "__host-sid"},
		"public suffix Domain":          {Domain: "co.uk"},
		"Domain with port":              {Domain: "example.com:8080"},
		"relative Path":                 {Path: "app"},
		"Path with semicolon":           {Path: "/a;b"},
		"RememberLifetime 401 days":     {RememberLifetime: 401 * 24 * time.Hour},
		"bad cookie name":               {CookieName: "s id"},
	}
	for name, o := range bad {
		store := sessions.NewMemoryStore()
		if _, err := sessions.New(nil, store, o); err == nil {
			t.Errorf("%s: sessions.New accepted it", name)
		}
		store.Close()
	}
}

// A Persistent Manager whose lifetime and idle timeout are over 400 days:
// the doc says a lifetime over 400 days is an error from New; if New takes
// it, logins must at least work (not be a 500 on every login).
func TestAttackPersistentLifetimeOver400Days(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	app := itty.New()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid", Persistent: true,
		Lifetime: 500 * 24 * time.Hour, IdleTimeout: 450 * 24 * time.Hour})
	if err != nil {
		t.Logf("refused at start-up: %v", err)
		return
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, body := oaHit(t, nil, "POST", srv.URL+"/login", nil, url.Values{}, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("sessions.New accepted Persistent with a 450-day idle timeout, and every login is then %d %q "+
			"(docs/sessions.md: every combination a browser would refuse, ... a lifetime over 400 days, is an error from sessions.New)",
			resp.StatusCode, strings.TrimSpace(body))
	}
	if c := oaCookie(resp, "sid"); c == nil || c.MaxAge > int(itty.MaxCookieAge/time.Second) {
		t.Errorf("cookie %q", oaSetCookieLine(resp, "sid"))
	}
}

// --------------------------------------------------------- cookie lifetimes

type oaApp struct {
	app   *itty.App
	mgr   *sessions.Manager
	store *sessions.MemoryStore
}

func newOAApp(t *testing.T, store *sessions.MemoryStore, o sessions.Options) *oaApp {
	t.Helper()
	app := itty.New()
	if o.CookieName == "" {
		o.CookieName = "sid"
	}
	mgr, err := sessions.New(app, store, o)
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.SetUser("ada")
		s.RememberMe(req.POST.Get("remember") == "1")
		return app.Render(req, "ok")
	})
	app.Post("/bump", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.Set("n", s.GetInt("n")+1)
		return app.Render(req, s.User())
	})
	app.Post("/renew", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		if err := s.Renew(); err != nil {
			return app.Error500(req, err)
		}
		return app.Render(req, s.User())
	})
	app.Get("/me", func(req *itty.Request) *itty.Response { return app.Render(req, mgr.Get(req).User()) })
	return &oaApp{app: app, mgr: mgr, store: store}
}

// whoHas asks the server, with the raw id (whatever the browser's jar did
// with the cookie), whose session id is.
func (a *oaApp) whoHas(t *testing.T, id string) string {
	t.Helper()
	c := ittytest.NewClient(t, a.app)
	c.SetCookie(&http.Cookie{Name: a.mgr.CookieName(), Value: id})
	return c.Get("/me").Body
}

// With Persistent, a visitor who keeps *writing* (a counter, a cart) every
// 50 s, more often than TouchInterval (1 min for a 10 min idle timeout).
// The server moves the idle deadline on every write; the cookie's Max-Age
// must move with it, or the browser drops a live session.
func TestAttackPersistentCookieDiesUnderSteadyWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		a := newOAApp(t, store, sessions.Options{Persistent: true, IdleTimeout: 10 * time.Minute})
		c := ittytest.NewClient(t, a.app)
		r := c.PostForm("/login", nil)
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge != 600 {
			t.Fatalf("login cookie %q, want Max-Age=600", r.Headers.Values("Set-Cookie"))
		}
		id, _ := c.Cookie("/", "sid")
		start := time.Now()
		for i := 1; i <= 20; i++ {
			time.Sleep(50 * time.Second)
			_, held := c.Cookie("/", "sid")
			r := c.PostForm("/bump", nil)
			if r.Body != "ada" {
				t.Fatalf("after %v of a write every 50 s the browser is logged out (body %q; the jar still had the cookie: %v); "+
					"the server still knows the session as %q. The server moved the idle deadline on every write but the "+
					"cookie's Max-Age was never re-sent (docs/sessions.md: \"sent again when activity moves the idle deadline, "+
					"at most once per TouchInterval ... The browser forgets the cookie exactly when the server forgets the session\")",
					time.Since(start), r.Body, held, a.whoHas(t, id))
			}
		}
	})
}

// With Persistent, reads: the cookie is re-sent at most once per
// TouchInterval, never on every read, and keeps up with the server.
func TestAttackPersistentCookieSlidesOnReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		a := newOAApp(t, store, sessions.Options{Persistent: true, IdleTimeout: 10 * time.Minute})
		c := ittytest.NewClient(t, a.app)
		c.PostForm("/login", nil)
		sent := 0
		for i := 1; i <= 30; i++ {
			time.Sleep(25 * time.Second)
			r := c.Get("/me")
			if r.Body != "ada" {
				t.Fatalf("read %d: logged out", i)
			}
			if ck := r.Cookie("sid"); ck != nil {
				sent++
				if ck.MaxAge != 600 {
					t.Errorf("re-sent cookie Max-Age %d, want 600", ck.MaxAge)
				}
			}
		}
		// 750 s of reads every 25 s with a 60 s TouchInterval: at most 13 re-sends.
		if sent == 0 || sent > 13 {
			t.Errorf("cookie re-sent %d times in 30 reads, want 1..13", sent)
		}
	})
}

// "Remember me" outlives the ordinary idle timeout, up to RememberLifetime,
// and not a second more, whatever the activity or renews.
func TestAttackRememberMeLifetimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		a := newOAApp(t, store, sessions.Options{})
		c := ittytest.NewClient(t, a.app)
		start := time.Now()
		r := c.PostForm("/login", url.Values{"remember": {"1"}})
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge != 30*24*3600 {
			t.Fatalf("remember-me cookie %q, want Max-Age=%d", r.Headers.Values("Set-Cookie"), 30*24*3600)
		}
		time.Sleep(2 * time.Hour)
		if got := c.Get("/me").Body; got != "ada" {
			t.Fatalf("a remembered session ended after 2 h idle (the ordinary idle timeout): %q", got)
		}
		time.Sleep(27 * 24 * time.Hour)
		if got := c.Get("/me").Body; got != "ada" {
			t.Fatalf("remembered session ended after 27 days idle (RememberIdleTimeout defaults to RememberLifetime): %q", got)
		}
		// A renew late in its life must not extend it.
		if got := c.PostForm("/renew", nil).Body; got != "ada" {
			t.Fatalf("renew: %q", got)
		}
		id, _ := c.Cookie("/", "sid")
		time.Sleep(time.Until(start.Add(30*24*time.Hour - time.Minute)))
		r = c.Get("/me")
		if r.Body != "ada" {
			t.Fatalf("a minute before the remember lifetime: %q", r.Body)
		}
		if ck := r.Cookie("sid"); ck != nil && ck.MaxAge > 60 {
			t.Errorf("near the absolute end the cookie's Max-Age is %d s, past the server's deadline (60 s)", ck.MaxAge)
		}
		time.Sleep(2 * time.Minute)
		if got := a.whoHas(t, id); got != "" {
			t.Errorf("remembered session alive %v after it began (RememberLifetime 30 days): %q", time.Since(start), got)
		}
	})
}

func TestAttackRememberIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		a := newOAApp(t, store, sessions.Options{RememberIdleTimeout: 7 * 24 * time.Hour})
		c := ittytest.NewClient(t, a.app)
		start := time.Now()
		r := c.PostForm("/login", url.Values{"remember": {"1"}})
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge != 7*24*3600 {
			t.Fatalf("remember-me cookie %q, want Max-Age=%d (the remember idle timeout)", r.Headers.Values("Set-Cookie"), 7*24*3600)
		}
		for i := 0; i < 4; i++ { // 24 days of visits every 6 days
			time.Sleep(6 * 24 * time.Hour)
			r := c.Get("/me")
			if r.Body != "ada" {
				t.Fatalf("visit %d (%v): logged out", i, time.Since(start))
			}
			want := min(7*24*time.Hour, time.Until(start.Add(30*24*time.Hour)))
			if ck := r.Cookie("sid"); ck == nil || ck.MaxAge != int(want/time.Second) {
				t.Errorf("visit %d: cookie not moved with activity: %q, want Max-Age=%d", i, r.Headers.Values("Set-Cookie"), int(want/time.Second))
			}
		}
		time.Sleep(5 * 24 * time.Hour) // 29 days
		r = c.Get("/me")
		if r.Body != "ada" {
			t.Fatalf("at 29 days: logged out")
		}
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge != 24*3600 {
			t.Errorf("at 29 days cookie %q, want Max-Age=86400 (the absolute deadline)", r.Headers.Values("Set-Cookie"))
		}
		// A second login, idle 8 days: ended by the remember idle timeout.
		c2 := ittytest.NewClient(t, a.app)
		c2.PostForm("/login", url.Values{"remember": {"1"}})
		id, _ := c2.Cookie("/", "sid")
		time.Sleep(8 * 24 * time.Hour)
		if got := a.whoHas(t, id); got != "" {
			t.Errorf("remembered session idle 8 days with RememberIdleTimeout 7 days is alive: %q", got)
		}
	})
}

// Ordinary sessions: the idle timeout, and the absolute lifetime neither
// activity nor renew extends.
func TestAttackOrdinaryTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		a := newOAApp(t, store, sessions.Options{})
		c := ittytest.NewClient(t, a.app)
		c.PostForm("/login", nil)
		id, _ := c.Cookie("/", "sid")
		time.Sleep(time.Hour + time.Second)
		if got := a.whoHas(t, id); got != "" {
			t.Errorf("idle 1 h 1 s, still %q", got)
		}

		c = ittytest.NewClient(t, a.app)
		start := time.Now()
		c.PostForm("/login", nil)
		for time.Since(start) < 11*time.Hour {
			time.Sleep(50 * time.Minute)
			if got := c.Get("/me").Body; got != "ada" {
				t.Fatalf("active session ended at %v", time.Since(start))
			}
		}
		if got := c.PostForm("/renew", nil).Body; got != "ada" {
			t.Fatalf("renew: %q", got)
		}
		id, _ = c.Cookie("/", "sid")
		time.Sleep(time.Until(start.Add(12*time.Hour + time.Second)))
		if got := a.whoHas(t, id); got != "" {
			t.Errorf("session alive %v after it began, renewed at 11 h (Lifetime 12 h): %q", time.Since(start), got)
		}
	})
}

// Shortening the timeouts and restarting ends old sessions at once,
// remembered ones too.
func TestAttackShortenedTimeoutsAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
		defer store.Close()
		old := newOAApp(t, store, sessions.Options{})
		c := ittytest.NewClient(t, old.app)
		c.PostForm("/login", nil)
		plain, _ := c.Cookie("/", "sid")
		c = ittytest.NewClient(t, old.app)
		c.PostForm("/login", url.Values{"remember": {"1"}})
		remembered, _ := c.Cookie("/", "sid")

		time.Sleep(15 * time.Minute)
		restarted := newOAApp(t, store, sessions.Options{IdleTimeout: 10 * time.Minute})
		if got := restarted.whoHas(t, plain); got != "" {
			t.Errorf("IdleTimeout shortened to 10 min; a session idle 15 min is %q", got)
		}
		time.Sleep(2 * 24 * time.Hour)
		restarted = newOAApp(t, store, sessions.Options{RememberLifetime: 24 * time.Hour, RememberIdleTimeout: 30 * 24 * time.Hour})
		if got := restarted.whoHas(t, remembered); got != "" {
			t.Errorf("RememberLifetime shortened to 1 day; a 2-day-old remembered session is %q", got)
		}
	})
}

// -------------------------------------------------------------------- CSRF

func TestAttackCSRFTokens(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	app := itty.New()
	mgr := oaManager(t, app, store, sessions.Options{CookieName: "sid"})
	app.Get("/form", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).CSRFToken())
	})
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Render(req, "ok")
	})
	app.Post("/renew", func(req *itty.Request) *itty.Response {
		mgr.Get(req).RenewBoundary()
		return app.Render(req, "ok")
	})
	app.Post("/act", func(req *itty.Request) *itty.Response {
		if !mgr.Get(req).CheckCSRF() {
			return itty.NewResponse("forbidden", http.StatusForbidden)
		}
		return app.Render(req, "done")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	// mgrNet: the same checks for a plain handler behind Middleware.
	mgrNet, _ := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, mgrNet.FromContext(r.Context()).CSRFToken())
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgrNet.FromContext(r.Context()).SetUser(r.PostFormValue("user"))
	})
	mux.HandleFunc("POST /renew", func(w http.ResponseWriter, r *http.Request) {
		mgrNet.FromContext(r.Context()).RenewBoundary()
	})
	mux.HandleFunc("POST /act", func(w http.ResponseWriter, r *http.Request) {
		if !mgrNet.FromContext(r.Context()).CheckCSRF() {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		io.WriteString(w, "done")
	})
	nsrv := httptest.NewServer(mgrNet.Middleware(mux))
	defer nsrv.Close()

	for _, base := range []struct{ name, url string }{{"itty", srv.URL}, {"middleware", nsrv.URL}} {
		t.Run(base.name, func(t *testing.T) {
			u := base.url
			jar := func(resp *http.Response, c *http.Cookie) *http.Cookie {
				if nc := oaCookie(resp, "sid"); nc != nil {
					return nc
				}
				return c
			}
			act := func(c *http.Cookie, form url.Values, hdr map[string]string, query string) int {
				resp, _ := oaHit(t, nil, "POST", u+"/act"+query, []*http.Cookie{c}, form, hdr)
				return resp.StatusCode
			}
			// An attacker's anonymous session with a token, planted in the victim's browser.
			resp, pre := oaHit(t, nil, "GET", u+"/form", nil, nil, nil)
			c := oaCookie(resp, "sid")
			if c == nil || pre == "" {
				t.Fatal("a token gives no session")
			}
			if st := act(c, url.Values{"csrf_token": {pre}}, nil, ""); st != 200 {
				t.Fatalf("the right token in the form is refused: %d", st)
			}
			if st := act(c, nil, map[string]string{"X-CSRF-Token": pre}, ""); st != 200 {
				t.Fatalf("the right token in the header is refused: %d", st)
			}
			// The victim logs in with the planted session.
			resp, _ = oaHit(t, nil, "POST", u+"/login", []*http.Cookie{c}, url.Values{"user": {"victim"}}, nil)
			c = jar(resp, c)
			if st := act(c, url.Values{"csrf_token": {pre}}, nil, ""); st != 403 {
				t.Errorf("the pre-login token is accepted after login (form): %d", st)
			}
			if st := act(c, nil, map[string]string{"X-CSRF-Token": pre}, ""); st != 403 {
				t.Errorf("the pre-login token is accepted after login (header): %d", st)
			}
			// Logged in, no token yet: empty and missing tokens.
			if st := act(c, url.Values{"csrf_token": {""}}, nil, ""); st != 403 {
				t.Errorf("empty token accepted by a session without a token: %d", st)
			}
			if st := act(c, url.Values{}, nil, ""); st != 403 {
				t.Errorf("missing token accepted: %d", st)
			}
			resp, tok := oaHit(t, nil, "GET", u+"/form", []*http.Cookie{c}, nil, nil)
			c = jar(resp, c)
			if tok == pre || tok == "" {
				t.Fatalf("post-login token %q", tok)
			}
			for name, bad := range map[string]url.Values{
				"empty":     {"csrf_token": {""}},
				"prefix":    {"csrf_token": {tok[:len(tok)-1]}},
				"suffix":    {"csrf_token": {tok + "A"}},
				"case":      {"csrf_token": {strings.ToUpper(tok)}},
				"othername": {"csrf": {tok}, "_csrf": {tok}},
			} {
				if name == "case" && strings.ToUpper(tok) == tok {
					continue
				}
				if st := act(c, bad, nil, ""); st != 403 {
					t.Errorf("%s token accepted: %d", name, st)
				}
			}
			if st := act(c, url.Values{"csrf_token": {tok}}, nil, ""); st != 200 {
				t.Errorf("the right token refused: %d", st)
			}
			// A wrong header wins over a right field? Either way: never accept a wrong one alone.
			if st := act(c, url.Values{"csrf_token": {"x"}}, map[string]string{"X-CSRF-Token": "y"}, ""); st != 403 {
				t.Errorf("wrong header and field accepted: %d", st)
			}
			// The token of another session (the attacker's own, logged in too).
			resp, _ = oaHit(t, nil, "POST", u+"/login", nil, url.Values{"user": {"mallory"}}, nil)
			mc := oaCookie(resp, "sid")
			_, mtok := oaHit(t, nil, "GET", u+"/form", []*http.Cookie{mc}, nil, nil)
			if mtok == tok {
				t.Fatal("two sessions share a token")
			}
			if st := act(c, url.Values{"csrf_token": {mtok}}, nil, ""); st != 403 {
				t.Errorf("another session's token accepted: %d", st)
			}
			// A token in the URL is not a form field.
			if st := act(c, url.Values{}, nil, "?csrf_token="+url.QueryEscape(tok)); st != 403 {
				t.Logf("NOTE: a token in the query string of a POST is accepted: %d", st)
			}
			// Logout by SetUser(""), then the old token.
			resp, _ = oaHit(t, nil, "POST", u+"/login", []*http.Cookie{c}, url.Values{"user": {""}}, nil)
			c = jar(resp, c)
			if st := act(c, url.Values{"csrf_token": {tok}}, nil, ""); st != 403 {
				t.Errorf("the token survives a logout by SetUser(\"\"): %d", st)
			}
		})
	}
}

// The CSRF token on the cookie store: deleted on a change of user too.
func TestAttackCSRFTokenSurvivesLoginCookieStore(t *testing.T) {
	cs, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatalf("NewCookieStore: %v", err)
	}
	app := itty.New()
	mgr, err := sessions.NewCookieManager(app, cs, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/form", func(req *itty.Request) *itty.Response { return app.Render(req, mgr.Get(req).CSRFToken()) })
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("victim")
		return app.Render(req, "ok")
	})
	app.Post("/act", func(req *itty.Request) *itty.Response {
		if !mgr.Get(req).CheckCSRF() {
			return itty.NewResponse("forbidden", 403)
		}
		return app.Render(req, "done")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, pre := oaHit(t, nil, "GET", srv.URL+"/form", nil, nil, nil)
	c := oaCookie(resp, "sid")
	resp, _ = oaHit(t, nil, "POST", srv.URL+"/login", []*http.Cookie{c}, url.Values{}, nil)
	if nc := oaCookie(resp, "sid"); nc != nil {
		c = nc
	}
	if r, _ := oaHit(t, nil, "POST", srv.URL+"/act", []*http.Cookie{c}, url.Values{"csrf_token": {pre}}, nil); r.StatusCode != 403 {
		t.Errorf("cookie store: pre-login token accepted after login: %d", r.StatusCode)
	}
}

func TestAttackCSRFFieldEscapes(t *testing.T) {
	got := string(sessions.CSRFField(`"><script>alert(1)</script>`))
	if strings.Contains(got, "<script>") || strings.Count(got, `"`) != 6 {
		t.Errorf("CSRFField does not escape: %s", got)
	}
	tok := sessions.NewID()
	want := `<input type="hidden" name="csrf_token" value="` + tok + `">`
	if g := string(sessions.CSRFField(tok)); g != want {
		t.Errorf("CSRFField(%q) = %s", tok, g)
	}
}
