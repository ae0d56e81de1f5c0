package ittytest_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
)

func jarApp() *itty.App {
	app := itty.New()
	set := func(name string, o itty.CookieOptions) {
		app.Get("/set/"+name, func(req *itty.Request) *itty.Response {
			resp := app.Render(req, "set")
			resp.SetCookie(name, "v-"+name, o)
			return resp
		})
	}
	set("plain", itty.CookieOptions{})
	set("secure", itty.CookieOptions{Secure: true})
	set("scoped", itty.CookieOptions{Path: "/app"})
	set("short", itty.CookieOptions{MaxAge: time.Second})
	app.Get("/del/plain", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "deleted")
		resp.DeleteCookie("plain")
		return resp
	})
	show := func(req *itty.Request) *itty.Response {
		return app.Render(req, req.Headers.Get("Cookie"))
	}
	app.Get("/show", show)
	app.Get("/app/show", show)
	app.Get("/go", func(req *itty.Request) *itty.Response { return app.Redirect(req, "/show") })
	app.Post("/form", func(req *itty.Request) *itty.Response { return app.Render(req, req.POST.Get("a")) })
	app.Post("/json", func(req *itty.Request) *itty.Response {
		var v map[string]int
		req.JSON(&v)
		return app.RenderJSON(req, map[string]int{"double": 2 * v["n"]})
	})
	return app
}

func TestJarFollowsBrowserRules(t *testing.T) {
	c := ittytest.NewClient(t, jarApp())
	for _, n := range []string{"plain", "secure", "scoped"} {
		c.Get("/set/" + n)
	}
	if got := c.Get("/show").Body; got != "plain=v-plain" {
		t.Errorf("over http: %q (Secure must not be sent, /app cookie must not reach /show)", got)
	}
	if got := c.Get("/app/show").Body; got != "scoped=v-scoped; plain=v-plain" {
		t.Errorf("under /app: %q", got)
	}
	c.BaseURL = "https://example.com"
	if got := c.Get("/show").Body; got != "plain=v-plain; secure=v-secure" {
		t.Errorf("over https: %q", got)
	}
	c.Get("/del/plain")
	if _, ok := c.Cookie("/", "plain"); ok {
		t.Error("deleted cookie still in the jar")
	}
	if v, ok := c.Cookie("/", "secure"); !ok || v != "v-secure" {
		t.Errorf("Cookie(secure) = %q, %v", v, ok)
	}
	c.SetCookie(&http.Cookie{Name: "manual", Value: "m"})
	if got := c.Get("/show").Body; got != "secure=v-secure; manual=m" {
		t.Errorf("after SetCookie: %q", got)
	}
}

func TestCookieExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := ittytest.NewClient(t, jarApp())
		c.Get("/set/short")
		if _, ok := c.Cookie("/", "short"); !ok {
			t.Fatal("cookie not stored")
		}
		time.Sleep(1100 * time.Millisecond) // fake time: instant
		if _, ok := c.Cookie("/", "short"); ok {
			t.Fatal("expired cookie still sent")
		}
	})
}

func TestRedirectsAndBodies(t *testing.T) {
	c := ittytest.NewClient(t, jarApp())
	if r := c.Get("/go"); r.StatusCode != 302 || r.Location() != "/show" {
		t.Fatalf("redirect not returned: %d %q", r.StatusCode, r.Location())
	}
	c.FollowRedirects = true
	if r := c.Get("/go"); r.StatusCode != 200 || r.Raw.Request.URL.Path != "/show" {
		t.Fatalf("redirect not followed: %d %v", r.StatusCode, r.Raw.Request.URL)
	}
	if r := c.PostForm("/form", url.Values{"a": {"x y"}}); r.Body != "x y" {
		t.Fatalf("PostForm: %q", r.Body)
	}
	var out map[string]int
	if err := c.PostJSON("/json", map[string]int{"n": 21}).JSON(&out); err != nil || out["double"] != 42 {
		t.Fatalf("PostJSON: %v %v", out, err)
	}
	if r := c.Get("/set/plain"); r.Cookie("plain") == nil || r.Cookie("plain").Value != "v-plain" {
		t.Fatalf("SetCookie: %v", r.Headers)
	}
	if r := c.Do(c.NewRequest("HEAD", "/show", nil)); r.StatusCode != 200 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.StatusCode, r.Body)
	}
}

// TestRemoteAddrBehindProxy: the handler sees DefaultRemoteAddr as its
// peer, or Client.RemoteAddr; from a trusted proxy's address the App then
// believes X-Forwarded-For.
func TestRemoteAddrBehindProxy(t *testing.T) {
	app := itty.New()
	app.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, req.Raw.RemoteAddr+" "+req.ClientAddr().String())
	})
	c := ittytest.NewClient(t, app)
	get := func() string {
		r := c.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		return c.Do(r).Body
	}
	if got := get(); got != ittytest.DefaultRemoteAddr+" 192.0.2.1" {
		t.Fatalf("default peer: %q", got)
	}
	c.RemoteAddr = "127.0.0.1:5000"
	if got := get(); got != "127.0.0.1:5000 198.51.100.7" {
		t.Fatalf("behind the proxy: %q", got)
	}
}
