// Package abort serves a request for a caller that must know whether the
// handler aborted its response, the way net/http's server does: by
// panicking with http.ErrAbortHandler.
package abort

import "net/http"

// Serve runs h and reports whether it aborted the response, which it
// recovers. Any other panic goes on up, with its stack.
func Serve(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}
