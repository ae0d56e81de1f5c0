package sessionstest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// Caps says what a store can do, so RunManager skips what it cannot.
type Caps struct {
	// ServerSide: records live on the server, so sessions can be revoked
	// (Destroy kills copies of the cookie, DestroyUser works) and
	// concurrent changes are merged.
	ServerSide bool
	// FakeTime: the store works inside a testing/synctest bubble, so the
	// timeout tests can run on fake time.
	FakeTime bool
}

// countingStore counts writes, to prove reads cost none, and lookups, to
// prove a request's lookups are bounded; fail makes every call fail.
type countingStore struct {
	sessions.Store
	writes atomic.Int64
	loads  atomic.Int64
	fail   atomic.Bool
	// pause, if set, is called once before the next Create of a record
	// that is not a tombstone, to hold a renew between its two steps.
	pause atomic.Pointer[func()]
	// cut, if set, fails the next Create of a record that is not a
	// tombstone: cutRefused stores nothing, cutAnswerLost stores it and
	// fails anyway, as a connection lost after the write would.
	cut atomic.Int32
}

const (
	cutRefused = 1 + iota
	cutAnswerLost
)

// ByUser passes the user index through, if the store has one.
func (c *countingStore) ByUser(ctx context.Context, user string) ([]string, error) {
	if c.fail.Load() {
		return nil, errStoreDown
	}
	ix, ok := c.Store.(sessions.UserIndex)
	if !ok {
		return nil, sessions.ErrNotSupported
	}
	return ix.ByUser(ctx, user)
}

// Namespace passes the Manager's namespace through, if the store takes one.
func (c *countingStore) Namespace(name string) error {
	if ns, ok := c.Store.(sessions.Namespacer); ok {
		return ns.Namespace(name)
	}
	return nil
}

var errStoreDown = errors.New("store down (injected)")

func (c *countingStore) Create(ctx context.Context, r *sessions.Record) error {
	if c.fail.Load() {
		return errStoreDown
	}
	if !r.IsTombstone() {
		if p := c.pause.Swap(nil); p != nil {
			(*p)()
		}
		switch c.cut.Swap(0) {
		case cutRefused:
			return errStoreDown
		case cutAnswerLost:
			if err := c.Store.Create(ctx, r); err != nil {
				return err
			}
			return errors.New("connection lost after the write (injected)")
		}
	}
	c.writes.Add(1)
	return c.Store.Create(ctx, r)
}

func (c *countingStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	if c.fail.Load() {
		return nil, errStoreDown
	}
	c.loads.Add(1)
	return c.Store.Load(ctx, id)
}

func (c *countingStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	if c.fail.Load() {
		return errStoreDown
	}
	c.writes.Add(1)
	return c.Store.Update(ctx, id, fn)
}

// harness is the test app: a login app with a few extra routes.
type harness struct {
	app   *itty.App
	mgr   *sessions.Manager
	store *countingStore        // nil for the cookie store
	cs    *sessions.CookieStore // the cookie store, or nil
	mu    sync.Mutex
	gates map[string]gate
	// fresh makes another Manager with storage of its own, on app.
	fresh func(app *itty.App, opts sessions.Options) (*sessions.Manager, *countingStore)
}

