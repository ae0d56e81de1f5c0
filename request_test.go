package itty

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

func TestMultipartFile(t *testing.T) {
	app := New()
	app.Post("/upload", func(req *Request) *Response {
		fh, err := req.File("doc")
		if err != nil {
			return NewResponse(err.Error(), 400)
		}
		f, _ := fh.Open()
		defer f.Close()
		b, _ := io.ReadAll(f)
		return NewResponse(fmt.Sprintf("%s %s %d %x", req.POST.Get("title"), fh.Filename, len(b), b[:4]), 200)
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("title", "report")
	fw, _ := mw.CreateFormFile("doc", "r.bin")
	fw.Write([]byte{0x89, 'P', 'N', 'G', 0, 1, 2})
	mw.Close()
	c := ittytest.NewClient(t, app)
	if got := c.Post("/upload", mw.FormDataContentType(), &body).Body; got != "report r.bin 7 89504e47" {
		t.Fatalf("got %q", got)
	}
	if r := c.PostForm("/upload", url.Values{"title": {"x"}}); r.StatusCode != 400 || r.Body != http.ErrMissingFile.Error() {
		t.Fatalf("missing file: %d %q", r.StatusCode, r.Body)
	}
}

func TestJSONBody(t *testing.T) {
	app := New()
	app.MaxBodyBytes = 100
	app.Post("/", func(req *Request) *Response {
		var v struct{ Name string }
		if err := req.JSON(&v); err != nil {
			var tooBig *http.MaxBytesError
			return NewResponse(fmt.Sprintf("error notjson=%v toobig=%v: %v", errors.Is(err, ErrNotJSON), errors.As(err, &tooBig), err), 400)
		}
		return NewResponse("name="+v.Name, 200)
	})
	c := ittytest.NewClient(t, app)
	tests := []struct {
		ctype, body string
		status      int
		want        string
	}{
		{"application/json", `{"Name":"Ada"}`, 200, "name=Ada"},
		{"application/json; charset=utf-8", `{"Name":"Ada"}`, 200, "name=Ada"},
		{"application/problem+json", `{"Name":"Ada"}`, 200, "name=Ada"},
		{"", `{"Name":"Ada"}`, 200, "name=Ada"},
		{"text/plain", `{"Name":"Ada"}`, 400, "error notjson=true"},
		{"application/json", `{"Name":`, 400, "error notjson=false toobig=false: itty: invalid JSON body"},
		{"application/json", ``, 400, "error notjson=false toobig=false: itty: invalid JSON body: empty"},
		{"application/json", `{"Name":"a"} {}`, 400, "data after the JSON value"},
		{"application/json", `{"Name":"` + strings.Repeat("a", 200) + `"}`, 413, "413 Request Entity Too Large"},
	}
	for _, tt := range tests {
		req := c.NewRequest("POST", "/", strings.NewReader(tt.body))
		if tt.ctype != "" {
			req.Header.Set("Content-Type", tt.ctype)
		}
		req.ContentLength = -1 // chunked: the limit must hold while reading, too
		r := c.Do(req)
		if r.StatusCode != tt.status || !strings.Contains(r.Body, tt.want) {
			t.Errorf("%s %q: got %d %q, want %d containing %q", tt.ctype, tt.body, r.StatusCode, r.Body, tt.status, tt.want)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	for _, tt := range []struct {
		limit  int64
		size   int
		status int
	}{
		{10, 10, 200}, {10, 11, 413}, {-1, 1 << 20, 200}, {0, DefaultMaxBodyBytes + 1, 413},
	} {
		app := New()
		app.MaxBodyBytes = tt.limit
		app.Post("/", func(req *Request) *Response {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return NewResponse("read error", 400)
			}
			return NewResponse(fmt.Sprint(len(b)), 200)
		})
		c := ittytest.NewClient(t, app)
		for _, chunked := range []bool{false, true} {
			req := c.NewRequest("POST", "/", bytes.NewReader(make([]byte, tt.size)))
			if chunked {
				req.ContentLength = -1
			}
			if r := c.Do(req); r.StatusCode != tt.status {
				t.Errorf("limit %d size %d chunked %v: %d, want %d", tt.limit, tt.size, chunked, r.StatusCode, tt.status)
			}
		}
	}
}

func TestRequestFields(t *testing.T) {
	app := New()
	app.Put("/p/<slug:s>", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("%s %s %s %s %v %s %v", req.Method, req.Path, req.Headers.Get("X-A"),
			req.ContentType(), req.IsSecure(), req.Params.Name(0), req.Context() != nil), 200)
	})
	c := ittytest.NewClient(t, app)
	req := c.NewRequest("PUT", "/p/x-1", nil)
	req.Header.Set("X-A", "1")
	req.Header.Set("Content-Type", "Text/Plain; charset=utf-8")
	if got := c.Do(req).Body; got != "PUT /p/x-1 1 text/plain false s true" {
		t.Fatalf("got %q", got)
	}
	c.BaseURL = "https://example.com"
	if got := c.Do(c.NewRequest("PUT", "/p/x", nil)).Body; !strings.Contains(got, " true s ") {
		t.Fatalf("https request not secure: %q", got)
	}
}

// TestPooledRequestStartsClean: a Request goes back to the pool after each
// response, so whatever one request filled in (query, form, cookies,
// values, body) must be gone when the next one arrives on the same App.
func TestPooledRequestStartsClean(t *testing.T) {
	type key struct{}
	app := New()
	app.DisableCrossOriginProtection = true
	app.Post("/fill", func(req *Request) *Response {
		req.GET.Get("q")
		req.POST.Get("f")
		req.COOKIES.Get("c")
		req.SetValue(key{}, "v")
		return app.Render(req, "filled")
	})
	app.Get("/look", func(req *Request) *Response {
		b, _ := io.ReadAll(req.Body)
		return app.Render(req, fmt.Sprintf("q=%q f=%q c=%q v=%v body=%q",
			req.GET.Get("q"), req.POST.Get("f"), req.COOKIES.Get("c"), req.Value(key{}), b))
	})
	for range 3 {
		fill := httptest.NewRequest("POST", "/fill?q=1", strings.NewReader("f=2"))
		fill.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fill.Header.Set("Cookie", "c=3")
		app.ServeHTTP(httptest.NewRecorder(), fill)
		w := httptest.NewRecorder()
		app.ServeHTTP(w, httptest.NewRequest("GET", "/look", nil))
		if got, want := w.Body.String(), `q="" f="" c="" v=<nil> body=""`; got != want {
			t.Fatalf("next request saw %s, want %s", got, want)
		}
	}
}

// TestRequestOnResponse: a request's own hooks run after the App's, may
// add hooks of their own, fail the request as App hooks do, and are gone
// by the next request that reuses the pooled Request.
func TestRequestOnResponse(t *testing.T) {
	var order []string
	app := New()
	app.OnResponse(func(req *Request, resp *Response) error {
		order = append(order, "app")
		return nil
	})
	app.Get("/", func(req *Request) *Response {
		req.OnResponse(func(req *Request, resp *Response) error {
			order = append(order, "request")
			req.OnResponse(func(req *Request, resp *Response) error {
				order = append(order, "added by a hook")
				return nil
			})
			return resp.SetCookie("seen", "1", CookieOptions{})
		})
		if req.GET.Get("fail") != "" {
			req.OnResponse(func(req *Request, resp *Response) error { return errors.New("commit failed") })
		}
		return NewResponse("ok", 200)
	})
	app.Get("/plain", func(req *Request) *Response { return NewResponse("plain", 200) })
	app.Logger = slog.New(slog.DiscardHandler)

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(order, ", "); got != "app, request, added by a hook" || rec.Code != 200 {
		t.Fatalf("%d, hooks ran: %s", rec.Code, got)
	}
	order = nil
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/?fail=1", nil))
	if rec.Code != 500 || !strings.Contains(rec.Header().Get("Set-Cookie"), "seen=1") {
		t.Fatalf("a failing request hook: %d, Set-Cookie %q; want 500 keeping the hooks' cookie", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	order = nil
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/plain", nil))
	if got := strings.Join(order, ", "); got != "app" {
		t.Fatalf("the next request ran: %s; want only the App's hook", got)
	}
}

// TestRequestHooksDone: HooksDone is false wherever a hook registered then
// still runs (the handler, including one that builds an error page with
// Error500, and the hooks), and true where none will (the ServerError page
// of a failed request, the response's body); a hook registered there
// never runs.
func TestRequestHooksDone(t *testing.T) {
	type seen struct {
		handler, hook, serverError, body string // "" where it did not run
		lateHookRan                      bool
	}
	show := func(b bool) string { return fmt.Sprint(b) }
	cases := []struct {
		path string
		want seen
	}{
		{"/ok", seen{handler: "false", hook: "false", body: "true"}},
		{"/error500", seen{handler: "false", hook: "false", serverError: "false", lateHookRan: true}},
		{"/nil", seen{handler: "false", serverError: "true"}},
		{"/panic", seen{handler: "false", serverError: "true"}},
		{"/hookfails", seen{handler: "false", hook: "false", serverError: "true"}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			var got seen
			app := New()
			app.Logger = slog.New(slog.DiscardHandler)
			late := func(*Request, *Response) error { got.lateHookRan = true; return nil }
			app.OnResponse(func(req *Request, resp *Response) error {
				got.hook = show(req.HooksDone())
				if req.Path == "/hookfails" {
					return errors.New("hook failed")
				}
				return nil
			})
			app.ServerError = func(req *Request, err error) *Response {
				got.serverError = show(req.HooksDone())
				req.OnResponse(late)
				return NewResponse("sorry", 500)
			}
			handler := func(req *Request) *Response {
				got.handler = show(req.HooksDone())
				switch req.Path {
				case "/error500":
					// ServerError builds the page here, inside the
					// handler: the hooks are still to run.
					return app.Error500(req, errors.New("handled"))
				case "/nil":
					return nil
				case "/panic":
					panic("boom")
				}
				resp := NewResponse("", 200)
				resp.BodyReader = readFunc(func([]byte) (int, error) {
					got.body = show(req.HooksDone())
					req.OnResponse(late)
					return 0, io.EOF
				})
				return resp
			}
			for _, p := range []string{"/ok", "/error500", "/nil", "/panic", "/hookfails"} {
				app.Get(p, handler)
			}
			app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
			if got != tc.want {
				t.Errorf("HooksDone: got %+v, want %+v", got, tc.want)
			}
			// The pooled Request the next request gets starts over.
			got = seen{}
			app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil))
			if want := cases[0].want; got != want {
				t.Errorf("the next request after %s: got %+v, want %+v", tc.path, got, want)
			}
		})
	}
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
