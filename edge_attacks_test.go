package itty_test

// Attacks on the edges, written from the docs (security.md, static-files.md, cookies.md,
// requests-responses.md, routing.md) and the non-test source, without
// reading the package's own tests. Each test asserts the promised behaviour.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ittygo/itty"
)

// ---------------------------------------------------------------- helpers

// serve starts a real server for h and returns its address (host:port).
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// raw sends the bytes of req over a fresh TCP connection and parses the
// response. method tells ReadResponse whether a body follows (HEAD).
func raw(t *testing.T, addr, method, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response to %q: %v", req, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// rawBytes is raw without parsing: the response exactly as it came.
func rawBytes(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(conn)
	return string(b)
}

func get(target string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
}

// headerLines returns the header block of a raw response, one line each.
func headerLines(resp string) []string {
	head, _, _ := strings.Cut(resp, "\r\n\r\n")
	return strings.Split(head, "\r\n")
}

// ---------------------------------------------------------------- cookies

func TestAttackMalformedCookieHeaderLosesNoGoodPair(t *testing.T) {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprintf("a=%q c=%q d=%q e=%q spaced=%v len=%d",
			req.COOKIES.Get("a"), req.COOKIES.Get("c"), req.COOKIES.Get("d"), req.COOKIES.Get("e"),
			req.COOKIES.Has("b c"), req.COOKIES.Len()))
	})
	addr := serve(t, app)
	// No '=' pair, empty name, name with a space, empty pairs, OWS, a
	// malformed escape, quotes, a second Cookie header.
	resp, body := raw(t, addr, "GET", "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n"+
		"Cookie: a=1; junk; =x; b c=2; c=3;; ;  d = 4 ; f(=z; ==; \"q\"=1\r\n"+
		"Cookie: e=\"100%\"\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 (a malformed Cookie header never fails a request)", resp.StatusCode)
	}
	want := `a="1" c="3" d="4" e="100%" spaced=false len=4`
	if body != want {
		t.Fatalf("got %s\nwant %s", body, want)
	}
}

func TestAttackInvalidCookieNameIsRefusedNeverWritten(t *testing.T) {
	names := []string{"", "a b", "a;b", "a=b", "a,b", "a\r\nX-Injected: 1", "caf\u00e9", "a\tb", "a\"b", "(a)", "a/b", "a\x00b"}
	for _, name := range names {
		t.Run(strconv.Quote(name), func(t *testing.T) {
			app := itty.New()
			var setErr error
			app.Get("/", func(req *itty.Request) *itty.Response {
				resp := app.Render(req, "looks fine")
				setErr = resp.SetCookie(name, "v")
				return resp
			})
			addr := serve(t, app)
			out := rawBytes(t, addr, get("/"))
			if setErr == nil {
				t.Errorf("SetCookie(%q) returned nil error", name)
			}
			if !strings.HasPrefix(out, "HTTP/1.1 500 ") {
				t.Errorf("status line %q, want 500", strings.SplitN(out, "\r\n", 2)[0])
			}
			for _, l := range headerLines(out) {
				if strings.HasPrefix(strings.ToLower(l), "set-cookie") || strings.HasPrefix(strings.ToLower(l), "x-injected") {
					t.Errorf("header line %q written for invalid name", l)
				}
			}
			if strings.Contains(out, "looks fine") {
				t.Errorf("the page went out without its cookie")
			}
		})
	}
}

func TestAttackCookieValueCannotInjectAttributesOrHeaders(t *testing.T) {
	evil := "x; Domain=evil.example; Path=/admin; HttpOnly\r\nSet-Cookie: planted=1\r\nX-Injected: 1"
	app := itty.New()
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		if err := resp.SetCookie("v", evil); err != nil {
			t.Error(err)
		}
		return resp
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		return app.Render(req, req.COOKIES.Get("v"))
	})
	addr := serve(t, app)
	out := rawBytes(t, addr, get("/set"))
	var setCookies []string
	for _, l := range headerLines(out) {
		if strings.HasPrefix(l, "X-Injected") {
			t.Errorf("header injected: %q", l)
		}
		if strings.HasPrefix(l, "Set-Cookie: ") {
			setCookies = append(setCookies, strings.TrimPrefix(l, "Set-Cookie: "))
		}
	}
	if len(setCookies) != 1 {
		t.Fatalf("Set-Cookie lines %q, want exactly one", setCookies)
	}
	attrs := strings.Split(setCookies[0], "; ")
	if attrs[0] != "v="+itty.EncodeCookieValue(evil) {
		t.Errorf("cookie pair %q", attrs[0])
	}
	for _, a := range attrs[1:] {
		if strings.Contains(a, "evil") || a == "HttpOnly" || a == "Path=/admin" {
			t.Errorf("attribute %q injected by the value: %q", a, setCookies[0])
		}
	}
	// And it round-trips.
	_, body := raw(t, addr, "GET", "GET /read HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nCookie: "+attrs[0]+"\r\n\r\n")
	if body != evil {
		t.Errorf("round trip gave %q", body)
	}
}

func TestAttackCookiePrefixCaseTricks(t *testing.T) {
	cases := []struct {
		name string
		o    itty.CookieOptions
		want error
	}{
		{"__HOST-id", itty.CookieOptions{}, itty.ErrHostPrefix},
		{"__host-id", itty.CookieOptions{Secure: true, Path: "/app"}, itty.ErrHostPrefix},
		{"__Host-id", itty.CookieOptions{Secure: true, Domain: "example.com"}, itty.ErrHostPrefix},
		{"__sEcUrE-id", itty.CookieOptions{}, itty.ErrSecurePrefix},
		{"x", itty.CookieOptions{SameSite: itty.SameSiteNone}, itty.ErrSameSiteNoneSecure},
		{"x", itty.CookieOptions{Domain: "co.uk"}, itty.ErrPublicSuffix},
		{"x", itty.CookieOptions{Domain: "example.com:8080"}, itty.ErrCookieDomain},
		{"x", itty.CookieOptions{Path: "/a;b"}, itty.ErrCookiePath},
		{"x", itty.CookieOptions{Path: "/a\r\nX: y"}, itty.ErrCookiePath},
		{"x", itty.CookieOptions{Domain: "evil.example\r\nX: y"}, itty.ErrCookieDomain},
		{"x", itty.CookieOptions{MaxAge: itty.MaxCookieAge + time.Nanosecond}, itty.ErrCookieExpiry},
	}
	for _, c := range cases {
		resp := itty.NewResponse("", 200)
		err := resp.SetCookie(c.name, "v", c.o)
		if err == nil || !strings.Contains(err.Error(), c.want.Error()) {
			t.Errorf("SetCookie(%q, %+v) = %v, want %v", c.name, c.o, err, c.want)
		}
		if len(resp.CookieLines()) != 0 {
			t.Errorf("SetCookie(%q) recorded %q", c.name, resp.CookieLines())
		}
	}
}

