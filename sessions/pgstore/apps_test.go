package pgstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestAppsShareOneTable is the attack of one table shared by two apps (two
// cookie names), even through one Store value: log in on app A, send A's
// session id to app B under B's cookie name, and see whether B greets A's
// user. It must not, since every record carries its Manager's scope. The
// instances of one app (one cookie name, a store and pool each) do share
// their sessions, as instances behind a load balancer must.
func TestAppsShareOneTable(t *testing.T) {
	s := newPGStore(t, nil)
	a := sessionstest.NewLoginApp(t, s, sessions.Options{CookieName: "app_a_sid"})
	b := sessionstest.NewLoginApp(t, s, sessions.Options{CookieName: "app_b_sid"})
	ca := a.Login(t, "ada")
	cb, _ := b.Replay(t, ca, a)
	if r := cb.Get("/whoami"); r.StatusCode != 200 || r.Body != "stranger" {
		t.Fatalf("app B with app A's session id: %d %q, want 200 \"stranger\"", r.StatusCode, r.Body)
	}
	if r := ca.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app A after the replay on B: %q", r.Body)
	}
	if n, err := b.Mgr.DestroyUser(t.Context(), "ada"); err != nil || n != 0 {
		t.Fatalf("app B's DestroyUser(ada): %d, %v; want 0: A's session is not B's", n, err)
	}
	if r := ca.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app A after B's DestroyUser: %q", r.Body)
	}
	if strings.Contains(b.Logs.String(), "level=ERROR") {
		t.Fatalf("app B logged an error:\n%s", b.Logs.String())
	}

	other := pgstore.New(newPools(t, 1)[0], s.Table(), pgstore.CleanupInterval(-1))
	defer other.Close()
	a2 := sessionstest.NewLoginApp(t, other, sessions.Options{CookieName: "app_a_sid"})
	c2, _ := a2.Replay(t, ca, a)
	if r := c2.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
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
	a := sessionstest.NewLoginApp(t, s, sessions.Options{CookieName: "sid", StoreTimeout: storeTimeout})
	c := a.Login(t, "ada")

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
	if !a.Logs.Contains("pgstore: load: getting a connection from the pool: context deadline exceeded") {
		t.Fatalf("the logged reason does not name the pool:\n%s", a.Logs.String())
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("once a connection is free: %d %q", r.StatusCode, r.Body)
	}
	t.Logf("with the pool's only connection held, a request was a 500 after %v (StoreTimeout %v), and served once it was free", took.Round(time.Millisecond), storeTimeout)
}
