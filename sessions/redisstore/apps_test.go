package redisstore_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// loginApp is an itty app with a session Manager: POST /login logs in the
// form's user, GET /whoami names the logged-in user or "stranger", POST
// /logout ends the session and POST /everywhere ends every session of the
// logged-in user, answering how many.
type loginApp struct {
	app  *itty.App
	mgr  *sessions.Manager
	logs *lockedBuffer
}

func newLoginApp(t *testing.T, store sessions.Store, opts sessions.Options) *loginApp {
	t.Helper()
	a := &loginApp{app: itty.New(), logs: &lockedBuffer{}}
	a.app.Logger = a.logs.logger()
	mgr, err := sessions.New(a.app, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.mgr = mgr
	app := a.app
	app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		sess.Renew()
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
			return itty.NewResponse(err.Error(), http.StatusInternalServerError)
		}
		return app.Render(req, "bye")
	})
	app.Post("/everywhere", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Err(); err != nil {
			return itty.NewResponse(err.Error(), http.StatusInternalServerError)
		}
		n, err := mgr.DestroyUser(req.Context(), sess.User())
		if err != nil {
			return itty.NewResponse(err.Error(), http.StatusInternalServerError)
		}
		return app.Render(req, fmt.Sprint(n))
	})
	return a
}

// login logs user in on a new client of the app and checks that the app
// then recognises the client.
func (a *loginApp) login(t *testing.T, user string) *ittytest.Client {
	t.Helper()
	c := ittytest.NewClient(t, a.app)
	if r := c.PostForm("/login", url.Values{"user": {user}}); r.StatusCode != 200 {
		t.Fatalf("login: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != user {
		t.Fatalf("whoami after login: %d %q", r.StatusCode, r.Body)
	}
	return c
}

// replay returns a new client of the app that sends the session id c holds
// for from, under the app's own cookie name, as an attacker (or a user
// moving a cookie by hand) would.
func (a *loginApp) replay(t *testing.T, c *ittytest.Client, from *loginApp) (*ittytest.Client, string) {
	t.Helper()
	id, ok := c.Cookie("/", from.mgr.CookieName())
	if !ok {
		t.Fatalf("the client has no %s cookie", from.mgr.CookieName())
	}
	rc := ittytest.NewClient(t, a.app)
	rc.SetCookie(&http.Cookie{Name: a.mgr.CookieName(), Value: id})
	return rc, id
}
