package itty_test

// Attacks on itty's request-side promises, written from the docs and the
// exported API alone (docs/requests-responses.md, docs/cookies.md,
// docs/security.md and the doc comments): body limits, form parsing,
// cookie reading, Set-Cookie validation, signed cookies and the pooled
// Request. Six of them broke a promise when they were written (the
// multipart form of a bad query, malformed Content-Types, a half-decoded
// signed cookie, Expires before 1601, an unknown SameSite); each fails on
// the commit before its fix.

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
)

// oaRawExchange sends raw bytes to addr over one TCP connection, half-closes
// it and returns everything the server answered until it closed.
func oaRawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	out, _ := io.ReadAll(conn)
	return string(out)
}

// oaChunkedReader hides a body's length so that net/http's client sends it
// chunked.
type oaChunkedReader struct{ r io.Reader }

func (c oaChunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func oaPostChunked(t *testing.T, srvURL, contentType string, body []byte, hdr http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", srvURL, oaChunkedReader{bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// --- Body limits -----------------------------------------------------------

// A chunked body past the limit; the handler swallows the read error and
// answers 200. The promise: the client gets 413 whatever the handler
// returns, and the handler's read fails with *http.MaxBytesError.
func TestOutsideAttackChunkedBodyPastLimitSwallowed(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	var gotErr atomic.Value
	var gotLen atomic.Int64
	app.Post("/up", func(req *itty.Request) *itty.Response {
		b, err := io.ReadAll(req.Body)
		gotLen.Store(int64(len(b)))
		if err != nil {
			gotErr.Store(err)
		}
		return app.Render(req, "stored "+strconv.Itoa(len(b))+" bytes") // lies: "all good"
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	resp := oaPostChunked(t, srv.URL+"/up", "application/octet-stream", bytes.Repeat([]byte("x"), 5000), nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d (%q), want 413", resp.StatusCode, body)
	}
	err, _ := gotErr.Load().(error)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Fatalf("handler's read error = %v, want *http.MaxBytesError", err)
	}
	if gotLen.Load() > 1000 {
		t.Fatalf("handler read %d bytes, past the 1000-byte limit", gotLen.Load())
	}

	// The same with the body read through req.Raw.Body and then read again.
	app2 := itty.New()
	app2.MaxBodyBytes = 1000
	var second error
	app2.Post("/up", func(req *itty.Request) *itty.Response {
		io.Copy(io.Discard, req.Raw.Body)
		_, second = req.Body.Read(make([]byte, 10))
		return app2.Render(req, "ok")
	})
	srv2 := httptest.NewServer(app2)
	defer srv2.Close()
	resp = oaPostChunked(t, srv2.URL+"/up", "", bytes.Repeat([]byte("y"), 3000), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("via Raw.Body: status %d, want 413", resp.StatusCode)
	}
	if !errors.As(second, &mbe) {
		t.Fatalf("a read after the limit was hit returned %v, want *http.MaxBytesError", second)
	}
}

// A body of exactly the limit, chunked, is whole; one byte more is 413.
func TestOutsideAttackChunkedBodyAtTheLimitEdge(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	app.Post("/up", func(req *itty.Request) *itty.Response {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return itty.NewResponse("read error: "+err.Error(), 400)
		}
		return app.Render(req, strconv.Itoa(len(b)))
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	resp := oaPostChunked(t, srv.URL+"/up", "", bytes.Repeat([]byte("x"), 1000), nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "1000" {
		t.Fatalf("exactly the limit: %d %q, want 200 \"1000\"", resp.StatusCode, body)
	}
	resp = oaPostChunked(t, srv.URL+"/up", "", bytes.Repeat([]byte("x"), 1001), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("one byte over: status %d, want 413", resp.StatusCode)
	}
}

// A declared Content-Length over the limit with Expect: 100-continue: the
// handler must not run, the client must not be asked for the body, and the
// answer is 413 with the connection closed.
func TestOutsideAttackHugeContentLengthWithExpectContinue(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	var ran atomic.Bool
	app.Post("/up", func(req *itty.Request) *itty.Response {
		ran.Store(true)
		return app.Render(req, "ok")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n")
	out, _ := io.ReadAll(conn) // the server must close the connection by itself
	got := string(out)
	if strings.Contains(got, "100 Continue") {
		t.Fatalf("the server asked for a body it will refuse:\n%s", got)
	}
	if !strings.HasPrefix(got, "HTTP/1.1 413 ") {
		t.Fatalf("answer %q, want 413", got)
	}
	if ran.Load() {
		t.Fatal("the handler ran for a body declared over the limit")
	}
}

// A handler that echoes the request body as a streamed response: the body
// passes the limit after the 200 has been decided. The client must not
// get a clean 200 with a truncated echo.
func TestOutsideAttackEchoStreamPastLimit(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	app.Post("/echo", func(req *itty.Request) *itty.Response {
		return &itty.Response{BodyReader: req.Body, ContentType: "application/octet-stream"}
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	sent := bytes.Repeat([]byte("z"), 100000)
	req, _ := http.NewRequest("POST", srv.URL+"/echo", oaChunkedReader{bytes.NewReader(sent)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return // the connection was cut: the client knows it failed
	}
	got, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 && rerr == nil {
		t.Fatalf("clean 200 with %d of %d bytes echoed: a truncated body passed for a whole one", len(got), len(sent))
	}
	if resp.StatusCode != 200 && resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// Forms and uploads past the limit: a clear error in the handler and 413.
func TestOutsideAttackFormAndMultipartPastLimit(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 2000
	var formErr, fileErr atomic.Value
	app.Post("/form", func(req *itty.Request) *itty.Response {
		if err := req.POST.Err(); err != nil {
			formErr.Store(err)
		}
		if _, err := req.File("doc"); err != nil {
			fileErr.Store(err)
		}
		return app.Render(req, "saved "+req.POST.Get("a"))
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	// url-encoded, chunked
	body := "a=1&b=" + strings.Repeat("q", 5000)
	resp := oaPostChunked(t, srv.URL+"/form", "application/x-www-form-urlencoded", []byte(body), nil)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("url-encoded form past the limit: status %d, want 413", resp.StatusCode)
	}
	var mbe *http.MaxBytesError
	if err, _ := formErr.Load().(error); !errors.As(err, &mbe) {
		t.Fatalf("POST.Err() = %v, want *http.MaxBytesError", err)
	}

	// multipart, chunked
	formErr, fileErr = atomic.Value{}, atomic.Value{}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("a", "1")
	fw, _ := mw.CreateFormFile("doc", "doc.bin")
	fw.Write(bytes.Repeat([]byte{0}, 10000))
	mw.Close()
	resp = oaPostChunked(t, srv.URL+"/form", mw.FormDataContentType(), mp.Bytes(), nil)
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("multipart past the limit: status %d, want 413", resp.StatusCode)
	}
	if err, _ := formErr.Load().(error); err == nil {
		t.Fatal("POST.Err() = nil for a multipart body past the limit")
	}
	if err, _ := fileErr.Load().(error); err == nil || errors.Is(err, http.ErrMissingFile) {
		t.Fatalf("File() = %v, want the read error, not 'missing'", err)
	}
}

// A plain http.Handler route reading a chunked body past the limit gets
// *http.MaxBytesError; a gzip-encoded body is counted in its raw bytes (the
// encoding is no way around the limit).
func TestOutsideAttackPlainHandlerAndGzipBodyPastLimit(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1000
	var plainErr atomic.Value
	app.Handle("POST", "/plain", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err != nil {
			plainErr.Store(err)
		}
		w.Write([]byte("plain"))
	}))
	var gzErr atomic.Value
	app.Post("/gz", func(req *itty.Request) *itty.Response {
		zr, err := gzip.NewReader(req.Body)
		if err == nil {
			_, err = io.Copy(io.Discard, zr)
		}
		if err != nil {
			gzErr.Store(err)
		}
		return app.Render(req, "ok")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	resp := oaPostChunked(t, srv.URL+"/plain", "", bytes.Repeat([]byte("p"), 4000), nil)
	resp.Body.Close()
	var mbe *http.MaxBytesError
	if err, _ := plainErr.Load().(error); !errors.As(err, &mbe) {
		t.Fatalf("plain handler's read error = %v, want *http.MaxBytesError", err)
	}

	// Incompressible data, gzipped: well over the limit on the wire.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.NoCompression)
	for i := range 5000 {
		zw.Write([]byte{byte(i * 7919)})
	}
	zw.Close()
	resp = oaPostChunked(t, srv.URL+"/gz", "application/octet-stream", gz.Bytes(), http.Header{"Content-Encoding": {"gzip"}})
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("gzip body of %d bytes: status %d, want 413", gz.Len(), resp.StatusCode)
	}
	if err, _ := gzErr.Load().(error); !errors.As(err, &mbe) {
		t.Fatalf("gzip reader error = %v, want it to wrap *http.MaxBytesError", err)
	}
}

// A Content-Length that promises more than the client sends: the form
// that arrived is a truncated one, and must not be taken for the whole.
func TestOutsideAttackContentLengthLieTruncatedForm(t *testing.T) {
	app := itty.New()
	type seen struct {
		err  error
		vals url.Values
	}
	ch := make(chan seen, 1)
	app.Post("/form", func(req *itty.Request) *itty.Response {
		ch <- seen{req.POST.Err(), req.POST.All()}
		return app.Render(req, "ok")
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	body := "amount=1&to=alice"
	oaRawExchange(t, srv.Listener.Addr().String(),
		"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 100\r\n\r\n"+body)
	select {
	case s := <-ch:
		if s.err == nil {
			t.Fatalf("a form cut short of its Content-Length parsed as whole: %v, Err() = nil", s.vals)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler never ran")
	}

	// And the other way: Content-Length shorter than what is sent. The
	// handler sees exactly the declared bytes; the rest is not smuggled into
	// its form.
	app2 := itty.New()
	ch2 := make(chan url.Values, 4)
	app2.Post("/form", func(req *itty.Request) *itty.Response {
		ch2 <- req.POST.All()
		return app2.Render(req, "ok")
	})
	srv2 := httptest.NewServer(app2)
	defer srv2.Close()
	out := oaRawExchange(t, srv2.Listener.Addr().String(),
		"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
			"Content-Length: 8\r\n\r\namount=1&amount=1000000&to=mallory")
	select {
	case v := <-ch2:
		if len(v["amount"]) != 1 || v["amount"][0] != "1" || v.Has("to") {
			t.Fatalf("form = %v, want only the 8 declared bytes (amount=1)", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler never ran")
	}
	if !strings.HasPrefix(out, "HTTP/1.1 200 ") {
		t.Fatalf("answer %q", out)
	}
}

// --- Forms ------------------------------------------------------------------

// oaServeOnce runs r through app and returns what the handler stored.
func oaServeOnce(app *itty.App, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	return w
}

// Malformed query pairs: the bad ones are skipped, every good one is kept
// (repeated keys in order, keys without a value as ""), and Err says so.
func TestOutsideAttackMalformedQueryKeepsGoodPairs(t *testing.T) {
	app := itty.New()
	var all url.Values
	var perr error
	var hasFlag bool
	app.Get("/s", func(req *itty.Request) *itty.Response {
		all, perr, hasFlag = req.GET.All(), req.GET.Err(), req.GET.Has("flag")
		return app.Render(req, "ok")
	})
	oaServeOnce(app, httptest.NewRequest("GET", "/s?tag=a&bad=%zz&tag=&flag&x=1;y=2&tag=c&q=caf%C3%A9&pct=%", nil))
	if perr == nil {
		t.Fatal("GET.Err() = nil for a query with a bad escape and a semicolon")
	}
	if got := all["tag"]; len(got) != 3 || got[0] != "a" || got[1] != "" || got[2] != "c" {
		t.Fatalf("tag = %q, want [a  c] in order", got)
	}
	if !hasFlag || all.Get("q") != "café" {
		t.Fatalf("flag present=%v, q=%q: good pairs lost (%v)", hasFlag, all.Get("q"), all)
	}
	for _, k := range []string{"bad", "x", "y", "pct"} {
		if all.Has(k) {
			t.Fatalf("malformed pair %q was kept as %q", k, all[k])
		}
	}
}

// The same for a url-encoded POST body, and GET/POST stay apart: query
// values never appear in POST and body values never in GET.
func TestOutsideAttackMalformedFormBodyAndGETPOSTSeparation(t *testing.T) {
	app := itty.New()
	var post, get url.Values
	var perr, gerr error
	app.Post("/f", func(req *itty.Request) *itty.Response {
		post, perr = req.POST.All(), req.POST.Err()
		get, gerr = req.GET.All(), req.GET.Err()
		return app.Render(req, "ok")
	})
	r := httptest.NewRequest("POST", "/f?role=user", strings.NewReader("role=admin&name=ada&bad=%g0&name=lovelace&k;v"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	oaServeOnce(app, r)
	if perr == nil {
		t.Fatal("POST.Err() = nil for a body with a bad escape and a semicolon")
	}
	if gerr != nil {
		t.Fatalf("GET.Err() = %v for a clean query", gerr)
	}
	if got := post["name"]; len(got) != 2 || got[0] != "ada" || got[1] != "lovelace" {
		t.Fatalf("POST name = %q", got)
	}
	if post.Get("role") != "admin" || len(post["role"]) != 1 {
		t.Fatalf("POST role = %q, want only the body's [admin]", post["role"])
	}
	if get.Get("role") != "user" || len(get["role"]) != 1 || get.Has("name") {
		t.Fatalf("GET = %v, want only the query's role=user", get)
	}
}

func oaMultipartBody(t *testing.T, fields ...string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// A well-formed multipart form posted to a URL whose query string is
// malformed. POST.Err is about the form; the query's problem is GET's.
func TestOutsideAttackMultipartErrBlamesQueryString(t *testing.T) {
	app := itty.New()
	var perr, gerr, ferr error
	var name string
	app.Post("/up", func(req *itty.Request) *itty.Response {
		perr, gerr, name = req.POST.Err(), req.GET.Err(), req.POST.Get("name")
		_, ferr = req.File("doc")
		return app.Render(req, "ok")
	})
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("name", "ada")
	fw, _ := mw.CreateFormFile("doc", "cv.pdf")
	fw.Write([]byte("%PDF-1.7"))
	mw.Close()
	for _, query := range []string{"?utm=%zz", "?a=1;b=2"} {
		r := httptest.NewRequest("POST", "/up"+query, bytes.NewReader(mp.Bytes()))
		r.Header.Set("Content-Type", mw.FormDataContentType())
		oaServeOnce(app, r)
		if gerr == nil {
			t.Fatalf("%s: GET.Err() = nil for a malformed query", query)
		}
		if ferr != nil {
			t.Errorf("%s: File(doc) = %v for an upload that is there", query, ferr)
		}
		if name != "ada" {
			t.Errorf("%s: POST name = %q, want ada (POST.Err() = %v)", query, name, perr)
		}
		if perr != nil {
			t.Errorf("%s: POST.Err() = %v for a well-formed multipart body; the fault is in the query string", query, perr)
		}
	}

	// The url-encoded twin of the same request, for comparison.
	r := httptest.NewRequest("POST", "/up?utm=%zz", strings.NewReader("name=ada"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	oaServeOnce(app, r)
	if perr != nil || name != "ada" {
		t.Fatalf("url-encoded twin: POST.Err() = %v, name %q", perr, name)
	}
}

// A form body whose Content-Type has a malformed parameter. The body is
// there; the handler must either get its values or an error, never an
// empty form that looks like "nothing was sent".
func TestOutsideAttackMalformedContentTypeParamDropsForm(t *testing.T) {
	app := itty.New()
	var perr error
	var all url.Values
	app.Post("/f", func(req *itty.Request) *itty.Response {
		all, perr = req.POST.All(), req.POST.Err()
		return app.Render(req, "ok")
	})
	for _, ct := range []string{
		"application/x-www-form-urlencoded; charset",
		"application/x-www-form-urlencoded; =utf-8",
		"application/x-www-form-urlencoded;;",
	} {
		r := httptest.NewRequest("POST", "/f", strings.NewReader("amount=100&to=bob"))
		r.Header.Set("Content-Type", ct)
		oaServeOnce(app, r)
		if all.Get("amount") != "100" && perr == nil {
			t.Fatalf("Content-Type %q: POST = %v and Err() = nil: the body was dropped silently", ct, all)
		}
	}
}

// Truncated and boundary-less multipart bodies: a clear error, not an
// empty form that reads as "no fields sent".
func TestOutsideAttackBrokenMultipartIsClearError(t *testing.T) {
	app := itty.New()
	var perr, ferr error
	app.Post("/up", func(req *itty.Request) *itty.Response {
		perr = req.POST.Err()
		_, ferr = req.File("doc")
		return app.Render(req, "ok")
	})
	ct, body := oaMultipartBody(t, "a", "1", "b", "2")
	var fields []string
	for i := range 1001 {
		fields = append(fields, "f"+strconv.Itoa(i), "v")
	}
	manyCT, manyBody := oaMultipartBody(t, fields...)
	cases := map[string]struct{ ct, body string }{
		"truncated":      {ct, string(body[:len(body)-10])},
		"no boundary":    {"multipart/form-data", string(body)},
		"wrong boundary": {"multipart/form-data; boundary=nope", string(body)},
		"1,001 parts":    {manyCT, string(manyBody)},
	}
	for name, c := range cases {
		perr, ferr = nil, nil
		r := httptest.NewRequest("POST", "/up", strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ct)
		oaServeOnce(app, r)
		if perr == nil {
			t.Errorf("%s: POST.Err() = nil", name)
		}
		if ferr == nil || errors.Is(ferr, http.ErrMissingFile) {
			t.Errorf("%s: File() = %v, want the parse error", name, ferr)
		}
	}
}

// A query flood past Go's 10,000-pair limit: not parsed, and Err says so;
// at the limit everything is kept.
func TestOutsideAttackQueryFlood(t *testing.T) {
	app := itty.New()
	var n int
	var perr error
	app.Get("/s", func(req *itty.Request) *itty.Response {
		n, perr = len(req.GET.GetList("k")), req.GET.Err()
		return app.Render(req, "ok")
	})
	q := strings.Repeat("k=v&", 9999) + "k=v"
	oaServeOnce(app, httptest.NewRequest("GET", "/s?"+q, nil))
	if n != 10000 || perr != nil {
		t.Fatalf("10,000 pairs: %d kept, Err() = %v", n, perr)
	}
	oaServeOnce(app, httptest.NewRequest("GET", "/s?"+q+"&k=v", nil))
	if perr == nil {
		t.Fatalf("10,001 pairs: Err() = nil (%d values)", n)
	}
}

// JSON: "anything else is ErrNotJSON". A Content-Type that is text/plain
// (what a cross-site no-cors fetch may send) with a malformed parameter
// must not pass for a missing one.
func TestOutsideAttackJSONWithMalformedContentType(t *testing.T) {
	app := itty.New()
	var jerr error
	app.Post("/api", func(req *itty.Request) *itty.Response {
		var v map[string]any
		jerr = req.JSON(&v)
		return app.Render(req, "ok")
	})
	for _, ct := range []string{"text/plain", "text/plain; charset", "text/plain;=x", "application/x-www-form-urlencoded; ="} {
		r := httptest.NewRequest("POST", "/api", strings.NewReader(`{"admin":true}`))
		r.Header.Set("Content-Type", ct)
		oaServeOnce(app, r)
		if !errors.Is(jerr, itty.ErrNotJSON) {
			t.Fatalf("Content-Type %q: JSON() = %v, want ErrNotJSON", ct, jerr)
		}
	}
}

// --- Reading cookies -------------------------------------------------------

// A hostile Cookie header: pairs without '=', invalid names, empty
// segments, quotes, bad escapes, raw UTF-8. Bad pairs are skipped, every
// good one is kept, and the request does not fail.
func TestOutsideAttackMalformedCookieHeaderKeepsGoodPairs(t *testing.T) {
	app := itty.New()
	var all map[string]string
	var n int
	app.Get("/", func(req *itty.Request) *itty.Response {
		all, n = req.COOKIES.All(), req.COOKIES.Len()
		return app.Render(req, "ok")
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", `a=1; junk; b c=2;;; =3; d=x=y==; e="quoted"; f=100%; g=caf%C3%A9; h=café; `+
		`i="; j=%zz%41; k=sp ace; l=`+"\t padded \t"+`; m=,comma; é=9; n=last`)
	w := oaServeOnce(app, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	want := map[string]string{
		"a": "1", "d": "x=y==", "e": "quoted", "f": "100%", "g": "café", "h": "café",
		"i": `"`, "j": "%zz%41", "k": "sp ace", "l": "padded", "m": ",comma", "n": "last",
	}
	for k, v := range want {
		if got, ok := all[k]; !ok || got != v {
			t.Errorf("cookie %q = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for _, bad := range []string{"junk", "b c", "", "é"} {
		if _, ok := all[bad]; ok {
			t.Errorf("invalid pair %q was kept", bad)
		}
	}
	if n != len(want) {
		t.Errorf("Len() = %d, want %d (%v)", n, len(want), all)
	}
}

// Several Cookie header lines over real HTTP/1.1 with repeated names:
// every line is read, Get is the first sent, GetList all of them in order.
func TestOutsideAttackManyCookieHeadersWithDuplicates(t *testing.T) {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprintf("%s|%q|%d", req.COOKIES.Get("sid"), req.COOKIES.GetList("sid"), req.COOKIES.Len()))
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	var raw strings.Builder
	raw.WriteString("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n")
	raw.WriteString("Cookie: sid=first; a=1\r\n")
	for i := range 50 {
		fmt.Fprintf(&raw, "Cookie: c%d=%d; sid=dup%d\r\n", i, i, i)
	}
	raw.WriteString("\r\n")
	out := oaRawExchange(t, srv.Listener.Addr().String(), raw.String())
	_, body, _ := strings.Cut(out, "\r\n\r\n")
	parts := strings.SplitN(body, "|", 3)
	if len(parts) != 3 {
		t.Fatalf("answer %q", out)
	}
	if parts[0] != "first" {
		t.Fatalf("Get(sid) = %q, want the first one sent", parts[0])
	}
	if !strings.HasPrefix(parts[1], `["first" "dup0" "dup1"`) || !strings.HasSuffix(parts[1], `"dup49"]`) {
		t.Fatalf("GetList(sid) = %s", parts[1])
	}
	if parts[2] != strconv.Itoa(2+50*2) {
		t.Fatalf("Len() = %s, want %d", parts[2], 2+50*2)
	}
}

// Huge Cookie headers against NewServer: 431 past its 64 KiB header limit;
// under it, thousands of cookies are all read.
func TestOutsideAttackHugeCookieHeaders(t *testing.T) {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, strconv.Itoa(req.COOKIES.Len())+" "+req.COOKIES.Get("c2999"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := app.NewServer(ln.Addr().String())
	go srv.Serve(ln)
	defer srv.Close()

	var ck strings.Builder
	for i := range 3000 {
		if i > 0 {
			ck.WriteString("; ")
		}
		fmt.Fprintf(&ck, "c%d=%d", i, i)
	}
	out := oaRawExchange(t, ln.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: "+ck.String()+"\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 ") || !strings.HasSuffix(out, "3000 2999") {
		t.Fatalf("3,000 cookies (%d bytes): %q", ck.Len(), out[:min(len(out), 200)])
	}
	out = oaRawExchange(t, ln.Addr().String(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: big="+strings.Repeat("A", 200<<10)+"\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 431 ") {
		t.Fatalf("200 KiB Cookie header: %q, want 431", out[:min(len(out), 200)])
	}
}

// --- Setting cookies -------------------------------------------------------

// Attacker-steered cookie names, paths and domains carrying CR/LF or ';':
// SetCookie errors, the response is a 500, and no Set-Cookie line (nor an
// injected header) goes out. Values are encoded instead and round-trip.
func TestOutsideAttackSetCookieHeaderInjection(t *testing.T) {
	app := itty.New()
	var setErr error
	app.Get("/set", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "welcome")
		resp.SetCookie("ok", "fine")
		o := itty.CookieOptions{Path: req.GET.Get("path"), Domain: req.GET.Get("domain")}
		setErr = resp.SetCookie(req.GET.Get("name"), req.GET.Get("value"), o)
		return resp
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	evil := "x\r\nX-Injected: 1\r\nSet-Cookie: admin=1"
	for _, c := range []struct {
		q    url.Values
		rule error
	}{
		{url.Values{"name": {evil}, "value": {"v"}}, itty.ErrCookieName},
		{url.Values{"name": {"n;admin=1"}, "value": {"v"}}, itty.ErrCookieName},
		{url.Values{"name": {"n"}, "value": {"v"}, "path": {"/" + evil}}, itty.ErrCookiePath},
		{url.Values{"name": {"n"}, "value": {"v"}, "path": {"/; Domain=evil.example"}}, itty.ErrCookiePath},
		{url.Values{"name": {"n"}, "value": {"v"}, "domain": {"example.com; Secure"}}, itty.ErrCookieDomain},
		{url.Values{"name": {"n"}, "value": {"v"}, "domain": {"example.com\r\nX-Injected: 1"}}, itty.ErrCookieDomain},
		{url.Values{"name": {"n"}, "value": {"v"}, "domain": {"evil.example:443"}}, itty.ErrCookieDomain},
		{url.Values{"name": {"__hOsT-n"}, "value": {"v"}}, itty.ErrHostPrefix},
	} {
		setErr = nil
		resp, err := http.Get(srv.URL + "/set?" + c.q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var ce *itty.CookieError
		if !errors.Is(setErr, c.rule) || !errors.As(setErr, &ce) {
			t.Errorf("%v: SetCookie = %v, want a *CookieError wrapping %v", c.q, setErr, c.rule)
		}
		if resp.StatusCode != 500 || len(resp.Header["Set-Cookie"]) != 0 || resp.Header.Get("X-Injected") != "" {
			t.Errorf("%v: status %d, Set-Cookie %q, X-Injected %q; want a bare 500", c.q, resp.StatusCode, resp.Header["Set-Cookie"], resp.Header.Get("X-Injected"))
		}
	}

	// A hostile value is encoded into one line and reads back unchanged.
	value := evil + "; Domain=evil.example; \"q\" \\ 100% café \x00\x7f"
	resp, err := http.Get(srv.URL + "/set?" + url.Values{"name": {"v"}, "value": {value}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	lines := resp.Header["Set-Cookie"]
	if resp.StatusCode != 200 || len(lines) != 2 || resp.Header.Get("X-Injected") != "" {
		t.Fatalf("status %d, Set-Cookie %q", resp.StatusCode, lines)
	}
	enc := strings.TrimPrefix(strings.SplitN(lines[1], ";", 2)[0], "v=")
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "v="+enc)
	var back string
	app.Get("/", func(req *itty.Request) *itty.Response {
		back = req.COOKIES.Get("v")
		return app.Render(req, "")
	})
	oaServeOnce(app, r)
	if back != value {
		t.Fatalf("value did not round-trip:\n sent %q\n line %q\n read %q", value, lines[1], back)
	}
}

// The size limit counts the encoded value: 1,500 spaces are 4,500 bytes
// on the wire, and a browser would drop the cookie.
func TestOutsideAttackEncodedValueSizeLimit(t *testing.T) {
	resp := &itty.Response{}
	if err := resp.SetCookie("c", strings.Repeat(" ", 1500)); !errors.Is(err, itty.ErrCookieTooLarge) {
		t.Fatalf("1,500 spaces: %v, want ErrCookieTooLarge", err)
	}
	resp = &itty.Response{}
	if err := resp.SetCookie("c", strings.Repeat("a", itty.MaxCookieSize-1)); err != nil {
		t.Fatalf("name+value of exactly %d bytes: %v", itty.MaxCookieSize, err)
	}
	if err := resp.SetCookie("c", strings.Repeat("a", itty.MaxCookieSize)); !errors.Is(err, itty.ErrCookieTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
}

// An Expires a browser cannot parse (RFC 6265 refuses years before 1601)
// is ignored by the browser, which then keeps the cookie as a session
// cookie: the cookie is not the one the app set. itty must refuse it.
func TestOutsideAttackSetCookieUnparseableExpires(t *testing.T) {
	for _, when := range []time.Time{
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC),
	} {
		resp := &itty.Response{}
		err := resp.SetCookie("c", "v", itty.CookieOptions{Expires: when})
		if err != nil {
			continue // refused: held
		}
		line := resp.CookieLines()[0]
		_, exp, _ := strings.Cut(line, "Expires=")
		exp, _, _ = strings.Cut(exp, ";")
		pt, perr := http.ParseTime(exp)
		if perr != nil || pt.Year() < 1601 {
			t.Fatalf("Expires %v accepted and sent as %q, which a browser ignores", when, line)
		}
	}
}

// A SameSite value outside the defined constants: sent as nothing at all,
// silently, rather than refused.
func TestOutsideAttackSetCookieUnknownSameSite(t *testing.T) {
	resp := &itty.Response{}
	err := resp.SetCookie("c", "v", itty.CookieOptions{SameSite: itty.SameSite(7), Secure: true})
	if err == nil && !strings.Contains(resp.CookieLines()[0], "SameSite") {
		t.Fatalf("SameSite(7) silently dropped: %q", resp.CookieLines()[0])
	}
}

// --- Signed cookies --------------------------------------------------------

// oaSignedValue returns the encoded value SetSignedCookie writes for name.
func oaSignedValue(t *testing.T, app *itty.App, name string, v any, opts ...itty.CookieOptions) string {
	t.Helper()
	resp := &itty.Response{}
	if err := app.SetSignedCookie(resp, name, v, opts...); err != nil {
		t.Fatal(err)
	}
	line := resp.CookieLines()[0]
	val, _, _ := strings.Cut(strings.TrimPrefix(line, name+"="), ";")
	return val
}

// oaReadSigned runs a request carrying cookieHeader through app and reports
// what SignedCookie(name) decoded into a fresh T, and the status.
func oaReadSigned[T any](t *testing.T, app *itty.App, cookieHeader, name string) (T, bool, int) {
	t.Helper()
	var dst T
	var ok bool
	h := itty.HandlerFunc(func(req *itty.Request) *itty.Response {
		ok = app.SignedCookie(req, name, &dst)
		return app.Render(req, "ok")
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", cookieHeader)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return dst, ok, w.Code
}

func oaKeyedApp(t *testing.T, keys ...itty.CookieKey) *itty.App {
	t.Helper()
	app := itty.New()
	if err := app.SetCookieKeys(keys...); err != nil {
		t.Fatal(err)
	}
	return app
}

// Every single-character change of a signed cookie (each position, every
// base64url character, plus '=' and dropping the character) reads as
// absent, and the request still succeeds.
func TestOutsideAttackSignedCookieEveryOneCharTamper(t *testing.T) {
	for _, key := range []itty.CookieKey{
		{Hash: bytes.Repeat([]byte{1}, 32)}, // signed only
		itty.NewCookieKey(),                 // signed and encrypted
	} {
		app := oaKeyedApp(t, key)
		val := oaSignedValue(t, app, "role", "user")
		if got, ok, _ := oaReadSigned[string](t, app, "role="+val, "role"); !ok || got != "user" {
			t.Fatalf("untampered cookie: %q %v", got, ok)
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
		accepted := 0
		for i := range len(val) {
			variants := []string{val[:i] + val[i+1:]}
			for _, c := range []byte(alphabet) {
				if c != val[i] {
					variants = append(variants, val[:i]+string(c)+val[i+1:])
				}
			}
			for _, v := range variants {
				got, ok, code := oaReadSigned[string](t, app, "role="+v, "role")
				if code != 200 {
					t.Fatalf("tampered cookie failed the request: %d", code)
				}
				if ok {
					accepted++
					t.Errorf("tampered %q accepted as %q", v, got)
				}
			}
		}
		if accepted > 0 {
			t.Fatalf("%d tampered variants accepted", accepted)
		}
		// Truncation and extension.
		for _, v := range []string{val[:len(val)-4], val + "AAAA", val + "====", ""} {
			if _, ok, _ := oaReadSigned[string](t, app, "role="+v, "role"); ok {
				t.Fatalf("%q accepted", v)
			}
		}
	}
}

// A value signed for one name, replayed under another name; a cookie
// signed with a key the app does not hold; rotation keeps old keys valid;
// a forged cookie sent first does not hide the genuine one after it.
func TestOutsideAttackSignedCookieSwapForeignKeyAndOrder(t *testing.T) {
	oldKey, newKey, foreign := itty.NewCookieKey(), itty.NewCookieKey(), itty.NewCookieKey()
	app := oaKeyedApp(t, newKey, oldKey)
	visits := oaSignedValue(t, app, "visits", "1")
	if _, ok, _ := oaReadSigned[string](t, app, "admin="+visits, "admin"); ok {
		t.Fatal("a value signed as 'visits' was accepted as 'admin'")
	}
	if _, ok, _ := oaReadSigned[string](t, app, "Visits="+visits, "Visits"); ok {
		t.Fatal("a value signed as 'visits' was accepted as 'Visits'")
	}
	other := oaKeyedApp(t, foreign)
	if _, ok, _ := oaReadSigned[string](t, app, "visits="+oaSignedValue(t, other, "visits", "999"), "visits"); ok {
		t.Fatal("a cookie signed with a foreign key was accepted")
	}
	old := oaKeyedApp(t, oldKey)
	if got, ok, _ := oaReadSigned[string](t, app, "visits="+oaSignedValue(t, old, "visits", "7"), "visits"); !ok || got != "7" {
		t.Fatalf("rotation: old-key cookie = %q %v, want 7 true", got, ok)
	}
	// forged first, genuine second
	got, ok, _ := oaReadSigned[string](t, app, "visits=forged; visits="+visits[:len(visits)-4]+"AAAA; visits="+visits, "visits")
	if !ok || got != "1" {
		t.Fatalf("genuine cookie after forged ones: %q %v", got, ok)
	}
	// An encrypted cookie does not show its value.
	secret := oaSignedValue(t, app, "note", "the-launch-code-is-0000")
	for _, s := range []string{secret} {
		dec, _ := io.ReadAll(oaBase64URLDecoder(s))
		if bytes.Contains(dec, []byte("launch-code")) || strings.Contains(s, "launch") {
			t.Fatal("encrypted cookie shows its plaintext")
		}
	}
}

// A signed cookie replayed after its expiry, with a client that kept it
// in its jar past Max-Age: refused. Before expiry it is accepted. The fake
// clock of testing/synctest stands for the passing time.
func TestOutsideAttackSignedCookieReplayAfterExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		app := oaKeyedApp(t, itty.NewCookieKey())
		short := oaSignedValue(t, app, "tok", "v", itty.CookieOptions{MaxAge: 10 * time.Second})
		at := oaSignedValue(t, app, "tok", "v", itty.CookieOptions{Expires: time.Now().Add(time.Minute)})
		dflt := oaSignedValue(t, app, "tok", "v")
		gone := oaSignedValue(t, app, "tok", "v", itty.CookieOptions{MaxAge: -1})
		if _, ok, _ := oaReadSigned[string](t, app, "tok="+gone, "tok"); ok {
			t.Fatal("a cookie signed with a negative MaxAge (a deletion) was accepted")
		}
		for _, v := range []string{short, at, dflt} {
			if _, ok, _ := oaReadSigned[string](t, app, "tok="+v, "tok"); !ok {
				t.Fatal("fresh cookie refused")
			}
		}
		time.Sleep(11 * time.Second)
		if _, ok, _ := oaReadSigned[string](t, app, "tok="+short, "tok"); ok {
			t.Fatal("MaxAge 10s cookie accepted after 11s")
		}
		time.Sleep(time.Minute)
		if _, ok, _ := oaReadSigned[string](t, app, "tok="+at, "tok"); ok {
			t.Fatal("cookie accepted past its Expires")
		}
		if _, ok, _ := oaReadSigned[string](t, app, "tok="+dflt, "tok"); !ok {
			t.Fatal("default-lifetime cookie refused after 71s")
		}
		time.Sleep(itty.DefaultSignedMaxAge)
		if _, ok, _ := oaReadSigned[string](t, app, "tok="+dflt, "tok"); ok {
			t.Fatal("default-lifetime cookie accepted past DefaultSignedMaxAge")
		}
	})
}

// Two validly signed cookies of one name: an old one whose JSON no longer
// fits the type (it fails to decode, so it is "invalid") and a current one.
// SignedCookie picks the current one, but the invalid one's fields must
// not leak into the result.
func TestOutsideAttackSignedCookieInvalidJSONLeaksIntoResult(t *testing.T) {
	app := oaKeyedApp(t, itty.NewCookieKey())
	type prefsV1 struct {
		Admin bool   `json:"admin"`
		N     string `json:"n"`
	}
	type prefs struct {
		Admin bool `json:"admin"`
		N     int  `json:"n"`
	}
	oldV := oaSignedValue(t, app, "prefs", prefsV1{Admin: true, N: "x"})
	cur := oaSignedValue(t, app, "prefs", map[string]int{"n": 5})

	p, ok, _ := oaReadSigned[prefs](t, app, "prefs="+oldV, "prefs")
	if ok {
		t.Fatalf("a cookie that does not decode into the type was accepted: %+v", p)
	}
	if p != (prefs{}) {
		t.Errorf("SignedCookie false, but dst = %+v: the invalid cookie was half decoded into it", p)
	}
	p, ok, _ = oaReadSigned[prefs](t, app, "prefs="+oldV+"; prefs="+cur, "prefs")
	if !ok || p != (prefs{N: 5}) {
		t.Errorf("with the invalid cookie first, the valid {n:5} read as %+v (ok %v)", p, ok)
	}
}

// --- The pooled Request ----------------------------------------------------

type oaKey struct{}

// Many goroutines, each request carrying its own id in the path, query,
// cookie, form body and raw body; even ids leave state behind (a value,
// a hook, a cookie and a header on the pooled response, a parsed form),
// some panic halfway. No request may see anything of another.
func TestOutsideAttackPooledRequestLeaksUnderConcurrency(t *testing.T) {
	app := itty.New()
	var leaks atomic.Int64
	var firstLeak atomic.Value
	leak := func(format string, args ...any) {
		leaks.Add(1)
		firstLeak.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	check := func(req *itty.Request) string {
		id := req.Params.Get("id")
		if v := req.Value(oaKey{}); v != nil {
			leak("request %s starts with value %v", id, v)
		}
		if g := req.GET.Get("id"); g != id {
			leak("request %s: GET id %q", id, g)
		}
		if l := req.GET.GetList("id"); len(l) != 1 {
			leak("request %s: GET ids %q", id, l)
		}
		if c := req.COOKIES.GetList("id"); len(c) != 1 || c[0] != id {
			leak("request %s: cookies %q", id, c)
		}
		if req.Method == "POST" {
			if p := req.POST.GetList("id"); len(p) != 1 || p[0] != id {
				leak("request %s: POST ids %q", id, p)
			}
		} else {
			if b, _ := io.ReadAll(req.Body); len(b) != 0 {
				leak("GET %s has a body %q", id, b)
			}
			if len(req.POST.All()) != 0 {
				leak("GET %s has form values %v", id, req.POST.All())
			}
		}
		return id
	}
	app.Get("/r/<int:id>/", func(req *itty.Request) *itty.Response {
		id := check(req)
		resp := app.Render(req, id)
		if n, _ := strconv.Atoi(id); n%2 == 0 {
			req.SetValue(oaKey{}, id)
			req.OnResponse(func(req *itty.Request, resp *itty.Response) error {
				resp.SetHeader("X-Hook", id)
				return nil
			})
			resp.SetCookie("echo", id)
			resp.SetHeader("X-Id", id)
			if n%10 == 0 {
				panic("boom " + id)
			}
		}
		return resp
	})
	app.Post("/r/<int:id>/", func(req *itty.Request) *itty.Response {
		id := check(req)
		if n, _ := strconv.Atoi(id); n%2 == 0 {
			req.SetValue(oaKey{}, id)
		}
		return app.Render(req, id)
	})
	app.NotFound = func(req *itty.Request) *itty.Response {
		if v := req.Value(oaKey{}); v != nil || req.Params.Len() != 0 || len(req.POST.All()) != 0 || len(req.GET.All()) != 0 {
			leak("404 page sees value %v, params %d, POST %v, GET %v", v, req.Params.Len(), req.POST.All(), req.GET.All())
		}
		return app.Error404(req, "nope")
	}

	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := g*1000 + i
				id := strconv.Itoa(n)
				var r *http.Request
				switch n % 3 {
				case 0:
					r = httptest.NewRequest("GET", "/r/"+id+"/?id="+id, nil)
				case 1:
					r = httptest.NewRequest("POST", "/r/"+id+"/?id="+id, strings.NewReader("id="+id))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				case 2:
					r = httptest.NewRequest("GET", "/missing", nil)
				}
				r.Header.Set("Cookie", "id="+id)
				w := httptest.NewRecorder()
				app.ServeHTTP(w, r)
				if n%3 == 2 {
					if w.Code != 404 {
						leak("404 page: %d", w.Code)
					}
					continue
				}
				if n%2 == 0 && n%10 == 0 && n%3 == 0 {
					if w.Code != 500 || len(w.Result().Cookies()) != 0 || w.Header().Get("X-Id") != "" {
						leak("panicking %s: %d, cookies %v, X-Id %q", id, w.Code, w.Result().Cookies(), w.Header().Get("X-Id"))
					}
					continue
				}
				if w.Code != 200 || w.Body.String() != id {
					leak("request %s answered %d %q", id, w.Code, w.Body.String())
				}
				cks := w.Result().Cookies()
				hook, xid := w.Header().Get("X-Hook"), w.Header().Get("X-Id")
				if n%2 == 0 && n%3 == 0 {
					if len(cks) != 1 || cks[0].Value != id || hook != id || xid != id {
						leak("request %s: cookies %v, X-Hook %q, X-Id %q", id, cks, hook, xid)
					}
				} else if len(cks) != 0 || hook != "" || xid != "" {
					leak("request %s got another's state: cookies %v, X-Hook %q, X-Id %q", id, cks, hook, xid)
				}
			}
		}()
	}
	wg.Wait()
	if n := leaks.Load(); n > 0 {
		t.Fatalf("%d leaks; first: %v", n, firstLeak.Load())
	}
}

// Signed cookies that cannot be made fail the response loudly (no keys, a
// bad name, too large); a huge or garbage signed cookie on the way in is
// merely absent.
func TestOutsideAttackSignedCookieFailuresAreLoud(t *testing.T) {
	nokeys := itty.New()
	nokeys.Get("/", func(req *itty.Request) *itty.Response {
		resp := nokeys.Render(req, "ok")
		if err := nokeys.SetSignedCookie(resp, "v", "1"); !errors.Is(err, itty.ErrNoCookieKeys) {
			t.Errorf("no keys: %v", err)
		}
		return resp
	})
	if w := oaServeOnce(nokeys, httptest.NewRequest("GET", "/", nil)); w.Code != 500 || len(w.Header()["Set-Cookie"]) != 0 {
		t.Fatalf("no keys: %d %q, want a 500 without cookies", w.Code, w.Header()["Set-Cookie"])
	}
	app := oaKeyedApp(t, itty.NewCookieKey())
	for name, c := range map[string]struct {
		cookie string
		v      any
		rule   error
	}{
		"bad name":  {"a b", "1", itty.ErrCookieName},
		"too large": {"big", strings.Repeat("x", 4000), itty.ErrCookieTooLarge},
	} {
		resp := &itty.Response{}
		err := app.SetSignedCookie(resp, c.cookie, c.v)
		if !errors.Is(err, c.rule) || resp.Err() == nil || len(resp.CookieLines()) != 0 {
			t.Errorf("%s: err %v, resp.Err %v, lines %q", name, err, resp.Err(), resp.CookieLines())
		}
	}
	for _, hdr := range []string{"v=" + strings.Repeat("A", 6000), "v=%%%", `v="`, "v=====", "v"} {
		if _, ok, code := oaReadSigned[string](t, app, hdr, "v"); ok || code != 200 {
			t.Fatalf("Cookie %.40q: ok %v, status %d", hdr, ok, code)
		}
	}
}

func oaBase64URLDecoder(s string) io.Reader {
	return base64.NewDecoder(base64.URLEncoding, strings.NewReader(s))
}
