package itty

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/ittygo/itty/ittytest"
)

var (
	keyA = CookieKey{Hash: bytes.Repeat([]byte("a"), 32)}
	keyB = CookieKey{Hash: bytes.Repeat([]byte("b"), 32), Block: bytes.Repeat([]byte("B"), 16)}
	keyC = CookieKey{Hash: bytes.Repeat([]byte("c"), 64), Block: bytes.Repeat([]byte("C"), 32)}
)

func signedApp(t testing.TB, keys ...CookieKey) *App {
	t.Helper()
	app := New()
	if err := app.SetCookieKeys(keys...); err != nil {
		t.Fatal(err)
	}
	return app
}

// sign returns the Set-Cookie value part that SetSignedCookie writes.
func sign(t testing.TB, app *App, name string, v any, opts ...CookieOptions) string {
	t.Helper()
	var resp Response
	if err := app.SetSignedCookie(&resp, name, v, opts...); err != nil {
		t.Fatal(err)
	}
	pair, _, _ := strings.Cut(resp.CookieLines()[0], ";")
	_, value, _ := strings.Cut(pair, "=")
	return value
}

// verify runs SignedCookie on a request carrying the given Cookie header.
func verify(app *App, cookieHeader, name string, dst any) bool {
	var req Request
	req.COOKIES.reset(http.Header{"Cookie": {cookieHeader}})
	return app.SignedCookie(&req, name, dst)
}

type profile struct {
	Name  string
	Admin bool
	Tags  []string
}

func TestSignedCookieRoundTrip(t *testing.T) {
	for _, key := range []CookieKey{keyA, keyB, keyC} {
		app := signedApp(t, key)
		var s string
		if v := sign(t, app, "s", "héllo; world"); !verify(app, "s="+v, "s", &s) || s != "héllo; world" {
			t.Errorf("string: %q", s)
		}
		var b []byte
		if v := sign(t, app, "b", []byte{0, 1, 2, 255}); !verify(app, "b="+v, "b", &b) || !bytes.Equal(b, []byte{0, 1, 2, 255}) {
			t.Errorf("bytes: %v", b)
		}
		var p profile
		want := profile{Name: "Ada", Admin: true, Tags: []string{"x"}}
		if v := sign(t, app, "p", want); !verify(app, "p="+v, "p", &p) || p.Name != "Ada" || !p.Admin || len(p.Tags) != 1 {
			t.Errorf("struct: %+v", p)
		}
		var n int
		if v := sign(t, app, "n", 42); !verify(app, "n="+v, "n", &n) || n != 42 {
			t.Errorf("int: %d", n)
		}
		// Encrypted values do not show the plaintext.
		raw := sign(t, app, "secret", "plaintext-marker")
		outer, _ := base64.URLEncoding.DecodeString(raw) // date|base64(payload)|mac
		parts := bytes.SplitN(outer, []byte("|"), 3)
		inner, _ := base64.URLEncoding.DecodeString(string(parts[1]))
		if leaked := bytes.Contains(inner, []byte("plaintext-marker")); leaked != (key.Block == nil) {
			t.Errorf("key with block=%v: plaintext visible=%v", key.Block != nil, leaked)
		}
	}
}

