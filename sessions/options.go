package sessions

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ittygo/itty"
)

// Defaults for Options fields left zero.
const (
	DefaultIdleTimeout      = time.Hour
	DefaultLifetime         = 12 * time.Hour
	DefaultRememberLifetime = 30 * 24 * time.Hour
	// DefaultStoreTimeout bounds each call a Manager makes to its Store.
	DefaultStoreTimeout = 2 * time.Second
)

// Options configure a Manager. The zero value is usable.
type Options struct {
	// CookieName is the session cookie's name. Empty means a name derived
	// from the main package's import path (see DefaultCookieName), with the
	// __Host- prefix when Secure is set and Domain is not, so that neither
	// a sibling subdomain nor a plain-http response can plant the cookie.
	CookieName string
	// IdleTimeout ends a session that has not been used for this long.
	// Zero means DefaultIdleTimeout (one hour).
	IdleTimeout time.Duration
	// Lifetime ends a session this long after it was created, however
	// active. Zero means DefaultLifetime (12 hours).
	Lifetime time.Duration
	// RememberLifetime replaces Lifetime for a session whose user chose
	// "remember me" (Session.RememberMe). Zero means 30 days; more than
	// 400 days (itty.MaxCookieAge, which browsers cap) is an error.
	RememberLifetime time.Duration
	// RememberIdleTimeout replaces IdleTimeout for a remembered session,
	// so that "remember me" is not ended by the ordinary idle timeout.
	// Zero means RememberLifetime itself (no idle timeout of its own).
	RememberIdleTimeout time.Duration
	// TouchInterval limits how often a read-only request writes to the
	// store just to move the idle deadline. Zero means a tenth of
	// IdleTimeout, at most one minute.
	TouchInterval time.Duration
	// StoreTimeout bounds every call to the Store: a store that does not
	// answer in time fails the request with 500 rather than holding it.
	// Zero means DefaultStoreTimeout (two seconds).
	StoreTimeout time.Duration
	// Persistent gives every session's cookie a Max-Age that ends when the
	// server would end the session (the idle deadline, or the absolute one
	// if sooner), re-sent whenever a request moves the idle deadline: on
	// every write, and on reads at most once per TouchInterval. Without it,
	// a session's cookie ends with the browser session, unless the user
	// chose "remember me". Browsers keep a cookie at most 400 days, so with
	// Persistent the shorter of IdleTimeout and Lifetime may not be longer.
	Persistent bool
	// Secure always marks the cookie Secure. Without it, the cookie is
	// Secure when the client reached the app over TLS, as App.IsSecure
	// tells: TLS to this server, or https as one of the App's
	// TrustedProxies reports. Behind a TLS-terminating proxy, set it
	// anyway: only then does the default cookie name take the __Host-
	// prefix, and a request that reaches the app around the proxy cannot
	// get a cookie without Secure.
	Secure bool
	// Domain, if set, shares the cookie with subdomains.
	Domain string
	// Path is the cookie's Path. Empty means "/".
	Path string
	// SameSite is the cookie's SameSite attribute. Zero (SameSiteDefault)
	// means SameSiteLax; SameSiteNone, for a site embedded in another,
	// needs Secure.
	SameSite itty.SameSite
	// Partitioned asks browsers for a cookie jar per top-level site
	// (CHIPS), for an app embedded in other sites; it needs Secure.
	Partitioned bool
	// TrackClients records each session's client (User-Agent and address)
	// for Manager.UserSessions, updated when the session is written. The
	// address is App.ClientAddr's, without a port: the peer's, or behind
	// one of the App's TrustedProxies the client's as they report it (a
	// Manager with no App trusts no proxy). A peer that gives no address
	// (a Unix socket) is recorded as r.RemoteAddr holds it. Off by default:
	// it is personal data.
	TrackClients bool
}

