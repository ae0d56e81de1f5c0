package itty

import (
	"fmt"
	"net/http"
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
