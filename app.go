package itty

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
)

// HandlerFunc handles one request and returns the response to send.
// Returning nil is a bug in the handler and is answered with a 500.
type HandlerFunc func(req *Request) *Response

// DefaultMaxBodyBytes is the request body limit of an App whose MaxBodyBytes
// is zero: 10 MiB. A larger body is answered with 413 Request Entity Too Large.
const DefaultMaxBodyBytes = 10 << 20

// App is an itty application: a set of routes and the settings they share.
// An *App is an http.Handler, so it can be served by [App.Run], by
// http.ListenAndServe, by httptest, as a CGI program or under FastCGI.
//
// Register routes, middleware and settings before the App serves its first
// request; after that an App is safe for concurrent use.
type App struct {
	// NotFound answers requests that match no route. Nil means a plain
	// "404 Not Found" page.
	NotFound HandlerFunc
	// MethodNotAllowed answers requests whose path matches a route for
	// other methods. The App sets the Allow header before calling it.
	// Nil means a plain "405 Method Not Allowed" page.
	MethodNotAllowed HandlerFunc
	// ServerError answers a request whose handler panicked, returned nil
	// or returned a response that could not be sent (such as one with an
	// invalid cookie). err says what went wrong; it has already been
	// logged. Nil means a generic "500 Internal Server Error" page that
	// shows err only when Debug is on.
	ServerError func(req *Request, err error) *Response

	// Logger receives errors, panics with their stacks and, under Run, one
	// line per request. Nil discards everything, as itty3 does; Run sets a
	// text logger on standard error if Logger is nil.
	Logger *slog.Logger
	// Debug shows error details and stacks in 500 responses. Never turn it
	// on where strangers can reach the app.
	Debug bool
	// MaxBodyBytes bounds request bodies. Zero means DefaultMaxBodyBytes;
	// a negative value means no limit.
	MaxBodyBytes int64
	// Templates are the templates RenderTemplate executes. Set it directly
	// or with LoadTemplates.
	Templates *template.Template
	// TemplateFuncs are added to the templates LoadTemplates parses.
	TemplateFuncs template.FuncMap
	// ShutdownTimeout is how long Run lets in-flight requests finish after
	// SIGINT or SIGTERM. Zero means 30 seconds.
	ShutdownTimeout time.Duration
	// CrossOrigin rejects cross-origin requests with unsafe methods (POST,
	// PUT, PATCH, DELETE…) with 403 Forbidden, using the browser's
	// Sec-Fetch-Site and Origin headers; requests without them, such as
	// curl's, pass. Add trusted origins with app.CrossOrigin.AddTrustedOrigin.
	// A nil CrossOrigin (as in the zero App) protects as New's does, with no
	// trusted origins; only DisableCrossOriginProtection turns it off.
	CrossOrigin *http.CrossOriginProtection
	// DisableCrossOriginProtection turns cross-origin protection off, for
	// an app whose every unsafe request is protected some other way.
	DisableCrossOriginProtection bool
	// Forbidden answers requests refused by cross-origin protection, such
	// as with a JSON error for an API. Nil means the deny handler set with
	// app.CrossOrigin.SetDenyHandler, if any, or a plain 403 page.
	Forbidden HandlerFunc

	router     router
	hooks      []func(*Request, *Response) error
	codecs     []*securecookie.SecureCookie // signed-cookie keys, newest first
	middleware []func(http.Handler) http.Handler
	handler    http.Handler // middleware wrapped around serve
	pool       sync.Pool
}

// New returns an App with no routes, default settings and cross-origin
// protection on, with a CrossOrigin of its own to add trusted origins to.
// The zero App is as protected; its CrossOrigin is nil until set.
func New() *App {
	return &App{CrossOrigin: http.NewCrossOriginProtection()}
}

// OnResponse registers fn to run after an itty handler returns a response
// and before it is written; packages such as sessions use it to save their
// state and set cookies. fn may change resp. If fn returns an error the
// request is answered as for a panic (500 with the reason logged), or with
// the status of an error that has an HTTPStatus() int method; that answer
// keeps the cookies the hooks set, since they stand for state the hooks
// have already stored, but nothing else of resp. Hooks do not
// run when the handler panicked or returned nil, so half-done work is never
// saved.
func (a *App) OnResponse(fn func(req *Request, resp *Response) error) {
	a.hooks = append(a.hooks, fn)
}

