package itty

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
)

// cookieHeader is a realistic 1.5 KB Cookie header: analytics, consent,
// preferences and a session cookie among them.
var cookieHeader = func() string {
	var parts []string
	for i := range 24 {
		parts = append(parts, fmt.Sprintf("_ga_TRACK%02d=GS1.1.%d.%d.1.1700000000.0.0.0", i, 1700000000+i, i*7))
	}
	parts = append(parts, "session=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf", "theme=dark", "lang=en-GB")
	h := strings.Join(parts, "; ")
	for len(h) < 1500 {
		h += "; pad=" + strings.Repeat("x", 20)
	}
	return h
}()

// BenchmarkCookieRead compares reading one cookie from req.COOKIES with
// net/http's r.Cookies() on the same 1.5 KB header.
func BenchmarkCookieRead(b *testing.B) {
	b.Run("itty", func(b *testing.B) {
		headers := http.Header{"Cookie": {cookieHeader}}
		var c Cookies
		b.ReportAllocs()
		for b.Loop() {
			c.reset(headers)
			if c.Get("session") == "" {
				b.Fatal("no session cookie")
			}
		}
	})
	b.Run("nethttp-Cookies", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookieHeader)
		b.ReportAllocs()
		for b.Loop() {
			found := false
			for _, c := range r.Cookies() {
				if c.Name == "session" {
					found = true
					break
				}
			}
			if !found {
				b.Fatal("no session cookie")
			}
		}
	})
}

// BenchmarkCookieSet compares Response.SetCookie with net/http's SetCookie.
func BenchmarkCookieSet(b *testing.B) {
	b.Run("itty", func(b *testing.B) {
		var resp Response
		b.ReportAllocs()
		for b.Loop() {
			resp.cookies = resp.cookies[:0]
			resp.SetCookie("username", "ada", CookieOptions{MaxAge: 3600e9, HttpOnly: true, SameSite: SameSiteLax})
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		h := http.Header{}
		w := &nopWriter{h: h}
		b.ReportAllocs()
		for b.Loop() {
			delete(h, "Set-Cookie")
			http.SetCookie(w, &http.Cookie{Name: "username", Value: "ada", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Path: "/"})
		}
	})
}

// signedProfile is a typical structured signed-cookie value.
type signedProfile struct {
	UserID int
	Name   string
	Admin  bool
	Roles  []string
}

// benchSigned compares itty's signed cookies with calling
// gorilla/securecookie directly — with the same serializer, and with
// securecookie's default (gob) — for one value; newDst makes a pointer to
// decode into.
func benchSigned(b *testing.B, value any, newDst func() any) {
	key := CookieKey{Hash: bytes.Repeat([]byte("k"), 32)}
	app := New()
	if err := app.SetCookieKeys(key); err != nil {
		b.Fatal(err)
	}
	direct := securecookie.New(key.Hash, nil)
	direct.SetSerializer(signedSerializer{})
	direct.MaxAge(0)
	gobCodec := securecookie.New(key.Hash, nil)

	var resp Response
	if err := app.SetSignedCookie(&resp, "sid", value); err != nil {
		b.Fatal(err)
	}
	pair, _, _ := strings.Cut(resp.CookieLines()[0], ";")
	encoded := strings.TrimPrefix(pair, "sid=")
	gobEncoded, err := gobCodec.Encode("sid", value)
	if err != nil {
		b.Fatal(err)
	}
	var req Request
	headers := http.Header{"Cookie": {pair}}

	b.Run("verify/itty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req.COOKIES.reset(headers)
			if !app.SignedCookie(&req, "sid", newDst()) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("verify/securecookie-same-serializer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := direct.Decode("sid", encoded, signedTarget{newDst()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/securecookie-gob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := gobCodec.Decode("sid", gobEncoded, newDst()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set/itty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp.cookies = resp.cookies[:0]
			app.SetSignedCookie(&resp, "sid", value)
		}
	})
	b.Run("set/securecookie-gob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gobCodec.Encode("sid", value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignedCookie: a string value, what most signed cookies hold.
func BenchmarkSignedCookie(b *testing.B) {
	benchSigned(b, "user-4242", func() any { return new(string) })
}

// BenchmarkSignedCookieStruct: a small struct, where gob's per-message type
// information costs most.
func BenchmarkSignedCookieStruct(b *testing.B) {
	gob.Register(signedProfile{})
	v := signedProfile{UserID: 4242, Name: "Ada Lovelace", Admin: true, Roles: []string{"editor", "billing"}}
	benchSigned(b, v, func() any { return new(signedProfile) })
}