func TestSignedCookieRejects(t *testing.T) {
	app := signedApp(t, keyB)
	good := sign(t, app, "sid", "user-42")
	var s string
	if !verify(app, "sid="+good, "sid", &s) {
		t.Fatal("good cookie refused")
	}
	// Any one-byte change fails.
	for i := 0; i < len(good); i++ {
		for _, c := range []byte{'A', '0', '_', '='} {
			if good[i] == c {
				continue
			}
			bad := good[:i] + string(c) + good[i+1:]
			if verify(app, "sid="+bad, "sid", &s) {
				t.Fatalf("byte %d changed to %q accepted", i, c)
			}
		}
	}
	other := signedApp(t, keyC)
	tests := map[string]string{
		"truncated":   "sid=" + good[:len(good)-5],
		"empty":       "sid=",
		"garbage":     "sid=not-a-signed-value",
		"renamed":     "uid=" + good,
		"foreign key": "sid=" + sign(t, other, "sid", "user-42"),
		"oversized":   "sid=" + good + strings.Repeat("A", MaxCookieSize),
		"wrong name":  "sid2=" + sign(t, app, "sid2", "x")[:10],
	}
	for name, header := range tests {
		cookieName, _, _ := strings.Cut(header, "=")
		if verify(app, header, cookieName, &s) {
			t.Errorf("%s accepted", name)
		}
	}
	// A bad copy before a good one: the good one still counts.
	if !verify(app, "sid=bogus; sid="+good, "sid", &s) || s != "user-42" {
		t.Error("valid candidate after an invalid one refused")
	}
}

func TestSignedCookieExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := signedApp(t, keyA)
		hour := sign(t, app, "h", "v", CookieOptions{MaxAge: time.Hour})
		until := sign(t, app, "u", "v", CookieOptions{Expires: time.Now().Add(2 * time.Hour)})
		dflt := sign(t, app, "d", "v")
		var s string
		time.Sleep(time.Hour - time.Second)
		if !verify(app, "h="+hour, "h", &s) {
			t.Fatal("expired early")
		}
		time.Sleep(time.Second)
		if verify(app, "h="+hour, "h", &s) {
			t.Fatal("MaxAge cookie valid after MaxAge")
		}
		if !verify(app, "u="+until, "u", &s) {
			t.Fatal("Expires cookie expired early")
		}
		time.Sleep(time.Hour)
		if verify(app, "u="+until, "u", &s) {
			t.Fatal("Expires cookie valid after Expires")
		}
		if !verify(app, "d="+dflt, "d", &s) {
			t.Fatal("default lifetime expired early")
		}
		time.Sleep(DefaultSignedMaxAge)
		if verify(app, "d="+dflt, "d", &s) {
			t.Fatal("default lifetime not enforced")
		}
	})
}

func TestSignedCookieKeyRotation(t *testing.T) {
	old := signedApp(t, keyA)
	rotated := signedApp(t, keyC, keyA) // new key first, old kept
	oldValue := sign(t, old, "sid", "before")
	var s string
	if !verify(rotated, "sid="+oldValue, "sid", &s) || s != "before" {
		t.Fatal("cookie signed with the previous key refused after rotation")
	}
	newValue := sign(t, rotated, "sid", "after")
	if verify(old, "sid="+newValue, "sid", &s) {
		t.Fatal("new cookies must be signed with the newest key")
	}
	if !verify(signedApp(t, keyC), "sid="+newValue, "sid", &s) || s != "after" {
		t.Fatal("newest key cannot read the new cookie")
	}
	retired := signedApp(t, keyC)
	if verify(retired, "sid="+oldValue, "sid", &s) {
		t.Fatal("retired key still accepted")
	}
}

func TestCookieKeyValidation(t *testing.T) {
	app := New()
	for _, tt := range []struct {
		keys []CookieKey
		want string
	}{
		{nil, "at least one key"},
		{[]CookieKey{{Hash: make([]byte, 31)}}, "hash key has 31 bytes, need at least 32"},
		{[]CookieKey{{Hash: make([]byte, 32), Block: make([]byte, 20)}}, "block key has 20 bytes, need 16, 24 or 32"},
		{[]CookieKey{keyA, {Hash: []byte("short")}}, "cookie key 1: hash key has 5 bytes"},
	} {
		if err := app.SetCookieKeys(tt.keys...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d keys: %v, want %q", len(tt.keys), err, tt.want)
		}
	}
	if app.codecs != nil {
		t.Error("a failed SetCookieKeys changed the keys")
	}
}

