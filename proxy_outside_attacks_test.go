package itty_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
)

// Attacks on the reverse-proxy trust of App.ClientAddr and App.IsSecure,
// written from the doc comments and docs/deploying.md, not from the
// authors' tests.

func prefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// hand builds a request from peer with the given header lines, each
// "Name: value", added one line at a time.
func hand(peer string, lines ...string) *http.Request {
	r := httptest.NewRequest("GET", "http://example.com/", nil)
	r.RemoteAddr = peer
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ":")
		r.Header.Add(k, strings.TrimPrefix(v, " "))
	}
	return r
}

// whoApp answers /who with "ClientAddr IsSecure", as a handler sees them.
func whoApp(trusted []netip.Prefix) *itty.App {
	app := itty.New()
	app.TrustedProxies = trusted
	app.Get("/who", func(req *itty.Request) *itty.Response {
		return itty.NewResponse(fmt.Sprintf("%v %v", req.ClientAddr(), req.IsSecure()), http.StatusOK)
	})
	return app
}

func TestOutsideAttackForgedHeadersFromUntrustedPeer(t *testing.T) {
	for _, trusted := range [][]netip.Prefix{nil, prefixes(t, "127.0.0.1/32", "::1/128"), prefixes(t, "10.0.0.0/8")} {
		app := whoApp(trusted)
		c := ittytest.NewClient(t, app)
		c.RemoteAddr = "192.0.2.66:4711"
		req := c.NewRequest("GET", "/who", nil)
		req.Header.Add("X-Forwarded-For", "127.0.0.1")
		req.Header.Add("X-Forwarded-For", "10.0.0.1, 203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		if got := c.Do(req).Body; got != "192.0.2.66 false" {
			t.Errorf("TrustedProxies %v: an untrusted peer forging X-Forwarded-For/-Proto is seen as %q, want \"192.0.2.66 false\": the attacker chose its address or scheme", trusted, got)
		}
		r := hand("192.0.2.66:4711", "X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https")
		if got := app.ClientAddr(r); got != netip.MustParseAddr("192.0.2.66") {
			t.Errorf("TrustedProxies %v: App.ClientAddr from an untrusted peer = %v: the attacker chose its address", trusted, got)
		}
		if app.IsSecure(r) {
			t.Errorf("TrustedProxies %v: App.IsSecure believed an untrusted peer's X-Forwarded-Proto: https", trusted)
		}
	}
}

func TestOutsideAttackInvalidTrustedPrefixTrustsNobody(t *testing.T) {
	app := whoApp([]netip.Prefix{{}}) // the zero Prefix, as a failed parse leaves
	r := hand("192.0.2.66:1", "X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https")
	if got := app.ClientAddr(r); got != netip.MustParseAddr("192.0.2.66") || app.IsSecure(r) {
		t.Errorf("a zero netip.Prefix in TrustedProxies let any peer forge: ClientAddr %v, IsSecure %v", got, app.IsSecure(r))
	}
}

