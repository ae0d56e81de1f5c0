package sessions

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/ittygo/itty"
)

// Middleware gives every request through next a session of this Manager,
// for plain net/http handlers: FromContext(r.Context()) returns it, loaded
// on first use, and it is committed just before the response's header goes
// out (or when next returns, if it wrote nothing), with the same rules as
// for itty handlers: changes merge, a conflict or a session that ended is a
// 409, a store failure a 500, and nothing is saved when next panics before
// its response started (after, the session was saved as the header went
// out). An itty App served behind it shares the session: Get returns the
// same one, and an itty hook of the request commits it; and whether its
// handlers use Get or FromContext, a handler that fails (the App recovers
// its panic, say) saves nothing either, because the App tells the
// middleware's writer before its error page (itty.FailureNotifier).
//
// A change made once the response has started is not saved: Set and
// Renew return ErrCommitted for it, and the Manager logs it.
//
// The ResponseWriter next gets supports Flush (and FlushError) and Hijack
// when the underlying one does, and Unwrap for http.ResponseController.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &lazySession{m: m, r: r}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{m}, l))
		l.r = r
		sw := &sessionWriter{ResponseWriter: w, l: l}
		panicked := true
		defer func() {
			if panicked {
				l.abandon() // nothing saved: the handler failed
				return
			}
			sw.commit()
		}()
		next.ServeHTTP(sw, r)
		panicked = false
	})
}

// FromContext returns the session of the request whose context ctx is,
// loading it on first use, or nil if the request did not pass through the
// Manager's Middleware.
func (m *Manager) FromContext(ctx context.Context) *Session {
	l, ok := ctx.Value(sessionKey{m}).(*lazySession)
	if !ok {
		return nil
	}
	return l.get()
}

// lazySession is the middleware's per-request slot: the session is loaded
// only if a handler asks for it.
type lazySession struct {
	m      *Manager
	r      *http.Request
	once   sync.Once
	s      *Session
	done   bool // abandoned (the handler failed): commit nothing
	closed bool // committed or abandoned: a session loaded now is read-only
}

func (l *lazySession) get() *Session {
	l.once.Do(func() {
		var values []string
		for _, c := range l.r.CookiesNamed(l.m.opts.CookieName) {
			values = append(values, c.Value)
		}
		l.s = l.m.open(l.r, values)
		l.s.post = plainForm{l.r}
		if l.closed {
			// First used after the header went out: what it changes
			// cannot be saved, and says so (see afterCommit).
			l.s.committed = true
		}
	})
	return l.s
}

// abandon commits nothing of the request: its handler failed. What the
// session is changed in afterwards (the App's error page) is not saved.
func (l *lazySession) abandon() {
	l.done, l.closed = true, true
	if l.s != nil {
		l.s.committed = true
	}
}

// sessionWriter commits the session before the first byte of the header.
type sessionWriter struct {
	http.ResponseWriter
	l       *lazySession
	started bool // the header went out (or the error page replaced it)
	swallow bool // the session's commit failed: the handler's bytes are dropped
}

// commit commits the session, if one was used and no itty hook did, and
// sets or clears its cookie. If the commit fails, it writes the error page
// instead, and what the handler writes next is dropped.
func (w *sessionWriter) commit() {
	if w.started {
		return
	}
	w.started = true
	w.l.closed = true
	s := w.l.s
	if s == nil || s.committed || s.hooked || w.l.done {
		return // unused, committed by its itty hook, or the handler panicked
	}
	h := w.ResponseWriter.Header()
	resp := &itty.Response{Headers: h}
	err := w.l.m.commit(s, resp)
	if lines := resp.CookieLines(); len(lines) > 0 {
		h["Set-Cookie"] = append(h["Set-Cookie"], lines...)
	}
	if err == nil {
		return
	}
	status := http.StatusInternalServerError
	var se interface{ HTTPStatus() int }
	if errors.As(err, &se) {
		status = se.HTTPStatus()
	}
	w.l.m.logger().Log(s.r.Context(), levelFor(status), "sessions: commit failed", "method", s.r.Method,
		"path", s.r.URL.Path, "status", status, "err", err)
	for k := range h {
		if k != "Set-Cookie" && k != "Vary" && k != "Cache-Control" {
			delete(h, k)
		}
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.ResponseWriter.WriteHeader(status)
	w.ResponseWriter.Write([]byte(http.StatusText(status) + "\n"))
	w.swallow = true
}

// HandlerFailed is called by an itty App served behind the middleware when
// its handler failed (it panicked, say) and the App is about to write its
// error page: the session is not committed then, as for a panic that
// reaches the middleware (see itty.FailureNotifier).
func (w *sessionWriter) HandlerFailed() { w.l.abandon() }

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// WriteHeader commits the session, then sends the header.
func (w *sessionWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		// No status at all: net/http refuses it (it panics) and sends
		// nothing, so there is no header to commit with.
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code) // informational: the real header comes later
		return
	}
	w.commit()
	if !w.swallow {
		w.ResponseWriter.WriteHeader(code)
	}
}

// Write commits the session and sends the header (200) if the handler has
// not, then the body.
func (w *sessionWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush commits the session and sends the header if need be, then flushes
// the underlying writer if it can.
func (w *sessionWriter) Flush() { w.FlushError() }

// FlushError is Flush with the underlying writer's error, such as one
// matching http.ErrNotSupported; http.ResponseController.Flush returns it.
func (w *sessionWriter) FlushError() error {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return nil // the error page went out instead
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack commits the session (its cookie cannot be sent on a hijacked
// connection, so a session a hijacking handler changes is saved but its
// cookie is not), then hands over the connection if the underlying writer
// can. If the commit failed, its error page has been written and Hijack
// returns an error instead.
func (w *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.commit()
	if w.swallow {
		// The commit failed and its error page is the answer: the
		// handler must not go on as if its session were saved.
		return nil, nil, errCommitFailed
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

var errCommitFailed = errors.New("sessions: the session could not be saved, and the response is its error page: no hijack")

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logger is where the Manager logs a failed commit and a change made too
// late to be saved: the App's Logger, or slog's default.
func (m *Manager) logger() *slog.Logger {
	if m.app != nil && m.app.Logger != nil {
		return m.app.Logger
	}
	return slog.Default()
}
