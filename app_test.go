package itty

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

func newTestApp() *App {
	app := New()
	app.Get("/", func(req *Request) *Response { return app.Render(req, "Hello, world!") })
	app.Get("/greet/<str:name>/", func(req *Request) *Response {
		return app.Render(req, "Hello, "+req.Params.Get("name")+"!")
	})
	app.Post("/items/", func(req *Request) *Response { return NewResponse("created", 201) })
	app.Delete("/items/<int:id>", func(req *Request) *Response {
		return NewResponse(fmt.Sprint("deleted ", req.Params.Int("id")), 200)
	})
	app.Get("/panic", func(req *Request) *Response { panic("secret internals") })
	app.Get("/nil", func(req *Request) *Response { return nil })
	return app
}

func TestRouting(t *testing.T) {
	c := ittytest.NewClient(t, newTestApp())
	tests := []struct {
		method, path string
		status       int
		body         string
		header       string // "Name: value" expected in the response
	}{
		{"GET", "/", 200, "Hello, world!", "Content-Type: text/html; charset=utf-8"},
		{"HEAD", "/", 200, "", "Content-Type: text/html; charset=utf-8"},
		{"GET", "/greet/caf%C3%A9/", 200, "Hello, café!", ""},
		{"GET", "/greet/bob", 301, "", "Location: /greet/bob/"},
		{"GET", "/greet/bob?x=1", 301, "", "Location: /greet/bob/?x=1"},
		{"POST", "/items", 308, "", "Location: /items/"},
		{"GET", "//greet/bob/", 301, "", "Location: /greet/bob/"},
		{"GET", "/greet/../", 301, "", "Location: /"},
		{"DELETE", "/items/7", 200, "deleted 7", ""},
		{"DELETE", "/items/99999999999999999999", 404, "404 Not Found\n", ""},
		{"DELETE", "/items/x", 404, "404 Not Found\n", ""},
		{"GET", "/missing", 404, "404 Not Found\n", "Content-Type: text/plain; charset=utf-8"},
		{"PUT", "/", 405, "405 Method Not Allowed\n", "Allow: GET, HEAD, OPTIONS"},
		{"GET", "/items/", 405, "405 Method Not Allowed\n", "Allow: POST, OPTIONS"},
		{"OPTIONS", "/", 204, "", "Allow: GET, HEAD, OPTIONS"},
		{"OPTIONS", "/items/3", 204, "", "Allow: DELETE, OPTIONS"},
		{"BREW", "/", 405, "405 Method Not Allowed\n", "Allow: GET, HEAD, OPTIONS"},
		{"GET", "/panic", 500, "500 Internal Server Error\n", ""},
		{"GET", "/nil", 500, "500 Internal Server Error\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := c.Do(c.NewRequest(tt.method, tt.path, nil))
			if resp.StatusCode != tt.status || resp.Body != tt.body {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := resp.Headers.Get(name); got != value {
					t.Fatalf("%s = %q, want %q", name, got, value)
				}
			}
		})
	}
}

func TestPanicIsLoggedNotShown(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := ittytest.NewClient(t, app)
	resp := c.Get("/panic")
	if resp.StatusCode != 500 || strings.Contains(resp.Body, "secret") {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Body)
	}
	if !strings.Contains(logs.String(), "secret internals") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("panic and stack not logged: %s", logs.String())
	}
	// The server keeps serving.
	if resp := c.Get("/"); resp.StatusCode != 200 {
		t.Fatalf("after panic: %d", resp.StatusCode)
	}
	app.Debug = true
	if resp := c.Get("/panic"); !strings.Contains(resp.Body, "secret internals") {
		t.Fatalf("debug body lacks the panic: %q", resp.Body)
	}
}

