package redisstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// newClient returns a client of the tests' Redis, closed with the test.
func newClient(t *testing.T) *redis.Client {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	rdb := redis.NewClient(redisOpts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// uniqueCookie returns a cookie name no other test run uses, so that runs
// sharing a Redis (REDIS_URL) never see each other's keys.
func uniqueCookie(name string) string {
	return name + "_" + strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return 'x'
		}
		return r
	}, sessions.NewID()[:10])
}

// TestTwoAppsOnOneRedisDoNotShareSessions is the attack of one Redis shared
// by two apps that both use the default key prefix: log in on app A, send
// A's session id to app B under B's cookie name, and see whether B greets
// A's user. It must not: each app's store takes its prefix from its own
// cookie name.
func TestTwoAppsOnOneRedisDoNotShareSessions(t *testing.T) {
	rdb := newClient(t)
	storeA, storeB := redisstore.New(rdb, ""), redisstore.New(rdb, "")
	a := sessionstest.NewLoginApp(t, storeA, sessions.Options{CookieName: uniqueCookie("app_a_sid")})
	b := sessionstest.NewLoginApp(t, storeB, sessions.Options{CookieName: uniqueCookie("app_b_sid")})

	ca := a.Login(t, "ada")
	cb, id := b.Replay(t, ca, a)
	if r := cb.Get("/whoami"); r.StatusCode != 200 || r.Body != "stranger" {
		t.Fatalf("app B with app A's session id: %d %q, want 200 \"stranger\"", r.StatusCode, r.Body)
	}
	if r := ca.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app A after the replay on B: %q", r.Body)
	}

	// Where the keys are: A's session under A's prefix only.
	ctx := context.Background()
	if got, want := storeA.Prefix(), redisstore.PrefixFor(a.Mgr.CookieName()); got != want {
		t.Fatalf("A's prefix %q, want %q", got, want)
	}
	if storeA.Prefix() == storeB.Prefix() {
		t.Fatalf("both apps use prefix %q", storeA.Prefix())
	}
	if n, err := rdb.Exists(ctx, storeA.Prefix()+"s:"+id).Result(); err != nil || n != 1 {
		t.Fatalf("A's session under A's prefix: %d, %v", n, err)
	}
	if n, err := rdb.Exists(ctx, storeB.Prefix()+"s:"+id, redisstore.FallbackPrefix+"s:"+id).Result(); err != nil || n != 0 {
		t.Fatalf("A's session under another prefix: %d, %v", n, err)
	}
	if strings.Contains(b.Logs.String(), "level=ERROR") {
		t.Fatalf("app B logged an error:\n%s", b.Logs.String())
	}
}

// TestInstancesOfOneAppShareSessions checks the other side of the prefix
// rule: two instances of one app (one cookie name, a store each) share
// their sessions, as instances behind a load balancer must.
func TestInstancesOfOneAppShareSessions(t *testing.T) {
	rdb := newClient(t)
	opts := sessions.Options{CookieName: uniqueCookie("app_sid")}
	one := sessionstest.NewLoginApp(t, redisstore.New(rdb, ""), opts)
	rdb2 := redis.NewClient(redisOpts) // another machine's client
	t.Cleanup(func() { rdb2.Close() })
	two := sessionstest.NewLoginApp(t, redisstore.New(rdb2, ""), opts)
	c2, _ := two.Replay(t, one.Login(t, "ada"), one)
	if r := c2.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("second instance: %d %q, want \"ada\"", r.StatusCode, r.Body)
	}
}

