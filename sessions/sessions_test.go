package sessions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/sessionstest"
)

func newMemory(t *testing.T) sessions.Store {
	s := sessions.NewMemoryStore(sessions.CleanupInterval(time.Minute))
	t.Cleanup(func() { s.Close() })
	return s
}

func newFiles(t *testing.T) sessions.Store {
	s, err := sessions.NewFileStore(t.TempDir(), sessions.CleanupInterval(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCookie(t *testing.T) *sessions.CookieStore {
	s, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMemoryStore(t *testing.T) { sessionstest.RunStore(t, newMemory) }
func TestFileStore(t *testing.T)   { sessionstest.RunStore(t, newFiles) }

func TestManagerMemory(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true, FakeTime: true}, newMemory)
}

func TestManagerFiles(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true, FakeTime: true}, newFiles)
}

func TestManagerCookie(t *testing.T) {
	sessionstest.RunCookieManager(t, sessionstest.Caps{FakeTime: true}, newCookie)
}

// TestCookieDomainAndName: Options.Domain and Options.CookieName reach the
// cookie, and an invalid name is refused when the Manager is made.
func TestCookieDomainAndName(t *testing.T) {
	app := itty.New()
	mgr, err := sessions.New(app, newMemory(t), sessions.Options{CookieName: "app_sid", Domain: "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set("k", "v")
		return app.Render(req, "ok")
	})
	r := ittytest.NewClient(t, app).Post("/", "text/plain", nil)
	if ck := r.Cookie("app_sid"); ck == nil || ck.Domain != "example.com" {
		t.Fatalf("cookie: %v", r.Headers.Values("Set-Cookie"))
	}
	if _, err := sessions.New(itty.New(), newMemory(t), sessions.Options{CookieName: "bad name"}); err == nil {
		t.Fatal("invalid cookie name accepted")
	}
	m2, _ := sessions.New(itty.New(), newMemory(t), sessions.Options{})
	if !strings.HasPrefix(m2.CookieName(), "itty_") || !strings.HasSuffix(m2.CookieName(), "_sid") {
		t.Fatalf("default cookie name %q", m2.CookieName())
	}
}
