package sessions_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// TestAttackCookieTossing: with Secure on and no Domain, the default cookie
// name carries the __Host- prefix, so a sibling subdomain or a plain-http
// response cannot plant a session id; with a Domain it cannot, and does not.
func TestAttackCookieTossing(t *testing.T) {
	tests := []struct {
		opts     sessions.Options
		wantHost bool
	}{
		{sessions.Options{Secure: true}, true},
		{sessions.Options{Secure: true, Domain: "example.com"}, false},
		{sessions.Options{}, false},
	}
	for _, tt := range tests {
		app := itty.New()
		mgr, err := sessions.New(app, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.HasPrefix(mgr.CookieName(), "__Host-"); got != tt.wantHost {
			t.Errorf("%+v: cookie name %q, __Host- prefix %v, want %v", tt.opts, mgr.CookieName(), got, tt.wantHost)
		}
		app.Post("/", func(req *itty.Request) *itty.Response {
			mgr.Get(req).Set("k", "v")
			return app.Render(req, "ok")
		})
		r := ittytest.NewClient(t, app).Post("/", "text/plain", nil)
		if ck := r.Cookie(mgr.CookieName()); r.StatusCode != 200 || ck == nil || ck.Secure != tt.opts.Secure {
			t.Errorf("%+v: %d, cookie %+v", tt.opts, r.StatusCode, ck)
		}
	}
	if _, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{CookieName: "__Host-sid"}); err == nil {
		t.Error("a __Host- name without Secure accepted: it would be refused on plain http")
	}
}

// TestDefaultCookieNameSurvivesRename: the default name follows the main
// package's import path, not the binary's file name, so renaming or
// rebuilding the program logs nobody out.
func TestDefaultCookieNameSurvivesRename(t *testing.T) {
	before := sessions.DefaultCookieName()
	saved := os.Args[0]
	os.Args[0] = "/somewhere/else/renamed-binary"
	defer func() { os.Args[0] = saved }()
	if after := sessions.DefaultCookieName(); after != before {
		t.Fatalf("default name changed with the binary's name: %q -> %q", before, after)
	}
	if !strings.HasPrefix(before, "itty_") || !strings.HasSuffix(before, "_sid") || len(before) > 64 {
		t.Fatalf("default name %q", before)
	}
}

// TestOptionsBrowsersRefuse: settings that would fail every login later,
// or that browsers would refuse (SameSite=None or Partitioned without
// Secure, a bad Path, a __Host- name with a Path or Domain), are errors
// from New, naming the rule.
func TestOptionsBrowsersRefuse(t *testing.T) {
	for _, o := range []sessions.Options{
		{RememberLifetime: itty.MaxCookieAge + time.Hour},
		{CookieName: "bad name"},
		{CookieName: "__Host-sid", Secure: true, Domain: "example.com"},
		{CookieName: "__Host-sid", Secure: true, Path: "/app/"},
		{SameSite: itty.SameSiteNone},
		{Partitioned: true},
		{Path: "no-slash"},
		{Path: "/a;b"},
		{Domain: "co.uk"}, // a public suffix: browsers would drop the session cookie
		{Domain: "github.io"},
	} {
		if _, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{RememberLifetime: itty.MaxCookieAge}); err != nil {
		t.Errorf("400 days refused: %v", err)
	}
	_, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{SameSite: itty.SameSiteNone})
	if err == nil || !strings.Contains(err.Error(), "SameSite=None needs") {
		t.Errorf("SameSite=None without Secure: %v", err)
	}
	mgr, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{Secure: true, Path: "/app/"})
	if err != nil || strings.HasPrefix(mgr.CookieName(), "__Host-") {
		t.Errorf("a Path other than / cannot take the __Host- prefix: %v %v", mgr, err)
	}
}
