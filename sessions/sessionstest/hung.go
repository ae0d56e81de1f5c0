package sessionstest

import (
	"context"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// Hang is a store server that a test can stop and resume, for RunHung.
type Hang struct {
	// Server names the server in messages, such as "Redis".
	Server string
	// Store and DefaultStore reach the server: two instances of one app
	// use them, the first with a short StoreTimeout, the second with the
	// default. DefaultStore may be nil, to use Store for both.
	Store, DefaultStore sessions.Store
	// Stop makes the server accept connections and never answer (SIGSTOP
	// to its processes); Resume lets it go on.
	Stop, Resume func() error
	// Logged is text the Manager's log must hold once the server hung,
	// such as "sessions: load: pgstore: load".
	Logged string
}

// RunHung is the attack (or accident) of a store server that accepts
// connections and never answers, under a logged-in client. While it is
// stopped, every request must be a 500 (never a "stranger" page) within
// the Manager's StoreTimeout and a logged reason, and a direct Update with
// a deadline must give up before it without calling its fn, even once the
// server answers again. When the server is resumed, service must come back
// by itself within 10 s, to the same logged-in user.
func RunHung(t *testing.T, h Hang) {
	t.Helper()
	const storeTimeout = 500 * time.Millisecond
	const margin = time.Second
	if h.DefaultStore == nil {
		h.DefaultStore = h.Store
	}
	short := NewLoginApp(t, h.Store, sessions.Options{CookieName: "sid", StoreTimeout: storeTimeout})
	dflt := NewLoginApp(t, h.DefaultStore, sessions.Options{CookieName: "sid"})
	c := short.Login(t, "ada")
	cd, id := dflt.Replay(t, c, short)
	if r := cd.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("the default-timeout instance before the hang: %q", r.Body)
	}

	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			h.Resume()
		}
	})
	var fastest, slowest time.Duration
	check := func(what string, limit time.Duration, do func() *ittytest.Response) time.Duration {
		t.Helper()
		start := time.Now()
		r := do()
		took := time.Since(start)
		if r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("%s while %s is hung: %d %q after %v (must be a 500, not a logged-out page)", what, h.Server, r.StatusCode, r.Body, took)
		}
		if took >= limit {
			t.Fatalf("%s while %s is hung took %v, want under %v", what, h.Server, took, limit)
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
	if !short.Logs.Contains(h.Logged) || !dflt.Logs.Contains(h.Logged) {
		t.Fatalf("no logged reason (want %q):\n%s\n%s", h.Logged, short.Logs.String(), dflt.Logs.String())
	}

	// A direct Update given up on must not call its fn when the server
	// answers later.
	var lateCalls atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start := time.Now()
	err := h.Store.Update(ctx, id, func(*sessions.Record) error { lateCalls.Add(1); return nil })
	cancel()
	if took := time.Since(start); err == nil || took >= 300*time.Millisecond {
		t.Fatalf("Update while %s is hung: %v after %v, want an error before the 300ms deadline", h.Server, err, took)
	}

	if err := h.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	resumedAt := time.Now()
	var recovered time.Duration
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if r := c.Get("/whoami"); r.StatusCode == 200 {
			if r.Body != "ada" {
				t.Fatalf("after %s resumed: %q, want the logged-in user ada", h.Server, r.Body)
			}
			recovered = time.Since(resumedAt)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the logged-in client was not served within 10 s of %s resuming", h.Server)
		}
	}
	if r := cd.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("the default-timeout instance after %s resumed: %d %q", h.Server, r.StatusCode, r.Body)
	}
	time.Sleep(100 * time.Millisecond) // time for a late answer to the Update given up on
	if n := lateCalls.Load(); n != 0 {
		t.Fatalf("Update called its fn %d times after it had returned", n)
	}
	t.Logf("%s stopped for %v: 8 requests at StoreTimeout %v answered 500 in %v–%v, one at the default %v in %v; served again %v after it resumed",
		h.Server, resumedAt.Sub(stopped).Round(time.Millisecond), storeTimeout, fastest.Round(time.Millisecond), slowest.Round(time.Millisecond),
		sessions.DefaultStoreTimeout, dfltTook.Round(time.Millisecond), recovered.Round(time.Millisecond))
}
