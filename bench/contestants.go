package bench

import (
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/ittygo/itty"
	"github.com/julienschmidt/httprouter"
	"github.com/labstack/echo/v4"
)

// Body is what every handler answers.
const Body = "ok"

var bodyBytes = []byte(Body)

// Contestant builds a router for a route set.
type Contestant struct {
	Name  string
	Build func(routes []Route) http.Handler
}

// Contestants are the routers under test, itty first and the bare handler
// (the floor: no routing at all) last. itty is itty.New() as its users get
// it, cross-origin protection on; itty-noxo is the same app with the
// protection off, to show what the protection costs.
var Contestants = []Contestant{
	{"itty", buildItty},
	{"itty-noxo", buildIttyNoCrossOrigin},
	{"httprouter", buildHttpRouter},
	{"gin", buildGin},
	{"echo", buildEcho},
	{"chi", buildChi},
	{"gorillamux", buildGorillaMux},
	{"servemux", buildServeMux},
	{"bare", buildBare},
}

// sink keeps parameter reads from being optimized away.
var sink int

func buildItty(routes []Route) http.Handler { return ittyApp(routes, false) }

func buildIttyNoCrossOrigin(routes []Route) http.Handler { return ittyApp(routes, true) }

// ittyApp is itty.New() serving routes. The requests carry no browser
// headers (Sec-Fetch-Site, Origin), so the protection, when on, checks each
// unsafe one (POST, PUT, PATCH, DELETE) and lets it through.
func ittyApp(routes []Route, noCrossOrigin bool) http.Handler {
	app := itty.New()
	app.DisableCrossOriginProtection = noCrossOrigin
	h := func(req *itty.Request) *itty.Response {
		for i := range req.Params.Len() {
			sink += len(req.Params.Value(i))
		}
		return app.Render(req, Body)
	}
	for _, r := range routes {
		app.Handle(r.Method, convert(r.Path, func(n string) string { return "<str:" + n + ">" }), itty.HandlerFunc(h))
	}
	return app
}

func buildHttpRouter(routes []Route) http.Handler {
	router := httprouter.New()
	h := func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		for _, p := range ps {
			sink += len(p.Value)
		}
		w.Write(bodyBytes)
	}
	for _, r := range routes {
		router.Handle(r.Method, r.Path, h)
	}
	return router
}

func buildGin(routes []Route) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	router := gin.New()
	h := func(c *gin.Context) {
		for _, p := range c.Params {
			sink += len(p.Value)
		}
		c.String(http.StatusOK, Body)
	}
	for _, r := range routes {
		router.Handle(r.Method, r.Path, h)
	}
	return router
}

func buildEcho(routes []Route) http.Handler {
	e := echo.New()
	h := func(c echo.Context) error {
		for _, v := range c.ParamValues() {
			sink += len(v)
		}
		return c.String(http.StatusOK, Body)
	}
	for _, r := range routes {
		e.Add(r.Method, r.Path, h)
	}
	return e
}

func buildChi(routes []Route) http.Handler {
	router := chi.NewRouter()
	for _, r := range routes {
		names := params(r.Path)
		router.MethodFunc(r.Method, convert(r.Path, func(n string) string { return "{" + n + "}" }),
			func(w http.ResponseWriter, req *http.Request) {
				for _, n := range names {
					sink += len(chi.URLParam(req, n))
				}
				w.Write(bodyBytes)
			})
	}
	return router
}

func buildGorillaMux(routes []Route) http.Handler {
	router := mux.NewRouter()
	h := func(w http.ResponseWriter, r *http.Request) {
		for _, v := range mux.Vars(r) {
			sink += len(v)
		}
		w.Write(bodyBytes)
	}
	for _, r := range routes {
		router.HandleFunc(convert(r.Path, func(n string) string { return "{" + n + "}" }), h).Methods(r.Method)
	}
	return router
}

func buildServeMux(routes []Route) http.Handler {
	m := http.NewServeMux()
	for _, r := range routes {
		names := params(r.Path)
		pattern := convert(r.Path, func(n string) string { return "{" + n + "}" })
		if strings.HasSuffix(pattern, "/") {
			pattern += "{$}" // a trailing slash alone would match the whole subtree
		}
		m.HandleFunc(r.Method+" "+pattern,
			func(w http.ResponseWriter, req *http.Request) {
				for _, n := range names {
					sink += len(req.PathValue(n))
				}
				w.Write(bodyBytes)
			})
	}
	return m
}

// buildBare writes the same bytes as itty's handler, Content-Type included,
// without looking at the path: the floor.
func buildBare([]Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = htmlType
		w.Write(bodyBytes)
	})
}

// htmlType is the Content-Type itty's Render sends.
var htmlType = []string{"text/html; charset=utf-8"}

// BareNoHeader writes only the body and leaves the Content-Type to
// net/http's sniffing (text/plain for "ok"). It is not a contestant: the
// end-to-end test serves it to show what setting one header costs.
func BareNoHeader() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bodyBytes)
	})
}

// ResponseWriter is a reusable http.ResponseWriter that allocates nothing
// itself: its header map is kept between requests.
type ResponseWriter struct {
	h      http.Header
	status int
}

// NewResponseWriter returns a ResponseWriter with an empty header map.
func NewResponseWriter() *ResponseWriter { return &ResponseWriter{h: http.Header{}} }

// Header returns the kept header map.
func (w *ResponseWriter) Header() http.Header { return w.h }

// Write discards p.
func (w *ResponseWriter) Write(p []byte) (int, error) { return len(p), nil }

// WriteString discards s.
func (w *ResponseWriter) WriteString(s string) (int, error) { return len(s), nil }

// WriteHeader records the status.
func (w *ResponseWriter) WriteHeader(code int) { w.status = code }

// Status is the last status written, or 0 if none was (an implicit 200).
func (w *ResponseWriter) Status() int { return w.status }

var _ io.StringWriter = (*ResponseWriter)(nil)

// requests returns one request per route, with concrete parameter values.
func requests(routes []Route) []*http.Request {
	reqs := make([]*http.Request, len(routes))
	for i, r := range routes {
		req, err := http.NewRequest(r.Method, RequestPath(r.Path), nil)
		if err != nil {
			panic(err)
		}
		req.RequestURI = req.URL.RequestURI()
		reqs[i] = req
	}
	return reqs
}
