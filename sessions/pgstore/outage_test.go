package pgstore_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/sessionstest"
)

// TestOutage crashes PostgreSQL (pg_ctl stop -m immediate) under a
// logged-in client and starts it again: while it is down every request is
// a 500 with the reason logged (never a "stranger" page, never a crash),
// and once it is back the client is served again, still logged in, by the
// same app and pool, with nothing restarted.
func TestOutage(t *testing.T) {
	srv, pool := ownServer(t)
	store := pgstore.New(pool, "")
	defer store.Close()
	a := sessionstest.NewLoginApp(t, store, sessions.Options{CookieName: "sid"})
	c := a.Login(t, "ada")

	if err := srv.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	var slowest time.Duration
	n := 0
	for ; n < 20 || time.Since(down) < time.Second; n++ {
		start := time.Now()
		r := c.Get("/whoami")
		if r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("during the outage: %d %q (must be a 500, not a logged-out page)", r.StatusCode, r.Body)
		}
		if r := c.PostForm("/login", url.Values{"user": {"bob"}}); r.StatusCode != 500 {
			t.Fatalf("login during the outage: %d %q", r.StatusCode, r.Body)
		}
		slowest = max(slowest, time.Since(start))
		time.Sleep(10 * time.Millisecond)
	}
	if !a.Logs.Contains("sessions: load: pgstore: load") {
		t.Fatalf("no logged reason:\n%s", a.Logs.String())
	}
	lines := strings.Split(strings.TrimSpace(a.Logs.String()), "\n")
	t.Logf("the first and the last logged reason:\n%s\n%s", lines[0], lines[len(lines)-1])
	if a.Logs.Contains("panic") {
		t.Fatalf("a panic was logged:\n%s", a.Logs.String())
	}

	restart := time.Now()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	var recovered time.Time
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := c.Get("/whoami")
		if r.StatusCode == 200 {
			if r.Body != "ada" {
				t.Fatalf("after PostgreSQL came back: %q, want the logged-in user ada", r.Body)
			}
			recovered = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not served 10 s after PostgreSQL came back: %d %q", r.StatusCode, r.Body)
		}
	}
	if r := c.PostForm("/login", url.Values{"user": {"bob"}}); r.StatusCode != 200 {
		t.Fatalf("login after recovery: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/whoami"); r.Body != "bob" {
		t.Fatalf("whoami after the second login: %q", r.Body)
	}
	t.Logf("PostgreSQL down for %v: %d requests, all 500 with the reason logged, the slowest pair in %v; pg_ctl start took %v, and the logged-in client was served again %v after it returned",
		restart.Sub(down).Round(time.Millisecond), 2*n, slowest.Round(time.Millisecond),
		started.Sub(restart).Round(time.Millisecond), recovered.Sub(started).Round(time.Millisecond))
}
