package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/ittygo/itty"
	"github.com/ittygo/itty/internal/exampletest"
)

// TestCookieGuideInBrowser drives examples/cookies, started with go build as
// a reader would run it: set, greet, HttpOnly, logout.
func TestCookieGuideInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	proc := exampletest.Build(t, "../examples/cookies").Start(t)

	if got := bodyText(t, ctx, proc.URL+"/"); got != "Hello, unknown!" {
		t.Fatalf("before: %q", got)
	}
	name := "Ada; café 🍪 \"x\""
	if got := bodyText(t, ctx, proc.URL+"/set/?username="+url.QueryEscape(name)); got != "Hello, "+name+"!" {
		t.Fatalf("after /set/ and its redirect: %q", got)
	}
	if dc := jsCookies(t, ctx); strings.Contains(dc, "username") {
		t.Fatalf("HttpOnly cookie visible to JavaScript: %q", dc)
	}
	c := jarCookie(t, ctx, proc.URL+"/", "username")
	if c == nil || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" {
		t.Fatalf("cookie in the jar: %+v", c)
	}
	if left := time.Until(time.Unix(int64(c.Expires), 0)); left < 13*24*time.Hour || left > 14*24*time.Hour+time.Minute {
		t.Fatalf("expires in %v, want two weeks", left)
	}
	if got := bodyText(t, ctx, proc.URL+"/logout/"); got != "Hello, unknown!" {
		t.Fatalf("after logout: %q", got)
	}
	if c := jarCookie(t, ctx, proc.URL+"/", "username"); c != nil {
		t.Fatalf("cookie still in the browser after logout: %+v", c)
	}
}

// TestValuesRoundTripInBrowser sets awkward values from the server and from
// JavaScript (encodeURIComponent, the usual way) and reads them back.
func TestValuesRoundTripInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	var mu sync.Mutex
	var lastHeader string
	app := itty.New()
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "set")
		if err := resp.SetCookie("v", req.GET.Get("v")); err != nil {
			return itty.NewResponse(err.Error(), 400)
		}
		return resp
	})
	app.Get("/get", func(req *itty.Request) *itty.Response {
		mu.Lock()
		lastHeader = req.Headers.Get("Cookie")
		mu.Unlock()
		b, _ := json.Marshal(map[string]string{"v": req.COOKIES.Get("v"), "js": req.COOKIES.Get("js")})
		return app.Render(req, string(b))
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	for _, v := range []string{"plain", "semi;colon, comma", `quote " back\slash`, "café", "emoji 🍪🎉", "100%", "%41", "tab\there", "=leading"} {
		bodyText(t, ctx, srv.URL+"/set?v="+url.QueryEscape(v))
		js, _ := json.Marshal(v)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie = "js=" + encodeURIComponent(`+string(js)+`) + "; path=/"`)); err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		text := bodyText(t, ctx, srv.URL+"/get")
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		mu.Lock()
		header := lastHeader
		mu.Unlock()
		if got["v"] != v || got["js"] != v {
			t.Errorf("value %q came back as %q (server-set) and %q (JS-set); Cookie header %q", v, got["v"], got["js"], header)
		}
	}
}

// TestTamperedSignedCookieInBrowser edits a signed cookie in the browser's
// jar: the app treats it as absent and starts over, with no error page.
func TestTamperedSignedCookieInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	app := itty.New()
	if err := app.SetCookieKeys(itty.NewCookieKey()); err != nil {
		t.Fatal(err)
	}
	app.Get("/", func(req *itty.Request) *itty.Response {
		var n int
		app.SignedCookie(req, "count", &n)
		n++
		resp := app.Render(req, "count "+itoa(n))
		app.SetSignedCookie(resp, "count", n, itty.CookieOptions{HttpOnly: true, SameSite: itty.SameSiteLax})
		return resp
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, want := range []string{"count 1", "count 2", "count 3"} {
		if got := bodyText(t, ctx, srv.URL+"/"); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	c := jarCookie(t, ctx, srv.URL+"/", "count")
	tampered := c.Value[:10] + flip(c.Value[10]) + c.Value[11:]
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "count", Value: tampered, URL: srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	if got := bodyText(t, ctx, srv.URL+"/"); got != "count 1" {
		t.Fatalf("tampered cookie: %q", got)
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestSecureCookiesNeedASecureOrigin shows production behaviour through a
// host name that is not loopback: over plain http, Secure cookies (and so
// __Host- cookies) are refused, while 127.0.0.1 counts as secure.
func TestSecureCookiesNeedASecureOrigin(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP app.test 127.0.0.1"))
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		resp.SetCookie("__Host-sid", "1", itty.CookieOptions{Secure: true, HttpOnly: true})
		resp.SetCookie("plain", "1")
		return resp
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]

	bodyText(t, ctx, srv.URL+"/")
	if jarCookie(t, ctx, srv.URL+"/", "__Host-sid") == nil {
		t.Fatal("127.0.0.1 is a secure context: the Secure cookie should be stored")
	}
	insecure := "http://app.test" + port + "/"
	bodyText(t, ctx, insecure)
	if c := jarCookie(t, ctx, insecure, "__Host-sid"); c != nil {
		t.Fatalf("Secure cookie stored over plain http: %+v", c)
	}
	if jarCookie(t, ctx, insecure, "plain") == nil {
		t.Fatal("plain cookie not stored over http")
	}
}
