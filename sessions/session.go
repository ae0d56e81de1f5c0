package sessions

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ittygo/itty"
)

// Session is one request's view of a session. Reads see the session as it
// was loaded plus this request's own changes; changes are saved when the
// handler's response is written. A Session belongs to its request: do not
// keep it after the handler returns.
type Session struct {
	m   *Manager
	req *itty.Request
	rec *Record
	err error

	isNew      bool
	sentCookie bool
	cookieSet  bool
	destroyed  bool
	renewed    bool

	changes           map[string]json.RawMessage // nil value: deleted
	userChanged       bool
	persistentChanged bool
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

// GetTime returns the time under key, or the zero time.
func (s *Session) GetTime(key string) time.Time {
	var v time.Time
	s.Decode(key, &v)
	return v
}

// Set puts v under key. v may be anything encoding/json can encode (no gob
// registration); it is an error if it cannot be encoded.
func (s *Session) Set(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("sessions: value for %q: %w", key, err)
	}
	s.change(key, b)
	return nil
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
}

const flashKey = "_flash"

// AddFlash adds a message to show on a later request, such as "Saved.".
func (s *Session) AddFlash(msg string) {
	var msgs []string
	s.Decode(flashKey, &msgs)
	s.Set(flashKey, append(msgs, msg))
}

// Flashes returns the messages added with AddFlash and removes them: each
// is read once.
func (s *Session) Flashes() []string {
	var msgs []string
	if s.Decode(flashKey, &msgs) {
		s.Delete(flashKey)
	}
	return msgs
}

// User returns the user the session belongs to, or "".
func (s *Session) User() string { return s.rec.User }

// SetUser records who the session belongs to, for UserSessions and
// DestroyUser. Call Renew when a user logs in.
func (s *Session) SetUser(user string) {
	s.rec.User = user
	s.userChanged = true
}

// RememberMe chooses between a cookie that ends with the browser session
// (false, the default) and a persistent one (true) that lasts the
// RememberLifetime.
func (s *Session) RememberMe(remember bool) {
	if s.rec.Persistent == remember {
		return
	}
	s.rec.Persistent = remember
	s.rec.Lifetime = s.m.opts.Lifetime
	if remember {
		s.rec.Lifetime = s.m.opts.RememberLifetime
	}
	s.persistentChanged = true
}

// dirty reports whether the request changed the session.
func (s *Session) dirty() bool {
	return len(s.changes) > 0 || s.userChanged || s.persistentChanged
}

// conflict reports a key this request changed that another request
// changed after this one loaded the session at revision base.
func (s *Session) conflict(cur *Record, base uint64) (string, bool) {
	for k, v := range s.changes {
		if cur.KeyRev[k] > base {
			if old, ok := cur.Values[k]; (ok && string(old) == string(v)) || (!ok && v == nil) {
				continue // both made the same change
			}
			return k, true
		}
	}
	return "", false
}

// apply writes this request's changes onto cur, a newer copy of the record.
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
	if s.userChanged {
		cur.User = s.rec.User
	}
	if s.persistentChanged {
		cur.Persistent, cur.Lifetime = s.rec.Persistent, s.rec.Lifetime
	}
	cur.LastSeen = now
	s.rec.LastSeen = now
	s.rec.Rev = cur.Rev
}

// Renew gives the session a new id and keeps its data; the old id stops
// working at once. Call it when a user logs in (or gains privileges), so
// an id planted or seen before cannot ride along (session fixation).
func (s *Session) Renew() error {
	if s.err != nil {
		return s.err
	}
	if s.destroyed {
		return errors.New("sessions: Renew after Destroy")
	}
	newID := NewID()
	if s.isNew || s.m.client != nil {
		s.rec.ID = newID
		s.renewed = true
		return nil
	}
	ctx := s.req.Context()
	oldID := s.rec.ID
	var current *Record
	err := s.m.store.Update(ctx, oldID, func(cur *Record) error {
		if cur.RenamedTo != "" {
			return errRenamed
		}
		current = cur.Clone()
		cur.RenamedTo = newID
		cur.TombstoneUntil = time.Now().Add(tombstoneTTL)
		cur.User = "" // the tombstone is no one's session
		cur.Values, cur.KeyRev = nil, nil
		return nil
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, errRenamed) {
		// Gone or renewed meanwhile: start afresh with this request's view.
		s.isNew = true
		s.rec.ID = newID
		return nil
	}
	if err != nil {
		return fmt.Errorf("sessions: renew: %w", err)
	}
	current.ID = newID
	if err := s.m.store.Create(context.WithoutCancel(ctx), current); err != nil {
		return fmt.Errorf("sessions: renew: %w", err)
	}
	// Requests that loaded the old session keep merging into the new one,
	// so changes made while the id changes are not lost.
	s.rec.ID = newID
	s.renewed = true
	return nil
}

// Destroy ends the session: the store's record is deleted and the cookie
// removed. Requests of this session still in flight cannot bring it back.
func (s *Session) Destroy() error {
	if s.err != nil {
		return s.err
	}
	s.destroyed = true
	if s.isNew || s.m.client != nil {
		return nil
	}
	if err := s.m.store.Delete(s.req.Context(), s.rec.ID); err != nil {
		return fmt.Errorf("sessions: destroy: %w", err)
	}
	return nil
}

const csrfKey = "_csrf"

// CSRFToken returns the session's synchronizer token for HTML forms,
// creating it (and so the session) on first use. Put it in forms with
// CSRFField and check it with CheckCSRF.
func (s *Session) CSRFToken() string {
	if t := s.GetString(csrfKey); t != "" {
		return t
	}
	t := NewID()
	s.Set(csrfKey, t)
	return t
}

// CheckCSRF reports whether the request carries the session's CSRF token,
// in the form field CSRFFieldName or the X-CSRF-Token header. The
// comparison takes constant time.
func (s *Session) CheckCSRF() bool {
	want := s.GetString(csrfKey)
	got := s.req.Headers.Get("X-CSRF-Token")
	if got == "" {
		got = s.req.POST.Get(CSRFFieldName)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