// signedApp returns an App with a signed cookie "visits" set at /set and
// read at /read, and the Set-Cookie pair of one visit.
func signedApp(t *testing.T, keys ...itty.CookieKey) (*itty.App, string) {
	t.Helper()
	app := itty.New()
	if err := app.SetCookieKeys(keys...); err != nil {
		t.Fatal(err)
	}
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		if err := app.SetSignedCookie(resp, "visits", "role=user"); err != nil {
			t.Error(err)
		}
		return resp
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		var v string
		ok := app.SignedCookie(req, "visits", &v)
		return app.Render(req, fmt.Sprintf("%v %s", ok, v))
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/set", nil))
	sc := rec.Result().Header.Get("Set-Cookie")
	pair, _, _ := strings.Cut(sc, ";")
	if !strings.HasPrefix(pair, "visits=") {
		t.Fatalf("Set-Cookie %q", sc)
	}
	return app, strings.TrimPrefix(pair, "visits=")
}

func readSigned(t *testing.T, app *itty.App, cookieHeader string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/read", nil)
	r.Header.Set("Cookie", cookieHeader)
	app.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("status %d for Cookie %q: a bad signed cookie must never fail the request", rec.Code, cookieHeader)
	}
	return rec.Body.String()
}

func TestAttackTamperedSignedCookieIsRefused(t *testing.T) {
	for _, enc := range []bool{false, true} {
		key := itty.NewCookieKey()
		if !enc {
			key.Block = nil
		}
		app, value := signedApp(t, key)
		if got := readSigned(t, app, "visits="+value); got != "true role=user" {
			t.Fatalf("genuine cookie read as %q", got)
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
		// Every position changed to every other base64 character would be
		// slow; change each position to two other characters.
		for i := 0; i < len(value); i++ {
			for _, d := range []int{1, 17} {
				j := (strings.IndexByte(alphabet, value[i]) + d) % len(alphabet)
				tampered := value[:i] + string(alphabet[j]) + value[i+1:]
				if got := readSigned(t, app, "visits="+tampered); !strings.HasPrefix(got, "false") {
					t.Fatalf("enc=%v: tampered at %d (%q) accepted: %q", enc, i, tampered, got)
				}
			}
		}
		other := itty.NewCookieKey()
		appOther, _ := signedApp(t, other)
		bad := []string{
			"visits=" + value[:len(value)-1],
			"visits=" + value[:len(value)-4],
			"visits=" + value + "AAAA",
			"visits=" + strings.TrimRight(value, "="),
			"visits=\"" + value + "\"x",
			"Visits=" + value,
			"visits2=" + value,
			"visits=",
			"visits=" + strings.Repeat("A", 8000),
		}
		for _, c := range bad {
			if got := readSigned(t, app, c); !strings.HasPrefix(got, "false") {
				t.Errorf("enc=%v: %q accepted: %q", enc, c, got)
			}
		}
		if got := readSigned(t, appOther, "visits="+value); !strings.HasPrefix(got, "false") {
			t.Errorf("enc=%v: cookie of another key accepted: %q", enc, got)
		}
		// The first valid one wins, after garbage of the same name.
		if got := readSigned(t, app, "visits=garbage; visits="+value[:10]+"; visits="+value); got != "true role=user" {
			t.Errorf("enc=%v: valid cookie after bad ones read as %q", enc, got)
		}
	}
}

func TestAttackSignedCookieRenamedIsRefused(t *testing.T) {
	key := itty.NewCookieKey()
	app := itty.New()
	if err := app.SetCookieKeys(key); err != nil {
		t.Fatal(err)
	}
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		app.SetSignedCookie(resp, "role", "user")
		app.SetSignedCookie(resp, "admi", "true")
		return resp
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		var v string
		ok := app.SignedCookie(req, "admin", &v)
		return app.Render(req, fmt.Sprintf("%v %s", ok, v))
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/set", nil))
	for _, sc := range rec.Result().Header.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(sc, ";")
		_, v, _ := strings.Cut(pair, "=")
		if got := readSigned(t, app, "admin="+v); !strings.HasPrefix(got, "false") {
			t.Errorf("value signed as %q accepted as admin: %q", pair, got)
		}
	}
}

func TestAttackSignedCookieReplayedAfterExpiry(t *testing.T) {
	app := itty.New()
	if err := app.SetCookieKeys(itty.NewCookieKey()); err != nil {
		t.Fatal(err)
	}
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		app.SetSignedCookie(resp, "visits", "x", itty.CookieOptions{MaxAge: time.Second})
		return resp
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		var v string
		return app.Render(req, fmt.Sprint(app.SignedCookie(req, "visits", &v)))
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/set", nil))
	pair, _, _ := strings.Cut(rec.Result().Header.Get("Set-Cookie"), ";")
	time.Sleep(2100 * time.Millisecond)
	if got := readSigned(t, app, pair); got != "false" {
		t.Errorf("cookie replayed past its Max-Age read as %q", got)
	}
}

// ---------------------------------------------------------------- bodies

func TestAttackHugeContentLengthGets413BeforeHandler(t *testing.T) {
	for _, expect := range []bool{false, true} {
		t.Run(fmt.Sprintf("expect-100-continue=%v", expect), func(t *testing.T) {
			var ran atomic.Int32
			app := itty.New()
			app.Post("/up", func(req *itty.Request) *itty.Response {
				ran.Add(1)
				return app.Render(req, "ok")
			})
			addr := serve(t, app)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// Headers only, declaring 1 GiB; no body byte is sent.
			hdr := "POST /up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 1073741824\r\n"
			if expect {
				hdr += "Expect: 100-continue\r\n"
			}
			io.WriteString(conn, hdr+"\r\n")
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				t.Fatalf("no answer within 3 s to a request declaring a 1 GiB body (limit 10 MiB): %v", err)
			}
			if !strings.HasPrefix(line, "HTTP/1.1 413 ") {
				t.Errorf("first response line %q, want 413", line)
			}
			if ran.Load() != 0 {
				t.Errorf("handler ran for a body over the limit")
			}
		})
	}
}