// same makes another Manager over this harness's storage, on app.
func (h *harness) same(t *testing.T, app *itty.App, opts sessions.Options) *sessions.Manager {
	t.Helper()
	var mgr *sessions.Manager
	var err error
	if h.store != nil {
		mgr, err = sessions.New(app, h.store, opts)
	} else {
		mgr, err = sessions.NewCookieManager(app, h.cs, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	return mgr
}

type gate struct{ loaded, release chan struct{} }

// hold makes the next /slowset with gate=name signal loaded once it has
// loaded and changed the session, then wait for release.
func (h *harness) hold(name string) gate {
	g := gate{make(chan struct{}), make(chan struct{})}
	h.mu.Lock()
	h.gates[name] = g
	h.mu.Unlock()
	return g
}

// maker makes a harness with the suite's storage and the given options.
type maker func(t *testing.T, opts sessions.Options) *harness

// newHarness builds the test app on a Manager: New over store (wrapped to
// count writes) or, if store is nil, NewCookieManager over cs.
func newHarness(t *testing.T, store sessions.Store, cs *sessions.CookieStore, opts sessions.Options) *harness {
	t.Helper()
	h := &harness{app: itty.New(), cs: cs, gates: map[string]gate{}}
	if opts.CookieName == "" {
		opts.CookieName = "sid"
	}
	var mgr *sessions.Manager
	var err error
	if store != nil {
		h.store = &countingStore{Store: store}
		mgr, err = sessions.New(h.app, h.store, opts)
	} else {
		mgr, err = sessions.NewCookieManager(h.app, cs, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	h.mgr = mgr
	app := h.app
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).GetString("user"); u != "" {
			return app.Render(req, u)
		}
		return app.Render(req, "stranger")
	})
	app.Get("/id", func(req *itty.Request) *itty.Response { return app.Render(req, mgr.Get(req).ID()) })
	app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil {
			panic(err)
		}
		u := req.POST.Get("user")
		sess.SetUser(u)
		sess.Set("user", u)
		sess.RememberMe(req.POST.Get("remember") == "1")
		return app.Render(req, "ok")
	})
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		if err := mgr.Get(req).Destroy(); err != nil {
			panic(err)
		}
		return app.Render(req, "bye")
	})
	app.Post("/set", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set(req.POST.Get("k"), req.POST.Get("v"))
		return app.Render(req, "set")
	})
	app.Post("/slowset", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		sess.Set(req.POST.Get("k"), req.POST.Get("v"))
		h.mu.Lock()
		g := h.gates[req.POST.Get("gate")]
		h.mu.Unlock()
		close(g.loaded)
		<-g.release
		return app.Render(req, "slow set")
	})
	app.Post("/renewonly", func(req *itty.Request) *itty.Response {
		// A login handler that renews before it checks the password.
		mgr.Get(req).Renew()
		return itty.NewResponse("wrong password", http.StatusUnauthorized)
	})
	app.Post("/slow", func(req *itty.Request) *itty.Response {
		// Load, wait at the gate, then act: a request that loaded its
		// session before something else happened to it.
		sess := mgr.Get(req)
		h.mu.Lock()
		g := h.gates[req.POST.Get("gate")]
		h.mu.Unlock()
		close(g.loaded)
		<-g.release
		switch req.POST.Get("do") {
		case "renew":
			sess.Renew()
			sess.Set("after", "renew")
		case "logout":
			if err := sess.Destroy(); err != nil {
				panic(err)
			}
		}
		return app.Render(req, "slow "+req.POST.Get("do"))
	})
	app.Get("/get", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).GetString(req.GET.Get("k")))
	})
	app.Post("/flash", func(req *itty.Request) *itty.Response {
		mgr.Get(req).AddFlash(req.POST.Get("m"))
		return app.Render(req, "ok")
	})
	app.Get("/flashes", func(req *itty.Request) *itty.Response {
		return app.Render(req, strings.Join(mgr.Get(req).Flashes(), "|"))
	})
	app.Post("/typed", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		sess.Set("n", 42)
		sess.Set("b", true)
		sess.Set("t", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
		sess.Set("cart", map[string]int{"apples": 3})
		if sess.Set("bad", make(chan int)) == nil {
			panic("sessionstest: Session.Set accepted a value encoding/json cannot encode (a chan)")
		}
		return app.Render(req, "ok")
	})
	app.Get("/typed", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		var cart map[string]int
		sess.Decode("cart", &cart)
		ok := sess.GetInt("n") == 42 && sess.GetBool("b") && sess.GetTime("t").Equal(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)) &&
			cart["apples"] == 3 && !sess.Has("bad")
		if ok {
			return app.Render(req, "typed ok")
		}
		return app.Render(req, "typed wrong")
	})
	app.Get("/csrf", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).CSRFToken())
	})
	app.Post("/csrf", func(req *itty.Request) *itty.Response {
		if !mgr.Get(req).CheckCSRF() {
			return itty.NewResponse("bad token", http.StatusForbidden)
		}
		return app.Render(req, "token ok")
	})
	return h
}