func TestCookieKeysFromEnv(t *testing.T) {
	k1, k2 := NewCookieKey(), CookieKey{Hash: bytes.Repeat([]byte{7}, 48)}
	t.Setenv("TEST_KEYS", k1.String()+", "+k2.String())
	keys, err := CookieKeysFromEnv("TEST_KEYS")
	if err != nil || len(keys) != 2 || !bytes.Equal(keys[0].Block, k1.Block) || keys[1].Block != nil || !bytes.Equal(keys[1].Hash, k2.Hash) {
		t.Fatalf("keys %v, err %v", keys, err)
	}
	for value, want := range map[string]string{
		"":                 "not set",
		"!!!":              "not base64",
		"c2hvcnQ=":         "hash key has 5 bytes",
		k1.String() + ":x": "block: not base64",
	} {
		t.Setenv("TEST_KEYS", value)
		if _, err := CookieKeysFromEnv("TEST_KEYS"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", value, err, want)
		}
	}
}

func TestSignedCookieErrors(t *testing.T) {
	var resp Response
	if err := New().SetSignedCookie(&resp, "a", "b"); !errors.Is(err, ErrNoCookieKeys) || resp.Err() == nil {
		t.Fatalf("no keys: %v", err)
	}
	app := signedApp(t, keyB)
	resp = Response{}
	err := app.SetSignedCookie(&resp, "big", strings.Repeat("x", 3500))
	if !errors.Is(err, ErrCookieTooLarge) || resp.Err() == nil {
		t.Fatalf("oversized: %v", err)
	}
	resp = Response{}
	if err := app.SetSignedCookie(&resp, "ch", make(chan int)); err == nil || resp.Err() == nil {
		t.Fatal("unencodable value accepted")
	}
	var n int
	v := sign(t, app, "s", "text")
	if verify(app, "s="+v, "s", &n) {
		t.Fatal("string decoded into int")
	}
}

func TestSignedCookieOverHTTP(t *testing.T) {
	app := signedApp(t, keyB)
	app.Get("/set", func(req *Request) *Response {
		resp := app.Render(req, "ok")
		app.SetSignedCookie(resp, "user", profile{Name: req.GET.Get("name")}, CookieOptions{HttpOnly: true, MaxAge: time.Hour})
		return resp
	})
	app.Get("/who", func(req *Request) *Response {
		var p profile
		if !app.SignedCookie(req, "user", &p) {
			resp := app.Render(req, "nobody")
			if req.COOKIES.Has("user") {
				resp.DeleteCookie("user") // clear the bad one
			}
			return resp
		}
		return app.Render(req, p.Name)
	})
	c := ittytest.NewClient(t, app)
	c.Get("/set?name=Ada")
	if got := c.Get("/who").Body; got != "Ada" {
		t.Fatalf("got %q", got)
	}
	v, _ := c.Cookie("/", "user")
	c.SetCookie(&http.Cookie{Name: "user", Value: v[:len(v)-2] + "xx"})
	r := c.Get("/who")
	if r.StatusCode != 200 || r.Body != "nobody" {
		t.Fatalf("tampered: %d %q", r.StatusCode, r.Body)
	}
	if _, ok := c.Cookie("/", "user"); ok {
		t.Fatal("tampered cookie not cleared")
	}
}

// The size limit applies to name plus value, and securecookie's own length
// error (not a securecookie.Error) never surfaces.
func TestSignedCookieSizeCoversName(t *testing.T) {
	app := signedApp(t, keyA)
	var resp Response
	// A value whose encoding fits alone but not with a long name.
	val := strings.Repeat("v", 2000)
	if err := app.SetSignedCookie(&resp, "n", val); err != nil {
		t.Fatalf("fits alone: %v", err)
	}
	enc := sign(t, app, "n", val)
	long := strings.Repeat("n", MaxCookieSize-len(enc)+1)
	resp = Response{}
	err := app.SetSignedCookie(&resp, long, val)
	var scErr securecookie.Error
	if !errors.Is(err, ErrCookieTooLarge) || errors.As(err, &scErr) {
		t.Fatalf("got %v", err)
	}
}