func TestAttackChunkedBodyPastLimit(t *testing.T) {
	for _, mode := range []string{"read", "form", "json"} {
		t.Run(mode, func(t *testing.T) {
			var seen atomic.Int64
			app := itty.New()
			app.MaxBodyBytes = 1000
			app.Post("/up", func(req *itty.Request) *itty.Response {
				switch mode {
				case "read":
					b, _ := io.ReadAll(req.Body)
					seen.Store(int64(len(b)))
				case "form":
					seen.Store(int64(len(req.POST.Get("a"))))
				case "json":
					var s string
					req.JSON(&s)
					seen.Store(int64(len(s)))
				}
				return app.Render(req, "whole body accepted") // the handler ignores the error
			})
			addr := serve(t, app)
			var payload string
			ct := "application/octet-stream"
			switch mode {
			case "read":
				payload = strings.Repeat("x", 5000)
			case "form":
				payload, ct = "a="+strings.Repeat("x", 5000), "application/x-www-form-urlencoded"
			case "json":
				payload, ct = `"`+strings.Repeat("x", 5000)+`"`, "application/json"
			}
			var b strings.Builder
			fmt.Fprintf(&b, "POST /up HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", ct)
			for i := 0; i < len(payload); i += 500 {
				chunk := payload[i:min(i+500, len(payload))]
				fmt.Fprintf(&b, "%x\r\n%s\r\n", len(chunk), chunk)
			}
			b.WriteString("0\r\n\r\n")
			resp, body := raw(t, addr, "POST", b.String())
			if resp.StatusCode != 413 {
				t.Errorf("status %d (%q), want 413", resp.StatusCode, body)
			}
			if seen.Load() > 1000 {
				t.Errorf("handler saw %d bytes, limit 1000", seen.Load())
			}
		})
	}
}

// TestAttackMiddlewareReadsBodyPastLimit: middleware added with app.Use
// runs before the App's handlers, so a body it reads (a request logger,
// a signature check) was read without MaxBodyBytes: a client streamed as
// much as it liked into it. It now reads under the same limit and gets an
// *http.MaxBytesError past it; a middleware that passes the body on
// (wrapped, as a tee does) leaves the App's 413 in place.
func TestAttackMiddlewareReadsBodyPastLimit(t *testing.T) {
	chunked := func(n int) string {
		var b strings.Builder
		b.WriteString("POST /up HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
		for left := n; left > 0; left -= 500 {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", min(500, left), strings.Repeat("x", min(500, left)))
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	t.Run("reading middleware", func(t *testing.T) {
		app := itty.New()
		app.MaxBodyBytes = 1000
		var got atomic.Int64
		var limitErr atomic.Bool
		app.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				got.Store(int64(len(b)))
				var tooBig *http.MaxBytesError
				limitErr.Store(errors.As(err, &tooBig))
				http.Error(w, "body refused", http.StatusRequestEntityTooLarge)
			})
		})
		app.Post("/up", func(req *itty.Request) *itty.Response { return app.Render(req, "ok") })
		raw(t, serve(t, app), "POST", chunked(50_000))
		if got.Load() > 1000 || !limitErr.Load() {
			t.Fatalf("middleware read %d bytes of a 50,000-byte body (limit 1000), MaxBytesError %v", got.Load(), limitErr.Load())
		}
	})
	t.Run("teeing middleware", func(t *testing.T) {
		app := itty.New()
		app.MaxBodyBytes = 1000
		var logged atomic.Int64
		app.Use(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var copyOf bytes.Buffer
				r.Body = struct {
					io.Reader
					io.Closer
				}{io.TeeReader(r.Body, &copyOf), r.Body}
				next.ServeHTTP(w, r)
				logged.Store(int64(copyOf.Len()))
			})
		})
		app.Post("/up", func(req *itty.Request) *itty.Response {
			io.ReadAll(req.Body)
			return app.Render(req, "whole body accepted") // ignores the error
		})
		resp, body := raw(t, serve(t, app), "POST", chunked(5000))
		if resp.StatusCode != 413 || logged.Load() > 1000 {
			t.Fatalf("status %d %q, middleware logged %d bytes; want 413 and at most 1000", resp.StatusCode, body, logged.Load())
		}
	})
}

func TestAttackOversizedBodyToPlainHTTPHandler(t *testing.T) {
	var ran atomic.Int32
	app := itty.New()
	app.MaxBodyBytes = 100
	app.Handle("POST", "/raw", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "stored %d bytes", len(b))
	}))
	addr := serve(t, app)
	body := strings.Repeat("x", 1000)
	resp, got := raw(t, addr, "POST", "POST /raw HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n"+body)
	if resp.StatusCode != 413 {
		t.Errorf("Content-Length 1000 over a limit of 100: status %d, body %q; want 413 before the handler runs", resp.StatusCode, got)
	}
	if ran.Load() != 0 {
		t.Errorf("the handler ran")
	}
}

// ---------------------------------------------------------------- static

// staticTree makes tmp/secret.txt outside the root, tmp/root with public
// files, hidden files and symbolic links out of the root.
func staticTree(t *testing.T) (root string) {
	t.Helper()
	tmp := t.TempDir()
	root = filepath.Join(tmp, "root")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(s), 0o644))
	}
	write(filepath.Join(tmp, "secret.txt"), "TOPSECRET-outside")
	write(filepath.Join(tmp, "secretdir", "inner.txt"), "TOPSECRET-dir")
	write(filepath.Join(root, "site.css"), "body{}")
	write(filepath.Join(root, "sub", "page.txt"), "page")
	write(filepath.Join(root, "docs", "index.html"), "<p>docs</p>")
	write(filepath.Join(root, "nolist", "a-file-name.txt"), "x")
	write(filepath.Join(root, ".env"), "TOPSECRET-env")
	write(filepath.Join(root, ".git", "config"), "TOPSECRET-git")
	write(filepath.Join(root, ".htpasswd"), "TOPSECRET-htpasswd")
	write(filepath.Join(root, "sub", ".hidden"), "TOPSECRET-subhidden")
	write(filepath.Join(root, ".well-known", "security.txt"), "contact")
	write(filepath.Join(root, ".well-known", ".private"), "TOPSECRET-wk")
	write(filepath.Join(root, ".hiddendir", "index.html"), "TOPSECRET-hiddendir")
	must(os.Symlink(filepath.Join(tmp, "secret.txt"), filepath.Join(root, "abs.txt")))
	must(os.Symlink("../secret.txt", filepath.Join(root, "rel.txt")))
	must(os.Symlink(filepath.Join(tmp, "secretdir"), filepath.Join(root, "linkdir")))
	must(os.Symlink("../secretdir", filepath.Join(root, "rellinkdir")))
	must(os.Symlink("../../secret.txt", filepath.Join(root, "sub", "up2.txt")))
	return root
}

