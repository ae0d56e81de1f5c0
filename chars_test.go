package itty

import (
	"strings"
	"testing"
)

// TestByteClasses checks each class against its grammar, written out.
func TestByteClasses(t *testing.T) {
	const (
		letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		digits  = "0123456789"
		tchar   = letters + digits + "!#$%&'*+-.^_`|~" // RFC 9110
	)
	for c := range 256 {
		b := byte(c)
		in := func(set string) bool { return c < 0x80 && strings.IndexByte(set, b) >= 0 }
		checks := []struct {
			name      string
			got, want bool
		}{
			{"isLetter", isLetter(b), in(letters)},
			{"isDigit", isDigit(b), in(digits)},
			{"isAlnum", isAlnum(b), in(letters + digits)},
			{"isHex", isHex(b), in(digits + "abcdefABCDEF")},
			{"token", validToken(string(b)), in(tchar)},
			// RFC 6265 cookie-octet, less '%', which starts an escape.
			{"cookieOctets", cookieOctets[b],
				b == 0x21 || b >= 0x23 && b <= 0x2B && b != 0x25 || b >= 0x2D && b <= 0x3A ||
					b >= 0x3C && b <= 0x5B || b >= 0x5D && b <= 0x7E},
		}
		for _, ch := range checks {
			if ch.got != ch.want {
				t.Errorf("%s(%#x) = %v, want %v", ch.name, c, ch.got, ch.want)
			}
		}
		if isHex(b) {
			if want := strings.IndexByte("0123456789abcdef", b|0x20); int(unhex(b)) != want {
				t.Errorf("unhex(%q) = %d", b, unhex(b))
			}
		}
	}
	if validToken("") {
		t.Error(`validToken("") = true`)
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct {
		in   string
		keep *byteSet
		want string
	}{
		{"plain", cookieOctets, "plain"},
		{"a b;c", cookieOctets, "a%20b%3Bc"},
		{"100%", cookieOctets, "100%25"},
		{"é", cookieOctets, "%C3%A9"},
		{"/next?x=1", urlBytes, "/next?x=1"},
		{"/a\r\nSet-Cookie: x", urlBytes, "/a%0D%0ASet-Cookie:%20x"},
		{"\x7f", urlBytes, "%7F"},
	}
	for _, tt := range tests {
		if got := percentEncode(tt.in, tt.keep); got != tt.want {
			t.Errorf("percentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
