package main

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// Attacks on the login example's per-address throttle behind (and not
// behind) a reverse proxy, written from the docs, not the authors' tests.
//
// The throttle lets a key fail freeFailures times and locks it on the
// failure after those (locked = 429 at once, without the hash): so the
// first freeFailures+1 guesses are 401 and the next is 429. The first lock
// lasts one second, so a lock is checked right after it is set.

// guessesBeforeLock is how many failed logins a key gets before its 429.
const guessesBeforeLock = freeFailures + 1

func pxLoginApp(t *testing.T, proxyFlag string) *itty.App {
	t.Helper()
	app, err := newApp(sessions.NewMemoryStore(), map[string]string{"ada": hashPassword("right")})
	if err != nil {
		t.Fatal(err)
	}
	// As main does with -proxy, after newApp.
	if app.TrustedProxies, err = parsePrefixes(proxyFlag); err != nil {
		t.Fatal(err)
	}
	return app
}

func pxLogin(t *testing.T, app *itty.App, peer, name, password string, xff ...string) int {
	t.Helper()
	c := ittytest.NewClient(t, app)
	c.RemoteAddr = peer
	form := url.Values{"username": {name}, "password": {password}}
	req := c.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, x := range xff {
		req.Header.Add("X-Forwarded-For", x)
	}
	return c.Do(req).StatusCode
}

func TestOutsideAttackRotateForwardedForWithoutProxy(t *testing.T) {
	app := pxLoginApp(t, "")
	for i := range guessesBeforeLock + 1 {
		// A new forged address and a new user name every time, so that
		// only the address key can stop it.
		code := pxLogin(t, app, "192.0.2.66:4711", fmt.Sprintf("guess%d", i), "x",
			fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("127.0.0.%d", i+1))
		if i < guessesBeforeLock && code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
		if i == guessesBeforeLock && code != http.StatusTooManyRequests {
			t.Errorf("without -proxy, a direct client rotating X-Forwarded-For made %d failed logins and got %d, not 429: the forged header picked the throttle key", i+1, code)
		}
	}
}

func TestOutsideAttackRotateForwardedForThroughProxy(t *testing.T) {
	app := pxLoginApp(t, "127.0.0.1/32,::1")
	for i := range guessesBeforeLock + 1 {
		// The client plants an address; nginx appends the real one.
		code := pxLogin(t, app, "127.0.0.1:5000", fmt.Sprintf("guess%d", i), "x",
			fmt.Sprintf("198.51.100.%d, 127.0.0.1", i), "203.0.113.9")
		if i < guessesBeforeLock && code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
		if i == guessesBeforeLock && code != http.StatusTooManyRequests {
			t.Errorf("behind -proxy, a client rotating planted X-Forwarded-For entries made %d failed logins and got %d, not 429", i+1, code)
		}
	}
	// Nor can the guesser get around its lock by going around the proxy
	// with a forged header (it is then keyed on its own address, locked
	// as it is, if it has that address). Checked at once: the lock is 1 s.
	if code := pxLogin(t, app, "203.0.113.9:4711", "guess-around", "x", "198.51.100.202"); code != http.StatusTooManyRequests {
		t.Errorf("the locked client 203.0.113.9, straight to the app with a forged X-Forwarded-For, got %d, not 429", code)
	}
	// The guesser did not lock out the other users behind the same proxy.
	if code := pxLogin(t, app, "127.0.0.1:5001", "nobody", "x", "198.51.100.200"); code != http.StatusUnauthorized {
		t.Errorf("another client behind the proxy got %d after one guesser was locked: every user shares the lock", code)
	}
	if code := pxLogin(t, app, "127.0.0.1:5002", "ada", "right", "198.51.100.201"); code/100 != 3 {
		t.Errorf("ada's right password from another client behind the proxy got %d", code)
	}
}

func TestOutsideAttackAddressSpellingsShareOneKey(t *testing.T) {
	// Proxies write the client's address in different forms (a port, an
	// IPv4-mapped or bracketed form, a zone); each must be the same key.
	for _, spellings := range [][]string{
		{"203.0.113.9", "::ffff:203.0.113.9", "203.0.113.9:1234", "[::ffff:203.0.113.9]:9", " 203.0.113.9 ", "203.0.113.9:5678"},
		{"2001:db8::9", "2001:DB8:0:0::9", "[2001:db8::9]:1", "[2001:db8:0::0009]", "2001:db8::9%eth0", "[2001:db8::9%7]:80"},
	} {
		app := pxLoginApp(t, "127.0.0.1/32,::1")
		spellings = append(spellings, spellings[0])
		for i, s := range spellings {
			code := pxLogin(t, app, "[::1]:5000", fmt.Sprintf("guess%d", i), "x", s)
			if i < guessesBeforeLock && code != http.StatusUnauthorized {
				t.Fatalf("%q: failure %d: %d, want 401", s, i+1, code)
			}
			if i == guessesBeforeLock && code != http.StatusTooManyRequests {
				t.Errorf("one client spelling its address in several ways (%q) made %d failed logins, the next got %d, not 429: each spelling is a fresh throttle key", spellings, i, code)
			}
		}
	}
}