// TestExplicitPrefixIsKept checks that a prefix given to New is not
// replaced by the Manager's: instances that choose the same prefix share
// sessions. (Managers with different cookie names still do not: every
// record carries its Manager's scope; see TestTwoAppsOnOneRedisDoNotShareSessions.)
func TestExplicitPrefixIsKept(t *testing.T) {
	rdb := newClient(t)
	prefix := "itty-test:" + sessions.NewID()[:12] + ":"
	storeA, storeB := redisstore.New(rdb, prefix), redisstore.New(rdb, prefix)
	name := uniqueCookie("app_sid")
	a := sessionstest.NewLoginApp(t, storeA, sessions.Options{CookieName: name})
	b := sessionstest.NewLoginApp(t, storeB, sessions.Options{CookieName: name})
	if storeA.Prefix() != prefix || storeB.Prefix() != prefix {
		t.Fatalf("prefixes %q and %q, want %q", storeA.Prefix(), storeB.Prefix(), prefix)
	}
	if err := storeA.Namespace("other"); err != nil || storeA.Prefix() != prefix {
		t.Fatalf("Namespace on an explicit prefix: %v, prefix %q", err, storeA.Prefix())
	}
	cb, _ := b.Replay(t, a.Login(t, "ada"), a)
	if r := cb.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("app B on A's explicit prefix: %q, want \"ada\"", r.Body)
	}
}

// TestOneDerivedStoreServesOneApp checks that a store whose prefix came
// from one Manager refuses a Manager of another cookie name, with an error
// that says what to do, and accepts another of the same name.
func TestOneDerivedStoreServesOneApp(t *testing.T) {
	rdb := newClient(t)
	s := redisstore.New(rdb, "")
	if s.Prefix() != "" {
		t.Fatalf("unnamed store has prefix %q", s.Prefix())
	}
	name := uniqueCookie("app_sid")
	sessionstest.NewLoginApp(t, s, sessions.Options{CookieName: name})
	if s.Prefix() != redisstore.PrefixFor(name) {
		t.Fatalf("prefix %q, want %q", s.Prefix(), redisstore.PrefixFor(name))
	}
	if err := s.Namespace(name); err != nil {
		t.Fatalf("Namespace with the same name again: %v", err)
	}
	sessionstest.NewLoginApp(t, s, sessions.Options{CookieName: name}) // a second Manager of the same app
	_, err := sessions.New(itty.New(), s, sessions.Options{CookieName: uniqueCookie("other_sid")})
	if err == nil {
		t.Fatal("a store named by one Manager accepted a Manager of another cookie name")
	}
	for _, want := range []string{"its own store", "explicit prefix"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if s.Prefix() != redisstore.PrefixFor(name) {
		t.Fatalf("prefix changed to %q by the refused Manager", s.Prefix())
	}
	for _, bad := range []string{"", "a:b", "(direct)"} {
		if err := redisstore.New(rdb, "").Namespace(bad); err == nil {
			t.Errorf("Namespace(%q) accepted a name that is not a cookie name", bad)
		}
	}
}

// TestDirectUseFallsBack checks that a store with an empty prefix works
// without a Manager, under FallbackPrefix, and then refuses a Manager
// rather than hiding what was written from it.
func TestDirectUseFallsBack(t *testing.T) {
	rdb := newClient(t)
	s := redisstore.New(rdb, "")
	ctx := context.Background()
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), User: "ada", Created: now, LastSeen: now, Idle: time.Minute, Lifetime: time.Hour}
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	defer s.Delete(ctx, rec.ID)
	if got, err := s.Load(ctx, rec.ID); err != nil || got.User != "ada" {
		t.Fatalf("Load: %+v, %v", got, err)
	}
	if ids, err := s.ByUser(ctx, "ada"); err != nil || len(ids) != 1 || ids[0] != rec.ID {
		t.Fatalf("ByUser: %v, %v", ids, err)
	}
	if s.Prefix() != redisstore.FallbackPrefix {
		t.Fatalf("prefix %q, want FallbackPrefix %q", s.Prefix(), redisstore.FallbackPrefix)
	}
	if n, _ := rdb.Exists(ctx, redisstore.FallbackPrefix+"s:"+rec.ID).Result(); n != 1 {
		t.Fatal("the record is not under FallbackPrefix")
	}
	if _, err := sessions.New(itty.New(), s, sessions.Options{CookieName: "sid"}); err == nil {
		t.Fatal("a store used under FallbackPrefix accepted a Manager")
	}
	if s.Prefix() != redisstore.FallbackPrefix {
		t.Fatalf("prefix changed to %q", s.Prefix())
	}
}
