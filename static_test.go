package itty

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ittygo/itty/ittytest"
)

func staticApp(t *testing.T) *App {
	t.Helper()
	root := t.TempDir()
	pub := filepath.Join(root, "public")
	must(t, os.MkdirAll(filepath.Join(pub, "docs"), 0o755))
	must(t, os.MkdirAll(filepath.Join(pub, "empty"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "secret.txt"), []byte("TOP SECRET"), 0o644))
	must(t, os.WriteFile(filepath.Join(pub, "site.css"), []byte("body{color:red}"), 0o644))
	must(t, os.WriteFile(filepath.Join(pub, "logo.png"), pngBytes, 0o644))
	must(t, os.WriteFile(filepath.Join(pub, "docs", "index.html"), []byte("<h1>docs</h1>"), 0o644))
	app := New()
	app.Static("/static/", os.DirFS(pub))
	return app
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 0x10}, 300)...)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStaticFiles(t *testing.T) {
	c := ittytest.NewClient(t, staticApp(t))
	tests := []struct {
		path, ctype string
		status      int
		body        string
	}{
		{"/static/site.css", "text/css; charset=utf-8", 200, "body{color:red}"},
		{"/static/logo.png", "image/png", 200, string(pngBytes)},
		{"/static/docs/", "text/html; charset=utf-8", 200, "<h1>docs</h1>"},
		{"/static/docs", "", 301, ""},
		{"/static/empty/", "text/plain; charset=utf-8", 404, "404 Not Found\n"},
		{"/static/", "text/plain; charset=utf-8", 404, "404 Not Found\n"},
		{"/static/nope.css", "text/plain; charset=utf-8", 404, "404 Not Found\n"},
		{"/static/site.css/", "text/plain; charset=utf-8", 404, "404 Not Found\n"},
	}
	for _, tt := range tests {
		r := c.Get(tt.path)
		if r.StatusCode != tt.status || r.Body != tt.body || (tt.ctype != "" && r.Headers.Get("Content-Type") != tt.ctype) {
			t.Errorf("%s: got %d %q %q", tt.path, r.StatusCode, r.Headers.Get("Content-Type"), trunc(r.Body))
		}
	}
	if r := c.Do(c.NewRequest("POST", "/static/site.css", nil)); r.StatusCode != 405 {
		t.Errorf("POST to a static file: %d", r.StatusCode)
	}
}

func TestStaticRangeAndConditional(t *testing.T) {
	c := ittytest.NewClient(t, staticApp(t))
	req := c.NewRequest("GET", "/static/logo.png", nil)
	req.Header.Set("Range", "bytes=0-3")
	r := c.Do(req)
	if r.StatusCode != 206 || r.Body != "\x89PNG" || r.Headers.Get("Content-Range") != "bytes 0-3/"+strconv.Itoa(len(pngBytes)) {
		t.Fatalf("range: %d %q %v", r.StatusCode, r.Body, r.Headers)
	}
	lm := c.Get("/static/site.css").Headers.Get("Last-Modified")
	if lm == "" {
		t.Fatal("no Last-Modified")
	}
	req = c.NewRequest("GET", "/static/site.css", nil)
	req.Header.Set("If-Modified-Since", lm)
	if r := c.Do(req); r.StatusCode != 304 || r.Body != "" {
		t.Fatalf("If-Modified-Since: %d %q", r.StatusCode, r.Body)
	}
	req = c.NewRequest("GET", "/static/site.css", nil)
	req.Header.Set("If-Modified-Since", time.Unix(0, 0).UTC().Format(http.TimeFormat))
	if r := c.Do(req); r.StatusCode != 200 {
		t.Fatalf("old If-Modified-Since: %d", r.StatusCode)
	}
	if r := c.Do(c.NewRequest("HEAD", "/static/site.css", nil)); r.StatusCode != 200 || r.Body != "" || r.Headers.Get("Content-Length") != "15" {
		t.Fatalf("HEAD: %d %q %v", r.StatusCode, r.Body, r.Headers)
	}
}