// fetchFollowing sends GET target over raw TCP and follows local redirects
// (as raw request targets) a few times, returning every body seen and the
// last status.
func fetchFollowing(t *testing.T, addr, target string) (status int, bodies []string, chain []string) {
	t.Helper()
	for hop := 0; hop < 6; hop++ {
		chain = append(chain, target)
		resp, body := raw(t, addr, "GET", get(target))
		status = resp.StatusCode
		bodies = append(bodies, body)
		loc := resp.Header.Get("Location")
		if status < 300 || status > 399 || loc == "" {
			return
		}
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
			t.Errorf("%q redirected off-site to %q", chain[0], loc)
			return
		}
		target = loc
	}
	return
}

var traversalPayloads = []string{
	"/static/../secret.txt",
	"/static/%2e%2e/secret.txt",
	"/static/%2E%2E/secret.txt",
	"/static/..%2fsecret.txt",
	"/static/..%2Fsecret.txt",
	"/static/%2e%2e%2fsecret.txt",
	"/static/sub/..%2f..%2fsecret.txt",
	"/static/sub%2f..%2f..%2fsecret.txt",
	"/static/%252e%252e/secret.txt",
	"/static/%252e%252e%252fsecret.txt",
	"/static/..\\secret.txt",
	"/static/..%5csecret.txt",
	"/static/..%5Csecret.txt",
	"/static/%5c..%5csecret.txt",
	"/static/sub\\..\\..\\secret.txt",
	"/static/..%00/secret.txt",
	"/static/site.css%00.txt",
	"/static/%00",
	"/static/%c0%ae%c0%ae/secret.txt",
	"/static/%ef%bc%8e%ef%bc%8e/secret.txt",
	"/static/.../secret.txt",
	"/static/....//secret.txt",
	"/static/..;/secret.txt",
	"/static/./../secret.txt",
	"/static//../secret.txt",
	"/static/C:/secret.txt",
	"/static/C:%5csecret.txt",
	"/static/C:\\..\\secret.txt",
	"/static/abs.txt",
	"/static/rel.txt",
	"/static/linkdir/inner.txt",
	"/static/rellinkdir/inner.txt",
	"/static/linkdir/",
	"/static/linkdir",
	"/static/sub/up2.txt",
	"/static/%2fetc%2fpasswd",
	"/static//etc/passwd",
	"//etc/passwd",
	"/static/sub/../../secret.txt",
	"/static/docs/../../secret.txt",
}

func TestAttackStaticDirLeavesItsRoot(t *testing.T) {
	root := staticTree(t)
	app := itty.New()
	app.StaticDir("/static/", root)
	addr := serve(t, app)
	// Sanity: the server does serve files.
	if st, b, _ := fetchFollowing(t, addr, "/static/site.css"); st != 200 || b[len(b)-1] != "body{}" {
		t.Fatalf("site.css: %d %q", st, b)
	}
	for _, p := range traversalPayloads {
		st, bodies, chain := fetchFollowing(t, addr, p)
		for _, b := range bodies {
			if strings.Contains(b, "TOPSECRET") {
				t.Errorf("%q (via %q) served a file outside the root: %q", p, chain, b)
			}
		}
		if st == 200 {
			t.Errorf("%q ended in 200 via %q: %q", p, chain, bodies[len(bodies)-1])
		}
	}
}

func TestAttackStaticFSLeavesItsRoot(t *testing.T) {
	fsys := fstest.MapFS{
		"site.css":            {Data: []byte("body{}")},
		"sub/page.txt":        {Data: []byte("page")},
		"..":                  {Data: []byte("TOPSECRET-dotdot")}, // a hostile fs.FS entry
		"a\\b":                {Data: []byte("TOPSECRET-backslash")},
		".env":                {Data: []byte("TOPSECRET-env")},
		"x\x00y":              {Data: []byte("TOPSECRET-nul")},
		"sub/.git/config":     {Data: []byte("TOPSECRET-git")},
		".well-known/acme":    {Data: []byte("token")},
		".well-known/.secret": {Data: []byte("TOPSECRET-wk")},
	}
	app := itty.New()
	app.Static("/static/", fsys)
	addr := serve(t, app)
	payloads := append([]string{
		"/static/a%5cb", "/static/a\\b", "/static/x%00y", "/static/.env", "/static/%2eenv",
		"/static/sub/.git/config", "/static/sub/%2Egit/config", "/static/.well-known/acme",
		"/static/.well-known/.secret", "/static/%2e%2e",
	}, traversalPayloads...)
	for _, p := range payloads {
		st, bodies, chain := fetchFollowing(t, addr, p)
		for _, b := range bodies {
			if strings.Contains(b, "TOPSECRET") || b == "token" {
				t.Errorf("%q (via %q) served %q", p, chain, b)
			}
		}
		if st == 200 {
			t.Errorf("%q ended in 200 via %q", p, chain)
		}
	}
}

func TestAttackStaticServesHiddenFiles(t *testing.T) {
	root := staticTree(t)
	for _, wellKnown := range []bool{false, true} {
		app := itty.New()
		files := app.StaticDir("/static/", root)
		files.AllowWellKnown = wellKnown
		addr := serve(t, app)
		for _, p := range []string{
			"/static/.env", "/static/%2eenv", "/static/%2Eenv", "/static/.git/config", "/static/.git/",
			"/static/.git", "/static/.htpasswd", "/static/sub/.hidden", "/static/sub/%2ehidden",
			"/static/.hiddendir/", "/static/.hiddendir", "/static/.hiddendir/index.html",
			"/static/.well-known/.private", "/static/sub/../.env", "/static/.env/", "/static/.ENV",
		} {
			st, bodies, chain := fetchFollowing(t, addr, p)
			for _, b := range bodies {
				if strings.Contains(b, "TOPSECRET") {
					t.Errorf("wellKnown=%v: %q (via %q) served %q", wellKnown, p, chain, b)
				}
			}
			if st != 404 {
				t.Errorf("wellKnown=%v: %q ended in %d via %q, want 404", wellKnown, p, st, chain)
			}
		}
		st, _, _ := fetchFollowing(t, addr, "/static/.well-known/security.txt")
		if wellKnown && st != 200 {
			t.Errorf("AllowWellKnown: security.txt gave %d", st)
		}
		if !wellKnown && st != 404 {
			t.Errorf("no AllowWellKnown: security.txt gave %d", st)
		}
	}
}

