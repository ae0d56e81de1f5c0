package itty

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// SameSite is the SameSite attribute of a cookie.
type SameSite uint8

const (
	// SameSiteDefault sends no SameSite attribute. Chromium-based browsers
	// then treat the cookie as Lax; Firefox and Safari send it with
	// cross-site requests as if it were None. Choose one explicitly.
	SameSiteDefault SameSite = iota
	// SameSiteLax sends the cookie on same-site requests and on top-level
	// navigations from other sites.
	SameSiteLax
	// SameSiteStrict sends the cookie on same-site requests only.
	SameSiteStrict
	// SameSiteNone sends the cookie on every request, including cross-site
	// ones. Browsers accept it only together with Secure.
	SameSiteNone
)

// CookieOptions are the attributes of a cookie set by [Response.SetCookie].
// The zero value makes a browser-session cookie for the whole site (Path=/).
type CookieOptions struct {
	// Path limits the cookie to URLs under it. Empty means "/".
	Path string
	// Domain lets subdomains of Domain see the cookie. Empty, the default,
	// keeps it to the exact host that set it.
	Domain string
	// MaxAge is how long the cookie lives, rounded up to whole seconds.
	// Zero sends no Max-Age (a browser-session cookie unless Expires is
	// set); a negative value expires the cookie at once.
	MaxAge time.Duration
	// Expires is when the cookie expires. The zero time sends no Expires.
	Expires time.Time
	// Secure sends the cookie over HTTPS (and to loopback) only.
	Secure bool
	// HttpOnly hides the cookie from JavaScript's document.cookie.
	HttpOnly bool
	// SameSite controls whether the cookie goes with cross-site requests.
	SameSite SameSite
	// Partitioned asks for a cookie jar per top-level site (CHIPS).
	// It requires Secure.
	Partitioned bool
}

// Limits that browsers enforce and itty checks before a cookie goes out.
const (
	// MaxCookieSize is the largest name plus value, in bytes, that browsers
	// store (RFC 6265bis).
	MaxCookieSize = 4096
	// MaxCookieAge is how far ahead browsers let a cookie expire: 400 days.
	MaxCookieAge = 400 * 24 * time.Hour
	// maxAttributeValue is the longest Path or Domain browsers accept.
	maxAttributeValue = 1024
)

// The rules a cookie can break. Errors returned by SetCookie wrap one of
// them in a [*CookieError], so errors.Is tells which rule failed.
var (
	ErrCookieName         = errors.New("name must be a non-empty token (letters, digits and !#$%&'*+-.^_`|~)")
	ErrCookieDomain       = errors.New("the Domain must be a host name without a port, scheme or path")
	ErrPublicSuffix       = errors.New("the Domain is a public suffix (such as com, co.uk or github.io), for which browsers refuse cookies")
	ErrCookiePath         = errors.New("the Path must start with / and contain no ';' or control characters")
	ErrCookieTooLarge     = fmt.Errorf("name and encoded value together exceed %d bytes", MaxCookieSize)
	ErrCookieExpiry       = errors.New("the Max-Age or Expires is more than 400 days ahead, which browsers cap")
	ErrCookieExpiresYear  = errors.New("the Expires is before the year 1601, which browsers ignore, keeping the cookie for the browser session")
	ErrSameSite           = errors.New("the SameSite is not SameSiteDefault, SameSiteLax, SameSiteStrict or SameSiteNone")
	ErrSameSiteNoneSecure = errors.New("a SameSite=None cookie requires Secure")
	ErrPartitionedSecure  = errors.New("a Partitioned cookie requires Secure")
	ErrSecurePrefix       = errors.New("a __Secure- name requires Secure")
	ErrHostPrefix         = errors.New("a __Host- name requires Secure, Path=/ and no Domain")
)

// CookieError reports a cookie that itty refused to send. Name is the
// cookie's name and Err the rule it broke, one of the ErrCookie… values.
type CookieError struct {
	Name string
	Err  error
}

// Error names the cookie and the rule it broke.
func (e *CookieError) Error() string {
	return fmt.Sprintf("itty: cookie %q not set: %v", e.Name, e.Err)
}

// Unwrap returns the rule, so errors.Is(err, ErrCookieName) and the like work.
func (e *CookieError) Unwrap() error { return e.Err }

// validCookieName reports whether s is an RFC 6265 cookie-name (an HTTP token).
func validCookieName(s string) bool { return validToken(s) }

// EncodeCookieValue returns v as it goes into a Set-Cookie header. A value
// made only of cookie-octets other than '%' is returned unchanged; every
// other byte (space, ';', ',', '"', '\', '%', control bytes and the bytes of
// non-ASCII UTF-8) becomes %XX, as JavaScript's encodeURIComponent would
// write it. [DecodeCookieValue] reverses it for every string.
func EncodeCookieValue(v string) string {
	return percentEncode(v, cookieOctets)
}

// DecodeCookieValue returns the value a client sent, with surrounding double
// quotes removed and %XX escapes decoded. A value with a malformed escape
// (such as "100%") was not written by [EncodeCookieValue] and is returned
// as sent, so nothing a client sends is lost.
func DecodeCookieValue(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	pct := strings.IndexByte(v, '%')
	if pct < 0 {
		return v
	}
	b := make([]byte, 0, len(v))
	b = append(b, v[:pct]...)
	for i := pct; i < len(v); i++ {
		c := v[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
			return v
		}
		b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
		i += 2
	}
	return string(b)
}

