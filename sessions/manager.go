package sessions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ittygo/itty"
)

// maxCookieCandidates is how many values of the session cookie one request
// may make the Manager look up. Browsers send more than one only when
// cookies of the same name were set for several paths or domains; a header
// stuffed with forged ids costs at most this many store lookups.
const maxCookieCandidates = 3

// Manager loads sessions for requests and saves them when the handler's
// response is written. Each Manager sees only the sessions it loaded itself,
// with its own cookie and storage, so two Managers on one App (shoppers and
// staff, say) never see or write each other's sessions.
type Manager struct {
	app     *itty.App
	b       backend
	opts    Options
	inProcs bool                                      // the store never waits on I/O: call it directly
	local   bool                                      // the store honours its context's deadline itself
	hook    func(*itty.Request, *itty.Response) error // m.commitHook, made once: a method value allocates
}

// sessionKey is the per-request key of one Manager's session.
type sessionKey struct{ m *Manager }

// New returns a Manager for the App's itty handlers, keeping sessions in a
// server-side store. The session a handler used is saved by an OnResponse
// hook of its request, after the App's own hooks: a handler that panics
// saves nothing. app may be nil for a Manager that serves only net/http
// handlers, through Middleware; behind a reverse proxy, pass such a Manager
// an App anyway (it need not serve anything): the Manager believes what the
// App's TrustedProxies let it believe of the client's address and scheme,
// and a nil App trusts no proxy.
//
// New returns an error for settings a browser or the store would refuse
// (see Options), so they fail at start-up, not on a user's login.
func New(app *itty.App, store Store, opts Options) (*Manager, error) {
	if store == nil {
		return nil, errors.New("sessions: nil store")
	}
	m, err := newManager(app, opts)
	if err != nil {
		return nil, err
	}
	// The cookie name is checked first: a Manager refused for it must not
	// have bound the store to its name.
	if err := m.claimName(); err != nil {
		return nil, err
	}
	if ns, ok := store.(Namespacer); ok {
		if err := ns.Namespace(m.opts.CookieName); err != nil {
			m.releaseName()
			return nil, err
		}
	}
	switch store.(type) {
	case *MemoryStore:
		m.inProcs, m.local = true, true
	case *FileStore:
		m.local = true
	}
	m.b = &serverBackend{m: m, store: store}
	return m, nil
}

// NewCookieManager returns a Manager that keeps each whole session in its
// cookie, sealed by store: no server state. See CookieStore for what that
// cannot do.
func NewCookieManager(app *itty.App, store *CookieStore, opts Options) (*Manager, error) {
	if store == nil {
		return nil, errors.New("sessions: nil cookie store")
	}
	m, err := newManager(app, opts)
	if err != nil {
		return nil, err
	}
	if err := m.claimName(); err != nil {
		return nil, err
	}
	m.b = &cookieBackend{m: m, cs: store}
	return m, nil
}

func newManager(app *itty.App, opts Options) (*Manager, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{app: app, opts: opts}
	m.hook = m.commitHook
	return m, nil
}

// claimName reserves the Manager's cookie name on its App: a second
// Manager of one App under the same name is refused, since the two would
// read, clear and overwrite each other's cookie.
func (m *Manager) claimName() error {
	if m.app == nil {
		return nil
	}
	return claimCookieName(m.app, m.opts.CookieName)
}

// releaseName gives the name back, for a New that failed after claimName.
func (m *Manager) releaseName() {
	if m.app != nil {
		releaseCookieName(m.app, m.opts.CookieName)
	}
}

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.opts.CookieName }

// Get returns the request's session, loading it on first use. A request
// whose cookie names no live session (none, forged, expired or destroyed)
// gets a new, empty session with a fresh id; it is stored, and its cookie
// sent, only once something is put in it. At most three values of the
// session cookie are looked up, however many the request sends. Behind
// Middleware, Get returns the session FromContext returns.
//
// If the store fails or does not answer within Options.StoreTimeout, Get
// returns an empty session whose Err reports the failure, and the request
// is answered with 500 when the handler returns: a store outage is never
// mistaken for a logged-out user.
func (m *Manager) Get(req *itty.Request) *Session {
	key := sessionKey{m}
	if s, ok := req.Value(key).(*Session); ok {
		if !s.committed && req.HooksDone() {
			// Its hook did not run: the handler failed, and this is the
			// ServerError page. What it changes now is not saved either.
			s.committed = true
		}
		return s
	}
	var s *Session
	if l, ok := req.Context().Value(key).(*lazySession); ok {
		s = l.get() // the middleware's: one session per request
	} else {
		s = m.open(req.Raw, req.COOKIES.GetList(m.opts.CookieName))
	}
	s.post = &req.POST
	// A hook of this request commits it, after the App's own hooks, or
	// nothing does if the handler fails, so that a panic saves nothing
	// (behind the middleware too: its writer leaves alone a session an
	// itty handler took). Asked for too late for a hook (in the App's
	// ServerError page), it can be read but not changed.
	switch {
	case s.hooked || s.committed:
	case req.HooksDone():
		s.committed = true
	default:
		req.OnResponse(m.hook)
		s.hooked = true
	}
	req.SetValue(key, s)
	return s
}

