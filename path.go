package itty

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// redirectTo sends a client to the canonical form of its path, keeping the
// query: 301 for GET and HEAD, 308 (which keeps the method and body) otherwise.
func redirectTo(w http.ResponseWriter, r *http.Request, path string) {
	u := *r.URL
	u.Path, u.RawPath = path, ""
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	// The parts taken from the request as they came are escaped as
	// Redirect escapes its target: a CGI request or a middleware that
	// rewrote r.URL may carry a space or a control byte.
	w.Header().Set("Location", percentEncode(mountPrefix(r)+u.RequestURI(), urlBytes))
	w.WriteHeader(code)
}

// mountPrefix is the part of the request's path that a handler in front of
// the App removed, as http.StripPrefix("/app", app) does, so that the App's
// redirects keep it: the request line (RequestURI) still has the whole path.
func mountPrefix(r *http.Request) string {
	orig, _, _ := strings.Cut(r.RequestURI, "?")
	if orig == "" {
		return ""
	}
	if orig[0] != '/' { // absolute form, from a client that thinks it talks to a proxy
		u, err := url.ParseRequestURI(r.RequestURI)
		if err != nil {
			return ""
		}
		orig = u.EscapedPath()
	}
	cur := r.URL.EscapedPath()
	if len(orig) > len(cur) && strings.HasSuffix(orig, cur) {
		return orig[:len(orig)-len(cur)]
	}
	return ""
}

// needsClean reports whether a request path has empty, "." or ".."
// segments, which the App redirects to their cleaned form. It looks only
// at the bytes after each slash.
func needsClean(p string) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		switch rest := p[i+1:]; rest[0] {
		case '/':
			return true
		case '.':
			if rest == "." || rest == ".." || strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
				return true
			}
		}
	}
	return false
}

// cleanPath is path.Clean that keeps a trailing slash.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