func login(t *testing.T, c *ittytest.Client, user string, remember bool) *ittytest.Response {
	t.Helper()
	form := url.Values{"user": {user}}
	if remember {
		form.Set("remember", "1")
	}
	r := c.PostForm("/login", form)
	if r.StatusCode != 200 {
		t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	return r
}

func whoami(t *testing.T, c *ittytest.Client) string {
	t.Helper()
	r := c.Get("/whoami")
	if r.StatusCode != 200 {
		t.Fatalf("whoami: %d %s", r.StatusCode, r.Body)
	}
	return r.Body
}

// RunManager runs the session behaviour tests against stores made by
// newStore. Stores that keep state between calls of newStore must start
// each one empty.
func RunManager(t *testing.T, caps Caps, newStore func(t *testing.T) sessions.Store) {
	caps.ServerSide = true
	runManager(t, caps, func(t *testing.T, opts sessions.Options) *harness {
		h := newHarness(t, newStore(t), nil, opts)
		h.fresh = func(app *itty.App, opts sessions.Options) (*sessions.Manager, *countingStore) {
			st := &countingStore{Store: newStore(t)}
			mgr, err := sessions.New(app, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			return mgr, st
		}
		return h
	})
}

// RunCookieManager runs the session behaviour tests that apply to a
// NewCookieManager over cookie stores made by newStore.
func RunCookieManager(t *testing.T, caps Caps, newStore func(t *testing.T) *sessions.CookieStore) {
	caps.ServerSide = false
	runManager(t, caps, func(t *testing.T, opts sessions.Options) *harness {
		h := newHarness(t, nil, newStore(t), opts)
		h.fresh = func(app *itty.App, opts sessions.Options) (*sessions.Manager, *countingStore) {
			mgr, err := sessions.NewCookieManager(app, newStore(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			return mgr, nil
		}
		return h
	})
}

func runManager(t *testing.T, caps Caps, mk maker) {
	t.Run("AnonymousReadsCostNothing", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		r := c.Get("/whoami")
		if r.Body != "stranger" || r.Headers.Get("Set-Cookie") != "" {
			t.Fatalf("anonymous visit: %q, Set-Cookie %q", r.Body, r.Headers.Get("Set-Cookie"))
		}
		if h.store != nil && h.store.writes.Load() != 0 {
			t.Fatalf("%d store writes for an anonymous read", h.store.writes.Load())
		}
	})
	t.Run("LoginCookieAndHeaders", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		r := login(t, c, "ada", false)
		ck := r.Cookie("sid")
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure || ck.MaxAge != 0 {
			t.Fatalf("session cookie: %+v", ck)
		}
		if caps.ServerSide && !sessions.ValidID(ck.Value) {
			t.Fatalf("cookie value %q is not a session id", ck.Value)
		}
		if r.Headers.Get("Cache-Control") != "no-store" || !strings.Contains(r.Headers.Get("Vary"), "Cookie") {
			t.Fatalf("headers: %v", r.Headers)
		}
		if got := whoami(t, c); got != "ada" {
			t.Fatalf("whoami after login: %q", got)
		}
		if got := c.Get("/typed"); got.Body != "typed wrong" {
			t.Fatalf("values before setting: %q", got.Body)
		}
		c.PostForm("/typed", nil)
		if got := c.Get("/typed"); got.Body != "typed ok" {
			t.Fatalf("typed values: %q", got.Body)
		}
		c.BaseURL = "https://example.com"
		if ck := login(t, c, "ada", false).Cookie("sid"); ck == nil || !ck.Secure {
			t.Fatalf("cookie over TLS: %+v", ck)
		}
		h2 := mk(t, sessions.Options{Secure: true})
		if ck := login(t, ittytest.NewClient(t, h2.app), "ada", false).Cookie("sid"); !ck.Secure {
			t.Fatalf("Options.Secure not honoured: %+v", ck)
		}
	})
	t.Run("RenewOnLogin", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		c.PostForm("/set", url.Values{"k": {"theme"}, "v": {"dark"}})
		before, _ := c.Cookie("/", "sid")
		login(t, c, "ada", false)
		after, _ := c.Cookie("/", "sid")
		if before == "" || before == after {
			t.Fatalf("session id not renewed on login: %q -> %q", before, after)
		}
		if got := c.Get("/get?k=theme").Body; got != "dark" {
			t.Fatalf("data lost on renew: %q", got)
		}
		if caps.ServerSide {
			old := ittytest.NewClient(t, h.app)
			old.SetCookie(&http.Cookie{Name: "sid", Value: before})
			if got := whoami(t, old); got != "stranger" {
				t.Fatalf("old id still works after renew: %q", got)
			}
		}
	})
	t.Run("StrictMode", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		forged := sessions.NewID()
		c.SetCookie(&http.Cookie{Name: "sid", Value: forged})
		r := c.PostForm("/set", url.Values{"k": {"a"}, "v": {"1"}})
		ck := r.Cookie("sid")
		if ck == nil || ck.Value == forged || ck.Value == "" {
			t.Fatalf("forged id adopted: %+v", ck)
		}
		c2 := ittytest.NewClient(t, h.app)
		c2.SetCookie(&http.Cookie{Name: "sid", Value: "../../etc/passwd"})
		if r := c2.Get("/whoami"); r.Body != "stranger" || r.Cookie("sid") == nil || r.Cookie("sid").MaxAge >= 0 {
			t.Fatalf("bad cookie not cleared: %q %v", r.Body, r.Headers)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		id, _ := c.Cookie("/", "sid")
		r := c.PostForm("/logout", nil)
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("logout does not delete the cookie: %v", r.Headers)
		}
		if got := whoami(t, c); got != "stranger" {
			t.Fatalf("after logout: %q", got)
		}
		if caps.ServerSide {
			if _, err := h.store.Load(context.Background(), id); !errors.Is(err, sessions.ErrNotFound) {
				t.Fatalf("record survives logout: %v", err)
			}
			replay := ittytest.NewClient(t, h.app)
			replay.SetCookie(&http.Cookie{Name: "sid", Value: id})
			if got := whoami(t, replay); got != "stranger" {
				t.Fatalf("a copy of the cookie still works after logout: %q", got)
			}
		}
	})
	t.Run("Flashes", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		c.PostForm("/flash", url.Values{"m": {"Saved."}})
		c.PostForm("/flash", url.Values{"m": {"Again."}})
		if got := c.Get("/flashes").Body; got != "Saved.|Again." {
			t.Fatalf("flashes: %q", got)
		}
		if got := c.Get("/flashes").Body; got != "" {
			t.Fatalf("flashes read twice: %q", got)
		}
	})
	t.Run("ReadsDoNotWrite", func(t *testing.T) {
		if !caps.ServerSide {
			t.Skip("no store to count writes in")
		}
		h := mk(t, sessions.Options{TouchInterval: time.Hour})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		n := h.store.writes.Load()
		for range 5 {
			whoami(t, c)
		}
		if got := h.store.writes.Load() - n; got != 0 {
			t.Fatalf("%d store writes for 5 reads", got)
		}
	})
	t.Run("RememberMe", func(t *testing.T) {
		h := mk(t, sessions.Options{RememberLifetime: 7 * 24 * time.Hour})
		c := ittytest.NewClient(t, h.app)
		ck := login(t, c, "ada", true).Cookie("sid")
		if ck.MaxAge < int((7*24*time.Hour-time.Minute).Seconds()) || ck.MaxAge > int((7*24*time.Hour).Seconds()) {
			t.Fatalf("remember me: Max-Age %d", ck.MaxAge)
		}
	})
	t.Run("CSRF", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		token := c.Get("/csrf").Body
		if r := c.PostForm("/csrf", url.Values{sessions.CSRFFieldName: {token}}); r.StatusCode != 200 {
			t.Fatalf("good token: %d", r.StatusCode)
		}
		if r := c.PostForm("/csrf", url.Values{sessions.CSRFFieldName: {token + "x"}}); r.StatusCode != 403 {
			t.Fatalf("bad token: %d", r.StatusCode)
		}
		if r := c.PostForm("/csrf", nil); r.StatusCode != 403 {
			t.Fatalf("no token: %d", r.StatusCode)
		}
		other := ittytest.NewClient(t, h.app)
		other.Get("/csrf")
		if r := other.PostForm("/csrf", url.Values{sessions.CSRFFieldName: {token}}); r.StatusCode != 403 {
			t.Fatalf("another session's token accepted: %d", r.StatusCode)
		}
		req := c.NewRequest("POST", "/csrf", nil)
		req.Header.Set("X-CSRF-Token", token)
		if r := c.Do(req); r.StatusCode != 200 {
			t.Fatalf("header token: %d", r.StatusCode)
		}
	})
	t.Run("StoreFailureIs500", func(t *testing.T) {
		if !caps.ServerSide {
			t.Skip("no store to fail")
		}
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		h.store.fail.Store(true)
		if r := c.Get("/whoami"); r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("store down: %d %q (must not look logged out)", r.StatusCode, r.Body)
		}
		if r := c.PostForm("/set", url.Values{"k": {"a"}, "v": {"b"}}); r.StatusCode != 500 {
			t.Fatalf("store down on write: %d", r.StatusCode)
		}
		h.store.fail.Store(false)
		if got := whoami(t, c); got != "ada" {
			t.Fatalf("after the store recovered: %q", got)
		}
	})
	runAttacks(t, caps, mk)
	runMiddleware(t, caps, mk)
	runFeatures(t, caps, mk)
	if caps.ServerSide {
		runConcurrency(t, mk)
		runServerAttacks(t, mk)
		runInterleavings(t, caps, mk)
	}
	if caps.FakeTime {
		runTimeouts(t, mk)
	}
}