// withDefaults fills in the zero fields of o and checks the result, so that
// a setting a browser or the Manager would refuse is an error from New
// rather than a 500 on every login.
func (o Options) withDefaults() (Options, error) {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.RememberLifetime <= 0 {
		o.RememberLifetime = DefaultRememberLifetime
	}
	if o.RememberIdleTimeout <= 0 {
		o.RememberIdleTimeout = o.RememberLifetime
	}
	if o.Path == "" {
		o.Path = "/"
	}
	if o.SameSite == itty.SameSiteDefault {
		o.SameSite = itty.SameSiteLax
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = min(o.IdleTimeout/10, time.Minute)
	}
	if o.StoreTimeout <= 0 {
		o.StoreTimeout = DefaultStoreTimeout
	}
	if o.RememberLifetime > itty.MaxCookieAge {
		return o, fmt.Errorf("sessions: RememberLifetime %v is longer than the 400 days browsers keep a cookie (itty.MaxCookieAge)", o.RememberLifetime)
	}
	if o.Persistent && min(o.IdleTimeout, o.Lifetime) > itty.MaxCookieAge {
		// A persistent cookie's Max-Age runs to the earlier deadline.
		return o, fmt.Errorf("sessions: Persistent with IdleTimeout %v and Lifetime %v: the cookie would outlive the 400 days browsers keep one (itty.MaxCookieAge)", o.IdleTimeout, o.Lifetime)
	}
	if o.CookieName == "" {
		o.CookieName = DefaultCookieName()
		if o.Secure && o.Domain == "" && o.Path == "/" {
			o.CookieName = "__Host-" + o.CookieName
		}
	}
	if o.SameSite == itty.SameSiteNone && !o.Secure {
		return o, errors.New("sessions: SameSite=None needs Options.Secure: browsers refuse a SameSite=None cookie without Secure")
	}
	if o.Partitioned && !o.Secure {
		return o, errors.New("sessions: Partitioned needs Options.Secure: browsers refuse a partitioned cookie without Secure")
	}
	// The session cookie as it will be sent; SetCookie applies every rule
	// browsers enforce (name, domain, path, prefixes, SameSite=None,
	// Partitioned).
	probe := o.cookie(true)
	probe.MaxAge = o.RememberLifetime
	if err := (&itty.Response{}).SetCookie(o.CookieName, "x", probe); err != nil {
		return o, fmt.Errorf("sessions: cookie settings: %w", err)
	}
	if strings.HasPrefix(strings.ToLower(o.CookieName), "__host-") || strings.HasPrefix(strings.ToLower(o.CookieName), "__secure-") {
		if !o.Secure {
			return o, errors.New("sessions: a __Host- or __Secure- cookie name needs Options.Secure, or the cookie would be refused on plain http")
		}
	}
	return o, nil
}

// DefaultCookieName returns the session cookie name a Manager uses when
// Options.CookieName is empty: "itty_" + the last element of the main
// package's import path + "_" + 8 hex digits of a SHA-256 of the whole path
// + "_sid", such as "itty_login_4c1e9a0b_sid". It stays the same when the
// binary is renamed or rebuilt, and differs between two apps on one host
// (browsers share cookies across ports). Programs built without module
// information (go run file.go) all get "itty_app_…" from the same path, and
// should set CookieName.
func DefaultCookieName() string {
	pkg := "app"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" {
		pkg = bi.Path
	}
	sum := sha256.Sum256([]byte(pkg))
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, strings.TrimSuffix(path.Base(pkg), ".test"))
	return "itty_" + base + "_" + hex.EncodeToString(sum[:4]) + "_sid"
}

// cookie is the session cookie's attributes, Secure as given.
func (o *Options) cookie(secure bool) itty.CookieOptions {
	return itty.CookieOptions{
		Path:        o.Path,
		Domain:      o.Domain,
		Secure:      o.Secure || secure,
		HttpOnly:    true,
		SameSite:    o.SameSite,
		Partitioned: o.Partitioned,
	}
}