func TestAttackStaticListsDirectories(t *testing.T) {
	root := staticTree(t)
	app := itty.New()
	app.StaticDir("/static/", root)
	addr := serve(t, app)
	for _, p := range []string{"/static/", "/static/nolist/", "/static/nolist", "/static/sub/", "/static"} {
		st, bodies, chain := fetchFollowing(t, addr, p)
		for _, b := range bodies {
			if strings.Contains(b, "a-file-name") || strings.Contains(b, "site.css") || strings.Contains(b, "page.txt") {
				t.Errorf("%q (via %q) listed a directory: %q", p, chain, b)
			}
		}
		if st != 404 {
			t.Errorf("%q: %d via %q, want 404 for a directory without index.html", p, st, chain)
		}
	}
	// A directory with index.html: redirect to the slash form, then served.
	resp, _ := raw(t, addr, "GET", get("/static/docs"))
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/static/docs/" {
		t.Errorf("/static/docs: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, b, _ := fetchFollowing(t, addr, "/static/docs/"); st != 200 || b[0] != "<p>docs</p>" {
		t.Errorf("/static/docs/: %d %q", st, b)
	}
	// POST to a static file is not served.
	resp, _ = raw(t, addr, "POST", "POST /static/site.css HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 405 {
		t.Errorf("POST /static/site.css: %d, want 405", resp.StatusCode)
	}
}

// ---------------------------------------------------------------- cross-origin

func TestAttackCrossOriginUnsafeRequests(t *testing.T) {
	type tc struct {
		name    string
		method  string
		headers string
		allowed bool
	}
	cases := []tc{
		{"cross-site POST", "POST", "Sec-Fetch-Site: cross-site\r\n", false},
		{"same-site POST", "POST", "Sec-Fetch-Site: same-site\r\n", false},
		{"uppercase value", "POST", "Sec-Fetch-Site: Cross-Site\r\n", false},
		{"lowercase header name", "POST", "sec-fetch-site: cross-site\r\n", false},
		{"SHOUTED header name", "POST", "SEC-FETCH-SITE: cross-site\r\n", false},
		{"padded value", "POST", "Sec-Fetch-Site:   cross-site   \r\n", false},
		{"unknown value", "POST", "Sec-Fetch-Site: bogus\r\n", false},
		{"cross-site PUT", "PUT", "Sec-Fetch-Site: cross-site\r\n", false},
		{"cross-site DELETE", "DELETE", "Sec-Fetch-Site: cross-site\r\n", false},
		{"cross-site PATCH", "PATCH", "Sec-Fetch-Site: cross-site\r\n", false},
		{"cross-site custom method", "FROB", "Sec-Fetch-Site: cross-site\r\n", false},
		{"cross-site lowercase post method", "post", "Sec-Fetch-Site: cross-site\r\n", false},
		{"old browser, foreign Origin", "POST", "Origin: http://evil.example\r\n", false},
		{"old browser, Origin null", "POST", "Origin: null\r\n", false},
		{"lowercase origin header", "POST", "origin: http://evil.example\r\n", false},
		{"Origin with host as userinfo", "POST", "Origin: http://example.com@evil.example\r\n", false},
		{"Origin on another port", "POST", "Origin: http://example.com:8080\r\n", false},
		{"Origin subdomain", "POST", "Origin: http://a.example.com\r\n", false},
		{"cross-site and same-origin Origin", "POST", "Sec-Fetch-Site: cross-site\r\nOrigin: http://example.com\r\n", false},
		// What the docs promise to let through.
		{"same-origin POST", "POST", "Sec-Fetch-Site: same-origin\r\n", true},
		{"user-initiated (none)", "POST", "Sec-Fetch-Site: none\r\n", true},
		{"curl POST", "POST", "", true},
		{"old browser, same Origin", "POST", "Origin: http://example.com\r\n", true},
		{"cross-site GET", "GET", "Sec-Fetch-Site: cross-site\r\nOrigin: http://evil.example\r\n", true},
		{"cross-site HEAD", "HEAD", "Sec-Fetch-Site: cross-site\r\n", true},
	}
	builds := map[string]func(h itty.HandlerFunc) http.Handler{
		"New": func(h itty.HandlerFunc) http.Handler {
			app := itty.New()
			for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "FROB", "post"} {
				app.Handle(m, "/act", h)
			}
			return app
		},
		"zero App": func(h itty.HandlerFunc) http.Handler {
			app := &itty.App{}
			for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "FROB", "post"} {
				app.Handle(m, "/act", h)
			}
			return app
		},
		"standalone": func(h itty.HandlerFunc) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("/act", h)
			return mux
		},
	}
	for bname, build := range builds {
		var ran atomic.Int32
		h := build(func(req *itty.Request) *itty.Response {
			ran.Add(1)
			return itty.NewResponse("done", 200)
		})
		addr := serve(t, h)
		for _, c := range cases {
			ran.Store(0)
			resp, _ := raw(t, addr, c.method, c.method+" /act HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\n"+c.headers+"\r\n")
			if c.allowed {
				if resp.StatusCode != 200 || ran.Load() != 1 {
					t.Errorf("%s: %s refused: %d (promised to pass)", bname, c.name, resp.StatusCode)
				}
			} else if resp.StatusCode != 403 || ran.Load() != 0 {
				t.Errorf("%s: %s: status %d, handler ran %d times; want 403", bname, c.name, resp.StatusCode, ran.Load())
			}
		}
	}
}

func TestAttackCrossOriginOnRoutesItDoesNotOwn(t *testing.T) {
	var ran atomic.Int32
	app := itty.New()
	app.Handle("POST", "/plain", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) }))
	app.Post("/dir/", func(req *itty.Request) *itty.Response { ran.Add(1); return itty.NewResponse("x", 200) })
	app.NotFound = func(req *itty.Request) *itty.Response { ran.Add(1); return itty.NewResponse("nf", 404) }
	addr := serve(t, app)
	for _, target := range []string{"/plain", "/dir", "/dir/", "/nothing", "/dir/./", "//dir/"} {
		resp, _ := raw(t, addr, "POST", "POST "+target+" HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\nSec-Fetch-Site: cross-site\r\n\r\n")
		if resp.StatusCode != 403 {
			t.Errorf("cross-site POST %s: %d, want 403", target, resp.StatusCode)
		}
	}
	if ran.Load() != 0 {
		t.Errorf("a handler ran %d times for refused requests", ran.Load())
	}
	// A trusted origin does pass.
	app2 := itty.New()
	if err := app2.CrossOrigin.AddTrustedOrigin("http://localhost:5173"); err != nil {
		t.Fatal(err)
	}
	app2.Post("/api", func(req *itty.Request) *itty.Response { return itty.NewResponse("ok", 200) })
	addr2 := serve(t, app2)
	resp, _ := raw(t, addr2, "POST", "POST /api HTTP/1.1\r\nHost: localhost:8000\r\nConnection: close\r\nContent-Length: 0\r\nSec-Fetch-Site: cross-site\r\nOrigin: http://localhost:5173\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Errorf("trusted origin refused: %d", resp.StatusCode)
	}
	resp, _ = raw(t, addr2, "POST", "POST /api HTTP/1.1\r\nHost: localhost:8000\r\nConnection: close\r\nContent-Length: 0\r\nSec-Fetch-Site: cross-site\r\nOrigin: http://localhost:5174\r\n\r\n")
	if resp.StatusCode != 403 {
		t.Errorf("untrusted dev origin: %d, want 403", resp.StatusCode)
	}
}

