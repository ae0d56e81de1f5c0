package sessions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ittygo/itty"
)

// Defaults for Options fields left zero.
const (
	DefaultIdleTimeout      = time.Hour
	DefaultLifetime         = 12 * time.Hour
	DefaultRememberLifetime = 30 * 24 * time.Hour
	// tombstoneTTL is how long a renewed session's old id forwards the
	// commits of requests that were in flight; longer than any request.
	tombstoneTTL = 2 * time.Minute
)

// Options configure a Manager. The zero value is usable.
type Options struct {
	// CookieName is the session cookie's name. Empty means
	// "itty_<program>_sid", after the running program, so that two apps
	// on one host (cookies ignore ports) do not share a cookie.
	CookieName string
	// IdleTimeout ends a session that has not been used for this long.
	// Zero means DefaultIdleTimeout (one hour).
	IdleTimeout time.Duration
	// Lifetime ends a session this long after it was created, however
	// active. Zero means DefaultLifetime (12 hours).
	Lifetime time.Duration
	// RememberLifetime replaces Lifetime for a session whose user chose
	// "remember me" (Session.RememberMe). Zero means 30 days.
	RememberLifetime time.Duration
	// TouchInterval limits how often a read-only request writes to the
	// store just to move the idle deadline. Zero means a tenth of
	// IdleTimeout, at most one minute.
	TouchInterval time.Duration
	// Secure always marks the cookie Secure. Without it, the cookie is
	// Secure when the request came over TLS. Behind a TLS-terminating
	// proxy, set it.
	Secure bool
	// Domain, if set, shares the cookie with subdomains.
	Domain string
}

// Manager loads sessions for requests and saves them when the handler's
// response is written. It works with any Store.
type Manager struct {
	app    *itty.App
	store  Store
	client *CookieStore // non-nil when the whole session lives in the cookie
	opts   Options
}

type sessionKey struct{}

// New returns a Manager for the App's itty handlers, keeping sessions in
// store. It registers an OnResponse hook on app that saves each session a
// handler used: a handler that panics saves nothing.
func New(app *itty.App, store Store, opts Options) (*Manager, error) {
	if store == nil {
		return nil, errors.New("sessions: nil store")
	}
	if opts.CookieName == "" {
		opts.CookieName = defaultCookieName()
	}
	if err := (&itty.Response{}).SetCookie(opts.CookieName, "x", itty.CookieOptions{Secure: true, Domain: opts.Domain}); err != nil {
		return nil, fmt.Errorf("sessions: cookie settings: %w", err)
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Lifetime <= 0 {
		opts.Lifetime = DefaultLifetime
	}
	if opts.RememberLifetime <= 0 {
		opts.RememberLifetime = DefaultRememberLifetime
	}
	if opts.TouchInterval <= 0 {
		opts.TouchInterval = min(opts.IdleTimeout/10, time.Minute)
	}
	m := &Manager{app: app, store: store, opts: opts}
	m.client, _ = store.(*CookieStore)
	app.OnResponse(m.commit)
	return m, nil
}

func defaultCookieName() string {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return "itty_" + clean + "_sid"
}

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.opts.CookieName }

// Get returns the request's session, loading it on first use. A request
// whose cookie names no live session (none, forged, expired or destroyed)
// gets a new, empty session with a fresh id; it is stored, and its cookie
// sent, only once something is put in it.
//
// If the store fails, Get returns an empty session whose Err reports the
// failure, and the request is answered with 500 when the handler returns:
// a store outage is never mistaken for a logged-out user.
func (m *Manager) Get(req *itty.Request) *Session {
	if s, ok := req.Value(sessionKey{}).(*Session); ok {
		return s
	}
	s := &Session{m: m, req: req}
	req.SetValue(sessionKey{}, s)
	now := time.Now()
	for _, v := range req.COOKIES.GetList(m.opts.CookieName) {
		s.sentCookie = true
		rec, err := m.loadCookie(req.Context(), v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			s.err = fmt.Errorf("sessions: load: %w", err)
			break
		}
		if rec.RenamedTo != "" || rec.Expired(now) {
			continue
		}
		s.rec = rec
		return s
	}
	s.rec = m.newRecord(now)
	s.isNew = true
	return s
}

// loadCookie turns a cookie value into a record: an id looked up in the
// store, or for the cookie store the record itself.
func (m *Manager) loadCookie(ctx context.Context, value string) (*Record, error) {
	if m.client != nil {
		return m.client.open(m.opts.CookieName, value)
	}
	if !ValidID(value) {
		return nil, ErrNotFound // never show a store an id we did not make
	}
	return m.store.Load(ctx, value)
}

func (m *Manager) newRecord(now time.Time) *Record {
	return &Record{ID: NewID(), Created: now, LastSeen: now, Idle: m.opts.IdleTimeout, Lifetime: m.opts.Lifetime}
}

// Info describes one of a user's sessions.
type Info struct {
	ID       string
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time
}