func TestOutsideAttackProxyFlagForms(t *testing.T) {
	ps, err := parsePrefixes(" 127.0.0.1 , ::1,fe80::1%eth0,, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/32", "::1/128", "fe80::1/128", "10.0.0.0/8"}
	if len(ps) != len(want) {
		t.Fatalf("parsePrefixes: %v, want %v", ps, want)
	}
	for i, p := range ps {
		if p.String() != want[i] || !p.IsValid() {
			t.Errorf("parsePrefixes[%d] = %v, want %v", i, p, want[i])
		}
	}
	for _, bad := range []string{"127.0.0.1/33", "localhost", "127.0.0.1:80", "*"} {
		if ps, err := parsePrefixes(bad); err == nil {
			t.Errorf("-proxy %q accepted as %v", bad, ps)
		}
	}
	// A flag that names no network trusts no one.
	ps, _ = parsePrefixes(" , ")
	app := &itty.App{TrustedProxies: ps}
	r, _ := http.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := app.ClientAddr(r); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("-proxy \" , \" trusted someone: ClientAddr %v", got)
	}
}

// cheapLoginApp is the login app behind a trusted proxy on ::1, with ada's
// password and the dummy hash made cheap, so that a flood runs in a test:
// the throttle does not depend on the hash's cost.
func cheapLoginApp(t *testing.T) *itty.App {
	t.Helper()
	cheap := func(pw string) string {
		salt := []byte("0123456789abcdef")
		return formatHash(1, salt, derive(pw, salt, 1))
	}
	saved := dummyHash
	dummyHash = cheap("no such user")
	t.Cleanup(func() { dummyHash = saved })
	app, err := newApp(sessions.NewMemoryStore(), map[string]string{"ada": cheap("right")})
	if err != nil {
		t.Fatal(err)
	}
	if app.TrustedProxies, err = parsePrefixes("::1"); err != nil {
		t.Fatal(err)
	}
	return app
}

// lockAda makes guessesBeforeLock wrong guesses on ada, from addresses
// from() picks, and checks that she is locked.
func lockAda(t *testing.T, app *itty.App, from func() string) {
	t.Helper()
	for range guessesBeforeLock {
		if code := pxLogin(t, app, "[::1]:5000", "ada", "guess", from()); code != http.StatusUnauthorized {
			t.Fatalf("guess on ada: %d", code)
		}
	}
	if code := pxLogin(t, app, "[::1]:5000", "ada", "guess", from()); code != http.StatusTooManyRequests {
		t.Fatalf("ada is not locked after %d guesses: %d", guessesBeforeLock, code)
	}
}

// TestOutsideAttackIPv6RotationWithinOneNetwork: one attacker holds an
// IPv6 /64 (what any home line or server gets) and sends every failed
// login, each under a new name, from a new address in it, through the
// trusted proxy. The /64 is one throttle key, locked like one IPv4
// address: the flood is answered 429 after guessesBeforeLock failures.
func TestOutsideAttackIPv6RotationWithinOneNetwork(t *testing.T) {
	app := cheapLoginApp(t)
	n := 0
	from := func() string { n++; return fmt.Sprintf("2001:db8:1:2::%x", n) }
	checked := 0
	for i := range 200 {
		if code := pxLogin(t, app, "[::1]:5000", fmt.Sprintf("x%d", i), "x", from()); code == http.StatusUnauthorized {
			checked++
		}
	}
	if checked != guessesBeforeLock {
		t.Errorf("an attacker rotating source addresses within one IPv6 /64 behind the trusted proxy had %d of 200 failed logins checked, want %d: each address is a fresh throttle key", checked, guessesBeforeLock)
	}
}

// TestOutsideAttackFloodOfNetworksErasesUserLock: an attacker with many
// IPv6 networks (a /48 holds 65,536 /64s) locks ada, then floods failed
// logins, one a network and a new name each, to push ada's strikes out of
// the throttle's bounded table and guess on with a fresh start. The keys
// the flood adds are within their free failures and go first: ada's lock
// stays.
func TestOutsideAttackFloodOfNetworksErasesUserLock(t *testing.T) {
	app := cheapLoginApp(t)
	n := 0
	from := func() string { n++; return fmt.Sprintf("2001:db8:1:%x::1", n) }
	lockAda(t, app, from)
	const flood = 6000 // two keys each: more than the table's 10,000
	for i := range flood {
		if code := pxLogin(t, app, "[::1]:5000", fmt.Sprintf("x%d", i), "x", from()); code != http.StatusUnauthorized {
			t.Fatalf("flood %d: %d", i, code)
		}
	}
	// Back on ada, as fast as the server answers. With ada's strikes
	// kept, the first guess (once the one-second lock ran out) locks ada
	// for two seconds and the next is a 429.
	checked := 0
	for range guessesBeforeLock {
		if code := pxLogin(t, app, "[::1]:5000", "ada", "guess", from()); code == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > 1 {
		t.Errorf("after %d failed logins from distinct networks, %d more guesses on ada were checked at once (want at most 1): the flood erased ada's lock", flood, checked)
	}
}