// ---------------------------------------------------------------- routing

func TestAttackConvertersAcceptWhatTheyRefuse(t *testing.T) {
	var hits atomic.Int32
	var last atomic.Value
	app := itty.New()
	record := func(req *itty.Request) *itty.Response {
		hits.Add(1)
		last.Store(req.Path)
		return itty.NewResponse("hit", 200)
	}
	app.Get("/int/<int:x>/", record)
	app.Get("/float/<float:x>/", record)
	app.Get("/uuid/<uuid:x>/", record)
	app.Get("/slug/<slug:x>/", record)
	app.Get("/str/<str:x>/", record)
	addr := serve(t, app)
	refused := []string{
		"/int/99999999999999999999/", "/int/9223372036854775808/", "/int/-1/", "/int/+1/", "/int/1e3/",
		"/int/0x10/", "/int/%20%31/", "/int/1%20/", "/int/%D9%A4%D9%A2/", "/int/%EF%BC%94%EF%BC%92/",
		"/int/%E0%A5%A7/", "/int/1.0/", "/int/abc/", "/int/1_000/",
		"/float/./", "/float/1.2.3/", "/float/1e5/", "/float/NaN/", "/float/Inf/", "/float/-1.5/",
		"/float/%D9%A1.5/", "/float/0x1p3/", "/float/1,5/",
		"/uuid/123e4567-e89b-12d3-a456-42661417400/", "/uuid/{123e4567-e89b-12d3-a456-426614174000}/",
		"/uuid/123e4567e89b12d3a456426614174000/", "/uuid/123e4567-e89b-12d3-a456-42661417400g/",
		"/uuid/123e4567-e89b-12d3-a456_426614174000/",
		"/slug/caf%C3%A9/", "/slug/a.b/", "/slug/a%20b/", "/slug/%E2%80%8B/",
	}
	for _, p := range refused {
		hits.Store(0)
		resp, _ := raw(t, addr, "GET", get(p))
		if hits.Load() != 0 {
			t.Errorf("%s reached the handler (status %d)", p, resp.StatusCode)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d, never a 500", p, resp.StatusCode)
		}
	}
	// Empty segments never match and never reach a handler un-cleaned.
	for _, p := range []string{"/int//", "/str//", "/slug//", "/float//", "/str/./", "/str/../", "/str/%2e/", "/str/%2e%2e/"} {
		hits.Store(0)
		st, _, chain := fetchFollowing(t, addr, p)
		if hits.Load() != 0 {
			t.Errorf("%s reached a handler via %q (%d)", p, chain, st)
		}
	}
	// Accepted values still work (the tests above are not vacuous).
	for _, p := range []string{"/int/42/", "/int/007/", "/float/9.99/", "/float/.5/", "/float/3/",
		"/uuid/123e4567-e89b-12d3-a456-426614174000/", "/slug/hello-world_2/", "/str/caf%C3%A9/"} {
		resp, _ := raw(t, addr, "GET", get(p))
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d, want 200", p, resp.StatusCode)
		}
	}
}

func TestAttackFloatParameterOverflows(t *testing.T) {
	var got []float64
	app := itty.New()
	app.Get("/price/<float:p>/", func(req *itty.Request) *itty.Response {
		got = append(got, req.Params.Float("p"))
		return itty.NewResponse("ok", 200)
	})
	addr := serve(t, app)
	huge := "1" + strings.Repeat("0", 400)
	resp, _ := raw(t, addr, "GET", get("/price/"+huge+"/"))
	for _, f := range got {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			t.Errorf("GET /price/1e400-as-digits/ reached the handler (status %d) with Params.Float = %v: "+
				"a value that does not convert must not match", resp.StatusCode, f)
		}
	}
}

func TestAttackCleanPathRedirectBecomesOpenRedirect(t *testing.T) {
	app := itty.New()
	ok := func(req *itty.Request) *itty.Response { return itty.NewResponse("ok", 200) }
	app.Get("/<str:a>/", ok)
	app.Get("/<str:a>/<str:b>/", ok)
	app.Get("/files/<path:p>", ok)
	app.Post("/<str:a>/<str:b>/", ok)
	addr := serve(t, app)
	payloads := []string{
		"//evil.example", "//evil.example/", "///evil.example", "////evil.example/",
		"/\\evil.example", "/\\evil.example/", "/%5Cevil.example", "/%5cevil.example/x",
		"/%2F%2Fevil.example", "/%2F/evil.example", "/%2f%2fevil.example/",
		"/.//evil.example", "/./\\evil.example", "/a/..//evil.example", "/..//evil.example",
		"//evil.example/%2e%2e", "//evil.example/..", "/%2e%2e//evil.example",
		"/\\/evil.example", "/%5C%5Cevil.example", "/%09/evil.example", "/%0d%0a/evil.example",
		"/%00/evil.example", "/%E3%80%82/evil.example", "/files//evil.example",
		"/files/..//evil.example", "//evil.example?x=1", "/./%2F%2Fevil.example",
		"http://evil.example//x", "http://example.com//evil.example/", "http://example.com/\\evil.example",
	}
	check := func(method, p string) {
		req := method + " " + p + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
		out := rawBytes(t, addr, req)
		for _, l := range headerLines(out)[1:] {
			name, v, _ := strings.Cut(l, ":")
			if !strings.EqualFold(name, "Location") {
				continue
			}
			v = strings.TrimSpace(v)
			// What a browser makes of it: tabs and newlines dropped,
			// backslashes read as slashes.
			b := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(v)
			u, err := url.Parse(b)
			if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || err != nil || u.Host != "" || u.Scheme != "" {
				t.Errorf("%s %s: Location %q leaves the site", method, p, v)
			}
		}
	}
	for _, p := range payloads {
		check("GET", p)
		check("POST", p)
		check("HEAD", p)
	}
}

