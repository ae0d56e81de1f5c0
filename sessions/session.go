package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Session is one request's view of a session. Reads see the session as it
// was loaded plus this request's own changes; changes are saved when the
// handler's response is written. A Session belongs to its request: do not
// keep it after the handler returns. Like the request's ResponseWriter, it
// is for the goroutine that serves the request, not for concurrent use.
type Session struct {
	m    *Manager
	r    *http.Request // the request, for its context, TLS and headers
	post formValues    // the request's form values, for CheckCSRF
	rec  *Record       // as loaded, with this request's Renew, SetUser and RememberMe
	err  error

	// What the request brought: the record's id, user, revision and
	// when it was last seen.
	loadedID, loadedUser string
	loadedRev            uint64
	loadedSeen           time.Time
	opened               time.Time // when the request loaded it

	isNew      bool    // the request brought no live session
	sentCookie bool    // the request sent a session cookie
	moved      *Record // ... naming a session renewed moments ago: its tombstone
	destroyed  bool
	renewed    bool // rec.ID is a new id, stored at commit
	boundary   bool // the renew is a boundary even for the same user

	changes           map[string]json.RawMessage // nil value: deleted
	persistentChanged bool
	committed         bool // saved (or failed to) by its hook or the middleware, or taken too late to be
	late              bool // changed after it was committed: not saved (see ErrCommitted)
	hooked            bool // an itty handler has it: a hook of its request commits it
	saved             bool // the commit stored rec: a Destroy after it ends rec.ID, not loadedID
}

// formValues is where CheckCSRF finds the form's token: an itty Request's
// POST, or a plain request's PostFormValue.
type formValues interface{ Get(key string) string }

type plainForm struct{ r *http.Request }

func (f plainForm) Get(key string) string { return f.r.PostFormValue(key) }

// loaded makes rec the session the request brought.
func (s *Session) loaded(rec *Record) {
	s.rec = rec
	s.loadedID, s.loadedUser, s.loadedRev, s.loadedSeen = rec.ID, rec.User, rec.Rev, rec.LastSeen
}

// Err returns the store error met loading the session, if any. The request
// is then answered with 500 whatever the handler does, so checking Err is
// only needed to stop early.
func (s *Session) Err() error { return s.err }

// ID returns the session id. It changes on Renew. A new session's id is
// stored and sent only once something is put in the session.
func (s *Session) ID() string { return s.rec.ID }

// IsNew reports whether the request brought no live session.
func (s *Session) IsNew() bool { return s.isNew }

func (s *Session) raw(key string) (json.RawMessage, bool) {
	if v, ok := s.changes[key]; ok {
		return v, v != nil
	}
	v, ok := s.rec.Values[key]
	return v, ok
}

// Has reports whether the session holds key.
func (s *Session) Has(key string) bool {
	_, ok := s.raw(key)
	return ok
}

// Decode decodes the value under key into dst (a pointer) and reports
// whether there was one that decoded.
func (s *Session) Decode(key string, dst any) bool {
	v, ok := s.raw(key)
	return ok && json.Unmarshal(v, dst) == nil
}

// GetString returns the string under key, or "".
func (s *Session) GetString(key string) string {
	var v string
	s.Decode(key, &v)
	return v
}

// GetInt returns the int under key, or 0.
func (s *Session) GetInt(key string) int {
	var v int
	s.Decode(key, &v)
	return v
}

// GetBool returns the bool under key, or false.
func (s *Session) GetBool(key string) bool {
	var v bool
	s.Decode(key, &v)
	return v
}

// GetFloat returns the float64 under key, or 0.
func (s *Session) GetFloat(key string) float64 {
	var v float64
	s.Decode(key, &v)
	return v
}

// GetBytes returns the bytes under key (set as a []byte), or nil.
func (s *Session) GetBytes(key string) []byte {
	var v []byte
	s.Decode(key, &v)
	return v
}

// GetTime returns the time under key, or the zero time.
func (s *Session) GetTime(key string) time.Time {
	var v time.Time
	s.Decode(key, &v)
	return v
}

// Set puts v under key. v may be anything encoding/json can encode (no gob
// registration); it is an error if it cannot be encoded, and ErrCommitted
// if the session was already committed (see ErrCommitted), in which case
// the value is visible to the rest of this request but not saved.
func (s *Session) Set(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sessions: value for %q: %w", key, err)
	}
	s.change(key, b)
	if s.late {
		return ErrCommitted
	}
	return nil
}

// afterCommit notes a change made once the session was committed, which
// is not saved, and returns ErrCommitted for it. The first one is logged:
// a handler that ignores the error loses nothing silently.
func (s *Session) afterCommit() error {
	if !s.committed {
		return nil
	}
	if !s.late {
		s.late = true
		s.m.logger().Error("sessions: the session was changed after it was committed; the change was not saved",
			"method", s.r.Method, "path", s.r.URL.Path, "err", ErrCommitted)
	}
	return ErrCommitted
}