// Get registers fn for GET requests (and HEAD requests, whose body is
// dropped) to paths matching pattern.
func (a *App) Get(pattern string, fn HandlerFunc) { a.add(http.MethodGet, pattern, fn, nil) }

// Post registers fn for POST requests to paths matching pattern.
func (a *App) Post(pattern string, fn HandlerFunc) { a.add(http.MethodPost, pattern, fn, nil) }

// Put registers fn for PUT requests to paths matching pattern.
func (a *App) Put(pattern string, fn HandlerFunc) { a.add(http.MethodPut, pattern, fn, nil) }

// Patch registers fn for PATCH requests to paths matching pattern.
func (a *App) Patch(pattern string, fn HandlerFunc) { a.add(http.MethodPatch, pattern, fn, nil) }

// Delete registers fn for DELETE requests to paths matching pattern.
func (a *App) Delete(pattern string, fn HandlerFunc) { a.add(http.MethodDelete, pattern, fn, nil) }

// Head registers fn for HEAD requests, overriding the GET route's answer.
func (a *App) Head(pattern string, fn HandlerFunc) { a.add(http.MethodHead, pattern, fn, nil) }

// Options registers fn for OPTIONS requests, overriding the App's automatic
// 204 answer with an Allow header.
func (a *App) Options(pattern string, fn HandlerFunc) { a.add(http.MethodOptions, pattern, fn, nil) }

// Handle registers h for requests with the given method to paths matching
// pattern. h may be any http.Handler; an itty HandlerFunc is served as if
// registered with Get, Post and so on. A plain http.Handler reads route
// parameters with r.PathValue(name), and its request body is bounded by
// MaxBodyBytes like any other.
//
// Handle panics if method is empty or not a token, or if the pattern is
// invalid or cannot be told apart from one already registered for method.
func (a *App) Handle(method, pattern string, h http.Handler) {
	if fn, ok := h.(HandlerFunc); ok {
		a.add(method, pattern, fn, nil)
		return
	}
	a.add(method, pattern, nil, h)
}

func (a *App) add(method, pattern string, fn HandlerFunc, h http.Handler) {
	if method == "" || strings.IndexFunc(method, func(r rune) bool { return r > 0x7f || !isTokenChar(byte(r)) }) >= 0 {
		panic("itty: invalid method " + quote(method) + " for route " + quote(pattern))
	}
	if fn == nil && h == nil {
		panic("itty: nil handler for " + method + " " + pattern)
	}
	a.router.add(&route{method: method, pattern: pattern, fn: fn, h: h})
}

// Use appends middleware to the App. Middleware is a standard net/http
// wrapper; the first one added is the outermost, so it sees each request
// first and each response last. Middleware wraps every request, including
// those answered with 404 or 405.
func (a *App) Use(middleware ...func(http.Handler) http.Handler) {
	a.middleware = append(a.middleware, middleware...)
	var h http.Handler = http.HandlerFunc(a.serve)
	for i := len(a.middleware) - 1; i >= 0; i-- {
		h = a.middleware[i](h)
	}
	a.handler = h
}

// ServeHTTP dispatches the request to the route that matches it.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.handler != nil {
		a.handler.ServeHTTP(w, r)
		return
	}
	a.serve(w, r)
}

func (a *App) maxBody() int64 {
	if a.MaxBodyBytes == 0 {
		return DefaultMaxBodyBytes
	}
	return a.MaxBodyBytes
}

