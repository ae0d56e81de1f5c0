package itty

import (
	"net/http"
	"strings"
)

// Cookies are the cookies a request carries, parsed from its Cookie headers
// on first use. Values are decoded with [DecodeCookieValue].
//
// A malformed Cookie header never fails a request: pairs without '=' or with
// an invalid name are skipped and the rest are kept. When several cookies
// share a name (set for different paths or domains), Get returns the first
// one the client sent; browsers send the cookie with the longest matching
// Path first, so that is the most specific one. GetList returns them all.
type Cookies struct {
	header http.Header // looked up on first use: a request that never reads cookies pays nothing
	pairs  []cookiePair
	parsed bool
}

type cookiePair struct{ name, value string }

func (c *Cookies) reset(h http.Header) {
	if len(c.pairs) > 0 {
		clear(c.pairs)
		c.pairs = c.pairs[:0]
	}
	c.header = h
	c.parsed = false
}

func (c *Cookies) parse() {
	if c.parsed {
		return
	}
	c.parsed = true
	for _, h := range c.header["Cookie"] {
		c.pairs = appendCookiePairs(c.pairs, h)
	}
}

// appendCookiePairs parses one Cookie header value ("a=1; b=2").
func appendCookiePairs(dst []cookiePair, h string) []cookiePair {
	for h != "" {
		var part string
		if i := strings.IndexByte(h, ';'); i >= 0 {
			part, h = h[:i], h[i+1:]
		} else {
			part, h = h, ""
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		name = trimOWS(name)
		if !validCookieName(name) {
			continue
		}
		dst = append(dst, cookiePair{name, DecodeCookieValue(trimOWS(value))})
	}
	return dst
}

func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// Lookup returns the first value of the named cookie and whether it was sent.
func (c *Cookies) Lookup(name string) (string, bool) {
	c.parse()
	for _, p := range c.pairs {
		if p.name == name {
			return p.value, true
		}
	}
	return "", false
}

// Get returns the first value of the named cookie, or "" if it was not sent.
func (c *Cookies) Get(name string) string {
	v, _ := c.Lookup(name)
	return v
}

// Default returns the first value of the named cookie, or fallback if it
// was not sent: itty3's COOKIES.get(name, default).
func (c *Cookies) Default(name, fallback string) string {
	if v, ok := c.Lookup(name); ok {
		return v
	}
	return fallback
}

// Has reports whether the request carries the named cookie.
func (c *Cookies) Has(name string) bool {
	_, ok := c.Lookup(name)
	return ok
}

// GetList returns every value sent for the named cookie, in the order the
// client sent them, or nil if there is none.
func (c *Cookies) GetList(name string) []string {
	c.parse()
	var vs []string
	for _, p := range c.pairs {
		if p.name == name {
			vs = append(vs, p.value)
		}
	}
	return vs
}

// Len returns the number of well-formed cookies the request carries,
// counting repeated names once each time they appear.
func (c *Cookies) Len() int {
	c.parse()
	return len(c.pairs)
}

// All returns a new map from each cookie name to its first value.
func (c *Cookies) All() map[string]string {
	c.parse()
	m := make(map[string]string, len(c.pairs))
	for _, p := range c.pairs {
		if _, dup := m[p.name]; !dup {
			m[p.name] = p.value
		}
	}
	return m
}
