package itty

import (
	"bytes"
	"cmp"
	"net/http"
)

// defaultCrossOrigin protects Apps whose CrossOrigin is nil.
var defaultCrossOrigin = http.NewCrossOriginProtection()

// crossOriginOK checks an unsafe request against the App's cross-origin
// protection; a refused request is answered (Forbidden, the deny handler,
// or a plain 403) and logged.
func (a *App) crossOriginOK(w http.ResponseWriter, r *http.Request) bool {
	if a.DisableCrossOriginProtection {
		return true
	}
	// A request with neither header comes from no browser, and Check lets
	// it through; looking the keys up directly saves Check's header-name
	// canonicalisation on every unsafe request (curl, server to server).
	if _, ok := r.Header["Sec-Fetch-Site"]; !ok {
		if _, ok := r.Header["Origin"]; !ok {
			return true
		}
	}
	co := a.CrossOrigin
	if co == nil {
		co = defaultCrossOrigin
	}
	err := co.Check(r)
	if err == nil {
		return true
	}
	a.logger().Warn("itty: cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "err", err)
	if a.Forbidden != nil {
		a.respond(w, r, a.Forbidden)
		return false
	}
	// A deny handler set with SetDenyHandler answers through the
	// protection's Handler; net/http gives no other way to find it. Without
	// one, Handler writes net/http's own 403, which itty's page replaces.
	rec := &denyRecorder{header: http.Header{}}
	co.Handler(nil).ServeHTTP(rec, r)
	if rec.status == http.StatusForbidden && rec.body.String() == err.Error()+"\n" {
		a.respond(w, r, forbidden)
		return false
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(cmp.Or(rec.status, http.StatusOK))
	w.Write(rec.body.Bytes())
	return false
}

// denyRecorder keeps what a deny handler answers.
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

func forbidden(req *Request) *Response {
	return req.newResponse(statusText(http.StatusForbidden), http.StatusForbidden, contentTypeText)
}

// safeMethod reports whether cross-origin protection lets m through: the
// methods that must not change anything.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
