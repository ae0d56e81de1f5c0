package sessionstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// slow starts a /slow request that loads its session, waits, then does
// what do says ("renew", "logout"); the returned func releases it and
// returns its response.
func slow(t *testing.T, h *harness, c *ittytest.Client, do string) func() *ittytest.Response {
	g := h.hold(do)
	done := make(chan *ittytest.Response, 1)
	go func() { done <- c.PostForm("/slow", url.Values{"do": {do}, "gate": {do}}) }()
	<-g.loaded
	return func() *ittytest.Response {
		close(g.release)
		return <-done
	}
}

// noLiveSessions fails the test if user has a live session.
func noLiveSessions(t *testing.T, h *harness, user, why string) {
	t.Helper()
	infos, err := h.mgr.UserSessions(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 0 {
		t.Fatalf("%s: %s still has %d live session(s)", why, user, len(infos))
	}
}

// runAttacks are the attacks that apply to every kind of storage.
func runAttacks(t *testing.T, caps Caps, mk maker) {
	t.Run("AttackTwoManagersShareOneSession", func(t *testing.T) {
		h := mk(t, sessions.Options{CookieName: "shop"})
		staff, staffStore := h.fresh(h.app, sessions.Options{CookieName: "staff"})
		h.app.Get("/staff", func(req *itty.Request) *itty.Response {
			if u := staff.Get(req).User(); u != "" {
				return h.app.Render(req, "staff: "+u)
			}
			return h.app.Render(req, "staff: stranger")
		})
		c := ittytest.NewClient(t, h.app)
		form := url.Values{"user": {"shopper"}}
		r := c.PostForm("/login", form)
		if r.StatusCode != 200 || r.Cookie("shop") == nil {
			t.Fatalf("shop login: %d %v", r.StatusCode, r.Headers)
		}
		if ck := r.Cookie("staff"); ck != nil {
			t.Fatalf("a shop login set the staff cookie: %+v", ck)
		}
		if staffStore != nil && staffStore.writes.Load() != 0 {
			t.Fatalf("a shop login wrote %d records into the staff store", staffStore.writes.Load())
		}
		if got := c.Get("/staff"); got.Body != "staff: stranger" || got.Cookie("staff") != nil {
			t.Fatalf("the staff area after a shop login: %q %v", got.Body, got.Headers)
		}
		if got := whoami(t, c); got != "shopper" {
			t.Fatalf("the shop forgot its own login: %q", got)
		}
	})
	t.Run("AttackCSRFTokenSurvivesLogin", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		planted := c.Get("/csrf").Body // the token of the pre-login session
		login(t, c, "ada", false)
		if after := c.Get("/csrf").Body; after == planted || after == "" {
			t.Fatalf("CSRF token unchanged by login: %q", after)
		}
		if r := c.PostForm("/csrf", url.Values{sessions.CSRFFieldName: {planted}}); r.StatusCode != http.StatusForbidden {
			t.Fatalf("the pre-login token is accepted after login: %d", r.StatusCode)
		}
	})
	t.Run("AttackStuffedCookieHeader", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		var b strings.Builder
		for i := range 1200 {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString("sid=" + sessions.NewID())
		}
		req := whoamiWithCookie(h, b.String())
		if req.Code != 200 || req.Body.String() != "stranger" {
			t.Fatalf("stuffed header: %d %q", req.Code, req.Body.String())
		}
		if h.store != nil {
			if n := h.store.loads.Load(); n > 3 {
				t.Fatalf("1,200 forged ids made %d store lookups; at most 3 allowed", n)
			}
		}
	})
	t.Run("AttackFailedLoginsFillTheStore", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		for range 20 {
			if r := c.PostForm("/renewonly", nil); r.StatusCode != http.StatusUnauthorized || r.Cookie("sid") != nil {
				t.Fatalf("failed login: %d, cookie %v", r.StatusCode, r.Cookie("sid"))
			}
		}
		if h.store != nil && h.store.writes.Load() != 0 {
			t.Fatalf("20 failed logins that renewed an empty session wrote %d records", h.store.writes.Load())
		}
	})
	t.Run("AttackOversizedRememberLifetime", func(t *testing.T) {
		_, err := sessions.New(itty.New(), sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{RememberLifetime: 401 * 24 * time.Hour})
		if err == nil || !strings.Contains(err.Error(), "400 days") {
			t.Fatalf("RememberLifetime over the browsers' cap: %v", err)
		}
	})
	if !caps.FakeTime {
		return
	}
	t.Run("AttackShortenedTimeoutsIgnored", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := mk(t, sessions.Options{IdleTimeout: time.Hour, Lifetime: 12 * time.Hour})
			c := ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			sid, _ := c.Cookie("/", "sid")
			// After an incident the app restarts with shorter limits.
			app := itty.New()
			tight := h.same(t, app, sessions.Options{CookieName: "sid", IdleTimeout: 10 * time.Minute, Lifetime: 30 * time.Minute})
			app.Get("/whoami", func(req *itty.Request) *itty.Response {
				if u := tight.Get(req).User(); u != "" {
					return app.Render(req, u)
				}
				return app.Render(req, "stranger")
			})
			restarted := ittytest.NewClient(t, app)
			restarted.SetCookie(&http.Cookie{Name: "sid", Value: sid})
			time.Sleep(11 * time.Minute)
			if got := restarted.Get("/whoami").Body; got != "stranger" {
				t.Fatalf("idle 11 min under a 10 min IdleTimeout: %q", got)
			}
			// Lifetime: active every 9 minutes, ended at 30 minutes.
			c = ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			sid, _ = c.Cookie("/", "sid")
			restarted = ittytest.NewClient(t, app)
			restarted.SetCookie(&http.Cookie{Name: "sid", Value: sid})
			for range 3 {
				time.Sleep(9 * time.Minute)
				if got := restarted.Get("/whoami").Body; got != "ada" {
					t.Fatalf("active session ended early: %q", got)
				}
			}
			time.Sleep(4 * time.Minute) // 31 minutes old
			if got := restarted.Get("/whoami").Body; got != "stranger" {
				t.Fatalf("31 min old under a 30 min Lifetime: %q", got)
			}
		})
	})
}

