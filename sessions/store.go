package sessions

import (
	"context"
	"errors"
)

// Store keeps session records. Implementations must be safe for concurrent
// use; Update must be atomic (no other write to the same id between its
// read and its write), across processes where the store is shared.
//
// Stores never create a record except through Create: an Update of a record
// that is gone fails with ErrNotFound. That is what keeps a request that was
// in flight when its session was destroyed from bringing it back.
type Store interface {
	// Create stores a new record. It returns ErrExists if a live record
	// has the same id.
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
	// ByUser returns the ids of the live records whose User is user.
	ByUser(ctx context.Context, user string) ([]string, error)
}

var (
	// ErrNotFound means the store has no live record with the id.
	ErrNotFound = errors.New("sessions: no such session")
	// ErrExists means Create found a live record with the id.
	ErrExists = errors.New("sessions: session id already exists")
	// ErrNotSupported is returned for operations a store cannot do, such
	// as listing a user's sessions in the cookie store.
	ErrNotSupported = errors.New("sessions: not supported by this store")
)
