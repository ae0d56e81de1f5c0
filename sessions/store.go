package sessions

import (
	"context"
	"errors"
)

// Store keeps session records on the server. Implementations must be safe
// for concurrent use; Update must be atomic (no other write to the same id
// between its read and its write), across processes where the store is
// shared.
//
// Stores are dumb on purpose: they keep what they are given and return it
// until its ExpiresAt. What a record means (a live session, a tombstone of
// a renewed or destroyed one) is decided by the Manager, in one place.
//
// Stores never create a record except through Create: an Update of a record
// that is gone fails with ErrNotFound. That is what keeps a request that was
// in flight when its session was destroyed from bringing it back.
type Store interface {
	// Create stores a new record. It returns ErrExists if a record that
	// has not expired has the same id.
	Create(ctx context.Context, rec *Record) error
	// Load returns the record with the id, or ErrNotFound if there is none
	// or it has expired (see Record.ExpiresAt).
	Load(ctx context.Context, id string) (*Record, error)
	// Update loads the record, calls fn on a copy and stores what fn
	// leaves, atomically. It returns ErrNotFound if the record is gone or
	// expired, and fn's error (storing nothing) if fn fails. fn may be
	// called more than once by stores that retry on contention.
	Update(ctx context.Context, id string, fn func(*Record) error) error
	// Delete removes the record; deleting a missing record is not an error.
	Delete(ctx context.Context, id string) error
}

// UserIndex is the optional ability of a Store to list the records of one
// user, which Manager.UserSessions and Manager.DestroyUser need. ByUser
// returns the ids of the unexpired records whose User is user, tombstones
// included (the Manager tells them apart); it may also return ids whose
// records are gone, which the Manager skips.
type UserIndex interface {
	ByUser(ctx context.Context, user string) ([]string, error)
}

// Namespacer is the optional ability of a Store shared by several apps (one
// Redis, one database) to keep each app's sessions apart. New calls
// Namespace with the session cookie's name; a store that was given a
// namespace of its own (such as a Redis key prefix) keeps it. Namespace
// returns an error if the store already serves another namespace, so one
// store value is never shared by two Managers by accident.
type Namespacer interface {
	Namespace(cookieName string) error
}

var (
	// ErrNotFound means the store has no live record with the id.
	ErrNotFound = errors.New("sessions: no such session")
	// ErrExists means Create found a live record with the id.
	ErrExists = errors.New("sessions: session id already exists")
	// ErrNotSupported is returned by Manager methods the session's storage
	// cannot do, such as listing a user's sessions in the cookie store or
	// in a Store without a UserIndex.
	ErrNotSupported = errors.New("sessions: not supported by this store")
)
