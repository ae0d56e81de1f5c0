//go:build unix

package pgstore_test

import (
	"context"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
)

// TestHungPostgres stops every process of the server (SIGSTOP) under a
// logged-in client: a server that accepts connections and never answers.
// Every request must then be a 500 (never a "stranger" page) within the
// Manager's StoreTimeout, a direct Update with a deadline must give up
// before it without calling its fn, even once the server answers again,
// and service must come back by itself when the server is resumed.
func TestHungPostgres(t *testing.T) {
	srv, pool := ownServer(t)
	if _, err := srv.PIDs(); err != nil {
		t.Skip(err)
	}
	const storeTimeout = 500 * time.Millisecond
	const margin = time.Second
	store := pgstore.New(pool, "")
	defer store.Close()
	short := newLoginApp(t, store, sessions.Options{CookieName: "sid", StoreTimeout: storeTimeout})
	dflt := newLoginApp(t, store, sessions.Options{CookieName: "sid"})
	c := short.login(t, "ada")
	cd := dflt.replay(t, c, short)
	if r := cd.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("the default-timeout app before the hang: %q", r.Body)
	}
	id, _ := c.Cookie("/", "sid")

	if err := srv.SignalAll(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	t.Cleanup(func() { srv.SignalAll(syscall.SIGCONT) })
	var fastest, slowest time.Duration
	check := func(what string, limit time.Duration, do func() *ittytest.Response) time.Duration {
		t.Helper()
		start := time.Now()
		r := do()
		took := time.Since(start)
		if r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("%s while PostgreSQL is hung: %d %q after %v (must be a 500, not a logged-out page)", what, r.StatusCode, r.Body, took)
		}
		if took >= limit {
			t.Fatalf("%s while PostgreSQL is hung took %v, want under %v", what, took, limit)
		}
		return took
	}
	for range 4 {
		for _, took := range []time.Duration{
			check("GET /whoami", storeTimeout+margin, func() *ittytest.Response { return c.Get("/whoami") }),
			check("POST /login", storeTimeout+margin, func() *ittytest.Response {
				return c.PostForm("/login", url.Values{"user": {"bob"}})
			}),
		} {
			if fastest == 0 || took < fastest {
				fastest = took
			}
			slowest = max(slowest, took)
		}
	}
	dfltTook := check("GET /whoami with the default StoreTimeout", sessions.DefaultStoreTimeout+margin,
		func() *ittytest.Response { return cd.Get("/whoami") })
	if !short.logs.contains("sessions: load: pgstore: load") || !dflt.logs.contains("sessions: load: pgstore: load") {
		t.Fatalf("no logged reason:\n%s\n%s", short.logs.String(), dflt.logs.String())
	}

	var lateCalls atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start := time.Now()
	err := store.Update(ctx, id, func(*sessions.Record) error { lateCalls.Add(1); return nil })
	cancel()
	if took := time.Since(start); err == nil || took >= 300*time.Millisecond {
		t.Fatalf("Update while PostgreSQL is hung: %v after %v, want an error before the 300ms deadline", err, took)
	}

	if err := srv.SignalAll(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	var recovered time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if r := c.Get("/whoami"); r.StatusCode == 200 {
			if r.Body != "ada" {
				t.Fatalf("after PostgreSQL resumed: %q, want the logged-in user ada", r.Body)
			}
			recovered = time.Since(resumed)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the logged-in client was not served within 10 s of PostgreSQL resuming")
		}
	}
	if r := cd.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("the default-timeout app after PostgreSQL resumed: %d %q", r.StatusCode, r.Body)
	}
	time.Sleep(100 * time.Millisecond) // time for a late answer to the Update given up on
	if n := lateCalls.Load(); n != 0 {
		t.Fatalf("Update called its fn %d times after it had returned", n)
	}
	t.Logf("PostgreSQL stopped for %v: 8 requests at StoreTimeout %v answered 500 in %v–%v, one at the default %v in %v; served again %v after SIGCONT",
		resumed.Sub(stopped).Round(time.Millisecond), storeTimeout, fastest.Round(time.Millisecond), slowest.Round(time.Millisecond),
		sessions.DefaultStoreTimeout, dfltTook.Round(time.Millisecond), recovered.Round(time.Millisecond))
}
