package compat

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// TestSessionsInChi: a chi router with the session Manager's Middleware in
// its stack, chi's way (r.Use), logs in, reads the session in a handler
// with a chi URL parameter, and logs out; a replayed cookie is a stranger.
func TestSessionsInChi(t *testing.T) {
	mgr, err := sessions.New(nil, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Use(mgr.Middleware)
	r.Post("/login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser(r.PostFormValue("user"))
		io.WriteString(w, "ok")
	})
	r.Get("/hello/{greeting}", func(w http.ResponseWriter, r *http.Request) {
		u := mgr.FromContext(r.Context()).User()
		if u == "" {
			u = "stranger"
		}
		io.WriteString(w, chi.URLParam(r, "greeting")+", "+u)
	})
	r.Post("/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := mgr.FromContext(r.Context()).Destroy(); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "bye")
	})
	c := ittytest.NewClient(t, r)
	if got := c.Get("/hello/hi").Body; got != "hi, stranger" {
		t.Fatalf("before login: %q", got)
	}
	if res := c.PostForm("/login", url.Values{"user": {"ada"}}); res.StatusCode != 200 || res.Cookie("sid") == nil {
		t.Fatalf("login: %d %v", res.StatusCode, res.Headers)
	}
	if got := c.Get("/hello/hi").Body; got != "hi, ada" {
		t.Fatalf("after login: %q", got)
	}
	id, _ := c.Cookie("/", "sid")
	c.PostForm("/logout", nil)
	replay := ittytest.NewClient(t, r)
	replay.SetCookie(&http.Cookie{Name: "sid", Value: id})
	if got := c.Get("/hello/hi").Body + " / " + replay.Get("/hello/hi").Body; got != "hi, stranger / hi, stranger" {
		t.Fatalf("after logout: %q", got)
	}
}