// UserSessions lists the live sessions of user (set with Session.SetUser).
func (m *Manager) UserSessions(ctx context.Context, user string) ([]Info, error) {
	ids, err := m.store.ByUser(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, id := range ids {
		rec, err := m.store.Load(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.User == user && rec.RenamedTo == "" {
			out = append(out, Info{ID: rec.ID, Created: rec.Created, LastSeen: rec.LastSeen, Expires: rec.ExpiresAt()})
		}
	}
	return out, nil
}

// DestroyUser ends every session of user ("log out everywhere") and
// returns how many it ended. Requests of those sessions still in flight
// cannot bring them back.
func (m *Manager) DestroyUser(ctx context.Context, user string) (int, error) {
	ids, err := m.store.ByUser(ctx, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := m.store.Delete(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// commit is the App's OnResponse hook: it saves the session the handler
// used, if any, and sets or clears the cookie.
func (m *Manager) commit(req *itty.Request, resp *itty.Response) error {
	s, ok := req.Value(sessionKey{}).(*Session)
	if !ok {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	resp.Headers = withVary(resp.Headers)
	if s.destroyed {
		return m.clearCookie(resp)
	}
	now := time.Now()
	var err error
	switch {
	case m.client != nil:
		err = m.commitClient(s, resp, now)
	case s.isNew:
		err = m.commitNew(req.Context(), s, resp, now)
	default:
		err = m.commitExisting(req.Context(), s, resp, now)
	}
	if err != nil {
		return err
	}
	if !s.cookieSet && s.isNew && s.sentCookie {
		// The client sent a cookie for a session that is gone: clear it.
		return m.clearCookie(resp)
	}
	return nil
}

func withVary(h http.Header) http.Header {
	if h == nil {
		h = make(http.Header)
	}
	for _, v := range h.Values("Vary") {
		if strings.Contains(strings.ToLower(v), "cookie") {
			return h
		}
	}
	h.Add("Vary", "Cookie")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	return h
}

func (m *Manager) commitNew(ctx context.Context, s *Session, resp *itty.Response, now time.Time) error {
	if !s.dirty() {
		return nil // nothing to keep: no store write, no cookie
	}
	rec := s.rec.Clone()
	s.apply(rec, now)
	if err := m.store.Create(ctx, rec); err != nil {
		return fmt.Errorf("sessions: create: %w", err)
	}
	s.rec = rec
	return m.setCookie(s, resp)
}

func (m *Manager) commitExisting(ctx context.Context, s *Session, resp *itty.Response, now time.Time) error {
	if !s.dirty() && (s.renewed || now.Sub(s.rec.LastSeen) < m.opts.TouchInterval) {
		// A read: no store write (Renew has already written the new record).
		if s.renewed {
			return m.setCookie(s, resp)
		}
		return nil
	}
	base := s.rec.Rev
	id := s.rec.ID
	for hops := 0; ; hops++ {
		var renamed string
		err := m.store.Update(ctx, id, func(cur *Record) error {
			if cur.RenamedTo != "" {
				renamed = cur.RenamedTo
				return errRenamed
			}
			if k, ok := s.conflict(cur, base); ok {
				return &ConflictError{Key: k}
			}
			s.apply(cur, now)
			return nil
		})
		switch {
		case errors.Is(err, errRenamed) && hops < 5:
			id = renamed // renewed by another request while this one ran
			continue
		case errors.Is(err, ErrNotFound):
			// Destroyed (or expired) while this request ran: its changes
			// die with the session rather than bring it back.
			if l := m.app.Logger; l != nil {
				l.Info("sessions: session ended during the request; its changes are dropped", "path", s.req.Path)
			}
			return m.clearCookie(resp)
		case err != nil:
			var ce *ConflictError
			if errors.As(err, &ce) {
				return err
			}
			return fmt.Errorf("sessions: save: %w", err)
		}
		break
	}
	if s.renewed || s.persistentChanged {
		return m.setCookie(s, resp)
	}
	return nil
}

var errRenamed = errors.New("sessions: renamed")

// ConflictError reports that a request changed a session value that a
// concurrent request of the same session changed first. Nothing of the
// request's changes is saved, and it is answered 409 Conflict, so the
// client can retry with fresh data.
type ConflictError struct {
	Key string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("sessions: value %q was changed by a concurrent request", e.Key)
}

// HTTPStatus makes the App answer 409 Conflict.
func (e *ConflictError) HTTPStatus() int { return http.StatusConflict }

func (m *Manager) cookieOptions(s *Session) itty.CookieOptions {
	o := itty.CookieOptions{
		HttpOnly: true,
		SameSite: itty.SameSiteLax,
		Secure:   m.opts.Secure || s.req.IsSecure(),
		Domain:   m.opts.Domain,
	}
	if s.rec.Persistent {
		o.MaxAge = time.Until(s.rec.Created.Add(s.rec.Lifetime))
		if o.MaxAge <= 0 {
			o.MaxAge = -1
		}
	}
	return o
}

func (m *Manager) setCookie(s *Session, resp *itty.Response) error {
	value := s.rec.ID
	if m.client != nil {
		var err error
		if value, err = m.client.seal(m.opts.CookieName, s.rec); err != nil {
			return err
		}
	}
	if err := resp.SetCookie(m.opts.CookieName, value, m.cookieOptions(s)); err != nil {
		return err
	}
	s.cookieSet = true
	resp.Headers.Set("Cache-Control", "no-store")
	return nil
}

func (m *Manager) clearCookie(resp *itty.Response) error {
	resp.Headers.Set("Cache-Control", "no-store")
	return resp.DeleteCookie(m.opts.CookieName, itty.CookieOptions{Domain: m.opts.Domain})
}