// Delete removes key.
func (s *Session) Delete(key string) {
	if s.Has(key) {
		s.change(key, nil)
	}
}

func (s *Session) change(key string, v json.RawMessage) {
	if s.changes == nil {
		s.changes = map[string]json.RawMessage{}
	}
	s.changes[key] = v
	s.afterCommit()
}

const flashKey = "_flash"

// flash is one message of AddFlash.
type flash struct {
	Msg      string `json:"m"`
	Category string `json:"c,omitempty"`
}

// AddFlash adds a message to show on a later request, such as "Saved.",
// with an optional category (such as "error" or "info") that Flashes can
// select by.
func (s *Session) AddFlash(msg string, category ...string) {
	var fs []flash
	s.Decode(flashKey, &fs)
	f := flash{Msg: msg}
	if len(category) > 0 {
		f.Category = category[0]
	}
	s.Set(flashKey, append(fs, f))
}

// Flashes returns the messages added with AddFlash, in order, and removes
// them: each is read once. With a category, it returns and removes only
// the messages of that category.
func (s *Session) Flashes(category ...string) []string {
	var fs []flash
	if !s.Decode(flashKey, &fs) {
		return nil
	}
	var out []string
	var keep []flash
	for _, f := range fs {
		if len(category) == 0 || f.Category == category[0] {
			out = append(out, f.Msg)
		} else {
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		s.Delete(flashKey)
	} else if len(out) > 0 {
		s.Set(flashKey, keep)
	}
	return out
}

// User returns the user the session belongs to, or "".
func (s *Session) User() string { return s.rec.User }

// SetUser records who the session belongs to, for UserSessions and
// DestroyUser. Setting a different user (a login, a logout to "", a switch
// of account) is a boundary: it renews the session id as Renew does, the
// CSRF token starts afresh, and requests that loaded the session before
// cannot change it after. Setting the same user again changes nothing.
func (s *Session) SetUser(user string) {
	if user == s.rec.User {
		return
	}
	s.afterCommit()
	s.rec.User = user
	s.Delete(csrfKey)
	s.Renew()
}

// RememberMe chooses between a cookie that ends with the browser session
// (false, the default) and a persistent one (true) that lasts the
// RememberLifetime.
func (s *Session) RememberMe(remember bool) {
	if s.rec.Persistent == remember {
		return
	}
	s.afterCommit()
	s.rec.Persistent = remember
	s.rec.Lifetime = s.m.lifetime(s.rec)
	s.persistentChanged = true
}

// Renew gives the session a new id and keeps its data; the old id stops
// working. Call it when a user logs in or gains privileges, so that an id
// planted or seen before cannot ride along (session fixation). SetUser
// renews by itself when the user changes.
//
// The new id is stored when the response is written. A renew that keeps
// the user (a routine rotation) lets requests that loaded the old id still
// merge their changes into the new one; a renew that changes the user is a
// boundary, and those requests are refused with ErrSessionEnded (409).
// Renew returns an error only if the session failed to load or was
// destroyed by this request.
func (s *Session) Renew() error {
	if s.err != nil {
		return s.err
	}
	if s.destroyed {
		return errors.New("sessions: Renew after Destroy")
	}
	if err := s.afterCommit(); err != nil {
		return err
	}
	if !s.renewed {
		s.rec.ID = NewID()
		s.renewed = true
	}
	return nil
}

// RenewBoundary is Renew for a change of privilege that keeps the user,
// such as step-up authentication: requests that loaded the session before
// it cannot change it after, as for a change of user.
func (s *Session) RenewBoundary() error {
	if err := s.Renew(); err != nil {
		return err
	}
	s.boundary = true
	return nil
}

// crossesBoundary reports whether this request's renew, if any, must cut
// off the requests that loaded the session before it.
func (s *Session) crossesBoundary() bool { return s.boundary || s.rec.User != s.loadedUser }

// Destroy ends the session: the store's record is deleted at once and the
// cookie removed. Requests of this session still in flight cannot bring it
// back, and a renew of it in progress is ended too. If the store fails,
// Destroy returns the error and the request is answered with 500, whatever
// the handler returns: a logout that did not happen never looks as if it did.
//
// Once the session is committed (see ErrCommitted), Destroy still ends
// what the store holds (the new id, if the commit stored a renew) and
// returns nil, but the cookie stays, naming nothing; if the store fails,
// the error is returned, and a 500 cannot go out any more. A session kept
// in its cookie (see NewCookieManager) cannot be ended then at all:
// Destroy returns ErrCommitted.
func (s *Session) Destroy() error {
	if s.err != nil {
		return s.err
	}
	s.destroyed = true
	if s.isNew && s.moved == nil && !s.saved {
		return nil
	}
	if err := s.m.b.destroy(s.r.Context(), s); err != nil {
		// The session may still be live: the request is answered 500,
		// never as a logout that happened.
		s.err = fmt.Errorf("sessions: destroy: %w", err)
		return s.err
	}
	return nil
}

// DestroyOthers ends every other session of the session's user ("log out
// my other devices") and returns how many it ended, with DestroyUser's
// guarantees for them. It keeps the session this request holds whatever the
// handler did to it before: a Renew or a SetUser made in this request is
// stored when the response is written, as usual. Call it after SetUser on
// a login to make the login the user's only session. It returns an error
// if the session has no user, failed to load, or was destroyed by this
// request; an error matching ErrSessionEnded, ending nothing, if the
// session ended after this request loaded it (a logout elsewhere), so that
// a request held that long cannot end the user's newer sessions; and
// ErrNotSupported where UserSessions does.
func (s *Session) DestroyOthers(ctx context.Context) (int, error) {
	switch {
	case s.err != nil:
		return 0, s.err
	case s.destroyed:
		return 0, errors.New("sessions: DestroyOthers after Destroy")
	case s.rec.User == "":
		return 0, errors.New("sessions: DestroyOthers needs a session with a user (see SetUser)")
	}
	// The record the request loaded is this session in the store, or, if
	// the request brought the old id of a renew that ran moments ago, the
	// tombstone that forwards to it. A session not stored yet, or not
	// stored as this user's (a login in this request), has no record to
	// keep: every stored session of the user is another.
	keep := ""
	switch {
	case s.saved:
		keep = s.rec.ID // the commit stored it: this request's session now
	case !s.isNew && s.loadedUser == s.rec.User:
		keep = s.loadedID
	case s.isNew && s.moved != nil && s.moved.User == s.rec.User:
		keep = s.moved.ID
	}
	n, err := s.m.b.destroyUser(ctx, s.rec.User, keep)
	if errors.Is(err, errNoKeep) && s.isNew {
		// The renew the request's old id named has ended: there is
		// nothing stored to keep, and this request's session is new.
		return s.m.b.destroyUser(ctx, s.rec.User, "")
	}
	if errors.Is(err, errNoKeep) {
		// The session this request loaded has ended since (a logout,
		// or a renew across a boundary): its commit will be refused too.
		return 0, fmt.Errorf("sessions: DestroyOthers: this request's session has ended since it was loaded, so nothing was ended: %w", ErrSessionEnded)
	}
	return n, err
}

// dirty reports whether the request changed the session.
func (s *Session) dirty() bool {
	return len(s.changes) > 0 || s.rec.User != s.loadedUser || s.persistentChanged
}

// needsSave reports whether commit has anything to store: a change, a
// renew of a stored session, or an idle deadline that should move.
func (s *Session) needsSave(now time.Time) bool {
	if s.isNew {
		// Nothing to keep until something is put in it: a login handler
		// that renews before checking the password stores nothing.
		return s.dirty()
	}
	return s.dirty() || s.renewed || now.Sub(s.rec.LastSeen) >= s.m.opts.TouchInterval
}

// conflict reports a key this request changed that another request
// changed after this one loaded the session.
func (s *Session) conflict(cur *Record) (string, bool) {
	for k, v := range s.changes {
		if cur.KeyRev[k] > s.loadedRev {
			if old, ok := cur.Values[k]; (ok && string(old) == string(v)) || (!ok && v == nil) {
				continue // both made the same change
			}
			return k, true
		}
	}
	return "", false
}

// apply writes this request's changes onto cur, a newer copy of the
// record, under the Manager's current timeouts.
func (s *Session) apply(cur *Record, now time.Time) {
	if len(s.changes) > 0 {
		cur.Rev++
		if cur.Values == nil {
			cur.Values = map[string]json.RawMessage{}
		}
		if cur.KeyRev == nil {
			cur.KeyRev = map[string]uint64{}
		}
		for k, v := range s.changes {
			if v == nil {
				delete(cur.Values, k)
			} else {
				cur.Values[k] = v
			}
			cur.KeyRev[k] = cur.Rev
		}
	}
	if s.rec.User != s.loadedUser {
		cur.User = s.rec.User
	}
	if s.persistentChanged {
		cur.Persistent, cur.Lifetime = s.rec.Persistent, s.rec.Lifetime
	}
	cur.LastSeen = now
	if s.m.opts.TrackClients {
		cur.UserAgent = s.r.UserAgent()
		cur.IP = s.r.RemoteAddr
		if addr := s.m.app.ClientAddr(s.r); addr.IsValid() {
			cur.IP = addr.String()
		}
	}
	s.m.bound(cur)
}