// open loads the session named by the request's session cookie values.
func (m *Manager) open(r *http.Request, values []string) *Session {
	now := time.Now()
	s := &Session{m: m, r: r, opened: now}
	for i, v := range values {
		s.sentCookie = true
		if i == maxCookieCandidates {
			break
		}
		rec, err := m.b.load(r.Context(), v)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			s.err = fmt.Errorf("sessions: load: %w", err)
			break
		}
		if rec.RenamedTo != "" && rec.Scope == m.opts.CookieName && now.Before(rec.LastSeen.Add(m.raceWindow())) {
			// The id was renewed moments ago, and the browser may already
			// hold the new one: never clear or replace its cookie.
			s.moved = rec
		}
		if !m.live(rec, now) {
			continue
		}
		s.loaded(rec)
		return s
	}
	s.rec = m.newRecord(now)
	s.isNew = true
	return s
}

func (m *Manager) newRecord(now time.Time) *Record {
	return &Record{ID: NewID(), Scope: m.opts.CookieName, Created: now, LastSeen: now,
		Idle: m.opts.IdleTimeout, Lifetime: m.opts.Lifetime}
}

// raceWindow is how long after a renew a request that brings the old id
// may be one the browser sent before the renew's answer reached it: the
// renew's two store calls, and then some, within the tombstone's life. A
// request that brings it later comes from a browser that never got the new
// id (its answer was lost), and starts afresh like any request whose
// session is gone.
func (m *Manager) raceWindow() time.Duration {
	return min(2*m.opts.StoreTimeout+10*time.Second, tombstoneTTL)
}

// idle is the idle timeout the Manager allows rec now.
func (m *Manager) idle(rec *Record) time.Duration {
	if rec.Persistent {
		return m.opts.RememberIdleTimeout
	}
	return m.opts.IdleTimeout
}

// deadline is when the Manager will end rec if it is not used again.
func (m *Manager) deadline(rec *Record) time.Time {
	d := rec.ExpiresAt()
	for _, t := range []time.Time{rec.LastSeen.Add(m.idle(rec)), rec.Created.Add(m.lifetime(rec))} {
		if t.Before(d) {
			d = t
		}
	}
	return d
}

// lifetime is the absolute lifetime the Manager allows rec now.
func (m *Manager) lifetime(rec *Record) time.Duration {
	if rec.Persistent {
		return m.opts.RememberLifetime
	}
	return m.opts.Lifetime
}

// live reports whether rec is a session this Manager accepts at now: one
// of its own scope, not a tombstone, and within both the timeouts the
// record was made with and the Manager's current ones, so that shortening
// a timeout ends old sessions at once.
func (m *Manager) live(rec *Record, now time.Time) bool {
	if rec.Scope != m.opts.CookieName || rec.IsTombstone() || rec.Expired(now) {
		return false
	}
	return now.Before(rec.LastSeen.Add(m.idle(rec))) && now.Before(rec.Created.Add(m.lifetime(rec)))
}

// bound gives a record about to be stored the Manager's current timeouts,
// so the store's expiry (a TTL, a cleanup) follows them: a shortened
// timeout is enforced at load (see live) and a lengthened one from the
// session's next write.
func (m *Manager) bound(rec *Record) {
	rec.Idle, rec.Lifetime = m.idle(rec), m.lifetime(rec)
}

// Info describes one of a user's sessions.
type Info struct {
	ID       string
	Created  time.Time
	LastSeen time.Time
	// Expires is when the session ends unless it is used again.
	Expires time.Time
	// Remembered says the user chose "remember me".
	Remembered bool
	// UserAgent and IP are the client's User-Agent header and address as
	// of the session's last write, with Options.TrackClients; else empty.
	UserAgent, IP string
}

// UserSessions lists the live sessions of user (set with Session.SetUser).
// It returns ErrNotSupported for the cookie store and for a Store without a
// UserIndex.
func (m *Manager) UserSessions(ctx context.Context, user string) ([]Info, error) {
	return m.b.userSessions(ctx, user)
}

// DestroyUser ends every session of user ("log out everywhere") and returns
// how many it ended, counting a session cut halfway through a renew once.
// The count can include a session renewed moments ago that another
// DestroyUser running at the same time ended.
// When it returns without error, the user has no live session left that
// existed when it started: requests of those sessions still in flight, and
// renews in progress, cannot bring one back. It
// returns ErrNotSupported where UserSessions does.
func (m *Manager) DestroyUser(ctx context.Context, user string) (int, error) {
	return m.b.destroyUser(ctx, user, "")
}