// inFlight starts a /slowset that holds after changing the session, and
// returns a func that releases it and returns its response.
func inFlight(t *testing.T, h *harness, c *ittytest.Client, k, v string) func() *ittytest.Response {
	g := h.hold(k)
	done := make(chan *ittytest.Response, 1)
	go func() { done <- c.PostForm("/slowset", url.Values{"k": {k}, "v": {v}, "gate": {k}}) }()
	<-g.loaded
	return func() *ittytest.Response {
		close(g.release)
		return <-done
	}
}

func runConcurrency(t *testing.T, mk maker) {
	t.Run("ConcurrentWritersDifferentKeys", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		finish := inFlight(t, h, c, "a", "1")
		c.PostForm("/set", url.Values{"k": {"b"}, "v": {"2"}})
		if r := finish(); r.StatusCode != 200 {
			t.Fatalf("slow writer: %d %s", r.StatusCode, r.Body)
		}
		if a, b := c.Get("/get?k=a").Body, c.Get("/get?k=b").Body; a != "1" || b != "2" {
			t.Fatalf("a=%q b=%q: a concurrent change was lost", a, b)
		}
	})
	t.Run("ConflictIsAnError", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		finish := inFlight(t, h, c, "cart", "slow")
		c.PostForm("/set", url.Values{"k": {"cart"}, "v": {"fast"}})
		if r := finish(); r.StatusCode != http.StatusConflict {
			t.Fatalf("conflicting write: %d, want 409", r.StatusCode)
		}
		if got := c.Get("/get?k=cart").Body; got != "fast" {
			t.Fatalf("cart = %q: the first write must stand", got)
		}
	})
	t.Run("InFlightRequestCannotResurrect", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		id, _ := c.Cookie("/", "sid")
		finish := inFlight(t, h, c, "cart", "1")
		c.PostForm("/logout", nil)
		r := finish()
		if _, err := h.store.Load(context.Background(), id); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("destroyed session came back: %v", err)
		}
		if ck := r.Cookie("sid"); ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("in-flight response does not clear the cookie: %v", r.Headers)
		}
		replay := ittytest.NewClient(t, h.app)
		replay.SetCookie(&http.Cookie{Name: "sid", Value: id})
		if got := whoami(t, replay); got != "stranger" {
			t.Fatalf("old id works: %q", got)
		}
	})
	t.Run("InFlightRequestFollowsRenew", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		old, _ := c.Cookie("/", "sid")
		finish := inFlight(t, h, c, "cart", "kept")
		login(t, c, "ada", false) // renews the id
		if r := finish(); r.StatusCode != 200 {
			t.Fatalf("in-flight request: %d %s", r.StatusCode, r.Body)
		}
		if now, _ := c.Cookie("/", "sid"); now == old {
			t.Fatal("id not renewed")
		}
		if got := c.Get("/get?k=cart").Body; got != "kept" {
			t.Fatalf("change made during renew lost: %q", got)
		}
		if _, err := h.store.Load(context.Background(), old); err == nil {
			ck := ittytest.NewClient(t, h.app)
			ck.SetCookie(&http.Cookie{Name: "sid", Value: old})
			if got := whoami(t, ck); got != "stranger" {
				t.Fatalf("old id after renew: %q", got)
			}
		}
	})
	t.Run("LogOutEverywhere", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		laptop, phone, other := ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app)
		login(t, laptop, "ada", false)
		login(t, phone, "ada", true)
		login(t, other, "bob", false)
		ctx := context.Background()
		infos, err := h.mgr.UserSessions(ctx, "ada")
		if err != nil || len(infos) != 2 {
			t.Fatalf("UserSessions = %v, %v", infos, err)
		}
		n, err := h.mgr.DestroyUser(ctx, "ada")
		if err != nil || n != 2 {
			t.Fatalf("DestroyUser = %d, %v", n, err)
		}
		if whoami(t, laptop) != "stranger" || whoami(t, phone) != "stranger" || whoami(t, other) != "bob" {
			t.Fatal("log out everywhere did not end exactly ada's sessions")
		}
	})
}