func validCookiePath(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > maxAttributeValue {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !isAlnum(c) && !containsByte("-._~!$&'()*+=:@/%", c) {
			return false
		}
	}
	return true
}

// validCookieDomain accepts a DNS host name (a leading dot is allowed and
// ignored by browsers) or an IPv4 address; it refuses ports, paths, schemes
// and anything else a browser would reject, such as an all-numeric
// top-level label that is not part of an IP address.
func validCookieDomain(d string) bool {
	d = strings.TrimPrefix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	if ip, err := netip.ParseAddr(d); err == nil {
		return ip.Is4()
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if !strings.ContainsFunc(tld, func(r rune) bool { return r < 0x80 && isLetter(byte(r)) }) {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlnum(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// isPublicSuffix reports whether d is on the public suffix list, ICANN's
// part (com, co.uk) or the private part (github.io): browsers drop a
// cookie whose Domain is one. A single label the list does not name
// (localhost, internal) is not refused: browsers make such a cookie
// host-only on that host.
func isPublicSuffix(d string) bool {
	d = strings.ToLower(strings.TrimPrefix(d, "."))
	if _, err := netip.ParseAddr(d); err == nil {
		return false
	}
	suffix, icann := publicsuffix.PublicSuffix(d)
	return suffix == d && (icann || strings.Contains(d, "."))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// buildSetCookie checks a cookie against the rules browsers enforce and
// returns its Set-Cookie header value. now is the time Max-Age and Expires
// are measured from. value is sent as given: callers encode it first.
func buildSetCookie(name, value string, o *CookieOptions, now time.Time) (string, error) {
	fail := func(err error) (string, error) { return "", &CookieError{Name: name, Err: err} }
	path := o.Path
	if path == "" {
		path = "/"
	}
	switch {
	case !validCookieName(name):
		return fail(ErrCookieName)
	case !validCookiePath(path):
		return fail(ErrCookiePath)
	case o.Domain != "" && !validCookieDomain(o.Domain):
		return fail(ErrCookieDomain)
	case o.Domain != "" && isPublicSuffix(o.Domain):
		return fail(ErrPublicSuffix)
	case len(name)+len(value) > MaxCookieSize:
		return fail(ErrCookieTooLarge)
	case o.MaxAge > MaxCookieAge, !o.Expires.IsZero() && o.Expires.Sub(now) > MaxCookieAge:
		return fail(ErrCookieExpiry)
	case !o.Expires.IsZero() && o.Expires.UTC().Year() < 1601:
		return fail(ErrCookieExpiresYear)
	case o.SameSite > SameSiteNone:
		return fail(ErrSameSite)
	case o.SameSite == SameSiteNone && !o.Secure:
		return fail(ErrSameSiteNoneSecure)
	case o.Partitioned && !o.Secure:
		return fail(ErrPartitionedSecure)
	case hasPrefixFold(name, "__Secure-") && !o.Secure:
		return fail(ErrSecurePrefix)
	case hasPrefixFold(name, "__Host-") && (!o.Secure || o.Domain != "" || path != "/"):
		return fail(ErrHostPrefix)
	}

	var b strings.Builder
	b.Grow(len(name) + len(value) + len(path) + len(o.Domain) + 110)
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
	b.WriteString("; Path=")
	b.WriteString(path)
	if o.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(o.Domain)
	}
	if !o.Expires.IsZero() {
		b.WriteString("; Expires=")
		b.WriteString(o.Expires.UTC().Format(http.TimeFormat))
	}
	if o.MaxAge != 0 {
		secs := int64(0)
		if o.MaxAge > 0 {
			secs = int64((o.MaxAge + time.Second - 1) / time.Second)
		}
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.FormatInt(secs, 10))
	}
	if o.Secure {
		b.WriteString("; Secure")
	}
	if o.HttpOnly {
		b.WriteString("; HttpOnly")
	}
	switch o.SameSite {
	case SameSiteLax:
		b.WriteString("; SameSite=Lax")
	case SameSiteStrict:
		b.WriteString("; SameSite=Strict")
	case SameSiteNone:
		b.WriteString("; SameSite=None")
	}
	if o.Partitioned {
		b.WriteString("; Partitioned")
	}
	return b.String(), nil
}

// deletionOptions turns the options a cookie was set with into those that
// delete it: same Path, Domain and Partitioned, expired, and Secure where
// the name's prefix demands it.
func deletionOptions(name string, o CookieOptions) CookieOptions {
	d := CookieOptions{
		Path:        o.Path,
		Domain:      o.Domain,
		MaxAge:      -1,
		Expires:     time.Unix(0, 0),
		Secure:      o.Secure || hasPrefixFold(name, "__Secure-") || hasPrefixFold(name, "__Host-"),
		HttpOnly:    o.HttpOnly,
		SameSite:    o.SameSite,
		Partitioned: o.Partitioned,
	}
	if d.SameSite == SameSiteNone || d.Partitioned {
		d.Secure = true
	}
	return d
}
