package sessions_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// Attacks on what the sessions package believes of a reverse proxy: the
// cookie's Secure attribute (App.IsSecure) and TrackClients' address
// (App.ClientAddr), written from the docs, not the authors' tests.

type pxRig struct {
	app *itty.App
	mgr *sessions.Manager
}

// newPxRig serves POST /login (SetUser "ada") and POST /touch (a write).
// The proxies are trusted only after the Manager is made, as the login
// example does.
func newPxRig(t *testing.T, trusted []string, opts sessions.Options) *pxRig {
	t.Helper()
	app := itty.New()
	opts.CookieName = "sid"
	mgr, err := sessions.New(app, sessions.NewMemoryStore(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range trusted {
		app.TrustedProxies = append(app.TrustedProxies, netip.MustParsePrefix(p))
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil {
			return app.Error500(req, err)
		}
		sess.SetUser("ada")
		return itty.NewResponse("ok", http.StatusOK)
	})
	app.Post("/touch", func(req *itty.Request) *itty.Response {
		if err := mgr.Get(req).Set("n", req.Raw.Header.Get("X-N")); err != nil {
			return app.Error500(req, err)
		}
		return itty.NewResponse("ok", http.StatusOK)
	})
	return &pxRig{app: app, mgr: mgr}
}

func (r *pxRig) ips(t *testing.T) []string {
	t.Helper()
	infos, err := r.mgr.UserSessions(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range infos {
		out = append(out, i.IP)
	}
	return out
}

func pxPost(t *testing.T, c *ittytest.Client, path string, header ...string) *ittytest.Response {
	t.Helper()
	req := c.NewRequest("POST", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	r := c.Do(req)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, r.StatusCode, r.Body)
	}
	return r
}

func TestOutsideAttackForgedProtoFromUntrustedPeerGainsSecure(t *testing.T) {
	for _, trusted := range [][]string{nil, {"127.0.0.1/32"}} {
		rig := newPxRig(t, trusted, sessions.Options{})
		c := ittytest.NewClient(t, rig.app)
		c.RemoteAddr = "192.0.2.66:4711"
		ck := pxPost(t, c, "/login", "X-Forwarded-Proto", "https", "X-Forwarded-For", "127.0.0.1").Cookie("sid")
		if ck == nil {
			t.Fatal("no session cookie")
		}
		if ck.Secure {
			t.Errorf("TrustedProxies %v: a plain-http client forging X-Forwarded-Proto: https got a Secure session cookie: the header was believed", trusted)
		}
	}
}

func TestOutsideAttackPlantedProtoStripsSecure(t *testing.T) {
	cases := [][]string{
		// the client's own line first, the proxy's last
		{"X-Forwarded-Proto", "http", "X-Forwarded-Proto", "https"},
		// a proxy that appends to the client's value
		{"X-Forwarded-Proto", "http, https"},
		{"X-Forwarded-Proto", "HTTPS"},
	}
	for _, h := range cases {
		rig := newPxRig(t, []string{"127.0.0.1/32"}, sessions.Options{})
		c := ittytest.NewClient(t, rig.app)
		c.RemoteAddr = "127.0.0.1:5000"
		ck := pxPost(t, c, "/login", append([]string{"X-Forwarded-For", "203.0.113.9"}, h...)...).Cookie("sid")
		if ck == nil || !ck.Secure {
			t.Errorf("behind the trusted proxy saying https last (%q): session cookie %+v is not Secure: the client stripped Secure from its own cookie", h, ck)
		}
	}
	// And the other way: the client planted https, the proxy said http.
	for _, h := range [][]string{
		{"X-Forwarded-Proto", "https", "X-Forwarded-Proto", "http"},
		{"X-Forwarded-Proto", "https, http"},
	} {
		rig := newPxRig(t, []string{"127.0.0.1/32"}, sessions.Options{})
		c := ittytest.NewClient(t, rig.app)
		c.RemoteAddr = "127.0.0.1:5000"
		if ck := pxPost(t, c, "/login", h...).Cookie("sid"); ck == nil || ck.Secure {
			t.Errorf("the proxy said http last (%q) but the session cookie is %+v", h, ck)
		}
	}
}

func TestOutsideAttackOptionsSecureSurvivesProxyHeaders(t *testing.T) {
	rig := newPxRig(t, []string{"127.0.0.1/32"}, sessions.Options{Secure: true})
	c := ittytest.NewClient(t, rig.app)
	c.RemoteAddr = "192.0.2.66:4711" // around the proxy
	if ck := pxPost(t, c, "/login", "X-Forwarded-Proto", "http").Cookie("sid"); ck == nil || !ck.Secure {
		t.Errorf("Options.Secure, a request around the proxy saying http: cookie %+v is not Secure", ck)
	}
}

func TestOutsideAttackTrackClientsForgedForwardedFor(t *testing.T) {
	// Straight to the app: X-Forwarded-For is ignored.
	for _, trusted := range [][]string{nil, {"127.0.0.1/32", "10.0.0.0/8"}} {
		rig := newPxRig(t, trusted, sessions.Options{TrackClients: true})
		c := ittytest.NewClient(t, rig.app)
		c.RemoteAddr = "192.0.2.66:4711"
		pxPost(t, c, "/login", "X-Forwarded-For", "198.51.100.77", "X-Forwarded-For", "10.0.0.1, 127.0.0.1")
		if ips := rig.ips(t); len(ips) != 1 || ips[0] != "192.0.2.66" {
			t.Errorf("TrustedProxies %v: an untrusted peer forging X-Forwarded-For is recorded as %q, want [192.0.2.66]", trusted, ips)
		}
	}
	// Behind the proxy: what the client wrote left of the proxy's entry is
	// not recorded, on login nor on a later write.
	rig := newPxRig(t, []string{"127.0.0.1/32", "10.0.0.0/8"}, sessions.Options{TrackClients: true})
	c := ittytest.NewClient(t, rig.app)
	c.RemoteAddr = "127.0.0.1:5000"
	pxPost(t, c, "/login", "X-Forwarded-For", "198.51.100.77, 10.0.0.1, 203.0.113.9")
	pxPost(t, c, "/touch", "X-N", "1", "X-Forwarded-For", "198.51.100.77", "X-Forwarded-For", "203.0.113.9, 10.0.0.4")
	if ips := rig.ips(t); len(ips) != 1 || ips[0] != "203.0.113.9" {
		t.Errorf("behind the trusted proxy, the planted entries got recorded: %q, want [203.0.113.9]", ips)
	}
}

func TestOutsideAttackTrackClientsNilAppIgnoresHeaders(t *testing.T) {
	mgr, err := sessions.New(nil, sessions.NewMemoryStore(), sessions.Options{CookieName: "sid", TrackClients: true})
	if err != nil {
		t.Fatal(err)
	}
	h := mgr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
		io.WriteString(w, "ok")
	}))
	c := ittytest.NewClient(t, h)
	c.RemoteAddr = "127.0.0.1:5000"
	req := c.NewRequest("POST", "/", nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.77")
	req.Header.Set("X-Forwarded-Proto", "https")
	r := c.Do(req)
	if ck := r.Cookie("sid"); ck == nil || ck.Secure {
		t.Errorf("Manager without an App believed X-Forwarded-Proto: cookie %+v", ck)
	}
	infos, err := mgr.UserSessions(context.Background(), "ada")
	if err != nil || len(infos) != 1 {
		t.Fatalf("UserSessions: %v %v", infos, err)
	}
	t.Logf("nil-App Manager recorded IP %q", infos[0].IP)
	if ip := infos[0].IP; strings.Contains(ip, "198.51.100.77") || !strings.HasPrefix(ip, "127.0.0.1") {
		t.Errorf("Manager without an App recorded %q for a peer 127.0.0.1 forging X-Forwarded-For", ip)
	}
}

func TestOutsideAttackMiddlewareBehindRealProxy(t *testing.T) {
	app := itty.New() // serves nothing: it only names the proxy
	app.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	mgr, err := sessions.New(app, sessions.NewMemoryStore(), sessions.Options{CookieName: "sid", TrackClients: true})
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(mgr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
		io.WriteString(w, "ok")
	})))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}})
	defer proxy.Close()

	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	attacker := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	for _, u := range []string{proxy.URL, backend.URL} {
		req, _ := http.NewRequest("POST", u+"/", nil)
		req.Header.Add("X-Forwarded-For", "198.51.100.77")
		req.Header.Add("X-Forwarded-For", "127.0.0.1")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := attacker.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "sid" && ck.Secure {
				t.Errorf("%s: plain-http attacker on 127.0.0.2 forging X-Forwarded-Proto got a Secure cookie", u)
			}
		}
	}
	infos, err := mgr.UserSessions(context.Background(), "ada")
	if err != nil || len(infos) != 2 {
		t.Fatalf("UserSessions: %v %v", infos, err)
	}
	for _, i := range infos {
		if i.IP != "127.0.0.2" {
			t.Errorf("attacker on 127.0.0.2 (through and around the proxy) recorded as %q", i.IP)
		}
	}
}
