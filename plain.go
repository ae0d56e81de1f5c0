package itty

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// This file serves a route whose handler is a plain http.Handler (Handle,
// Static): the body limit is checked first, as for an itty handler, and
// the handler writes through a plainWriter, which notes when the response
// has started, so that a panic is answered with a 500 page only while
// nothing has gone out (see recovered).

// servePlain runs rt's http.Handler for req. A declared body over
// MaxBodyBytes is answered 413 before the handler runs.
func (a *App) servePlain(w http.ResponseWriter, req *Request, rt *route) {
	r := req.Raw
	if r.ContentLength > 0 && a.tooLong(r.ContentLength) {
		a.write(w, req, a.tooLarge(req))
		return
	}
	for i, name := range rt.names {
		r.SetPathValue(name, req.Params.values[i])
	}
	req.plain = plainWriter{ResponseWriter: w}
	rt.h.ServeHTTP(&req.plain, r)
}

// plainWriter is the ResponseWriter a plain handler gets. It passes
// everything on, and supports Flush (and FlushError), Hijack and ReadFrom (so sendfile
// still serves files) whatever the underlying writer is, failing as
// http.ResponseController does where that one cannot; Unwrap lets
// ResponseController reach the rest.
type plainWriter struct {
	http.ResponseWriter
	started bool // a final status, a byte of body, a flush or a hijack went out
}

// WriteHeader sends the header. An informational (1xx) status does not
// start the response; a status net/http refuses panics before anything
// is sent, and the App answers 500.
func (w *plainWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.started = true
	}
}

func (w *plainWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// ReadFrom copies src to the underlying writer, through its own ReadFrom
// when it has one.
func (w *plainWriter) ReadFrom(src io.Reader) (int64, error) {
	w.started = true
	return io.Copy(w.ResponseWriter, src)
}

// Flush sends what is buffered, the header included.
func (w *plainWriter) Flush() { w.FlushError() }

// FlushError is Flush with the underlying writer's error, such as one
// matching http.ErrNotSupported; http.ResponseController.Flush returns it.
func (w *plainWriter) FlushError() error {
	err := http.NewResponseController(w.ResponseWriter).Flush()
	if err == nil {
		w.started = true
	}
	return err
}

// Hijack hands over the connection, or fails with an error matching
// http.ErrNotSupported where the underlying writer cannot.
func (w *plainWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.started = true
	}
	return c, rw, err
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (w *plainWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bodyHeaders are the headers that describe a body: when a plain handler
// set some of them and then panicked, they would mislabel the 500 page
// that replaces that body, or cut it short (Content-Length).
var bodyHeaders = []string{"Content-Length", "Content-Encoding", "Content-Range", "Content-Disposition",
	"Content-Language", "Etag", "Last-Modified", "Location", "Cache-Control", "Expires"}
