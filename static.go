package itty

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Static serves the files of fsys under prefix, which must begin and end with
// a slash: app.Static("/static/", os.DirFS("static")) answers
// /static/css/site.css with the file css/site.css. It uses net/http's
// ServeContent, so Range, If-Modified-Since and content types work as they do
// in net/http.
//
// No request can reach outside fsys: paths with "..", backslashes or NUL
// bytes are 404. Directories are 404 unless they hold an index.html, which
// is served for the directory's path ending in a slash.
func (a *App) Static(prefix string, fsys fs.FS) {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		panic("itty: Static prefix " + quote(prefix) + " must begin and end with /")
	}
	h := &staticFiles{app: a, fsys: fsys}
	a.Handle(http.MethodGet, prefix, h)
	a.Handle(http.MethodGet, prefix+"<path:file>", h)
}

type staticFiles struct {
	app  *App
	fsys fs.FS
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	dir := name == "" || strings.HasSuffix(name, "/")
	name = strings.TrimSuffix(name, "/")
	if name == "" {
		name = "."
	}
	if !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") {
		s.app.respond(w, r, s.app.notFound)
		return
	}
	f, err := s.fsys.Open(name)
	if err != nil {
		s.app.respond(w, r, s.app.notFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.app.respond(w, r, s.app.notFound)
		return
	}
	if st.IsDir() {
		if !dir {
			// Relative links in an index page need the trailing slash.
			if _, err := fs.Stat(s.fsys, path.Join(name, "index.html")); err == nil {
				redirectTo(w, r, r.URL.Path+"/")
				return
			}
			s.app.respond(w, r, s.app.notFound)
			return
		}
		f.Close()
		if f, err = s.fsys.Open(path.Join(name, "index.html")); err != nil {
			s.app.respond(w, r, s.app.notFound)
			return
		}
		defer f.Close()
		if st, err = f.Stat(); err != nil || st.IsDir() {
			s.app.respond(w, r, s.app.notFound)
			return
		}
	} else if dir {
		s.app.respond(w, r, s.app.notFound) // "file.css/" is not a directory
		return
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			s.app.respond(w, r, s.app.notFound)
			return
		}
		content = bytes.NewReader(b)
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), content)
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
