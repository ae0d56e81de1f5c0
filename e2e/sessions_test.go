package e2e

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// TestPartitionedSessionInCrossSiteIframe proves that a session Manager
// with Options{Secure, SameSite: None, Partitioned} works inside an iframe
// on another site, with third-party cookies blocked, and that its cookie
// lives in a jar of its own (CHIPS): the app embedded in http://localhost
// logs a user in inside the iframe and still knows them on a later load,
// while the same app visited top-level at http://127.0.0.1 sees a stranger
// and can hold a different session, both cookies side by side in the jar
// with different partition keys.
//
// Third-party cookies: the browser starts with the switch
// --test-third-party-cookie-phaseout, which blocks unpartitioned cookies in
// a cross-site context (Chromium's refusal reason: ThirdPartyPhaseout), so
// the test does not depend on the build's or the profile's default. Without
// the switch, Debian's Chromium 156 with a fresh profile blocks them anyway
// (reason UserPreferences); a profile preference cookie_controls_mode of 0
// allows them, and the switch blocks them even then. Partitioned cookies
// need no switch: they are kept in every one of these settings. An
// unpartitioned SameSite=None cookie that the same iframe responses set
// checks that the block is in effect.
func TestPartitionedSessionInCrossSiteIframe(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("test-third-party-cookie-phaseout", true))
	const name = "__Host-embed_sid"
	app := itty.New()
	mgr, err := sessions.New(app, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{
		Secure: true, SameSite: itty.SameSiteNone, Partitioned: true, CookieName: name})
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, whoPage(mgr.Get(req).User(), ""))
		// The control: an ordinary third-party cookie, which the browser
		// must refuse in the iframe.
		if err := resp.SetCookie("unpartitioned", "1", itty.CookieOptions{Secure: true, SameSite: itty.SameSiteNone}); err != nil {
			t.Error(err)
		}
		return resp
	})
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Redirect(req, "/whoami")
	})
	appSrv := httptest.NewServer(app)
	defer appSrv.Close()
	embedder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<h1>Another site</h1><iframe src="%s/whoami" width="600" height="200"></iframe>`, appSrv.URL)
	}))
	defer embedder.Close()
	// localhost is another site than 127.0.0.1, and both are secure
	// contexts, so the Secure cookie is stored over http.
	topURL := strings.Replace(embedder.URL, "127.0.0.1", "localhost", 1) + "/"
	loadTop := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(topURL)); err != nil {
			t.Fatalf("navigate %s: %v", topURL, err)
		}
	}

	loadTop()
	if got := frameWho(t, ctx, appSrv.URL); got != "Hello stranger" {
		t.Fatalf("iframe before login: %q", got)
	}
	inFrame(t, ctx, appSrv.URL, func(fctx context.Context) {
		submitLogin(t, fctx, "alice")
		waitWho(t, fctx, "Hello alice")
	})
	loadTop() // a later load of the embedding page: a new iframe
	if got := frameWho(t, ctx, appSrv.URL); got != "Hello alice" {
		t.Fatalf("iframe on a later load: %q", got)
	}

	jar := jarCookies(t, ctx)
	if c := findCookie(jar, "unpartitioned", ""); c != nil {
		t.Fatalf("third-party cookies are not blocked (the test proves nothing): %+v", c)
	}
	embedded := findCookie(jar, name, "http://localhost")
	if embedded == nil {
		t.Fatalf("no %s partitioned under http://localhost in the jar: %s", name, describeCookies(jar))
	}
	if !embedded.Secure || !embedded.HTTPOnly || embedded.SameSite != network.CookieSameSiteNone {
		t.Fatalf("partitioned cookie's attributes: %+v", embedded)
	}
	t.Logf("iframe's cookie: partition key %+v, domain %s", *embedded.PartitionKey, embedded.Domain)

	// Top-level, the app is its own first party: the iframe's cookie is
	// not sent, and a login there makes a second, separate session.
	if got := bodyWho(t, ctx, appSrv.URL+"/whoami"); got != "Hello stranger" {
		t.Fatalf("top-level visit after the iframe login: %q", got)
	}
	submitLogin(t, ctx, "bob")
	waitWho(t, ctx, "Hello bob")
	loadTop()
	if got := frameWho(t, ctx, appSrv.URL); got != "Hello alice" {
		t.Fatalf("iframe after the top-level login: %q", got)
	}
	if got := bodyWho(t, ctx, appSrv.URL+"/whoami"); got != "Hello bob" {
		t.Fatalf("top-level again: %q", got)
	}

	jar = jarCookies(t, ctx)
	embedded, top := findCookie(jar, name, "http://localhost"), findCookie(jar, name, "http://127.0.0.1")
	if embedded == nil || top == nil {
		t.Fatalf("want one %s per top-level site, jar: %s", name, describeCookies(jar))
	}
	if embedded.Value == top.Value {
		t.Fatal("the iframe and the top-level page share one session id")
	}
	if n := countCookies(jar, name); n != 2 {
		t.Fatalf("%d cookies named %s, want 2: %s", n, name, describeCookies(jar))
	}
	t.Logf("top-level cookie: partition key %+v", *top.PartitionKey)
}

// TestPersistentSessionExpiryMovesAndDrops proves Options.Persistent's
// sliding cookie on a real clock: the cookie's expiry in the browser's jar
// is the server's idle deadline, it moves forward with activity (re-sent
// once TouchInterval has passed), and after IdleTimeout without a request
// the browser itself has dropped the cookie, while the server has ended the
// session too.
func TestPersistentSessionExpiryMovesAndDrops(t *testing.T) {
	const (
		name = "persist_sid"
		idle = 4 * time.Second
	)
	ctx := newBrowser(t)
	app := itty.New()
	mgr, err := sessions.New(app, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{
		Persistent: true, IdleTimeout: idle, TouchInterval: time.Second, CookieName: name})
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, whoPage(mgr.Get(req).User(), ""))
	})
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Redirect(req, "/")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	root := srv.URL + "/"

	bodyWho(t, ctx, root)
	loggedIn := time.Now()
	submitLogin(t, ctx, "ada")
	waitWho(t, ctx, "Hello ada")
	c := jarCookie(t, ctx, root, name)
	if c == nil || c.Session {
		t.Fatalf("after login, want a persistent cookie: %+v", c)
	}
	before := cookieExpiry(c)
	if left := time.Until(before); left <= idle-time.Second || left > idle+time.Second {
		t.Fatalf("cookie expires in %v, want about the idle timeout %v", left, idle)
	}
	oldValue := c.Value

	time.Sleep(1500 * time.Millisecond)
	active := time.Now()
	if got := bodyWho(t, ctx, root); got != "Hello ada" {
		t.Fatalf("after 1.5 s: %q", got)
	}
	c = jarCookie(t, ctx, root, name)
	if c == nil {
		t.Fatal("cookie gone after activity")
	}
	after := cookieExpiry(c)
	moved, elapsed := after.Sub(before), active.Sub(loggedIn)
	t.Logf("expiry before %s, after %s: moved %v (%v between the two requests)",
		before.Format("15:04:05.000"), after.Format("15:04:05.000"), moved.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	if moved < elapsed-700*time.Millisecond || moved > elapsed+700*time.Millisecond {
		t.Fatalf("expiry moved by %v, want about %v", moved, elapsed)
	}

	// Idle past the new expiry: no request at all until then.
	time.Sleep(time.Until(after) + 300*time.Millisecond)
	if c := jarCookie(t, ctx, root, name); c != nil {
		t.Fatalf("the browser kept the cookie past its expiry: %+v", c)
	}
	if got := bodyWho(t, ctx, root); got != "Hello stranger" {
		t.Fatalf("after the idle timeout: %q", got)
	}
	// The server ended the session as well: a copy of the cookie is
	// worthless.
	if got := getWithCookie(t, root, name, oldValue); !strings.Contains(got, "Hello stranger") {
		t.Fatalf("the expired id, replayed, still works: %q", got)
	}
}

// TestNetHTTPHandlerLoginLogoutInBrowser proves the Manager serves plain
// net/http handlers (no itty App: sessions.New with a nil App, an
// http.ServeMux behind Manager.Middleware): a browser logs in through an
// HTML form, is greeted on the next page, logs out through a form carrying
// the session's CSRF token, and is a stranger again, with the session
// cookie gone from its jar and the old id dead on the server.
func TestNetHTTPHandlerLoginLogoutInBrowser(t *testing.T) {
	const name = "plain_sid"
	ctx := newBrowser(t)
	mgr, err := sessions.New(nil, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{CookieName: name})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		csrf := ""
		if sess.User() != "" {
			csrf = sess.CSRFToken()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(whoPage(sess.User(), csrf)))
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser(r.PostFormValue("user"))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		if !sess.CheckCSRF() {
			http.Error(w, "Invalid or missing CSRF token.", http.StatusForbidden)
			return
		}
		if err := sess.Destroy(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	// Cross-origin protection in front, as an itty App has by default.
	srv := httptest.NewServer(http.NewCrossOriginProtection().Handler(mgr.Middleware(mux)))
	defer srv.Close()
	root := srv.URL + "/"

	if got := bodyWho(t, ctx, root); got != "Hello stranger" {
		t.Fatalf("before login: %q", got)
	}
	if c := jarCookie(t, ctx, root, name); c != nil {
		t.Fatalf("a stranger's visit set a session cookie: %+v", c)
	}
	submitLogin(t, ctx, "grace")
	waitWho(t, ctx, "Hello grace")
	c := jarCookie(t, ctx, root, name)
	if c == nil || !c.HTTPOnly || !c.Session || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Fatalf("session cookie after login: %+v", c)
	}
	if dc := jsCookies(t, ctx); strings.Contains(dc, name) {
		t.Fatalf("session cookie visible to JavaScript: %q", dc)
	}
	if got := bodyWho(t, ctx, root); got != "Hello grace" {
		t.Fatalf("next page: %q", got)
	}
	oldValue := c.Value

	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/logout"]').submit(); true`)); err != nil {
		t.Fatal(err)
	}
	waitWho(t, ctx, "Hello stranger")
	if c := jarCookie(t, ctx, root, name); c != nil {
		t.Fatalf("session cookie still in the browser after logout: %+v", c)
	}
	if got := getWithCookie(t, root, name, oldValue); !strings.Contains(got, "Hello stranger") {
		t.Fatalf("the logged-out id, replayed, still works: %q", got)
	}
}

