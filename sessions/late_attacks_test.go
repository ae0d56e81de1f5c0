package sessions_test

// Attacks on the session's commit point: changes made when it is too late
// to save them (the App's ServerError page, after the response started)
// must say so and lose nothing silently, and code that runs before the
// commit point (an App hook registered after the Manager) must be saved.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// lateApp is an App with a Manager on a memory store, logging to the
// returned buffer. GET /login logs ada in; GET /show shows the session's
// "note" (and clears nothing).
func lateApp(t *testing.T) (*itty.App, *sessions.Manager, *sessions.MemoryStore, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	app := itty.New()
	app.Logger = slog.New(slog.NewTextHandler(logs, nil))
	store := sessions.NewMemoryStore()
	t.Cleanup(func() { store.Close() })
	mgr := oaManager(t, app, store, sessions.Options{CookieName: "sid"})
	app.Get("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("ada")
		return app.Render(req, "in")
	})
	app.Get("/show", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).GetString("note"))
	})
	return app, mgr, store, logs
}

// TestAttackServerErrorPageChangesSessionSilently: the ServerError page
// runs after the commit point of a failed request (no hook runs after
// it), whether its handler took the session or not. It may read the
// session, but a change there cannot be saved: Set must return
// ErrCommitted and the loss be logged once, not look saved.
func TestAttackServerErrorPageChangesSessionSilently(t *testing.T) {
	cases := []struct {
		name  string
		fail  func(app *itty.App, mgr *sessions.Manager) itty.HandlerFunc
		hooks func(app *itty.App)
	}{
		{name: "nil response, session untouched", fail: func(*itty.App, *sessions.Manager) itty.HandlerFunc {
			return func(*itty.Request) *itty.Response { return nil }
		}},
		{name: "panic, session untouched", fail: func(*itty.App, *sessions.Manager) itty.HandlerFunc {
			return func(*itty.Request) *itty.Response { panic("boom") }
		}},
		{name: "panic after the handler changed it", fail: func(_ *itty.App, mgr *sessions.Manager) itty.HandlerFunc {
			return func(req *itty.Request) *itty.Response {
				mgr.Get(req).Set("note", "from the handler")
				panic("boom")
			}
		}},
		{name: "an App hook fails", fail: func(app *itty.App, mgr *sessions.Manager) itty.HandlerFunc {
			return func(req *itty.Request) *itty.Response {
				mgr.Get(req).Set("note", "from the handler")
				return app.Render(req, "done")
			}
		}, hooks: func(app *itty.App) {
			app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
				if req.Path == "/fail" {
					return errors.New("audit log down")
				}
				return nil
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app, mgr, _, logs := lateApp(t)
			if tc.hooks != nil {
				tc.hooks(app)
			}
			var user string
			var setErr error
			app.ServerError = func(req *itty.Request, err error) *itty.Response {
				s := mgr.Get(req)
				user = s.User()
				setErr = s.Set("note", "from the error page")
				return &itty.Response{StatusCode: http.StatusInternalServerError, Body: "sorry"}
			}
			app.Get("/fail", tc.fail(app, mgr))
			c := ittytest.NewClient(t, app)
			c.Get("/login")
			if r := c.Get("/fail"); r.StatusCode != http.StatusInternalServerError {
				t.Fatalf("GET /fail: %d, want 500", r.StatusCode)
			}
			if user != "ada" {
				t.Errorf("the error page read user %q, want ada: reading must work", user)
			}
			if !errors.Is(setErr, sessions.ErrCommitted) {
				t.Errorf("Set in the error page returned %v, want ErrCommitted", setErr)
			}
			if n := strings.Count(logs.String(), "changed after it was committed"); n != 1 {
				t.Errorf("the lost change was logged %d times, want once:\n%s", n, logs.String())
			}
			if got := c.Get("/show").Body; got != "" {
				t.Errorf("note %q was saved by a failed request", got)
			}
		})
	}
}