func TestOutsideAttackPlantedEntriesLeftOfTheProxy(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32", "10.0.0.0/8"))
	real := netip.MustParseAddr("203.0.113.9")
	cases := [][]string{
		// one comma-joined line, the proxy appended the client
		{"X-Forwarded-For: 198.51.100.1, 10.0.0.3, 127.0.0.1, 203.0.113.9"},
		// the client's own lines first, the proxy's line last
		{"X-Forwarded-For: 10.0.0.3", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-For: 203.0.113.9"},
		{"X-Forwarded-For: 198.51.100.1, 10.0.0.3", "X-Forwarded-For: 203.0.113.9"},
		// a trusted LB in 10/8 then nginx on 127.0.0.1: LB appended the client
		{"X-Forwarded-For: 198.51.100.1, 203.0.113.9, 10.0.0.7"},
		{"X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 203.0.113.9", "X-Forwarded-For: 10.0.0.7"},
		// the client planted an IPv4-mapped or bracketed form of a proxy
		{"X-Forwarded-For: ::ffff:127.0.0.1, [::ffff:10.0.0.9]:80, 203.0.113.9"},
		// garbage to the left of the client
		{"X-Forwarded-For: unknown, , _hidden, 999.1.1.1, 203.0.113.9"},
	}
	for _, lines := range cases {
		r := hand("127.0.0.1:5000", lines...)
		if got := app.ClientAddr(r); got != real {
			t.Errorf("%q: ClientAddr = %v, want %v: the client's planted entries were believed", lines, got, real)
		}
	}
}

func TestOutsideAttackEntryForms(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32", "10.0.0.0/8", "fd00::/8"))
	cases := map[string]string{
		"  203.0.113.9\t":            "203.0.113.9",
		"203.0.113.9:4711":           "203.0.113.9",
		"[2001:db8::5]:443":          "2001:db8::5",
		"[2001:db8::5]":              "2001:db8::5",
		"2001:DB8:0:0::5":            "2001:db8::5",
		"fe80::1%eth0":               "fe80::1",
		"[fe80::1%eth0]:80":          "fe80::1",
		"::ffff:203.0.113.9":         "203.0.113.9",
		"[::ffff:203.0.113.9]:1":     "203.0.113.9",
		"203.0.113.9, fd00::1":       "203.0.113.9", // a trusted v6 proxy hop
		"203.0.113.9, ::ffff:10.1.1": "127.0.0.1",   // not an address: stop at the peer
	}
	for xff, want := range cases {
		r := hand("127.0.0.1:5000", "X-Forwarded-For: "+xff)
		if got := app.ClientAddr(r); got.String() != want {
			t.Errorf("X-Forwarded-For %q: ClientAddr = %v, want %v", xff, got, want)
		}
		if got := app.ClientAddr(r); got.Zone() != "" || got.Is4In6() {
			t.Errorf("X-Forwarded-For %q: ClientAddr %v keeps a zone or an IPv4 mapping", xff, got)
		}
	}
}

func TestOutsideAttackNotAnAddressStopsAtTheProxy(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.0/8", "10.0.0.0/8"))
	cases := []struct {
		peer  string
		lines []string
		want  string
	}{
		{"127.0.0.1:1", []string{"X-Forwarded-For: unknown"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9, unknown"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9,"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-For: "}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9, _obf, 10.0.0.5"}, "10.0.0.5"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9%eth0"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9 198.51.100.1"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: [203.0.113.9]:80"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 0203.0.113.9"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: 203.0.113.9:99999"}, "127.0.0.1"},
		{"127.0.0.1:1", []string{"X-Forwarded-For: " + strings.Repeat("9", 70000)}, "127.0.0.1"},
	}
	for _, c := range cases {
		if got := app.ClientAddr(hand(c.peer, c.lines...)); got.String() != c.want {
			t.Errorf("%s %q: ClientAddr = %v, want %v (the trusted proxy that passed the non-address on)", c.peer, c.lines, got, c.want)
		}
	}
}

func TestOutsideAttackAllEntriesTrusted(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.0/8", "10.0.0.0/8"))
	r := hand("127.0.0.1:1", "X-Forwarded-For: 10.0.0.5, 127.0.0.9", "X-Forwarded-For: 10.0.0.6")
	if got := app.ClientAddr(r); got != netip.MustParseAddr("10.0.0.5") {
		t.Errorf("every entry trusted: ClientAddr = %v, want the leftmost entry 10.0.0.5", got)
	}
	r = hand("127.0.0.1:1")
	if got := app.ClientAddr(r); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("trusted peer without X-Forwarded-For: ClientAddr = %v, want the peer", got)
	}
}

func TestOutsideAttackStuffedForwardedFor(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32", "10.0.0.0/8"))
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "10.0.%d.%d, ", i/256%256, i%256)
	}
	b.WriteString("203.0.113.9")
	r := hand("127.0.0.1:5000", "X-Forwarded-For: "+b.String())
	for range 200 {
		r.Header.Add("X-Forwarded-For", "10.0.0.1, 127.0.0.1")
	}
	r.Header.Add("X-Forwarded-For", "198.51.100.2")
	if got := app.ClientAddr(r); got != netip.MustParseAddr("198.51.100.2") {
		t.Fatalf("stuffed X-Forwarded-For: ClientAddr = %v, want the proxy's entry 198.51.100.2", got)
	}
	if n := testing.AllocsPerRun(100, func() { app.ClientAddr(r) }); n != 0 {
		t.Errorf("ClientAddr allocates %v times on a stuffed header (promised none)", n)
	}
}

func TestOutsideAttackRemoteAddrForms(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32", "::1/128", "fe80::/10"))
	xff := []string{"X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https"}
	cases := []struct {
		peer    string
		want    netip.Addr
		secure  bool
		comment string
	}{
		{"@", netip.Addr{}, false, "unix socket"},
		{"", netip.Addr{}, false, "empty"},
		{"garbage", netip.Addr{}, false, "garbage"},
		{"127.0.0.1", netip.MustParseAddr("203.0.113.9"), true, "no port"},
		{"[::1]:80", netip.MustParseAddr("203.0.113.9"), true, "v6 loopback"},
		{"::1", netip.MustParseAddr("203.0.113.9"), true, "v6 no brackets"},
		{"[::ffff:127.0.0.1]:80", netip.MustParseAddr("203.0.113.9"), true, "v4-mapped trusted v4"},
		{"[fe80::1%eth0]:80", netip.MustParseAddr("203.0.113.9"), true, "zoned link-local"},
		{"127.0.0.2:80", netip.MustParseAddr("127.0.0.2"), false, "neighbour of a /32"},
		{"[::ffff:127.0.0.2]:80", netip.MustParseAddr("127.0.0.2"), false, "mapped neighbour"},
		{"[::2]:80", netip.MustParseAddr("::2"), false, "v6 neighbour"},
	}
	for _, c := range cases {
		r := hand(c.peer, xff...)
		if got := app.ClientAddr(r); got != c.want {
			t.Errorf("RemoteAddr %q (%s): ClientAddr = %v, want %v", c.peer, c.comment, got, c.want)
		}
		if got := app.IsSecure(r); got != c.secure {
			t.Errorf("RemoteAddr %q (%s): IsSecure = %v, want %v", c.peer, c.comment, got, c.secure)
		}
	}
}

