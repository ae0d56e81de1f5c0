package sessions_test

// Sessions behind a reverse proxy: what the session cookie and
// UserSessions believe of X-Forwarded-Proto and X-Forwarded-For, with and
// without the App's TrustedProxies, for an itty handler and for a net/http
// handler behind Manager.Middleware (whose Manager takes the App for its
// TrustedProxies, though the App serves nothing there).

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// proxiedLoginApp logs in "ada" on POST /login, both in an itty handler and
// in a net/http one; trusted lists the App's TrustedProxies.
func proxiedLoginApp(t *testing.T, opts sessions.Options, trusted ...string) (map[string]http.Handler, *sessions.Manager) {
	app := itty.New()
	for _, p := range trusted {
		app.TrustedProxies = append(app.TrustedProxies, netip.MustParsePrefix(p))
	}
	mgr, err := sessions.New(app, newMemory(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser("ada")
		return app.Render(req, "ok")
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
		w.Write([]byte("ok"))
	})
	return map[string]http.Handler{"itty": app, "net/http": mgr.Middleware(mux)}, mgr
}

// proxiedLogin sends the login from remote with the header pairs given and
// returns the session cookie's Set-Cookie line.
func proxiedLogin(t *testing.T, h http.Handler, remote string, header ...string) string {
	t.Helper()
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("login from %s %v: %d %s", remote, header, rec.Code, rec.Body)
	}
	return rec.Header().Get("Set-Cookie")
}

// TestProxiedHTTPSClientGetsSecureCookie: a client on https, behind a
// trusted proxy that terminates TLS, gets a Secure session cookie without
// Options.Secure; a client that talks plain http to the app and claims
// https does not, and neither does a proxied client on plain http.
func TestProxiedHTTPSClientGetsSecureCookie(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		proto   string
		secure  bool
	}{
		{"trusted proxy, https", []string{"127.0.0.1/32"}, "127.0.0.1:5000", "https", true},
		{"trusted proxy, http", []string{"127.0.0.1/32"}, "127.0.0.1:5000", "http", false},
		{"forged by a direct client", []string{"10.0.0.0/8"}, "203.0.113.5:4000", "https", false},
		{"no TrustedProxies", nil, "127.0.0.1:5000", "https", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handlers, _ := proxiedLoginApp(t, sessions.Options{CookieName: "sid"}, tt.trusted...)
			for kind, h := range handlers {
				line := proxiedLogin(t, h, tt.remote, "X-Forwarded-Proto", tt.proto)
				if !strings.HasPrefix(line, "sid=") {
					t.Fatalf("%s: Set-Cookie: %q, want the session cookie", kind, line)
				}
				if got := strings.Contains(line, "; Secure"); got != tt.secure {
					t.Fatalf("%s: Set-Cookie: %q; Secure %v, want %v", kind, line, got, tt.secure)
				}
			}
		})
	}
}

// TestAttackForgedForwardedForInUserSessions: with TrackClients, the
// address UserSessions shows a user (to spot a stranger's login) is the
// client's as the trusted proxy reports it. A client that sends its own
// X-Forwarded-For, directly or through the proxy, cannot put another
// address there.
func TestAttackForgedForwardedForInUserSessions(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     string
		want    string
	}{
		{"behind the proxy", []string{"127.0.0.1/32"}, "127.0.0.1:5000", "198.51.100.7", "198.51.100.7"},
		{"forged left of the proxy's entry", []string{"127.0.0.1/32"}, "127.0.0.1:5000", "192.0.2.1, 198.51.100.7", "198.51.100.7"},
		{"forged by a direct client", []string{"127.0.0.1/32"}, "203.0.113.5:4000", "192.0.2.1", "203.0.113.5"},
		{"no TrustedProxies", nil, "127.0.0.1:5000", "192.0.2.1", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handlers, mgr := proxiedLoginApp(t, sessions.Options{CookieName: "sid", TrackClients: true}, tt.trusted...)
			for kind, h := range handlers {
				proxiedLogin(t, h, tt.remote, "X-Forwarded-For", tt.xff)
				infos, err := mgr.UserSessions(context.Background(), "ada")
				if err != nil || len(infos) != 1 {
					t.Fatalf("%s: UserSessions: %+v %v", kind, infos, err)
				}
				if infos[0].IP != tt.want {
					t.Fatalf("%s: UserSessions shows %q, want %q", kind, infos[0].IP, tt.want)
				}
				if _, err := mgr.DestroyUser(context.Background(), "ada"); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