// TestAttackAppHookAfterManagerChangesSessionSilently: an App hook
// registered after sessions.New runs before the session is committed, so
// what it changes must be saved, not be dropped without a word.
func TestAttackAppHookAfterManagerChangesSessionSilently(t *testing.T) {
	app, mgr, _, logs := lateApp(t)
	var setErr error
	app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
		if req.Path == "/visit" {
			setErr = mgr.Get(req).Set("note", "visited "+req.Path)
		}
		return nil
	})
	app.Get("/visit", func(req *itty.Request) *itty.Response { return app.Render(req, "hi") })
	c := ittytest.NewClient(t, app)
	c.Get("/login")
	c.Get("/visit")
	if setErr != nil {
		t.Fatalf("Set in the hook: %v", setErr)
	}
	if got := c.Get("/show").Body; got != "visited /visit" {
		t.Errorf("note %q, want the hook's change saved; log:\n%s", got, logs.String())
	}
}

// TestAttackDestroyAfterResponseStartedKeepsRenewedSession: behind the
// middleware a handler renews the session (a rotation, or a switch of
// user), writes, and then logs the user out. The renew was saved with the
// header; the Destroy that follows must end the session the browser now
// holds (the new id), not only the one it was renewed from.
func TestAttackDestroyAfterResponseStartedKeepsRenewedSession(t *testing.T) {
	for _, tc := range []struct {
		name, user string
		renew      func(*sessions.Session)
	}{
		{"rotation", "ada", func(s *sessions.Session) { s.Renew() }},
		{"switch of user", "bob", func(s *sessions.Session) { s.SetUser("bob") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := sessions.NewMemoryStore()
			defer store.Close()
			mux := http.NewServeMux()
			mgr, srv, _ := middlewareApp(t, store, mux)
			var destroyErr error
			mux.HandleFunc("GET /renew-write-destroy", func(w http.ResponseWriter, r *http.Request) {
				s := mgr.FromContext(r.Context())
				tc.renew(s)
				w.Write([]byte("bye"))
				destroyErr = s.Destroy()
			})
			c := loginAda(t, srv)
			resp, _ := oaHit(t, nil, "GET", srv.URL+"/renew-write-destroy", []*http.Cookie{c}, nil, nil)
			if destroyErr != nil {
				t.Fatalf("Destroy after the response started: %v", destroyErr)
			}
			renewed := oaCookie(resp, "sid")
			if renewed == nil || renewed.Value == c.Value {
				t.Fatalf("the renew sent no new id: %q", resp.Header.Values("Set-Cookie"))
			}
			for _, user := range []string{"ada", tc.user} {
				if live, err := mgr.UserSessions(context.Background(), user); err != nil || len(live) != 0 {
					t.Errorf("%s still has sessions %+v (%v) after the logout", user, live, err)
				}
			}
			for _, id := range []string{c.Value, renewed.Value} {
				if rec, err := store.Load(context.Background(), id); err == nil && !rec.IsTombstone() {
					t.Errorf("session %s is still live after the logout", id)
				}
			}
		})
	}
}

// TestAttackCookieSessionDestroyAfterResponseStarted: a session kept in
// its cookie ends only by clearing the cookie, which cannot be done once
// the header went out. Destroy must say so, not report a logout that did
// not happen.
func TestAttackCookieSessionDestroyAfterResponseStarted(t *testing.T) {
	cs, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := sessions.NewCookieManager(nil, cs, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	var destroyErr error
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
	})
	mux.HandleFunc("GET /write-destroy", func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.User()
		w.Write([]byte("bye"))
		destroyErr = s.Destroy()
	})
	mux.HandleFunc("GET /who", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(mgr.FromContext(r.Context()).User()))
	})
	srv := oaQuietServer(mgr.Middleware(mux))
	defer srv.Close()
	resp, _ := oaHit(t, nil, "GET", srv.URL+"/login", nil, nil, nil)
	c := oaCookie(resp, "sid")
	if c == nil {
		t.Fatal("login set no cookie")
	}
	oaHit(t, nil, "GET", srv.URL+"/write-destroy", []*http.Cookie{c}, nil, nil)
	if !errors.Is(destroyErr, sessions.ErrCommitted) {
		t.Errorf("Destroy after the cookie went out returned %v, want ErrCommitted", destroyErr)
	}
	if !strings.Contains(logs.String(), "changed after it was committed") {
		t.Errorf("the failed logout was not logged:\n%s", logs.String())
	}
	if _, who := oaHit(t, nil, "GET", srv.URL+"/who", []*http.Cookie{c}, nil, nil); who != "ada" {
		t.Errorf("the cookie names %q; the test assumes it still names ada", who)
	}
}