func TestOutsideAttackMappedPrefixes(t *testing.T) {
	// An admin writes the trusted proxies in IPv4-mapped or IPv6-only
	// forms. A mapped prefix stands for its IPv4 network (the addresses it
	// is compared with are unmapped): exactly that network's peers are
	// believed, in either spelling, and no IPv4 client slips into an IPv6
	// prefix such as ::/0.
	tests := []struct {
		prefix  string
		peer    string
		trusted bool
	}{
		{"::ffff:127.0.0.1/128", "127.0.0.1:1", true},
		{"::ffff:127.0.0.1/128", "[::ffff:127.0.0.1]:1", true},
		{"::ffff:127.0.0.1/128", "127.0.0.2:1", false},
		{"::ffff:127.0.0.1/128", "192.0.2.66:1", false},
		{"::ffff:10.0.0.0/104", "10.1.2.3:1", true},
		{"::ffff:10.0.0.0/104", "11.0.0.1:1", false},
		{"::/0", "192.0.2.66:1", false},
		{"::/0", "[::ffff:192.0.2.66]:1", false},
		{"::/0", "[2001:db8::1]:1", true},
	}
	for _, tt := range tests {
		app := whoApp(prefixes(t, tt.prefix))
		r := hand(tt.peer, "X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https")
		believed := app.ClientAddr(r) == netip.MustParseAddr("203.0.113.9")
		if believed != tt.trusted || app.IsSecure(r) != tt.trusted {
			t.Errorf("TrustedProxies %s, peer %s: headers believed %v (ClientAddr %v, IsSecure %v), want %v", tt.prefix, tt.peer, believed, app.ClientAddr(r), app.IsSecure(r), tt.trusted)
		}
	}
}

func TestOutsideAttackForwardedProtoForms(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32"))
	cases := []struct {
		lines []string
		want  bool
	}{
		{[]string{"https"}, true},
		{[]string{"HTTPS"}, true},
		{[]string{" https "}, true},
		{[]string{"http, https"}, true},
		{[]string{"https, http"}, false},
		{[]string{"https,http"}, false},
		{[]string{"https", "http"}, false},
		{[]string{"http", "https"}, true},
		{[]string{"https", ""}, false},
		{[]string{"https,"}, false},
		{[]string{"httpss"}, false},
		{[]string{"https;"}, false},
		{[]string{"wss"}, false},
		{[]string{""}, false},
		{nil, false},
	}
	for _, c := range cases {
		var lines []string
		for _, l := range c.lines {
			lines = append(lines, "X-Forwarded-Proto: "+l)
		}
		if got := app.IsSecure(hand("127.0.0.1:1", lines...)); got != c.want {
			t.Errorf("trusted peer, X-Forwarded-Proto lines %q: IsSecure = %v, want %v", c.lines, got, c.want)
		}
		if app.IsSecure(hand("192.0.2.66:1", lines...)) {
			t.Errorf("untrusted peer, X-Forwarded-Proto lines %q: IsSecure = true", c.lines)
		}
	}
	// TLS to this server is secure whatever a header says.
	r := hand("192.0.2.66:1", "X-Forwarded-Proto: http")
	r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	if !app.IsSecure(r) {
		t.Error("a request over TLS to this server, with X-Forwarded-Proto: http from an untrusted peer, is not secure")
	}
}

func TestOutsideAttackNilAndZeroApp(t *testing.T) {
	var nilApp *itty.App
	r := hand("127.0.0.1:5000", "X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https")
	if got := nilApp.ClientAddr(r); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("nil App: ClientAddr = %v, want the peer 127.0.0.1", got)
	}
	if nilApp.IsSecure(r) {
		t.Error("nil App: IsSecure believed X-Forwarded-Proto")
	}
	zero := &itty.App{}
	zero.Get("/who", func(req *itty.Request) *itty.Response {
		return itty.NewResponse(fmt.Sprintf("%v %v", req.ClientAddr(), req.IsSecure()), http.StatusOK)
	})
	c := ittytest.NewClient(t, zero)
	c.RemoteAddr = "127.0.0.1:5000"
	req := c.NewRequest("GET", "/who", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Forwarded-Proto", "https")
	if got := c.Do(req).Body; got != "127.0.0.1 false" {
		t.Errorf("zero App: handler saw %q, want \"127.0.0.1 false\"", got)
	}
}