func TestAttackPanicLeaksItsReason(t *testing.T) {
	for _, debug := range []bool{false, true} {
		app := itty.New()
		app.Debug = debug
		app.Get("/boom", func(req *itty.Request) *itty.Response { panic("SECRET-db-password-hunter2") })
		app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
		app.Get("/err", func(req *itty.Request) *itty.Response {
			return app.Error500(req, fmt.Errorf("SECRET-dsn postgres://u:p@db"))
		})
		app.Handle("GET", "/plainboom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("SECRET-plain")
		}))
		app.NotFound = func(req *itty.Request) *itty.Response { panic("SECRET-notfound") }
		app.Get("/ok", func(req *itty.Request) *itty.Response { return itty.NewResponse("alive", 200) })
		addr := serve(t, app)
		for _, p := range []string{"/boom", "/nil", "/err", "/plainboom", "/nowhere"} {
			resp, body := raw(t, addr, "GET", get(p))
			if resp.StatusCode != 500 {
				t.Errorf("debug=%v %s: %d, want 500", debug, p, resp.StatusCode)
			}
			leaked := strings.Contains(body, "SECRET") || strings.Contains(body, "goroutine") || strings.Contains(body, ".go:")
			for k, vs := range resp.Header {
				for _, v := range vs {
					if strings.Contains(v, "SECRET") {
						t.Errorf("debug=%v %s: header %s leaks %q", debug, p, k, v)
					}
				}
			}
			if !debug && leaked {
				t.Errorf("%s: body leaks the reason without Debug: %q", p, body)
			}
			if debug && p != "/nil" && !strings.Contains(body, "SECRET") {
				t.Errorf("debug: %s: body %q does not show the reason", p, body)
			}
		}
		if _, body := raw(t, addr, "GET", get("/ok")); body != "alive" {
			t.Errorf("server stopped serving after panics: %q", body)
		}
	}
}

func TestAttackPanicAfterPartialWriteLooksLikeSuccess(t *testing.T) {
	app := itty.New()
	app.Handle("GET", "/report", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "balance: ")
		panic("database went away")
	}))
	addr := serve(t, app)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/report")
	if err != nil {
		return // the response was aborted: the client knows it failed
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return // aborted mid-body: also a visible failure
	}
	if resp.StatusCode == 200 {
		t.Errorf("a handler that panicked after writing gave a clean %d response with body %q: "+
			"want a 500 or an aborted response, never a success", resp.StatusCode, body)
	}
}

func TestAttackPanickingBodyReaderLooksLikeSuccess(t *testing.T) {
	app := itty.New()
	app.Get("/export", func(req *itty.Request) *itty.Response {
		return &itty.Response{BodyReader: io.MultiReader(strings.NewReader("row1\n"), panicReader{})}
	})
	addr := serve(t, app)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/export")
	if err != nil {
		return
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return
	}
	if resp.StatusCode == 200 {
		t.Errorf("a response whose body panicked arrived as a clean 200 with body %q (truncated, looks whole)", body)
	}
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("export failed halfway") }

func TestAttackUnsendableStatusCode(t *testing.T) {
	for _, code := range []int{42, -1, 1000} {
		app := itty.New()
		app.Get("/", func(req *itty.Request) *itty.Response {
			return &itty.Response{StatusCode: code, Body: "half done", Headers: http.Header{"X-Partial": {"1"}}}
		})
		addr := serve(t, app)
		resp, body := raw(t, addr, "GET", get("/"))
		if resp.StatusCode != 500 {
			t.Errorf("StatusCode %d: answered %d %q, want 500 (a response that cannot be sent)", code, resp.StatusCode, body)
		}
	}
}

func TestAttackHeaderSplittingFromHandler(t *testing.T) {
	app := itty.New()
	inj := "x\r\nSet-Cookie: planted=1\r\nX-Injected: 1"
	app.Get("/hdr", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "ok")
		resp.SetHeader("X-Echo", inj)
		resp.SetHeader("X-Echo2", "a\nX-Injected: 2")
		resp.SetHeader("X-Bad\r\nX-Injected", "3")
		return resp
	})
	app.Get("/redir", func(req *itty.Request) *itty.Response {
		return app.Redirect(req, "/a"+inj)
	})
	app.Get("/local", func(req *itty.Request) *itty.Response {
		return app.RedirectLocal(req, req.GET.Get("next"), "/")
	})
	app.Get("/ct", func(req *itty.Request) *itty.Response {
		return &itty.Response{ContentType: "text/html\r\nX-Injected: 4", Body: "x"}
	})
	app.Get("/lit", func(req *itty.Request) *itty.Response {
		return &itty.Response{StatusCode: 302, Headers: http.Header{"Location": {"/" + inj}}}
	})
	addr := serve(t, app)
	for _, p := range []string{"/hdr", "/redir", "/local?next=%2Fa%0d%0aX-Injected:%201", "/ct", "/lit"} {
		out := rawBytes(t, addr, get(p))
		for _, l := range headerLines(out) {
			low := strings.ToLower(l)
			if strings.HasPrefix(low, "x-injected") || strings.HasPrefix(low, "set-cookie") {
				t.Errorf("%s: injected header line %q", p, l)
			}
		}
	}
	for _, next := range []string{"//evil.example", "/\\evil.example", "https:evil.example", "\t//evil.example",
		"/\t/evil.example", "https://evil.example", "//evil.example@x", "/\\\\evil.example", " //evil.example"} {
		resp, _ := raw(t, addr, "GET", get("/local?next="+url.QueryEscape(next)))
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("RedirectLocal(%q) went to %q", next, loc)
		}
	}
}

