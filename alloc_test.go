package itty

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// nopWriter is a ResponseWriter that allocates nothing, so benchmarks and
// allocation tests measure the App alone.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header               { return w.h }
func (w *nopWriter) Write(p []byte) (int, error)       { return len(p), nil }
func (w *nopWriter) WriteString(s string) (int, error) { return len(s), nil }
func (w *nopWriter) WriteHeader(int)                   {}

func allocApp() *App {
	app := New()
	app.Get("/", func(req *Request) *Response { return app.Render(req, "Hello, world!") })
	app.Get("/user/<str:name>", func(req *Request) *Response { return app.Render(req, req.Params.Get("name")) })
	app.Get("/repos/<str:owner>/<str:repo>/issues/<int:number>", func(req *Request) *Response {
		req.Params.Get("owner")
		req.Params.Get("repo")
		req.Params.Int("number")
		return app.Render(req, "issue")
	})
	return app
}

var allocCases = []struct{ name, path string }{
	{"Static", "/"},
	{"Param", "/user/gordon"},
	{"GitHubParam", "/repos/julienschmidt/httprouter/issues/42"},
}

// TestZeroAllocRouting holds the App to its promise: routing a request to an
// itty handler that renders a response allocates nothing.
func TestZeroAllocRouting(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	app := allocApp()
	for _, tc := range allocCases {
		r := httptest.NewRequest("GET", tc.path, nil)
		w := &nopWriter{h: http.Header{}}
		app.ServeHTTP(w, r) // warm the pool
		if n := testing.AllocsPerRun(100, func() {
			clear(w.h)
			app.ServeHTTP(w, r)
		}); n != 0 {
			t.Errorf("%s: %v allocs per request, want 0", tc.name, n)
		}
	}
}

// TestManyParamsAllocateOnce: a route with more parameters than the
// Request's fixed buffer holds grows it once; the pooled Request keeps the
// larger buffer, so later requests allocate nothing.
func TestManyParamsAllocateOnce(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	app := New()
	app.Get("/<str:a>/<str:b>/<str:c>/<str:d>/<str:e>/<str:f>/<str:g>/<str:h>", func(req *Request) *Response {
		return app.Render(req, req.Params.Get("h"))
	})
	r := httptest.NewRequest("GET", "/1/2/3/4/5/6/7/8", nil)
	w := &nopWriter{h: http.Header{}}
	app.ServeHTTP(w, r) // grows the buffer of the pooled Request
	if n := testing.AllocsPerRun(100, func() {
		clear(w.h)
		app.ServeHTTP(w, r)
	}); n != 0 {
		t.Errorf("%v allocs per request with 8 parameters, want 0", n)
	}
}