// DestroyUserExcept ends every session of user but the one with id keepID
// and returns how many it ended, with DestroyUser's guarantees for the
// others. A renew of the kept session that another request committed
// meanwhile does not make it a victim: the ids keepID was renamed to are
// kept too. A keepID that names no live session of user is refused with an
// error matching ErrNotFound, and nothing is ended: an ended session's id
// is one, another user's is one, and so is the new id of a Renew the
// calling request has not committed yet, so a handler that logs out the
// user's other devices calls Session.DestroyOthers instead.
func (m *Manager) DestroyUserExcept(ctx context.Context, user, keepID string) (int, error) {
	if keepID == "" {
		return 0, errors.New("sessions: DestroyUserExcept needs the id of the session to keep")
	}
	return m.b.destroyUser(ctx, user, keepID)
}

// commitHook is the OnResponse hook Get registers: it commits the session
// this Manager gave the request's handler, unless the middleware already
// has.
func (m *Manager) commitHook(req *itty.Request, resp *itty.Response) error {
	s, ok := req.Value(sessionKey{m}).(*Session)
	if !ok || s.committed {
		return nil
	}
	return m.commit(s, resp)
}

// commit saves what the request did to s and sets or clears its cookie on
// resp; an error is the request's answer (500, or 409).
func (m *Manager) commit(s *Session, resp *itty.Response) error {
	s.committed = true
	resp.Headers = withVary(resp.Headers) // error pages too: they depend on the cookie
	if s.err != nil {
		return s.err
	}
	if s.destroyed {
		return m.clearCookie(resp)
	}
	now := time.Now()
	if !s.needsSave(now) {
		if s.isNew && s.sentCookie && s.moved == nil {
			// The client sent a cookie for a session that is gone: clear it.
			return m.clearCookie(resp)
		}
		return nil
	}
	resend, err := m.b.save(s.r.Context(), s, now)
	var ended *endedError
	switch {
	case errors.As(err, &ended):
		if !s.dirty() && !s.renewed {
			return nil // a touch that found nothing to touch: nothing was lost
		}
		if ended.clear {
			if err := m.clearCookie(resp); err != nil {
				return err
			}
		}
		return ended
	case err != nil:
		return err
	}
	s.saved = true
	if resend || m.slides(s, now) {
		return m.setCookie(s, resp, now)
	}
	return nil
}

// slides reports whether a persistent cookie should be sent again because
// this request moved the session's idle deadline: a write always moves it,
// a read only when it touches the record (TouchInterval or more since the
// last write or touch). Either way the cookie's Max-Age then ends where
// the server's idle deadline now does.
func (m *Manager) slides(s *Session, now time.Time) bool {
	return (m.opts.Persistent || s.rec.Persistent) && !s.isNew &&
		(s.dirty() || now.Sub(s.loadedSeen) >= m.opts.TouchInterval)
}

// withVary marks a response that depends on the session as such: Vary
// names Cookie (unless the handler's Vary already covers it), and without
// a Cache-Control of the handler's, no cache may store it.
func withVary(h http.Header) http.Header {
	if h == nil {
		h = make(http.Header)
	}
	if !varies(h, "Cookie") {
		h.Add("Vary", "Cookie")
	}
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	return h
}

// varies reports whether h's Vary lists field, or "*".
func varies(h http.Header, field string) bool {
	for _, v := range h.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "*" || strings.EqualFold(name, field) {
				return true
			}
		}
	}
	return false
}

// cookieOptions is the session cookie's policy for s, committed at now.
func (m *Manager) cookieOptions(s *Session, now time.Time) itty.CookieOptions {
	o := m.opts.cookie(m.app.IsSecure(s.r)) // a nil app: TLS to this server only
	if m.opts.Persistent || s.rec.Persistent {
		// The browser forgets the cookie when the server would end the
		// session.
		// Whole seconds from the commit, rounded down: the browser
		// forgets the cookie when the server forgets the session, not
		// up to a second after.
		o.MaxAge = m.deadline(s.rec).Sub(now).Truncate(time.Second)
		if o.MaxAge <= 0 {
			o.MaxAge = -1
		}
	}
	return o
}

func (m *Manager) setCookie(s *Session, resp *itty.Response, now time.Time) error {
	value, err := m.b.cookieValue(s.rec)
	if err != nil {
		return err
	}
	if err := resp.SetCookie(m.opts.CookieName, value, m.cookieOptions(s, now)); err != nil {
		return err
	}
	resp.Headers.Set("Cache-Control", "no-store")
	return nil
}

func (m *Manager) clearCookie(resp *itty.Response) error {
	resp.Headers.Set("Cache-Control", "no-store")
	return resp.DeleteCookie(m.opts.CookieName, m.opts.cookie(false))
}