func runTimeouts(t *testing.T, mk maker) {
	t.Run("IdleTimeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := mk(t, sessions.Options{IdleTimeout: 10 * time.Minute, TouchInterval: time.Minute})
			c := ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			for range 6 { // an hour of activity, a request every 9 minutes
				time.Sleep(9 * time.Minute)
				if got := whoami(t, c); got != "ada" {
					t.Fatalf("active session timed out: %q", got)
				}
			}
			time.Sleep(11 * time.Minute)
			if got := whoami(t, c); got != "stranger" {
				t.Fatalf("idle session still alive: %q", got)
			}
		})
	})
	t.Run("AbsoluteLifetime", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := mk(t, sessions.Options{IdleTimeout: 30 * time.Minute, Lifetime: 2 * time.Hour})
			c := ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			for range 7 { // 1h45m of activity
				time.Sleep(15 * time.Minute)
				if got := whoami(t, c); got != "ada" {
					t.Fatalf("session ended early: %q", got)
				}
				c.PostForm("/set", url.Values{"k": {"x"}, "v": {"y"}})
			}
			time.Sleep(16 * time.Minute) // 2h01m: activity must not have extended it
			if got := whoami(t, c); got != "stranger" {
				t.Fatalf("absolute lifetime extended by activity: %q", got)
			}
		})
	})
}