func (a *App) logger() *slog.Logger {
	switch {
	case a.Logger != nil:
		return a.Logger
	case a == standalone:
		return slog.Default()
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)

// serve routes one request. The common case (a match for an itty handler)
// allocates nothing of its own: the Request and its Response are pooled.
func (a *App) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "" || path[0] != '/' {
		// "OPTIONS *" and CONNECT authority-form requests name no path.
		if r.Method == http.MethodOptions && r.RequestURI == "*" {
			w.Header().Set("Allow", strings.Join(append(a.router.methods, http.MethodOptions), ", "))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		a.respond(w, r, a.notFound)
		return
	}
	if !safeMethod(r.Method) && !a.crossOriginOK(w, r) {
		return
	}
	req := a.acquire(w, r)
	defer a.done(w, req)
	rt := a.router.find(r.Method, path, &req.Params)
	if rt == nil {
		// No route matches a path with empty, "." or ".." segments (the
		// router refuses them), so cleaning waits until here.
		if needsClean(path) {
			redirectTo(w, r, cleanPath(path))
			return
		}
		a.unrouted(w, req)
		return
	}
	req.Params.names = rt.names
	if rt.h != nil {
		for i, name := range rt.names {
			r.SetPathValue(name, req.Params.values[i])
		}
		rt.h.ServeHTTP(w, r)
		return
	}
	a.finish(w, req, rt.fn)
}

// unrouted answers a request no route accepts: OPTIONS and 405 when other
// methods match, a trailing-slash redirect when the other form of the path
// matches, 404 otherwise.
func (a *App) unrouted(w http.ResponseWriter, req *Request) {
	r := req.Raw
	path := r.URL.Path
	if allow := a.router.allowed(path); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		a.finish(w, req, a.methodNotAllowed)
		return
	}
	other := path + "/"
	if strings.HasSuffix(path, "/") && path != "/" {
		other = strings.TrimSuffix(path, "/")
	}
	var scratch Params
	scratch.values = scratch.buf[:0]
	if a.router.find(r.Method, other, &scratch) != nil {
		redirectTo(w, r, other)
		return
	}
	a.finish(w, req, a.notFound)
}

// redirectTo sends a client to the canonical form of its path, keeping the
// query: 301 for GET and HEAD, 308 (which keeps the method and body) otherwise.
func redirectTo(w http.ResponseWriter, r *http.Request, path string) {
	u := *r.URL
	u.Path, u.RawPath = path, ""
	code := http.StatusPermanentRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		code = http.StatusMovedPermanently
	}
	w.Header().Set("Location", mountPrefix(r)+u.RequestURI())
	w.WriteHeader(code)
}

// mountPrefix is the part of the request's path that a handler in front of
// the App removed, as http.StripPrefix("/app", app) does, so that the App's
// redirects keep it: the request line (RequestURI) still has the whole path.
func mountPrefix(r *http.Request) string {
	orig, _, _ := strings.Cut(r.RequestURI, "?")
	if orig == "" {
		return ""
	}
	if orig[0] != '/' { // absolute form, from a client that thinks it talks to a proxy
		u, err := url.ParseRequestURI(r.RequestURI)
		if err != nil {
			return ""
		}
		orig = u.EscapedPath()
	}
	cur := r.URL.EscapedPath()
	if len(orig) > len(cur) && strings.HasSuffix(orig, cur) {
		return orig[:len(orig)-len(cur)]
	}
	return ""
}

// respond runs fn for a request that did not come through the router (the
// App's own error pages for requests outside it, Static's 404s).
func (a *App) respond(w http.ResponseWriter, r *http.Request, fn HandlerFunc) {
	req := a.acquire(w, r)
	defer a.done(w, req)
	a.finish(w, req, fn)
}

func (a *App) acquire(w http.ResponseWriter, r *http.Request) *Request {
	req, _ := a.pool.Get().(*Request)
	if req == nil {
		req = new(Request)
		req.GET = Values{req: req}
		req.POST = Values{req: req, form: true}
	}
	req.init(a, r)
	return req
}

func (a *App) release(req *Request) {
	req.clear()
	a.pool.Put(req)
}

func (a *App) notFound(req *Request) *Response {
	if a.NotFound != nil {
		return a.NotFound(req)
	}
	return req.newResponse(statusText(http.StatusNotFound), http.StatusNotFound, contentTypeText)
}

func (a *App) methodNotAllowed(req *Request) *Response {
	if a.MethodNotAllowed != nil {
		return a.MethodNotAllowed(req)
	}
	return req.newResponse(statusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed, contentTypeText)
}

func statusText(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code) + "\n"
}

func quote(s string) string { return `"` + s + `"` }

// ServeHTTP makes a HandlerFunc an http.Handler of its own, served with a
// default App's settings and no route parameters. It lets an itty handler
// be mounted in any net/http mux or passed to App.Handle. It is protected
// as an App is (cross-origin protection, panics answered with 500), and
// logs through slog.Default().
func (fn HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !safeMethod(r.Method) && !standalone.crossOriginOK(w, r) {
		return
	}
	standalone.respond(w, r, fn)
}

// standalone serves HandlerFuncs outside an App; its nil Logger means
// slog.Default() (see App.logger).
var standalone = &App{}