// whoamiWithCookie sends one GET /whoami with the given Cookie header.
func whoamiWithCookie(h *harness, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/whoami", nil)
	req.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	h.app.ServeHTTP(w, req)
	return w
}

// runServerAttacks are the attacks on the server-side protocol: renew,
// logout and "log out everywhere" racing each other.
func runServerAttacks(t *testing.T, mk maker) {
	t.Run("AttackPlantedIDHeldBodyWritesIntoLogin", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		attacker := ittytest.NewClient(t, h.app)
		attacker.PostForm("/set", url.Values{"k": {"theme"}, "v": {"dark"}})
		planted, _ := attacker.Cookie("/", "sid")
		victim := ittytest.NewClient(t, h.app)
		victim.SetCookie(&http.Cookie{Name: "sid", Value: planted})
		// The attacker sends a request under the planted id and holds its
		// body back until the victim has logged in.
		finish := inFlight(t, h, attacker, "evil", "attacker's item")
		login(t, victim, "victim", false)
		r := finish()
		if r.StatusCode != http.StatusConflict {
			t.Fatalf("held request after the victim's login: %d %q, want 409", r.StatusCode, r.Body)
		}
		if got := victim.Get("/get?k=evil").Body; got != "" {
			t.Fatalf("the attacker's item landed in the victim's session: %q", got)
		}
		if got := whoami(t, victim); got != "victim" {
			t.Fatalf("victim: %q", got)
		}
	})
	t.Run("AttackRenewInFlightResurrectsLogout", func(t *testing.T) {
		for _, end := range []string{"logout", "DestroyUser"} {
			h := mk(t, sessions.Options{})
			c := ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			finish := slow(t, h, c, "renew")
			if end == "logout" {
				c.PostForm("/logout", nil)
			} else if _, err := h.mgr.DestroyUser(context.Background(), "ada"); err != nil {
				t.Fatal(err)
			}
			r := finish()
			if r.StatusCode != http.StatusConflict {
				t.Fatalf("%s, then a renew in flight: %d %q, want 409", end, r.StatusCode, r.Body)
			}
			noLiveSessions(t, h, "ada", end+" then a renew in flight")
			if ck := r.Cookie("sid"); ck != nil && ck.MaxAge >= 0 {
				t.Fatalf("%s: the renew in flight sent a live cookie %+v", end, ck)
			}
		}
	})
	t.Run("AttackLogoutRacingRenewLeavesRenewedID", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		finish := slow(t, h, c, "logout")
		login(t, c, "ada", false) // a routine renew lands first
		renewed, _ := c.Cookie("/", "sid")
		if r := finish(); r.StatusCode != 200 {
			t.Fatalf("logout: %d %q", r.StatusCode, r.Body)
		}
		replay := ittytest.NewClient(t, h.app)
		replay.SetCookie(&http.Cookie{Name: "sid", Value: renewed})
		if got := whoami(t, replay); got != "stranger" {
			t.Fatalf("the renewed id survives the logout that raced it: %q", got)
		}
		noLiveSessions(t, h, "ada", "logout racing a renew")
	})
	t.Run("AttackRenewCutShort", func(t *testing.T) {
		// The store fails a login's create of the new record, after the
		// old id became a tombstone naming it. If the record landed (the
		// answer was lost), the login went through; if not, the old
		// session is back, values and all. Either way nothing is lost and
		// the next login works.
		for _, cut := range []struct {
			name   string
			kind   int32
			status int
		}{{"answer lost", cutAnswerLost, http.StatusOK}, {"refused", cutRefused, http.StatusInternalServerError}} {
			h := mk(t, sessions.Options{})
			c := ittytest.NewClient(t, h.app)
			login(t, c, "ada", false)
			c.PostForm("/set", url.Values{"k": {"cart"}, "v": {"apple"}})
			before, _ := c.Cookie("/", "sid")
			h.store.cut.Store(cut.kind)
			r := c.PostForm("/login", url.Values{"user": {"ada"}})
			after, _ := c.Cookie("/", "sid")
			if r.StatusCode != cut.status || (after == before) != (cut.status != http.StatusOK) {
				t.Fatalf("%s: the cut login: %d %q, cookie changed %v", cut.name, r.StatusCode, r.Body, after != before)
			}
			if got, cart := whoami(t, c), c.Get("/get?k=cart").Body; got != "ada" || cart != "apple" {
				t.Fatalf("%s: after the cut login: whoami %q, cart %q, want ada's session with its cart", cut.name, got, cart)
			}
			login(t, c, "ada", false)
			if got := whoami(t, c); got != "ada" {
				t.Fatalf("%s: the next login: %q", cut.name, got)
			}
		}
	})
	t.Run("AttackDestroyUserDuringRenew", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		// Hold the next login between its two steps: the old id is a
		// tombstone, the new record not yet created.
		held, release := make(chan struct{}), make(chan struct{})
		pause := func() { close(held); <-release }
		h.store.pause.Store(&pause)
		done := make(chan *ittytest.Response, 1)
		go func() { done <- c.PostForm("/login", url.Values{"user": {"ada"}}) }()
		<-held
		if n, err := h.mgr.DestroyUser(context.Background(), "ada"); err != nil || n != 1 {
			t.Fatalf("DestroyUser during a renew: %d ended, %v; want the one session, cut halfway", n, err)
		}
		close(release)
		if r := <-done; r.StatusCode != http.StatusConflict {
			t.Fatalf("a renew that DestroyUser overtook: %d %q, want 409", r.StatusCode, r.Body)
		}
		noLiveSessions(t, h, "ada", "DestroyUser during a renew")
		if got := whoami(t, c); got != "stranger" {
			t.Fatalf("after DestroyUser: %q", got)
		}
	})
	t.Run("AttackDestroyUserCountsRenewedSessionTwice", func(t *testing.T) {
		// The user index may list a renewed session under its old id (a
		// tombstone) and its new one: the count is of sessions, not ids.
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		login(t, c, "ada", false)
		if n, err := h.mgr.DestroyUser(context.Background(), "ada"); err != nil || n != 1 {
			t.Fatalf("DestroyUser after a renew: %d ended, %v; want 1", n, err)
		}
		noLiveSessions(t, h, "ada", "DestroyUser after a renew")
	})
	t.Run("AttackDestroyUserCountsLoggedOutRenewedSession", func(t *testing.T) {
		// A session renewed and then logged out leaves its old id's
		// tombstone listed under the user; the logout ends it too (the
		// store keeps Record.RenamedFrom), so DestroyUser counts nothing.
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, h.app)
		login(t, c, "ada", false)
		login(t, c, "ada", false)
		if r := c.PostForm("/logout", nil); r.StatusCode != 200 {
			t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
		}
		if n, err := h.mgr.DestroyUser(context.Background(), "ada"); err != nil || n != 0 {
			t.Fatalf("DestroyUser after a renew and a logout: %d ended, %v; want 0", n, err)
		}
	})
}
