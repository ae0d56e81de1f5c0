package sessionstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// runFeatures checks the cookie policy, cookie lifetimes and the smaller
// conveniences, on every kind of storage.
func runFeatures(t *testing.T, caps Caps, mk maker) {
	t.Run("CookiePolicy", func(t *testing.T) {
		h := mk(t, sessions.Options{Secure: true, SameSite: itty.SameSiteNone, Partitioned: true, Path: "/app/"})
		h.app.Post("/app/set", func(req *itty.Request) *itty.Response {
			h.mgr.Get(req).Set("k", "v")
			return h.app.Render(req, "ok")
		})
		c := ittytest.NewClient(t, h.app)
		c.BaseURL = "https://example.com"
		r := c.PostForm("/app/set", nil)
		ck := r.Cookie("sid")
		if ck == nil || ck.SameSite != http.SameSiteNoneMode || !ck.Partitioned || !ck.Secure || ck.Path != "/app/" || !ck.HttpOnly {
			t.Fatalf("session cookie: %+v (%v)", ck, r.Headers.Values("Set-Cookie"))
		}
	})
	t.Run("PersistentCookieSlides", func(t *testing.T) {
		if !caps.FakeTime {
			t.Skip("needs fake time")
		}
		synctest.Test(t, func(t *testing.T) {
			h := mk(t, sessions.Options{Persistent: true, IdleTimeout: 10 * time.Minute, TouchInterval: time.Minute})
			c := ittytest.NewClient(t, h.app)
			ck := login(t, c, "ada", false).Cookie("sid")
			if ck == nil || ck.MaxAge != 600 {
				t.Fatalf("login cookie: %+v, want Max-Age 600", ck)
			}
			time.Sleep(5 * time.Minute)
			r := c.Get("/whoami")
			if ck := r.Cookie("sid"); r.Body != "ada" || ck == nil || ck.MaxAge != 600 {
				t.Fatalf("after 5 idle minutes: %q, cookie %+v: the expiry must move forward", r.Body, ck)
			}
			time.Sleep(30 * time.Second)
			if r := c.Get("/whoami"); r.Cookie("sid") != nil {
				t.Fatalf("re-sent within the TouchInterval: %v", r.Headers.Values("Set-Cookie"))
			}
			time.Sleep(11 * time.Minute)
			if got := c.Get("/whoami").Body; got != "stranger" {
				t.Fatalf("idle 11 minutes: %q (the jar forgot the cookie, and so must the server)", got)
			}
		})
	})
	t.Run("RememberedSessionHasItsOwnIdleTimeout", func(t *testing.T) {
		if !caps.FakeTime {
			t.Skip("needs fake time")
		}
		synctest.Test(t, func(t *testing.T) {
			h := mk(t, sessions.Options{IdleTimeout: 10 * time.Minute, RememberLifetime: 7 * 24 * time.Hour, RememberIdleTimeout: 48 * time.Hour})
			remembered, ordinary := ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app)
			ck := login(t, remembered, "ada", true).Cookie("sid")
			login(t, ordinary, "bob", false)
			if ck == nil || ck.MaxAge != int((48*time.Hour).Seconds()) {
				t.Fatalf("remembered cookie: %+v, want Max-Age of the remember idle timeout", ck)
			}
			time.Sleep(11 * time.Minute)
			if a, b := whoami(t, remembered), whoami(t, ordinary); a != "ada" || b != "stranger" {
				t.Fatalf("after 11 idle minutes: remembered %q, ordinary %q", a, b)
			}
			time.Sleep(49 * time.Hour)
			if a := whoami(t, remembered); a != "stranger" {
				t.Fatalf("a remembered session idle 49 hours under a 48-hour remember idle timeout: %q", a)
			}
		})
	})
	t.Run("TypedGettersAndFlashCategories", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		h.app.Post("/more", func(req *itty.Request) *itty.Response {
			s := h.mgr.Get(req)
			s.Set("f", 2.5)
			s.Set("b", []byte{0, 1, 255})
			s.AddFlash("Saved.")
			s.AddFlash("Card declined.", "error")
			s.AddFlash("Welcome back.", "info")
			return h.app.Render(req, "ok")
		})
		var errs, rest []string
		var f float64
		var b []byte
		h.app.Get("/more", func(req *itty.Request) *itty.Response {
			s := h.mgr.Get(req)
			f, b = s.GetFloat("f"), s.GetBytes("b")
			errs = s.Flashes("error")
			rest = s.Flashes()
			return h.app.Render(req, "ok")
		})
		c := ittytest.NewClient(t, h.app)
		c.PostForm("/more", nil)
		c.Get("/more")
		if f != 2.5 || string(b) != "\x00\x01\xff" {
			t.Fatalf("GetFloat %v, GetBytes %v", f, b)
		}
		if len(errs) != 1 || errs[0] != "Card declined." || len(rest) != 2 || rest[0] != "Saved." || rest[1] != "Welcome back." {
			t.Fatalf("flashes: error %q, rest %q", errs, rest)
		}
		c.Get("/more")
		if len(errs)+len(rest) != 0 {
			t.Fatalf("flashes read twice: %q %q", errs, rest)
		}
	})
	if !caps.ServerSide {
		return
	}
	// "Log out my other devices", alone and in a password change that
	// renews this device's session in the same handler.
	for _, tc := range []struct{ name, renew string }{
		{"LogOutMyOtherDevices", ""},
		{"LogOutMyOtherDevicesAfterRenew", "renew"},
		{"LogOutMyOtherDevicesAfterRenewBoundary", "boundary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := mk(t, sessions.Options{})
			h.app.Post("/others", func(req *itty.Request) *itty.Response {
				s := h.mgr.Get(req)
				switch tc.renew {
				case "renew":
					s.Renew()
				case "boundary":
					s.RenewBoundary()
				}
				n, err := s.DestroyOthers(req.Context())
				if err != nil {
					panic(err)
				}
				return h.app.Render(req, string(rune('0'+n)))
			})
			laptop, phone, tablet, other := ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app)
			for _, c := range []*ittytest.Client{laptop, phone, tablet} {
				login(t, c, "ada", false)
			}
			login(t, other, "bob", false)
			if r := laptop.PostForm("/others", nil); r.StatusCode != 200 || r.Body != "2" {
				t.Fatalf("ended %d %q sessions, want 200 and 2", r.StatusCode, r.Body)
			}
			if whoami(t, laptop) != "ada" || whoami(t, phone) != "stranger" || whoami(t, tablet) != "stranger" || whoami(t, other) != "bob" {
				t.Fatal("log out my other devices did not end exactly ada's other sessions")
			}
		})
	}
	// DestroyUserExcept with the new id of this request's own renew, which
	// the store has not got yet, would end this device too: it is refused.
	t.Run("DestroyUserExceptRefusesUnstoredID", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		h.app.Post("/others", func(req *itty.Request) *itty.Response {
			s := h.mgr.Get(req)
			s.Renew()
			n, err := h.mgr.DestroyUserExcept(req.Context(), s.User(), s.ID())
			if !errors.Is(err, sessions.ErrNotFound) || n != 0 {
				return h.app.Render(req, fmt.Sprintf("ended %d, %v", n, err))
			}
			return h.app.Render(req, "refused")
		})
		laptop, phone := ittytest.NewClient(t, h.app), ittytest.NewClient(t, h.app)
		login(t, laptop, "ada", false)
		login(t, phone, "ada", false)
		if r := laptop.PostForm("/others", nil); r.StatusCode != 200 || r.Body != "refused" {
			t.Fatalf("DestroyUserExcept(the unstored id of this request's renew): %d %q, want it refused with ErrNotFound", r.StatusCode, r.Body)
		}
		if whoami(t, laptop) != "ada" || whoami(t, phone) != "ada" {
			t.Fatal("a refused DestroyUserExcept ended a session")
		}
	})
	t.Run("TrackClients", func(t *testing.T) {
		h := mk(t, sessions.Options{TrackClients: true})
		c := ittytest.NewClient(t, h.app)
		req := c.NewRequest("POST", "/login", strings.NewReader("user=ada"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "TestBrowser/1.0")
		if r := c.Do(req); r.StatusCode != 200 {
			t.Fatalf("login: %d", r.StatusCode)
		}
		infos, err := h.mgr.UserSessions(context.Background(), "ada")
		if err != nil || len(infos) != 1 {
			t.Fatalf("UserSessions: %v %v", infos, err)
		}
		if infos[0].UserAgent != "TestBrowser/1.0" || infos[0].IP == "" || infos[0].Expires.IsZero() {
			t.Fatalf("info: %+v, want the client's user agent and address", infos[0])
		}
		h2 := mk(t, sessions.Options{})
		login(t, ittytest.NewClient(t, h2.app), "ada", false)
		if infos, _ := h2.mgr.UserSessions(context.Background(), "ada"); len(infos) != 1 || infos[0].UserAgent != "" || infos[0].IP != "" {
			t.Fatalf("without TrackClients: %+v", infos)
		}
	})
}
