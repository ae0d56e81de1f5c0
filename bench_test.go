package itty

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/ittygo/itty/internal/routesets"
)

func BenchmarkServeHTTP(b *testing.B) {
	app := allocApp()
	for _, tc := range allocCases {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", tc.path, nil)
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				app.ServeHTTP(w, r)
			}
		})
	}
}

func BenchmarkRouterFind(b *testing.B) {
	app := allocApp()
	var ps Params
	for _, tc := range allocCases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ps.reset()
				if app.router.find("GET", tc.path, &ps) == nil {
					b.Fatal("no match")
				}
			}
		})
	}
}

// routeSet reads a route set of internal/routesets ("github", "parse",
// "static") as itty patterns and request paths.
func routeSet(tb testing.TB, name string) (pats []string, methods []string, paths []string) {
	f, err := routesets.FS.Open(name + ".txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m, p, _ := strings.Cut(sc.Text(), " ")
		segs := strings.Split(p, "/")
		req := make([]string, len(segs))
		for i, s := range segs {
			req[i] = s
			if strings.HasPrefix(s, ":") {
				segs[i] = "<str:" + s[1:] + ">"
				req[i] = "v" + s[1:]
			}
		}
		pats = append(pats, strings.Join(segs, "/"))
		methods = append(methods, m)
		paths = append(paths, strings.Join(req, "/"))
	}
	return
}

// BenchmarkRouterGitHub is routing alone (no Request, no response) for every
// path of the GitHub API route set in internal/routesets.
func BenchmarkRouterGitHub(b *testing.B) {
	pats, methods, paths := routeSet(b, "github")
	app := New()
	for i := range pats {
		app.Handle(methods[i], pats[i], HandlerFunc(hello))
	}
	var ps Params
	b.ReportAllocs()
	for b.Loop() {
		for i := range paths {
			ps.reset()
			if app.router.find(methods[i], paths[i], &ps) == nil {
				b.Fatal(paths[i])
			}
		}
	}
}

// cookieHeader is a realistic 1.5 KB Cookie header: analytics, consent,
// preferences and a session cookie among them.
var cookieHeader = func() string {
	var parts []string
	for i := range 24 {
		parts = append(parts, fmt.Sprintf("_ga_TRACK%02d=GS1.1.%d.%d.1.1700000000.0.0.0", i, 1700000000+i, i*7))
	}
	parts = append(parts, "session=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf", "theme=dark", "lang=en-GB")
	h := strings.Join(parts, "; ")
	for len(h) < 1500 {
		h += "; pad=" + strings.Repeat("x", 20)
	}
	return h
}()

// BenchmarkCookieRead compares reading one cookie from req.COOKIES with
// net/http's r.Cookie(name) and r.Cookies() on the same 1.5 KB header.
func BenchmarkCookieRead(b *testing.B) {
	b.Run("itty", func(b *testing.B) {
		headers := http.Header{"Cookie": {cookieHeader}}
		var c Cookies
		b.ReportAllocs()
		for b.Loop() {
			c.reset(headers)
			if c.Get("session") == "" {
				b.Fatal("no session cookie")
			}
		}
	})
	b.Run("nethttp-Cookie", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookieHeader)
		b.ReportAllocs()
		for b.Loop() {
			if c, err := r.Cookie("session"); err != nil || c.Value == "" {
				b.Fatal("no session cookie")
			}
		}
	})
	b.Run("nethttp-Cookies", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookieHeader)
		b.ReportAllocs()
		for b.Loop() {
			found := false
			for _, c := range r.Cookies() {
				if c.Name == "session" {
					found = true
					break
				}
			}
			if !found {
				b.Fatal("no session cookie")
			}
		}
	})
}

