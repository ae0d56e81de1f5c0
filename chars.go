package itty

// Byte classes and percent-encoding, shared by route patterns, cookies and
// redirects. Everything here works on bytes: HTTP's grammar is ASCII.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// unhex is the value of the hex digit c (isHex(c) must hold).
func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// validToken reports whether s is a non-empty HTTP token (RFC 9110), the
// grammar of methods and cookie names.
func validToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return s != ""
}

// byteSet is a set of bytes, so that a loop over a string tests each byte
// with one load.
type byteSet [256]bool

func newByteSet(in func(c byte) bool) *byteSet {
	var s byteSet
	for c := range len(s) {
		s[c] = in(byte(c))
	}
	return &s
}

var (
	tokenChars = newByteSet(func(c byte) bool {
		return isAlnum(c) || containsByte("!#$%&'*+-.^_`|~", c)
	})
	// cookieOctets are the bytes a cookie value carries as they are: the
	// RFC 6265 cookie-octets other than '%', which starts an escape.
	cookieOctets = newByteSet(func(c byte) bool {
		return c == 0x21 || c >= 0x23 && c <= 0x2B && c != 0x25 || c >= 0x2D && c <= 0x3A ||
			c >= 0x3C && c <= 0x5B || c >= 0x5D && c <= 0x7E
	})
	// urlBytes are the bytes a Location header may carry as they are: not
	// controls (CR and LF among them), not space.
	urlBytes = newByteSet(func(c byte) bool { return c > ' ' && c != 0x7f })
)

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// percentEncode returns s with every byte outside keep written as %XX
// (upper-case hex), and s itself when every byte is in keep.
func percentEncode(s string, keep *byteSet) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep[s[i]] {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; keep[c] {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
