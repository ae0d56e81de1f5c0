package sessions

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ittygo/itty"
)

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

// ErrSessionEnded matches (with errors.Is) the reason a request's changes
// were not saved because its session ended while it ran: it was destroyed,
// renewed across a boundary (a login, a change of user, RenewBoundary), or
// renewed by a concurrent request first. Such a request is answered 409
// Conflict, and nothing it changed reaches any session.
var ErrSessionEnded = errors.New("sessions: the session ended while the request ran")

// endedError is ErrSessionEnded with its reason, and whether the client's
// cookie should be cleared (its session is gone) or left alone (it may
// already hold the session's new id).
type endedError struct {
	why   string
	clear bool
}

func (e *endedError) Error() string {
	return "session " + e.why + " while the request ran; its changes were not saved"
}

func (e *endedError) Is(target error) bool { return target == ErrSessionEnded }

var (
	errDestroyed    = &endedError{why: "was destroyed", clear: true}
	errBoundary     = &endedError{why: "was renewed across a login boundary"}
	errRenewedFirst = &endedError{why: "was renewed by a concurrent request"}
)

// answer replaces the handler's response with a 409 page: the handler
// reported success for changes that were not saved.
func (e *endedError) answer(resp *itty.Response, m *Manager) error {
	if c, ok := resp.BodyReader.(io.Closer); ok {
		c.Close()
	}
	*resp = itty.Response{
		StatusCode: http.StatusConflict,
		Headers:    http.Header{"Vary": {"Cookie"}, "Cache-Control": {"no-store"}},
		Body:       "409 Conflict: the session " + e.why + " while this request ran; nothing it changed was saved.\n",
	}
	if e.clear {
		return m.clearCookie(resp)
	}
	return nil
}