// BenchmarkCookieSet compares Response.SetCookie with net/http's SetCookie.
func BenchmarkCookieSet(b *testing.B) {
	b.Run("itty", func(b *testing.B) {
		var resp Response
		b.ReportAllocs()
		for b.Loop() {
			resp.cookies = resp.cookies[:0]
			resp.SetCookie("username", "ada", CookieOptions{MaxAge: 3600e9, HttpOnly: true, SameSite: SameSiteLax})
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		h := http.Header{}
		w := &nopWriter{h: h}
		b.ReportAllocs()
		for b.Loop() {
			delete(h, "Set-Cookie")
			http.SetCookie(w, &http.Cookie{Name: "username", Value: "ada", MaxAge: 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Path: "/"})
		}
	})
}

// signedProfile is a typical structured signed-cookie value.
type signedProfile struct {
	UserID int
	Name   string
	Admin  bool
	Roles  []string
}

// benchSigned compares itty's signed cookies with calling
// gorilla/securecookie directly — with the same serializer, and with
// securecookie's default (gob) — for one value; newDst makes a pointer to
// decode into.
func benchSigned(b *testing.B, value any, newDst func() any) {
	key := CookieKey{Hash: bytes.Repeat([]byte("k"), 32)}
	app := New()
	if err := app.SetCookieKeys(key); err != nil {
		b.Fatal(err)
	}
	direct := securecookie.New(key.Hash, nil)
	direct.SetSerializer(signedSerializer{})
	direct.MaxAge(0)
	gobCodec := securecookie.New(key.Hash, nil)

	var resp Response
	if err := app.SetSignedCookie(&resp, "sid", value); err != nil {
		b.Fatal(err)
	}
	pair, _, _ := strings.Cut(resp.CookieLines()[0], ";")
	encoded := strings.TrimPrefix(pair, "sid=")
	gobEncoded, err := gobCodec.Encode("sid", value)
	if err != nil {
		b.Fatal(err)
	}
	var req Request
	headers := http.Header{"Cookie": {pair}}

	b.Run("verify/itty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req.COOKIES.reset(headers)
			if !app.SignedCookie(&req, "sid", newDst()) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("verify/securecookie-same-serializer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := direct.Decode("sid", encoded, signedTarget{newDst()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify/securecookie-gob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := gobCodec.Decode("sid", gobEncoded, newDst()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("set/itty", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp.cookies = resp.cookies[:0]
			app.SetSignedCookie(&resp, "sid", value)
		}
	})
	b.Run("set/securecookie-gob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gobCodec.Encode("sid", value); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignedCookie: a string value, what most signed cookies hold.
func BenchmarkSignedCookie(b *testing.B) {
	benchSigned(b, "user-4242", func() any { return new(string) })
}

// BenchmarkSignedCookieStruct: a small struct, where gob's per-message type
// information costs most.
func BenchmarkSignedCookieStruct(b *testing.B) {
	gob.Register(signedProfile{})
	v := signedProfile{UserID: 4242, Name: "Ada Lovelace", Admin: true, Roles: []string{"editor", "billing"}}
	benchSigned(b, v, func() any { return new(signedProfile) })
}

// BenchmarkStack takes the full stack apart on each route set
// (internal/routesets), one op being all of the set's requests (203 for
// github), to show where the time of bench's GitHubAll, ParseAll and
// StaticAll goes:
//
//   - find: matching alone;
//   - pooled: matching, the Request taken from and returned to the pool,
//     the handler and the write;
//   - serve: App.ServeHTTP as New gives it, which adds panic recovery and
//     the checks for unclean paths, cross-origin requests and request bodies;
//   - serve-noxo: the same with cross-origin protection off, for its cost.
func BenchmarkStack(b *testing.B) {
	for _, set := range []string{"github", "parse", "static"} {
		b.Run(set, func(b *testing.B) { benchStack(b, set) })
	}
}

func benchStack(b *testing.B, set string) {
	pats, methods, paths := routeSet(b, set)
	app := New()
	render := func(req *Request) *Response { return app.Render(req, "ok") }
	for i := range pats {
		app.Handle(methods[i], pats[i], HandlerFunc(render))
	}
	reqs := make([]*http.Request, len(paths))
	for i := range paths {
		reqs[i] = httptest.NewRequest(methods[i], paths[i], nil)
	}
	w := &nopWriter{h: http.Header{}}
	handle := func(req *Request, r *http.Request) {
		rt := app.router.find(r.Method, r.URL.Path, &req.Params)
		req.Params.route = rt
		resp := rt.fn(req)
		w.Header()["Content-Type"] = contentTypeHeader(resp.ContentType)
		io.WriteString(w, resp.Body)
	}
	b.Run("find", func(b *testing.B) {
		var ps Params
		for b.Loop() {
			for _, r := range reqs {
				ps.reset()
				app.router.find(r.Method, r.URL.Path, &ps)
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		for b.Loop() {
			for _, r := range reqs {
				req := app.acquire(r)
				handle(req, r)
				app.release(req)
			}
		}
	})
	b.Run("serve", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range reqs {
				app.ServeHTTP(w, r)
			}
		}
	})
	b.Run("serve-noxo", func(b *testing.B) {
		app.DisableCrossOriginProtection = true
		defer func() { app.DisableCrossOriginProtection = false }()
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range reqs {
				app.ServeHTTP(w, r)
			}
		}
	})
}

// BenchmarkStaticDir serves one file from a directory on disk through
// StaticDir, at the top of the root and three directories down: the cost
// of the os.Root walk and of following the names for links.
func BenchmarkStaticDir(b *testing.B) {
	dir := b.TempDir()
	deep := filepath.Join(dir, "assets", "v2", "css")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{filepath.Join(dir, "site.css"), filepath.Join(deep, "site.css")} {
		if err := os.WriteFile(f, []byte("body{}"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	app := New()
	app.StaticDir("/static/", dir)
	for _, tc := range []struct{ name, path string }{{"top", "/static/site.css"}, {"deep", "/static/assets/v2/css/site.css"}} {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", tc.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				app.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", tc.path, w.Code)
				}
			}
		})
	}
}
