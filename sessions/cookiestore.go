package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/ittygo/itty"
)

// CookieStore keeps the whole session in the session cookie, encrypted and
// signed: no server state, nothing to share between machines. Use it with
// NewCookieManager.
//
// The price: the server cannot end a session early. Destroy deletes the
// cookie from the browser, but a copy of the cookie taken before stays
// valid until its idle or absolute deadline; DestroyUser and UserSessions
// return ErrNotSupported. Two concurrent requests that both change the
// session each send a whole new cookie, and the browser keeps the one that
// arrives last. And everything must fit in one cookie: a session larger
// than 4096 bytes encoded is an error (500, logged). Use a server-side
// store when any of these matter.
type CookieStore struct {
	codecs []securecookie.Codec
}

// NewCookieStore returns a cookie store using keys, newest first (see
// itty.CookieKey and itty.CookieKeysFromEnv). It returns an error if there
// are none, if a key is not valid (see itty.CookieKey.Validate), or if a
// key has no Block key: session contents are encrypted, not only signed.
func NewCookieStore(keys ...itty.CookieKey) (*CookieStore, error) {
	if len(keys) == 0 {
		return nil, errors.New("sessions: NewCookieStore needs at least one key")
	}
	cs := &CookieStore{}
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("sessions: cookie store key %d: %w", i, err)
		}
		if len(k.Block) == 0 {
			return nil, fmt.Errorf("sessions: cookie store key %d: no block key: sessions are encrypted, so every key needs one (itty.NewCookieKey makes keys with both)", i)
		}
		c := securecookie.New(k.Hash, k.Block)
		c.SetSerializer(securecookie.JSONEncoder{})
		c.MaxAge(0) // the record carries its own deadlines
		c.MaxLength(0)
		cs.codecs = append(cs.codecs, c)
	}
	return cs, nil
}

// ErrSessionTooLarge means a cookie-store session does not fit in a cookie.
var ErrSessionTooLarge = errors.New("sessions: session too large for the cookie store (4096 bytes); keep less in it or use a server-side store")

func (cs *CookieStore) seal(name string, rec *Record) (string, error) {
	v, err := cs.codecs[0].Encode(name, rec)
	if err != nil {
		return "", fmt.Errorf("sessions: seal: %w", err)
	}
	if len(name)+len(v) > itty.MaxCookieSize {
		return "", ErrSessionTooLarge
	}
	return v, nil
}

func (cs *CookieStore) open(name, value string) (*Record, error) {
	if len(name)+len(value) > itty.MaxCookieSize {
		return nil, ErrNotFound
	}
	for _, c := range cs.codecs {
		var rec Record
		if c.Decode(name, value, &rec) == nil {
			return &rec, nil
		}
	}
	return nil, ErrNotFound
}

// cookieBackend keeps each session sealed in its own cookie.
type cookieBackend struct {
	m  *Manager
	cs *CookieStore
}

func (b *cookieBackend) load(_ context.Context, value string) (*Record, error) {
	return b.cs.open(b.m.opts.CookieName, value)
}

// save applies the request's changes to its own copy: the cookie sent with
// the response is the session.
func (b *cookieBackend) save(_ context.Context, s *Session, now time.Time) (bool, error) {
	s.apply(s.rec, now)
	return true, nil
}

// destroy has nothing to delete: the Manager clears the cookie, which ends
// the session; once the cookie has gone out, that cannot be done.
func (b *cookieBackend) destroy(_ context.Context, s *Session) error { return s.afterCommit() }

func (b *cookieBackend) cookieValue(rec *Record) (string, error) {
	return b.cs.seal(b.m.opts.CookieName, rec)
}

func (b *cookieBackend) userSessions(context.Context, string) ([]Info, error) {
	return nil, ErrNotSupported
}

func (b *cookieBackend) destroyUser(context.Context, string, string) (int, error) {
	return 0, ErrNotSupported
}