// whoPage is the test apps' page: who the session belongs to in #who, a
// login form for a stranger, and a logout form for a user when csrf is set.
func whoPage(user, csrf string) string {
	if user == "" {
		return `<p id="who">Hello stranger</p>
<form method="post" action="/login"><input name="user"><button>Log in</button></form>`
	}
	page := `<p id="who">Hello ` + html.EscapeString(user) + `</p>`
	if csrf != "" {
		page += `<form method="post" action="/logout">` + string(sessions.CSRFField(csrf)) + `<button>Log out</button></form>`
	}
	return page
}

// submitLogin fills in the page's login form and submits it; waitWho
// then waits for the page it leads to.
func submitLogin(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	js := fmt.Sprintf(`document.querySelector('[name=user]').value = %q;
		document.querySelector('form[action="/login"]').submit(); true`, user)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatalf("submit the login form: %v", err)
	}
}

// who returns the text of the page's #who, or "" while there is none (in
// the middle of a navigation, say).
func who(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("who") || {}).textContent || ""`))
	return s
}

// waitWho polls the page's #who until it reads want.
func waitWho(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	var got string
	for range 100 {
		if got = who(ctx); got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("page says %q, want %q", got, want)
}

// bodyWho navigates to url and returns the page's #who.
func bodyWho(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	return who(ctx)
}

// inFrame runs fn with a context attached to the page's iframe whose
// document URL starts with prefix. Chromium runs a cross-site iframe in a
// process of its own (site isolation, left on), as a target of type
// "iframe" that the page's DOM and FromNode do not reach; the context
// attaches to that target, and detaches from it afterwards without closing
// it (a plain cancel would close the target, and with it the tab).
func inFrame(t *testing.T, ctx context.Context, prefix string, fn func(fctx context.Context)) {
	t.Helper()
	for range 50 {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type != "iframe" || !strings.HasPrefix(info.URL, prefix) {
				continue
			}
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			if _, err := chromedp.Run(fctx, chromedp.WaitReady("body")); err != nil {
				cancel()
				continue // a target of a frame that went away: look again
			}
			fn(fctx)
			cancel()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no iframe target with a URL starting %s", prefix)
}

// frameWho returns the #who of the iframe whose URL starts with prefix.
func frameWho(t *testing.T, ctx context.Context, prefix string) string {
	t.Helper()
	var got string
	inFrame(t, ctx, prefix, func(fctx context.Context) { got = who(fctx) })
	return got
}

// jarCookies returns every cookie in the browser, partitioned ones of every
// partition included (network.GetCookies returns only those of the current
// page's partition).
func jarCookies(t *testing.T, ctx context.Context) []*network.Cookie {
	t.Helper()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Cookies
}

// findCookie returns the cookie named name partitioned under the top-level
// site topLevel, or unpartitioned for "", or nil.
func findCookie(jar []*network.Cookie, name, topLevel string) *network.Cookie {
	for _, c := range jar {
		site := ""
		if c.PartitionKey != nil {
			site = c.PartitionKey.TopLevelSite
		}
		if c.Name == name && site == topLevel {
			return c
		}
	}
	return nil
}

func countCookies(jar []*network.Cookie, name string) int {
	n := 0
	for _, c := range jar {
		if c.Name == name {
			n++
		}
	}
	return n
}

func describeCookies(jar []*network.Cookie) string {
	var b strings.Builder
	for _, c := range jar {
		fmt.Fprintf(&b, "[%s domain=%s partition=%+v] ", c.Name, c.Domain, c.PartitionKey)
	}
	return b.String()
}

// cookieExpiry is when the browser will drop c (Expires is in seconds since
// the epoch, with a fraction).
func cookieExpiry(c *network.Cookie) time.Time {
	return time.UnixMilli(int64(c.Expires * 1000))
}

// getWithCookie fetches url outside the browser, sending only the cookie
// name=value, and returns the body.
func getWithCookie(t *testing.T, url, name, value string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: name, Value: value})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
