package sessions

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"time"
)

// Record is a session as a Store keeps it. Stores treat it as data: the
// Manager decides what it means.
type Record struct {
	// ID is the session id: 256 random bits, URL-safe base64.
	ID string `json:"id"`
	// Scope is the cookie name of the Manager that made the record. A
	// Manager loads, renews and destroys only records of its own scope, so
	// two Managers that share a store (shop and staff) never see each
	// other's sessions.
	Scope string `json:"scope,omitempty"`
	// User is who the session belongs to, for UserSessions and DestroyUser;
	// empty for an anonymous session.
	User string `json:"user,omitempty"`
	// Values are the session's values, JSON-encoded.
	Values map[string]json.RawMessage `json:"values,omitempty"`
	// Rev counts commits; KeyRev says at which Rev each key last changed,
	// so that two requests changing the same key can be told apart from
	// two changing different keys.
	Rev    uint64            `json:"rev"`
	KeyRev map[string]uint64 `json:"key_rev,omitempty"`
	// Created starts the absolute lifetime; LastSeen the idle timeout.
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	// Idle and Lifetime are the timeouts the session was made with.
	Idle     time.Duration `json:"idle"`
	Lifetime time.Duration `json:"lifetime"`
	// Persistent is "remember me": the cookie outlives the browser session.
	Persistent bool `json:"persistent,omitempty"`
	// UserAgent and IP describe the client as of the last write, when the
	// Manager's Options.TrackClients is on.
	UserAgent string `json:"ua,omitempty"`
	IP        string `json:"ip,omitempty"`
	// A tombstone is a record that is not a session: the Manager never
	// loads one as a session, and stores keep it until TombstoneUntil,
	// longer than any request runs. RenamedTo marks the tombstone a renew
	// leaves under the old id, naming the new one; its User is the new
	// record's user, so that DestroyUser finds a renew in progress.
	// Forward says whether requests that loaded the old id may still merge
	// their changes into the new one (a routine renew), or are refused
	// (a renew across a boundary: a change of user, or RenewBoundary).
	// Ended marks an id reserved by a destroy, so that a renew still in
	// flight cannot create it.
	RenamedTo      string    `json:"renamed_to,omitempty"`
	Forward        bool      `json:"forward,omitempty"`
	Ended          bool      `json:"ended,omitempty"`
	TombstoneUntil time.Time `json:"tombstone_until,omitzero"`

	// RenamedFrom names the id a renew moved the session from (on the
	// new record and on later tombstones of it), so that a logout can
	// end the old id's tombstone too: a request or a DestroyUser that
	// meets it then knows the session is gone, not a renew in progress.
	RenamedFrom string `json:"renamed_from,omitempty"`
}

// IsTombstone reports whether the record is a tombstone rather than a
// session.
func (r *Record) IsTombstone() bool { return r.RenamedTo != "" || r.Ended }

// ExpiresAt is when the record stops being valid: the earlier of the idle
// deadline and the absolute deadline, or the end of a tombstone's life.
// Stores delete records after it and may use it as a TTL.
func (r *Record) ExpiresAt() time.Time {
	if r.IsTombstone() {
		return r.TombstoneUntil
	}
	idle := r.LastSeen.Add(r.Idle)
	if abs := r.Created.Add(r.Lifetime); abs.Before(idle) {
		return abs
	}
	return idle
}

// Expired reports whether the record is past ExpiresAt at now.
func (r *Record) Expired(now time.Time) bool { return !now.Before(r.ExpiresAt()) }

// Clone returns a deep copy.
func (r *Record) Clone() *Record {
	c := *r
	c.Values = maps.Clone(r.Values)
	c.KeyRev = maps.Clone(r.KeyRev)
	return &c
}

// NewID returns a fresh session id: 256 bits from crypto/rand, in URL-safe
// base64 without padding (43 characters).
func NewID() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ValidID reports whether s has the form of an id NewID makes. Ids from
// requests are checked with it before they reach a store, so a store may
// use an id as a file name or key without further checks.
func ValidID(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
