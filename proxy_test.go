package itty

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// proxyApp trusts the loopback proxies and a private network of them.
func proxyApp() *App {
	a := New()
	a.TrustedProxies = []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8"),
	}
	return a
}

func proxied(remote string, header ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

func TestClientAddr(t *testing.T) {
	xff := "X-Forwarded-For"
	tests := []struct {
		name   string
		r      *http.Request
		want   string // "" for the zero Addr
		isPeer bool   // the trusting App's answer is the peer's address
	}{
		{"no proxy header", proxied("203.0.113.7:4000"), "203.0.113.7", true},
		{"peer not trusted: header ignored", proxied("203.0.113.7:4000", xff, "198.51.100.1"), "203.0.113.7", true},
		{"one trusted proxy", proxied("127.0.0.1:5000", xff, "198.51.100.1"), "198.51.100.1", false},
		{"trusted peer without the header", proxied("127.0.0.1:5000"), "127.0.0.1", true},
		{"two trusted hops skipped", proxied("127.0.0.1:5000", xff, "198.51.100.1, 10.1.2.3"), "198.51.100.1", false},
		{"hops across header lines", proxied("127.0.0.1:5000", xff, "198.51.100.1", xff, "10.1.2.3"), "198.51.100.1", false},
		{"IPv6 peer and client", proxied("[::1]:5000", xff, "2001:db8::7"), "2001:db8::7", false},
		{"entries with ports and brackets", proxied("127.0.0.1:5000", xff, "[2001:db8::7]:443, 10.0.0.2:80"), "2001:db8::7", false},
		{"bracketed address without a port", proxied("127.0.0.1:5000", xff, "[2001:db8::7]"), "2001:db8::7", false},
		{"IPv4-mapped entry is unmapped", proxied("127.0.0.1:5000", xff, "::ffff:198.51.100.1"), "198.51.100.1", false},
		{"zone dropped", proxied("127.0.0.1:5000", xff, "fe80::1%eth0"), "fe80::1", false},
		{"all hops trusted: the leftmost", proxied("127.0.0.1:5000", xff, "10.0.0.9, 10.0.0.8"), "10.0.0.9", false},
		{"unknown entry ends at the proxy that passed it", proxied("127.0.0.1:5000", xff, "198.51.100.1, unknown, 10.0.0.8"), "10.0.0.8", false},
		{"empty entry ends at the peer", proxied("127.0.0.1:5000", xff, "198.51.100.1,"), "127.0.0.1", true},
		{"RemoteAddr without a port", proxied("203.0.113.7"), "203.0.113.7", true},
		{"RemoteAddr not an address", proxied("@", xff, "198.51.100.1"), "", true},
		{"RemoteAddr empty", proxied("", xff, "198.51.100.1"), "", true},
	}
	trusting, none := proxyApp(), New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := trusting.ClientAddr(tt.r)
			if got.String() != tt.want && !(tt.want == "" && !got.IsValid()) {
				t.Errorf("trusting App: ClientAddr = %v, want %q", got, tt.want)
			}
			peer := parseAddr(tt.r.RemoteAddr)
			if got := none.ClientAddr(tt.r); got != peer {
				t.Errorf("App without TrustedProxies: ClientAddr = %v, want the peer %v", got, peer)
			}
			if tt.isPeer != (got == peer) {
				t.Errorf("trusting App: ClientAddr = %v; the peer is %v", got, peer)
			}
			if got := (*App)(nil).ClientAddr(tt.r); got != peer {
				t.Errorf("nil App: ClientAddr = %v, want the peer %v", got, peer)
			}
		})
	}
}

func TestIsSecure(t *testing.T) {
	xfp := "X-Forwarded-Proto"
	onTLS := proxied("203.0.113.7:4000")
	onTLS.TLS = &tls.ConnectionState{}
	tests := []struct {
		name           string
		r              *http.Request
		trusting, none bool
	}{
		{"plain http", proxied("203.0.113.7:4000"), false, false},
		{"TLS to this server", onTLS, true, true},
		{"trusted proxy says https", proxied("127.0.0.1:5000", xfp, "https"), true, false},
		{"trusted proxy says HTTPS", proxied("127.0.0.1:5000", xfp, " HTTPS "), true, false},
		{"trusted proxy says http", proxied("127.0.0.1:5000", xfp, "http"), false, false},
		{"the nearest proxy's value counts", proxied("127.0.0.1:5000", xfp, "https, http"), false, false},
		{"the last header line counts", proxied("127.0.0.1:5000", xfp, "http", xfp, "https"), true, false},
		{"untrusted peer says https", proxied("203.0.113.7:4000", xfp, "https"), false, false},
		{"trusted peer, no header", proxied("127.0.0.1:5000"), false, false},
	}
	trusting, none := proxyApp(), New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trusting.IsSecure(tt.r); got != tt.trusting {
				t.Errorf("trusting App: IsSecure = %v, want %v", got, tt.trusting)
			}
			if got := none.IsSecure(tt.r); got != tt.none {
				t.Errorf("App without TrustedProxies: IsSecure = %v, want %v", got, tt.none)
			}
		})
	}
}

