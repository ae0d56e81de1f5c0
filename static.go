package itty

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
)

// Static serves the files of fsys under prefix, which must begin and end with
// a slash: app.Static("/static/", embedded) answers /static/css/site.css
// with the file css/site.css. It uses net/http's ServeContent, so Range,
// conditional requests and content types work as they do in net/http. For a
// directory on disk, use StaticDir, which no symbolic link can lead out of.
//
// No request can reach outside fsys: paths with "..", backslashes or NUL
// bytes are 404. Nor does it serve hidden names: a path with a segment
// starting with "." (.env, .git/config, .htpasswd) is 404 unless the
// returned StaticFiles allows it. The rule is about the names in the path,
// as nginx's and Caddy's are: a symbolic link placed in the directory is
// followed wherever it leads inside it, to a hidden name too. Directories are 404 unless they hold an
// index.html, which is served for the directory's path ending in a slash.
// Files without a modification time (an embed.FS) get an ETag from their
// content, computed once, so conditional requests are answered 304.
func (a *App) Static(prefix string, fsys fs.FS) *StaticFiles {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		panic(fmt.Sprintf("itty: Static prefix %q must begin and end with /", prefix))
	}
	h := &StaticFiles{app: a, fsys: fsys}
	a.Handle(http.MethodGet, prefix, h)
	a.Handle(http.MethodGet, prefix+"<path:file>", h)
	return h
}

// StaticDir serves the directory dir under prefix, as Static does, through
// an os.Root: no path and no symbolic link inside dir (absolute, "../" or
// to a directory) reaches a file outside it. It panics if dir cannot be
// opened, as registering any route does for a mistake in the program.
func (a *App) StaticDir(prefix, dir string) *StaticFiles {
	root, err := os.OpenRoot(dir)
	if err != nil {
		panic(fmt.Sprintf("itty: StaticDir %q: %v", prefix, err))
	}
	return a.Static(prefix, root.FS())
}

// StaticFiles is the handler Static and StaticDir register; its fields
// change what it serves. Set them before the App serves its first request.
type StaticFiles struct {
	// AllowHidden serves files and directories whose names start with ".".
	AllowHidden bool
	// AllowWellKnown serves /.well-known/ (RFC 8615: ACME challenges,
	// security.txt) while other hidden names stay 404.
	AllowWellKnown bool
	// CacheControl, if set, is sent with every file, such as
	// "public, max-age=86400".
	CacheControl string

	app   *App
	fsys  fs.FS
	etags sync.Map // file name -> ETag, for files without a modification time
}

// ServeHTTP serves the file the route's file parameter names.
func (s *StaticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	dir := name == "" || strings.HasSuffix(name, "/")
	name = strings.TrimSuffix(name, "/")
	if name == "" {
		name = "."
	}
	f, st, redirect := s.open(name, dir)
	if redirect {
		// Relative links in an index page need the trailing slash.
		redirectTo(w, r, r.URL.Path+"/")
		return
	}
	if f == nil {
		s.app.respond(w, r, s.app.notFound)
		return
	}
	defer f.Close()
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			s.app.respond(w, r, s.app.notFound)
			return
		}
		content = bytes.NewReader(b)
	}
	if s.CacheControl != "" {
		w.Header().Set("Cache-Control", s.CacheControl)
	}
	if st.ModTime().IsZero() {
		if etag, err := s.etag(name, content); err == nil {
			w.Header().Set("ETag", etag)
		}
	}
	http.ServeContent(w, r, st.Name(), st.ModTime(), content)
}

// open returns the file to serve for name (a directory's index.html when
// dir is set), or nil for a 404, or redirect for a directory asked for
// without its trailing slash.
func (s *StaticFiles) open(name string, dir bool) (f fs.File, st fs.FileInfo, redirect bool) {
	if !fs.ValidPath(name) || strings.ContainsAny(name, "\\\x00") || !s.visible(name) {
		return nil, nil, false
	}
	f, err := s.fsys.Open(name)
	if err != nil {
		return nil, nil, false
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, nil, false
	}
	switch {
	case st.IsDir() && !dir:
		f.Close()
		_, err := fs.Stat(s.fsys, path.Join(name, "index.html"))
		return nil, nil, err == nil
	case st.IsDir():
		f.Close()
		// An index.html that is itself a directory is no index: never a
		// redirect, which would send "dir/" to "dir//" and back.
		f, st, _ = s.open(path.Join(name, "index.html"), false)
		return f, st, false
	case dir:
		f.Close() // "file.css/" is not a directory
		return nil, nil, false
	}
	return f, st, false
}

// visible reports whether name may be served: no segment is hidden (starts
// with "."), unless the StaticFiles allows it.
func (s *StaticFiles) visible(name string) bool {
	if s.AllowHidden || name == "." {
		return true
	}
	for i, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") && !(i == 0 && seg == ".well-known" && s.AllowWellKnown) {
			return false
		}
	}
	return true
}

// etag returns the ETag of a file without a modification time: a hash of
// its content, computed on first use and kept (such files, as in an
// embed.FS, do not change).
func (s *StaticFiles) etag(name string, content io.ReadSeeker) (string, error) {
	if v, ok := s.etags.Load(name); ok {
		return v.(string), nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, content); err != nil {
		return "", err
	}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	etag := `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]) + `"`
	s.etags.Store(name, etag)
	return etag, nil
}
