package itty_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty"
)

// TestCookieKeyValidate pins the one rule for a cookie key, and that
// SetCookieKeys and CookieKeysFromEnv apply it with the same message,
// saying which key of the list it was.
func TestCookieKeyValidate(t *testing.T) {
	n := func(size int) []byte { return bytes.Repeat([]byte{7}, size) }
	for _, tt := range []struct {
		name string
		key  itty.CookieKey
		want string // "" means valid
	}{
		{"hash 32, no block", itty.CookieKey{Hash: n(32)}, ""},
		{"hash 64, no block", itty.CookieKey{Hash: n(64)}, ""},
		{"hash 31", itty.CookieKey{Hash: n(31)}, "hash key has 31 bytes, need at least 32"},
		{"hash 1", itty.CookieKey{Hash: n(1)}, "hash key has 1 bytes, need at least 32"},
		{"hash 31, block 16", itty.CookieKey{Hash: n(31), Block: n(16)}, "hash key has 31 bytes, need at least 32"},
		{"empty block", itty.CookieKey{Hash: n(32), Block: []byte{}}, ""},
		{"block 16", itty.CookieKey{Hash: n(32), Block: n(16)}, ""},
		{"block 24", itty.CookieKey{Hash: n(32), Block: n(24)}, ""},
		{"block 32", itty.CookieKey{Hash: n(32), Block: n(32)}, ""},
		{"block 15", itty.CookieKey{Hash: n(32), Block: n(15)}, "block key has 15 bytes, need 16, 24 or 32"},
		{"block 20", itty.CookieKey{Hash: n(32), Block: n(20)}, "block key has 20 bytes, need 16, 24 or 32"},
		{"block 33", itty.CookieKey{Hash: n(32), Block: n(33)}, "block key has 33 bytes, need 16, 24 or 32"},
		{"block 64", itty.CookieKey{Hash: n(32), Block: n(64)}, "block key has 64 bytes, need 16, 24 or 32"},
		{"a new key", itty.NewCookieKey(), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			check := func(what string, err error, want string) {
				t.Helper()
				if tt.want == "" && err != nil {
					t.Errorf("%s: %v, want no error", what, err)
				}
				if tt.want != "" && (err == nil || err.Error() != want) {
					t.Errorf("%s: %v, want %q", what, err, want)
				}
			}
			check("Validate", tt.key.Validate(), tt.want)
			check("SetCookieKeys", itty.New().SetCookieKeys(tt.key), "itty: cookie key 0: "+tt.want)
			t.Setenv("TEST_COOKIE_KEYS", itty.NewCookieKey().String()+","+tt.key.String())
			_, err := itty.CookieKeysFromEnv("TEST_COOKIE_KEYS")
			check("CookieKeysFromEnv", err, "itty: cookie key 1: "+tt.want)
		})
	}
}

// TestEmptyBlockSignsOnly: a key whose Block is empty but not nil is valid
// (Validate says so) and signs without encrypting, as a nil Block does;
// it must not fail every SetSignedCookie.
func TestEmptyBlockSignsOnly(t *testing.T) {
	app := itty.New()
	if err := app.SetCookieKeys(itty.CookieKey{Hash: bytes.Repeat([]byte{7}, 32), Block: []byte{}}); err != nil {
		t.Fatal(err)
	}
	var resp itty.Response
	if err := app.SetSignedCookie(&resp, "visits", "3"); err != nil {
		t.Fatalf("SetSignedCookie with an empty Block: %v", err)
	}
	line := resp.CookieLines()[0]
	pair, _, _ := strings.Cut(line, ";")
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", pair)
	var got string
	app.Get("/", func(r *itty.Request) *itty.Response {
		if !app.SignedCookie(r, "visits", &got) {
			return itty.NewResponse("no valid cookie", 400)
		}
		return itty.NewResponse(got, 200)
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "3" {
		t.Fatalf("reading it back: %d %q", rec.Code, rec.Body.String())
	}
}
