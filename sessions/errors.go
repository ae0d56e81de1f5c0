package sessions

import (
	"errors"
	"fmt"
	"net/http"
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

// ErrCommitted is returned by Set, Renew and RenewBoundary (and, for a
// session kept in its cookie, Destroy) when the change comes too late to
// be saved: behind Middleware, once the handler's response has started
// (its first Write, WriteHeader, Flush or Hijack); in an itty App, in a
// hook registered with Request.OnResponse after the request's first Get,
// or in the ServerError page of a failed request. The change is not saved
// (other changes then, such as Delete or SetUser, are not either), and
// the Manager logs the first one of the request. It means the code is in
// the wrong place, not a failure to retry: make the change in the handler
// or an App hook, or before the response's first byte.
var ErrCommitted = errors.New("sessions: the session was already committed (the response had started, or this is its error page); this change is not saved")

// endedError is ErrSessionEnded with its reason, and whether the client's
// cookie should be cleared (its session is gone) or left alone (it may
// already hold the session's new id). The App keeps the cleared cookie on
// its 409 page, as it keeps every cookie an OnResponse hook set.
type endedError struct {
	why   string
	clear bool
}

func (e *endedError) Error() string {
	return "session " + e.why + " while the request ran; its changes were not saved"
}

func (e *endedError) Is(target error) bool { return target == ErrSessionEnded }

// HTTPStatus makes the App answer 409 Conflict: the handler reported
// success for changes that were not saved.
func (e *endedError) HTTPStatus() int { return http.StatusConflict }

var (
	errDestroyed    = &endedError{why: "was destroyed", clear: true}
	errBoundary     = &endedError{why: "was renewed across a login boundary"}
	errRenewedFirst = &endedError{why: "was renewed by a concurrent request"}
	errMoved        = &endedError{why: "had moved to a new id"}
	errCancelled    = &endedError{why: "was ended before its renew finished"}
	errLost         = &endedError{why: "ended or moved on, longer ago than can be told,"}
)

// errNoKeep refuses a DestroyUserExcept whose keepID names no live
// session of the user, before it ends anything. It matches ErrNotFound.
var errNoKeep = fmt.Errorf("sessions: DestroyUserExcept: no live session of the user has the id to keep, so nothing was ended "+
	"(a Renew's new id is stored only when the response is written; to keep the request's own session, "+
	"call Session.DestroyOthers): %w", ErrNotFound)
