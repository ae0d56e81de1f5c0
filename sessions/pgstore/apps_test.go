package pgstore_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// loginApp is an itty app with a session Manager whose log goes to a
// buffer: POST /login logs in the form's user, GET /whoami answers with
// the logged-in user or "stranger".
type loginApp struct {
	app  *itty.App
	mgr  *sessions.Manager
	logs *logBuffer
}

func newLoginApp(t *testing.T, store sessions.Store, opts sessions.Options) *loginApp {
	t.Helper()
	a := &loginApp{app: itty.New(), logs: &logBuffer{}}
	a.app.Logger = slog.New(slog.NewTextHandler(a.logs, nil))
	mgr, err := sessions.New(a.app, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.mgr = mgr
	a.app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		sess.Renew()
		sess.SetUser(req.POST.Get("user"))
		return a.app.Render(req, "ok")
	})
	a.app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).User(); u != "" {
			return a.app.Render(req, u)
		}
		return a.app.Render(req, "stranger")
	})
	return a
}

// login logs user in on a new client and checks the app then knows it.
func (a *loginApp) login(t *testing.T, user string) *ittytest.Client {
	t.Helper()
	c := ittytest.NewClient(t, a.app)
	if r := c.PostForm("/login", url.Values{"user": {user}}); r.StatusCode != 200 {
		t.Fatalf("login: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != user {
		t.Fatalf("whoami after login: %d %q", r.StatusCode, r.Body)
	}
	return c
}

// replay returns a new client of a that sends the session id c holds for
// app from, under a's cookie name.
func (a *loginApp) replay(t *testing.T, c *ittytest.Client, from *loginApp) *ittytest.Client {
	t.Helper()
	id, ok := c.Cookie("/", from.mgr.CookieName())
	if !ok {
		t.Fatalf("no %s cookie", from.mgr.CookieName())
	}
	rc := ittytest.NewClient(t, a.app)
	rc.SetCookie(&http.Cookie{Name: a.mgr.CookieName(), Value: id})
	return rc
}

// logBuffer collects the log of concurrent requests.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) contains(s string) bool { return strings.Contains(l.String(), s) }

// TestAppsShareOneTable is the attack of one table shared by two apps (two
// cookie names), even through one Store value: log in on app A, send A's
// session id to app B under B's cookie name, and see whether B greets A's
// user. It must not, since every record carries its Manager's scope. The
// instances of one app (one cookie name, a store and pool each) do share
// their sessions, as instances behind a load balancer must.
func TestAppsShareOneTable(t *testing.T) {
	s := newPGStore(t, nil)
	a := newLoginApp(t, s, sessions.Options{CookieName: "app_a_sid"})
	b := newLoginApp(t, s, sessions.Options{CookieName: "app_b_sid"})
	ca := a.login(t, "ada")
	if r := b.replay(t, ca, a).Get("/whoami"); r.StatusCode != 200 || r.Body != "stranger" {
		t.Fatalf("app B with app A's session id: %d %q, want 200 \"stranger\"", r.StatusCode, r.Body)
	}
	if r := ca.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app A after the replay on B: %q", r.Body)
	}
	if n, err := b.mgr.DestroyUser(t.Context(), "ada"); err != nil || n != 0 {
		t.Fatalf("app B's DestroyUser(ada): %d, %v; want 0: A's session is not B's", n, err)
	}
	if r := ca.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app A after B's DestroyUser: %q", r.Body)
	}
	if strings.Contains(b.logs.String(), "level=ERROR") {
		t.Fatalf("app B logged an error:\n%s", b.logs.String())
	}

	other := pgstore.New(newPools(t, 1)[0], s.Table(), pgstore.CleanupInterval(-1))
	defer other.Close()
	a2 := newLoginApp(t, other, sessions.Options{CookieName: "app_a_sid"})
	if r := a2.replay(t, ca, a).Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("a second instance of app A: %d %q, want \"ada\"", r.StatusCode, r.Body)
	}
}

// TestPoolExhausted holds the only connection of a store's pool: a request
// that needs the session is then answered 500 within the Manager's
// StoreTimeout, with a logged reason that names the pool, and is served
// again as soon as a connection is free.
func TestPoolExhausted(t *testing.T) {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	table := newPGStore(t, nil).Table()
	s := pgstore.New(pool, table, pgstore.CleanupInterval(-1))
	defer s.Close()
	const storeTimeout = 300 * time.Millisecond
	a := newLoginApp(t, s, sessions.Options{CookieName: "sid", StoreTimeout: storeTimeout})
	c := a.login(t, "ada")

	held, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := c.Get("/whoami")
	took := time.Since(start)
	held.Release()
	if r.StatusCode != 500 || took >= storeTimeout+time.Second {
		t.Fatalf("with every connection busy: %d %q after %v, want a 500 within about %v", r.StatusCode, r.Body, took, storeTimeout)
	}
	if !a.logs.contains("pgstore: load: getting a connection from the pool: context deadline exceeded") {
		t.Fatalf("the logged reason does not name the pool:\n%s", a.logs.String())
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("once a connection is free: %d %q", r.StatusCode, r.Body)
	}
	t.Logf("with the pool's only connection held, a request was a 500 after %v (StoreTimeout %v), and served once it was free", took.Round(time.Millisecond), storeTimeout)
}