// dialFrom returns an http.Client whose connections leave from local (an
// address of the loopback network), so that a test can be a client that
// is not the trusted proxy on 127.0.0.1.
func dialFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

func proxyGet(t *testing.T, c *http.Client, u string, header ...string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOutsideAttackThroughARealProxy(t *testing.T) {
	var log syncBuffer
	app := whoApp(prefixes(t, "127.0.0.1/32"))
	app.Logger = slog.New(slog.NewTextHandler(&log, nil))
	backend := httptest.NewServer(app.NewServer("").Handler)
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	// A proxy that sets the headers itself, as the docs ask.
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}})
	defer proxy.Close()

	attacker := dialFrom("127.0.0.2")
	got := proxyGet(t, attacker, proxy.URL+"/who",
		"X-Forwarded-For", "127.0.0.1, 10.0.0.1",
		"X-Forwarded-For", "198.51.100.1",
		"X-Forwarded-Proto", "https")
	if got != "127.0.0.2 false" {
		t.Errorf("through a real proxy, an attacker on 127.0.0.2 forging X-Forwarded-For/-Proto is seen as %q, want \"127.0.0.2 false\"", got)
	}
	// Around the proxy, straight to the app.
	got = proxyGet(t, attacker, backend.URL+"/who", "X-Forwarded-For", "198.51.100.1", "X-Forwarded-Proto", "https")
	if got != "127.0.0.2 false" {
		t.Errorf("around the proxy, an attacker on 127.0.0.2 is seen as %q, want \"127.0.0.2 false\"", got)
	}
	lines := log.String()
	if strings.Contains(lines, "client=198.51.100.1") || strings.Contains(lines, "client=10.0.0.1") ||
		strings.Count(lines, "client=127.0.0.2") != 2 {
		t.Errorf("access log names a forged client:\n%s", lines)
	}
}

func TestOutsideAttackAccessLogWithoutTrust(t *testing.T) {
	var log syncBuffer
	app := whoApp(nil)
	app.Logger = slog.New(slog.NewTextHandler(&log, nil))
	srv := httptest.NewServer(app.NewServer("").Handler)
	defer srv.Close()
	proxyGet(t, http.DefaultClient, srv.URL+"/who", "X-Forwarded-For", "198.51.100.1")
	if l := log.String(); strings.Contains(l, "198.51.100.1") || !strings.Contains(l, "remote=127.0.0.1:") {
		t.Errorf("access log without TrustedProxies:\n%s", l)
	}
}

// rawRequest writes a request byte for byte from local and returns the
// response body.
func rawRequest(t *testing.T, local, addr, req string) string {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestOutsideAttackRawHeaderSpellings(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32"))
	srv := httptest.NewServer(app)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	spellings := []string{
		"x-forwarded-for: 198.51.100.1\r\nX-FORWARDED-PROTO: https\r\n",
		"X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nx-forwarded-proto: https\r\n",
		"X-Forwarded-For:127.0.0.1,198.51.100.1\r\nX-Forwarded-Proto:https\r\n",
		"X_Forwarded_For: 198.51.100.1\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n",
	}
	for _, h := range spellings {
		got := rawRequest(t, "127.0.0.2", addr, "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"+h+"\r\n")
		if got != "127.0.0.2 false" {
			t.Errorf("untrusted 127.0.0.2 sending %q is seen as %q", h, got)
		}
	}
	// From the trusted proxy itself, header spelling is not a way around
	// the right-to-left walk.
	got := rawRequest(t, "127.0.0.1", addr, "GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"+
		"x-forwarded-for: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.1\r\nx-forwarded-proto: https\r\nX-FORWARDED-PROTO: http\r\n\r\n")
	if got != "198.51.100.1 false" {
		t.Errorf("trusted peer with mixed-case lines: %q, want \"198.51.100.1 false\"", got)
	}
}

func TestOutsideAttackConcurrentReads(t *testing.T) {
	app := whoApp(prefixes(t, "127.0.0.1/32", "10.0.0.0/8"))
	srv := httptest.NewServer(app.NewServer("").Handler)
	defer srv.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				ip := fmt.Sprintf("198.51.%d.%d", i, j)
				req, _ := http.NewRequest("GET", srv.URL+"/who", nil)
				req.Header.Set("X-Forwarded-For", "10.0.0.1, "+ip+", 10.0.0.2")
				req.Header.Set("X-Forwarded-Proto", "https")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != ip+" true" {
					errs <- fmt.Sprintf("concurrent request for %s saw %q", ip, b)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