func TestCustomErrorHandlers(t *testing.T) {
	app := newTestApp()
	app.NotFound = func(req *Request) *Response { return NewResponse("no such page: "+req.Path, 404) }
	app.MethodNotAllowed = func(req *Request) *Response { return NewResponse("nope", 405) }
	var gotErr error
	app.ServerError = func(req *Request, err error) *Response {
		gotErr = err
		return NewResponse("sorry", 500)
	}
	c := ittytest.NewClient(t, app)
	if r := c.Get("/x"); r.StatusCode != 404 || r.Body != "no such page: /x" {
		t.Errorf("404: %d %q", r.StatusCode, r.Body)
	}
	if r := c.Do(c.NewRequest("PUT", "/", nil)); r.StatusCode != 405 || r.Body != "nope" || r.Headers.Get("Allow") == "" {
		t.Errorf("405: %d %q %v", r.StatusCode, r.Body, r.Headers)
	}
	if r := c.Get("/panic"); r.StatusCode != 500 || r.Body != "sorry" {
		t.Errorf("500: %d %q", r.StatusCode, r.Body)
	}
	var pe *PanicError
	if !errors.As(gotErr, &pe) || pe.Value != "secret internals" {
		t.Errorf("ServerError got %v", gotErr)
	}
	if r := c.Get("/nil"); r.StatusCode != 500 || !errors.Is(gotErr, errNilResponse) {
		t.Errorf("nil response: %d, err %v", r.StatusCode, gotErr)
	}
	// A ServerError handler that panics falls back to the generic page.
	app.ServerError = func(*Request, error) *Response { panic("again") }
	if r := c.Get("/panic"); r.StatusCode != 500 || r.Body != "500 Internal Server Error\n" {
		t.Errorf("panicking ServerError: %d %q", r.StatusCode, r.Body)
	}
}

func TestMiddlewareOrderAndHTTPHandlers(t *testing.T) {
	app := New()
	var order []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				w.Header().Add("X-Mw", name)
				next.ServeHTTP(w, r)
			})
		}
	}
	app.Use(mw("outer"), mw("inner"))
	app.Handle("GET", "/std/<int:n>", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "n=%s", r.PathValue("n"))
	}))
	app.Handle("PATCH", "/itty", HandlerFunc(func(req *Request) *Response { return NewResponse("patched", 200) }))
	c := ittytest.NewClient(t, app)
	r := c.Get("/std/5")
	if r.Body != "n=5" || strings.Join(order, ",") != "outer,inner" || strings.Join(r.Headers.Values("X-Mw"), ",") != "outer,inner" {
		t.Fatalf("body %q order %v headers %v", r.Body, order, r.Headers.Values("X-Mw"))
	}
	if r := c.Do(c.NewRequest("PATCH", "/itty", nil)); r.Body != "patched" {
		t.Fatalf("PATCH: %q", r.Body)
	}
	order = nil
	if r := c.Get("/missing"); r.StatusCode != 404 || len(order) != 2 {
		t.Fatalf("middleware must see 404s too: %d %v", r.StatusCode, order)
	}
}

func TestHandlerFuncIsHTTPHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/hi", HandlerFunc(func(req *Request) *Response { return NewResponse("hi "+req.GET.Get("n"), 200) }))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/hi?n=1", nil))
	if rec.Body.String() != "hi 1" {
		t.Fatalf("got %q", rec.Body.String())
	}
}

func TestUnknownMethodAndOddRequestTargets(t *testing.T) {
	app := newTestApp()
	for _, tt := range []struct {
		method, target string
		status         int
	}{
		{"FOO", "/", 405},
		{"OPTIONS", "*", 204},
	} {
		req := httptest.NewRequest(tt.method, "/", nil)
		req.RequestURI = tt.target
		if tt.target == "*" {
			req.URL.Path = ""
		} else {
			req.URL.Path = tt.target
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, rec.Code, tt.status)
		}
	}
}

func TestHandleRejectsBadMethods(t *testing.T) {
	for _, m := range []string{"", "GE T", "GÉT"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) did not panic", m)
				}
			}()
			New().Handle(m, "/", HandlerFunc(hello))
		}()
	}
}
