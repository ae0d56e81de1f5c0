package itty

import "net/http"

// defaultCrossOrigin protects Apps whose CrossOrigin is nil.
var defaultCrossOrigin = http.NewCrossOriginProtection()

// crossOriginOK checks an unsafe request against the App's cross-origin
// protection; a refused request is answered (Forbidden, the deny handler,
// or a plain 403) and logged.
func (a *App) crossOriginOK(w http.ResponseWriter, r *http.Request) bool {
	if a.DisableCrossOriginProtection {
		return true
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
	switch {
	case a.Forbidden != nil:
		a.respond(w, r, a.Forbidden)
	case co != defaultCrossOrigin:
		// The user's protection: its Handler calls the deny handler set
		// with SetDenyHandler, or writes net/http's own 403.
		co.Handler(nil).ServeHTTP(w, r)
	default:
		a.respond(w, r, forbidden)
	}
	return false
}

func forbidden(req *Request) *Response {
	return req.newResponse(statusText(http.StatusForbidden), http.StatusForbidden, contentTypeText)
}

// safeMethod reports whether cross-origin protection lets m through: the
// methods that must not change anything.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