// TestStaticTraversal sends every payload in testdata/traversal.txt over a
// real connection, as written (no client-side cleaning), then follows
// redirects: nothing may ever return the file outside the root.
func TestStaticTraversal(t *testing.T) {
	srv := httptest.NewServer(staticApp(t))
	defer srv.Close()
	data, err := os.ReadFile("testdata/traversal.txt")
	must(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		payload, statusText, _ := strings.Cut(line, " ")
		want, _ := strconv.Atoi(statusText)
		n++
		status, body := rawRequest(t, srv, "GET "+payload+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if status != want || strings.Contains(body, "TOP SECRET") {
			t.Errorf("%s: got %d %q, want %d", payload, status, trunc(body), want)
		}
		// Follow the redirect chain with a normal client.
		resp, err := http.Get(srv.URL + payload)
		if err == nil {
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if strings.Contains(buf.String(), "TOP SECRET") {
				t.Errorf("%s: secret served after redirects", payload)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d payloads", n)
	}
}

// TestAttackStaticSymlinksLeaveTheRoot: served as the docs show
// (StaticDir), an absolute symlink, a relative "../" symlink and a
// symlinked directory inside the root all fail to reach the files outside
// it, while the root's own files are served.
func TestAttackStaticSymlinksLeaveTheRoot(t *testing.T) {
	base := t.TempDir()
	pub := filepath.Join(base, "public")
	outside := filepath.Join(base, "outside")
	must(t, os.MkdirAll(pub, 0o755))
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("TOP SECRET"), 0o644))
	must(t, os.WriteFile(filepath.Join(pub, "ok.txt"), []byte("fine"), 0o644))
	must(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(pub, "abs.txt")))
	must(t, os.Symlink("../outside/secret.txt", filepath.Join(pub, "rel.txt")))
	must(t, os.Symlink(outside, filepath.Join(pub, "dir")))
	app := New()
	app.StaticDir("/static/", pub)
	c := ittytest.NewClient(t, app)
	if r := c.Get("/static/ok.txt"); r.StatusCode != 200 || r.Body != "fine" {
		t.Fatalf("a file of the root: %d %q", r.StatusCode, r.Body)
	}
	for _, p := range []string{"/static/abs.txt", "/static/rel.txt", "/static/dir/secret.txt"} {
		if r := c.Get(p); r.StatusCode != 404 || strings.Contains(r.Body, "SECRET") {
			t.Errorf("%s: %d %q, want 404", p, r.StatusCode, r.Body)
		}
	}
}

// TestAttackStaticServesSecrets: hidden files (.env, .git/config,
// .htpasswd) are 404 unless the app opts in; /.well-known/ can be allowed
// on its own.
func TestAttackStaticServesSecrets(t *testing.T) {
	pub := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(pub, ".git"), 0o755))
	must(t, os.MkdirAll(filepath.Join(pub, ".well-known"), 0o755))
	must(t, os.MkdirAll(filepath.Join(pub, "css"), 0o755))
	for name, body := range map[string]string{".env": "DB_PASSWORD=x", ".git/config": "[core]", ".htpasswd": "admin:x",
		".well-known/security.txt": "Contact: x", "css/.hidden": "h", "css/site.css": "body{}"} {
		must(t, os.WriteFile(filepath.Join(pub, name), []byte(body), 0o644))
	}
	app := New()
	files := app.StaticDir("/static/", pub)
	c := ittytest.NewClient(t, app)
	for _, p := range []string{"/static/.env", "/static/.git/config", "/static/.htpasswd", "/static/.well-known/security.txt", "/static/css/.hidden", "/static/.git/"} {
		if r := c.Get(p); r.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
	if r := c.Get("/static/css/site.css"); r.StatusCode != 200 {
		t.Errorf("an ordinary file: %d", r.StatusCode)
	}
	files.AllowWellKnown = true
	if r := c.Get("/static/.well-known/security.txt"); r.StatusCode != 200 || r.Body != "Contact: x" {
		t.Errorf(".well-known allowed: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Get("/static/.env"); r.StatusCode != 404 {
		t.Errorf(".env with only .well-known allowed: %d", r.StatusCode)
	}
	files.AllowHidden = true
	if r := c.Get("/static/.env"); r.StatusCode != 200 {
		t.Errorf(".env with hidden files allowed: %d", r.StatusCode)
	}
}

// TestStaticETagWithoutModTime: an fs.FS without modification times (an
// embed.FS) gets a content ETag, so a conditional request is a 304; and
// Cache-Control is the app's to set.
func TestStaticETagWithoutModTime(t *testing.T) {
	app := New()
	files := app.Static("/static/", fstest.MapFS{"app.js": {Data: []byte("console.log(1)")}})
	files.CacheControl = "public, max-age=3600"
	c := ittytest.NewClient(t, app)
	r := c.Get("/static/app.js")
	etag := r.Headers.Get("ETag")
	if r.StatusCode != 200 || etag == "" || r.Headers.Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("first request: %d, ETag %q, Cache-Control %q", r.StatusCode, etag, r.Headers.Get("Cache-Control"))
	}
	req := c.NewRequest("GET", "/static/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	if r := c.Do(req); r.StatusCode != http.StatusNotModified || r.Body != "" {
		t.Fatalf("conditional request: %d %q, want 304", r.StatusCode, r.Body)
	}
	if again := c.Get("/static/app.js").Headers.Get("ETag"); again != etag {
		t.Fatalf("ETag changed: %q then %q", etag, again)
	}
}

// TestAttackStaticIndexThatIsADirectory: a directory named index.html,
// holding an index.html of its own, is no index: its parent is a 404, not
// a redirect to "dir//", which cleans back to "dir/" for ever.
func TestAttackStaticIndexThatIsADirectory(t *testing.T) {
	app := New()
	app.Static("/s/", fstest.MapFS{"x/index.html/index.html": {Data: []byte("inner")}})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/s/x/", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /s/x/: %d Location %q, want 404", rec.Code, rec.Header().Get("Location"))
	}
}
