package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ittygo/itty/internal/exampletest"
)

// TestLoginInBrowser drives examples/login in Chromium: log in through the
// form, stay logged in, the session cookie hidden from scripts, log out with
// the CSRF-protected button — and a page on another site cannot post to the
// app (cross-origin protection answers 403), so the user stays logged in.
func TestLoginInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	proc := exampletest.Build(t, "../examples/login").Start(t, "-data", t.TempDir(), "-demo")

	if got := bodyText(t, ctx, proc.URL+"/"); got != "Welcome Stranger!" {
		t.Fatalf("before login: %q", got)
	}
	submit := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js+`; true`)); err != nil {
			t.Fatal(err)
		}
		// Wait for the navigation the submit started to finish.
		if err := chromedp.Do(ctx, chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
	}
	bodyText(t, ctx, proc.URL+"/login")
	submit(`document.querySelector('[name=username]').value = 'demo';
		document.querySelector('[name=password]').value = 'demo';
		document.querySelector('form').submit()`)
	waitBody(t, ctx, "Welcome demo!")
	if dc := jsCookies(t, ctx); strings.Contains(dc, "login_sid") {
		t.Fatalf("session cookie visible to JavaScript: %q", dc)
	}
	if c := jarCookie(t, ctx, proc.URL+"/", "login_sid"); c == nil || !c.HTTPOnly || c.Value == "" {
		t.Fatalf("session cookie: %+v", c)
	}

	// Another site (localhost is not the same site as 127.0.0.1) posts a
	// form to the app: the browser marks it cross-site and itty refuses it.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<form method="post" action="` + proc.URL + `/logout"></form>
			<script>document.forms[0].submit()</script>`))
	}))
	defer attacker.Close()
	evil := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(ctx, chromedp.Navigate(evil)); err != nil {
		t.Fatal(err)
	}
	waitBody(t, ctx, "403 Forbidden")
	if got := bodyText(t, ctx, proc.URL+"/"); got != "Welcome demo!" {
		t.Fatalf("a cross-site post logged the user out: %q", got)
	}

	// The real logout button carries the session's CSRF token.
	bodyText(t, ctx, proc.URL+"/logout")
	submit(`document.querySelector('form').submit()`)
	waitBody(t, ctx, "Welcome Stranger!")
	if c := jarCookie(t, ctx, proc.URL+"/", "login_sid"); c != nil {
		t.Fatalf("session cookie still in the browser after logout: %+v", c)
	}
}

// waitBody polls the page's text until it is want.
func waitBody(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	var got string
	for range 100 {
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		if strings.TrimSpace(got) == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("page shows %q, want %q", got, want)
}