func TestAttack404405OptionsHead(t *testing.T) {
	app := itty.New()
	app.Get("/page", func(req *itty.Request) *itty.Response { return app.Render(req, "hello page") })
	app.Post("/page", func(req *itty.Request) *itty.Response { return app.Render(req, "posted") })
	app.Handle("FROB", "/frob", itty.HandlerFunc(func(req *itty.Request) *itty.Response { return app.Render(req, "frob") }))
	srv := app.NewServer("127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	req := func(method, target string) (*http.Response, string) {
		return raw(t, addr, method, method+" "+target+" HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	}
	// 404
	if resp, _ := req("GET", "/nope"); resp.StatusCode != 404 {
		t.Errorf("GET /nope: %d", resp.StatusCode)
	}
	// 405 for a method net/http never heard of, with Allow.
	for _, m := range []string{"PUT", "DELETE", "WIBBLE", "get"} {
		resp, _ := req(m, "/page")
		if resp.StatusCode != 405 {
			t.Errorf("%s /page: %d, want 405", m, resp.StatusCode)
		}
		allow := resp.Header.Get("Allow")
		for _, want := range []string{"GET", "HEAD", "POST", "OPTIONS"} {
			if !strings.Contains(allow, want) {
				t.Errorf("%s /page: Allow %q lacks %s", m, allow, want)
			}
		}
		if strings.Contains(allow, "FROB") {
			t.Errorf("%s /page: Allow %q lists FROB, which /page does not take", m, allow)
		}
	}
	// OPTIONS on a known path.
	resp, body := req("OPTIONS", "/page")
	if resp.StatusCode != 204 || body != "" {
		t.Errorf("OPTIONS /page: %d %q", resp.StatusCode, body)
	}
	if a := resp.Header.Get("Allow"); a != "GET, POST, HEAD, OPTIONS" && a != "GET, HEAD, POST, OPTIONS" {
		t.Errorf("OPTIONS /page Allow %q", a)
	}
	if resp, _ := req("OPTIONS", "/nope"); resp.StatusCode != 404 {
		t.Errorf("OPTIONS /nope: %d, want 404", resp.StatusCode)
	}
	// HEAD: no body, same Content-Length as GET.
	g, gb := req("GET", "/page")
	h, hb := req("HEAD", "/page")
	if h.StatusCode != 200 || hb != "" || h.Header.Get("Content-Length") != strconv.Itoa(len(gb)) || g.Header.Get("Content-Type") != h.Header.Get("Content-Type") {
		t.Errorf("HEAD /page: %d body %q CL %q (GET body %d bytes)", h.StatusCode, hb, h.Header.Get("Content-Length"), len(gb))
	}
	rawHead := rawBytes(t, addr, "HEAD /page HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
	if _, after, _ := strings.Cut(rawHead, "\r\n\r\n"); after != "" {
		t.Errorf("HEAD sent body bytes %q", after)
	}
	// OPTIONS * lists every method the app uses.
	star, _ := raw(t, addr, "OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
	allow := star.Header.Get("Allow")
	if star.StatusCode != 204 {
		t.Errorf("OPTIONS *: %d", star.StatusCode)
	}
	for _, want := range []string{"GET", "POST", "FROB", "OPTIONS"} {
		if !strings.Contains(allow, want) {
			t.Errorf("OPTIONS * Allow %q lacks %s", allow, want)
		}
	}
}

func TestAttackOptionsStarWithAnOptionsRoute(t *testing.T) {
	app := itty.New()
	app.Get("/a", func(req *itty.Request) *itty.Response { return itty.NewResponse("a", 200) })
	app.Options("/a", func(req *itty.Request) *itty.Response { return itty.NewResponse("", 204) })
	r := httptest.NewRequest("OPTIONS", "*", nil)
	r.RequestURI = "*"
	r.URL = &url.URL{Path: "*"}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	allow := strings.Split(rec.Header().Get("Allow"), ", ")
	seen := map[string]int{}
	for _, m := range allow {
		seen[m]++
	}
	for m, n := range seen {
		if n > 1 {
			t.Errorf("OPTIONS * Allow %q lists %s %d times", rec.Header().Get("Allow"), m, n)
		}
	}
}

func TestAttackTrailingSlashRedirectKeepsQueryAndMethod(t *testing.T) {
	app := itty.New()
	app.Get("/create/", func(req *itty.Request) *itty.Response { return itty.NewResponse("g", 200) })
	app.Post("/create/", func(req *itty.Request) *itty.Response { return itty.NewResponse("p", 200) })
	addr := serve(t, app)
	resp, _ := raw(t, addr, "GET", get("/create?x=1&y=%0d%0a"))
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/create/?x=1&y=%0d%0a" {
		t.Errorf("GET /create: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = raw(t, addr, "POST", "POST /create?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode != 308 || resp.Header.Get("Location") != "/create/?x=1" {
		t.Errorf("POST /create: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAttackQueryFloodIsRefusedWhole: past Go's limit of 10,000 pairs
// (net/url's defence against floods) the query is not parsed at all, and
// Err says so, so that a handler can tell "absent" from "refused".
func TestAttackQueryFloodIsRefusedWhole(t *testing.T) {
	app := itty.New()
	app.Get("/q", func(req *itty.Request) *itty.Response {
		return itty.NewResponse(fmt.Sprintf("first=%q err=%v", req.GET.Get("first"), req.GET.Err()), 200)
	})
	addr := serve(t, app)
	for _, tc := range []struct {
		pairs int
		want  string
	}{
		{10000, `first="1" err=<nil>`},
		{10001, `first="" err=number of URL query parameters exceeded limit`},
	} {
		var b bytes.Buffer
		b.WriteString("first=1")
		for i := 1; i < tc.pairs; i++ {
			b.WriteString("&k=v")
		}
		if _, body := raw(t, addr, "GET", get("/q?"+b.String())); body != tc.want {
			t.Errorf("%d pairs: %s, want %s", tc.pairs, body, tc.want)
		}
	}
}

func TestAttackBodyExactlyAtLimitIsNotRefused(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	app.Post("/up", func(req *itty.Request) *itty.Response {
		b, err := io.ReadAll(req.Body)
		return itty.NewResponse(fmt.Sprintf("%d %v", len(b), err), 200)
	})
	addr := serve(t, app)
	body := strings.Repeat("x", 1000)
	resp, got := raw(t, addr, "POST", "POST /up HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nContent-Length: 1000\r\n\r\n"+body)
	if resp.StatusCode != 200 || got != "1000 <nil>" {
		t.Errorf("Content-Length at the limit: %d %q", resp.StatusCode, got)
	}
	resp, got = raw(t, addr, "POST", "POST /up HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n"+body+"\r\n0\r\n\r\n")
	if resp.StatusCode != 200 || got != "1000 <nil>" {
		t.Errorf("chunked at the limit: %d %q", resp.StatusCode, got)
	}
}

func TestAttackThousandsOfCookiesDropNone(t *testing.T) {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		return itty.NewResponse(fmt.Sprintf("%d %s %s", req.COOKIES.Len(), req.COOKIES.Get("c0"), req.COOKIES.Get("c2999")), 200)
	})
	addr := serve(t, app)
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "c%d=v%d", i, i)
	}
	_, got := raw(t, addr, "GET", "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nCookie: "+b.String()+"\r\n\r\n")
	if got != "3000 v0 v2999" {
		t.Errorf("got %q", got)
	}
}

// TestAttackConcurrentOptionsStar floods "OPTIONS *" from several
// goroutines. app.go promises "after that an App is safe for concurrent
// use"; this test only fails under -race (go test -race -run ConcurrentOptionsStar).
func TestAttackConcurrentOptionsStar(t *testing.T) {
	app := itty.New()
	ok := func(req *itty.Request) *itty.Response { return itty.NewResponse("a", 200) }
	app.Get("/a", ok)
	app.Post("/a", ok)
	app.Put("/a", ok) // three methods: the slice has spare capacity
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- true }()
			for j := 0; j < 50; j++ {
				r := httptest.NewRequest("OPTIONS", "*", nil)
				r.RequestURI = "*"
				r.URL = &url.URL{Path: "*"}
				rec := httptest.NewRecorder()
				app.ServeHTTP(rec, r)
				if a := rec.Header().Get("Allow"); a != "GET, POST, PUT, HEAD, OPTIONS" {
					t.Errorf("Allow %q", a)
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
}
