package itty

import (
	"bytes"
	"cmp"
	"net/http"
)

// defaultCrossOrigin protects Apps whose CrossOrigin is nil.
var defaultCrossOrigin = http.NewCrossOriginProtection()

// safeMethod reports whether cross-origin protection lets m through: the
// methods that must not change anything.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossOriginError checks an unsafe request against the App's cross-origin
// protection and returns why it is refused, or nil. A refusal is logged.
func (a *App) crossOriginError(r *http.Request) error {
	if a.DisableCrossOriginProtection {
		return nil
	}
	// A request with neither header comes from no browser, and Check lets
	// it through; looking the keys up directly saves Check's header-name
	// canonicalisation on every unsafe request (curl, server to server).
	if _, ok := r.Header["Sec-Fetch-Site"]; !ok {
		if _, ok := r.Header["Origin"]; !ok {
			return nil
		}
	}
	err := a.crossOrigin().Check(r)
	if err != nil {
		a.logger().Warn("itty: cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "err", err)
	}
	return err
}

func (a *App) crossOrigin() *http.CrossOriginProtection {
	if a.CrossOrigin != nil {
		return a.CrossOrigin
	}
	return defaultCrossOrigin
}

// customDenial returns what the deny handler set with SetDenyHandler
// answers to r, or nil when none is set. net/http offers no way to ask for
// the deny handler, only the protection's Handler, which runs it; without
// one, Handler writes net/http's own 403 (err's text), which itty's page
// replaces. A deny handler that panics is logged and answered as if none
// were set.
func (a *App) customDenial(r *http.Request, err error) (denial *denyRecorder) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.logger().Error("itty: cross-origin deny handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			denial = nil
		}
	}()
	rec := &denyRecorder{header: http.Header{}}
	a.crossOrigin().Handler(nil).ServeHTTP(rec, r)
	if rec.status == http.StatusForbidden && rec.body.String() == err.Error()+"\n" {
		return nil
	}
	return rec
}

// denyRecorder keeps what a deny handler answers, to send it on.
type denyRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (d *denyRecorder) Header() http.Header { return d.header }

func (d *denyRecorder) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}

func (d *denyRecorder) Write(b []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return d.body.Write(b)
}

// replay sends the recorded answer to w.
func (d *denyRecorder) replay(w http.ResponseWriter) {
	for k, v := range d.header {
		w.Header()[k] = v
	}
	w.WriteHeader(cmp.Or(d.status, http.StatusOK))
	w.Write(d.body.Bytes())
}
