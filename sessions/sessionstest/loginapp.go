package sessionstest

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// LoginApp is an itty app with one session Manager, for a store's own
// tests that drive it through real requests (outages, several instances
// of one app, several apps on one server):
//
//   - POST /login logs in the form's "user", with a new session id;
//   - GET /whoami answers with the logged-in user, or "stranger";
//   - POST /logout ends the session and answers "bye";
//   - POST /everywhere ends every session of the logged-in user and
//     answers how many it ended.
//
// A failure is answered with 500 and the error's text. What the App and
// the Manager log goes to Logs.
type LoginApp struct {
	App  *itty.App
	Mgr  *sessions.Manager
	Logs *LogBuffer
}

// NewLoginApp returns a LoginApp whose Manager keeps its sessions in store
// with opts. It fails t if sessions.New refuses them.
func NewLoginApp(t testing.TB, store sessions.Store, opts sessions.Options) *LoginApp {
	t.Helper()
	a := &LoginApp{App: itty.New(), Logs: &LogBuffer{}}
	a.App.Logger = a.Logs.Logger()
	mgr, err := sessions.New(a.App, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.Mgr = mgr
	app := a.App
	failed := func(err error) *itty.Response { return itty.NewResponse(err.Error(), http.StatusInternalServerError) }
	app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil {
			return failed(err)
		}
		sess.SetUser(req.POST.Get("user"))
		return app.Render(req, "ok")
	})
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).User(); u != "" {
			return app.Render(req, u)
		}
		return app.Render(req, "stranger")
	})
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		if err := mgr.Get(req).Destroy(); err != nil {
			return failed(err)
		}
		return app.Render(req, "bye")
	})
	app.Post("/everywhere", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Err(); err != nil {
			return failed(err)
		}
		n, err := mgr.DestroyUser(req.Context(), sess.User())
		if err != nil {
			return failed(err)
		}
		return app.Render(req, fmt.Sprint(n))
	})
	return a
}

// Login logs user in on a new client of the app and returns the client,
// failing t unless the login succeeds and the app then knows the user.
func (a *LoginApp) Login(t testing.TB, user string) *ittytest.Client {
	t.Helper()
	c := ittytest.NewClient(t, a.App)
	if r := c.PostForm("/login", url.Values{"user": {user}}); r.StatusCode != 200 {
		t.Fatalf("login: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != user {
		t.Fatalf("whoami after login: %d %q", r.StatusCode, r.Body)
	}
	return c
}

// Replay returns a new client of the app that sends the session id c holds
// for from under the app's own cookie name, as an attacker (or a user
// moving a cookie by hand) would, and the id. It fails t if c holds no
// cookie for from.
func (a *LoginApp) Replay(t testing.TB, c *ittytest.Client, from *LoginApp) (*ittytest.Client, string) {
	t.Helper()
	id, ok := c.Cookie("/", from.Mgr.CookieName())
	if !ok {
		t.Fatalf("the client has no %s cookie", from.Mgr.CookieName())
	}
	rc := ittytest.NewClient(t, a.App)
	rc.SetCookie(&http.Cookie{Name: a.Mgr.CookieName(), Value: id})
	return rc, id
}

// LogBuffer collects log output; it is safe for concurrent use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Contains reports whether what was written so far contains s.
func (l *LogBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

// Logger returns a text logger that writes to l.
func (l *LogBuffer) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
