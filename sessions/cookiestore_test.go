package sessions_test

import (
	"bytes"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// TestCookieStoreKeys: NewCookieStore applies itty's rule for a key
// (itty.CookieKey.Validate), saying which key of the list it was, and its
// own: every key needs a Block, as sessions are encrypted.
func TestCookieStoreKeys(t *testing.T) {
	n := func(size int) []byte { return bytes.Repeat([]byte{7}, size) }
	good := itty.NewCookieKey()
	for _, tt := range []struct {
		name string
		keys []itty.CookieKey
		want string // "" means accepted
	}{
		{"none", nil, "sessions: NewCookieStore needs at least one key"},
		{"a new key", []itty.CookieKey{good}, ""},
		{"blocks of 16, 24 and 32", []itty.CookieKey{{Hash: n(32), Block: n(16)}, {Hash: n(32), Block: n(24)}, {Hash: n(64), Block: n(32)}}, ""},
		{"short hash", []itty.CookieKey{{Hash: n(31), Block: n(32)}}, "sessions: cookie store key 0: hash key has 31 bytes, need at least 32"},
		{"bad block", []itty.CookieKey{{Hash: n(32), Block: n(20)}}, "sessions: cookie store key 0: block key has 20 bytes, need 16, 24 or 32"},
		{"no block", []itty.CookieKey{good, {Hash: n(32)}}, "sessions: cookie store key 1: no block key: sessions are encrypted, so every key needs one (itty.NewCookieKey makes keys with both)"},
		{"empty block", []itty.CookieKey{{Hash: n(32), Block: []byte{}}}, "sessions: cookie store key 0: no block key: sessions are encrypted, so every key needs one (itty.NewCookieKey makes keys with both)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sessions.NewCookieStore(tt.keys...)
			switch {
			case tt.want == "" && (err != nil || s == nil):
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("error %v, want %q", err, tt.want)
			case tt.want != "" && s != nil:
				t.Fatal("a store returned with the error")
			}
		})
	}
}
