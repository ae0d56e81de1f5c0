package sessions

import (
	"context"
	"time"
)

// backend is the seam between the Manager, which owns the session protocol
// as a user sees it (load on first use, commit when the response is
// written, cookies), and the place the session lives. There are two:
//
//   - serverBackend: a record in a Store, looked up by the id in the
//     cookie; sessions can be revoked and concurrent changes are merged.
//   - cookieBackend: the whole record sealed in the cookie; nothing on the
//     server to revoke or merge.
type backend interface {
	// load turns a cookie value into the record it names, or ErrNotFound.
	load(ctx context.Context, value string) (*Record, error)
	// save stores what the request did to s (changes, a new user, a
	// renew, a moved idle deadline), leaves the stored record in s.rec and
	// reports whether the cookie must be sent again. A session that ended
	// while the request ran is an *endedError.
	save(ctx context.Context, s *Session, now time.Time) (resend bool, err error)
	// destroy ends the session s loaded.
	destroy(ctx context.Context, s *Session) error
	// cookieValue is what the session cookie carries for rec.
	cookieValue(rec *Record) (string, error)
	// userSessions and destroyUser serve the Manager's UserSessions,
	// DestroyUser and DestroyUserExcept (keepID), or return ErrNotSupported.
	userSessions(ctx context.Context, user string) ([]Info, error)
	destroyUser(ctx context.Context, user, keepID string) (int, error)
}