// TestAttackForgedForwardedForWithoutProxy: a client that talks to the app
// directly sends X-Forwarded-For and X-Forwarded-Proto to pass for another
// address (to slip out of a per-address lock) or for https. The handler
// sees its real address and plain http.
func TestAttackForgedForwardedForWithoutProxy(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		a := New()
		if trusted {
			// Proxies are trusted, but this client is not one of them.
			a.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		}
		a.Get("/", func(req *Request) *Response {
			return a.Render(req, req.ClientAddr().String()+" "+map[bool]string{true: "https", false: "http"}[req.IsSecure()])
		})
		srv := httptest.NewServer(a)
		r, _ := http.NewRequest("GET", srv.URL, nil)
		r.Header.Set("X-Forwarded-For", "10.0.0.1, 198.51.100.1")
		r.Header.Set("X-Forwarded-Proto", "https")
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		srv.Close()
		if got := body.String(); got != "127.0.0.1 http" {
			t.Errorf("TrustedProxies %v: the forging client is seen as %q, want 127.0.0.1 http", a.TrustedProxies, got)
		}
	}
}

// TestAttackStuffedForwardedFor: behind a trusted proxy that appends the
// address it was reached from, a client prepends trusted-looking and
// forged entries, thousands of them. The answer is the address the proxy
// appended, found without walking the stuffing.
func TestAttackStuffedForwardedFor(t *testing.T) {
	a := proxyApp()
	stuffing := strings.Repeat("127.0.0.1, 10.0.0.1, 192.0.2.66, ", 2000)
	r := proxied("127.0.0.1:5000", "X-Forwarded-For", stuffing+"198.51.100.1")
	if got := a.ClientAddr(r); got.String() != "198.51.100.1" {
		t.Fatalf("ClientAddr = %v, want the address the proxy appended, 198.51.100.1", got)
	}
	if n := testing.AllocsPerRun(100, func() { a.ClientAddr(r) }); n != 0 {
		t.Errorf("ClientAddr allocates %v times", n)
	}
	// A stuffed header on its own line before the proxy's is the same.
	r = proxied("127.0.0.1:5000", "X-Forwarded-For", stuffing, "X-Forwarded-For", "198.51.100.1")
	if got := a.ClientAddr(r); got.String() != "198.51.100.1" {
		t.Fatalf("ClientAddr with the stuffing on its own line = %v, want 198.51.100.1", got)
	}
}

// TestAttackTrustedNetworkHopInjection: the client claims an address inside
// the trusted network, hoping to be skipped as a proxy so that its own
// forged entry to the left is taken as the client. The walk stops at the
// first untrusted entry from the right, the proxy's record of the client.
func TestAttackTrustedNetworkHopInjection(t *testing.T) {
	a := proxyApp()
	// The client (203.0.113.9) sent "192.0.2.1, 10.9.9.9"; the proxy
	// appended 203.0.113.9.
	r := proxied("127.0.0.1:5000", "X-Forwarded-For", "192.0.2.1, 10.9.9.9, 203.0.113.9")
	if got := a.ClientAddr(r); got.String() != "203.0.113.9" {
		t.Fatalf("ClientAddr = %v, want 203.0.113.9", got)
	}
}

// TestProxyAccessLogNamesClient: with TrustedProxies set, each access-log
// line has the client beside the peer.
func TestProxyAccessLogNamesClient(t *testing.T) {
	var logs bytes.Buffer
	a := proxyApp()
	a.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	a.Get("/", func(req *Request) *Response { return a.Render(req, "ok") })
	h := a.accessLog(a)
	h.ServeHTTP(httptest.NewRecorder(), proxied("127.0.0.1:5000", "X-Forwarded-For", "198.51.100.1"))
	if line := logs.String(); !strings.Contains(line, "remote=127.0.0.1:5000") || !strings.Contains(line, "client=198.51.100.1") {
		t.Fatalf("access log: %s", line)
	}
	logs.Reset()
	plain := New()
	plain.Logger = a.Logger
	h = plain.accessLog(a)
	h.ServeHTTP(httptest.NewRecorder(), proxied("127.0.0.1:5000", "X-Forwarded-For", "198.51.100.1"))
	if line := logs.String(); !strings.Contains(line, "remote=127.0.0.1:5000") || strings.Contains(line, "client=") {
		t.Fatalf("access log of an App without TrustedProxies names a client: %s", line)
	}
}
