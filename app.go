package itty

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
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
	// invalid cookie), or whose OnResponse hook failed; Error500 calls it
	// too. err says what went wrong; it has already been logged. An err
	// with an HTTPStatus() int method asks for that status (a session
	// conflict is 409), which a custom page should keep. For a failed
	// request the session is read-only here (see Request.HooksDone). Nil means a generic "500 Internal Server Error" page that
	// shows err only when Debug is on; that page is also sent when
	// ServerError returns nil or a page that cannot be sent either (an
	// invalid cookie or status).
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
	// SIGINT or SIGTERM. Zero means DefaultShutdownTimeout.
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
	// TrustedProxies are the reverse proxies in front of the app, such as
	// netip.MustParsePrefix("127.0.0.1/32") for an nginx or Caddy on the
	// same machine. From a request whose peer is one of them the App
	// believes X-Forwarded-For and X-Forwarded-Proto, which they set:
	// ClientAddr and IsSecure then report the client's address and scheme,
	// the access log names the client, and the sessions package marks its
	// cookie Secure for a client on https. Nil trusts no proxy, and those
	// headers are ignored, as a client that is not behind one can forge
	// them. An IPv4 network may be written in IPv4-mapped form
	// (::ffff:127.0.0.1/128 is 127.0.0.1/32). Set it before serving.
	TrustedProxies []netip.Prefix

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
// and before it is written, to save state and set cookies (the sessions
// Manager does so with a Request's own hook, which runs after these). fn
// may change resp. Hooks run for itty handlers, the NotFound,
// MethodNotAllowed and Forbidden pages included, never for net/http routes
// (Handle, Static). If fn returns an error, panics or sets an invalid
// cookie, the hooks after it do not run, and the request is answered as
// for a panic (500 with the reason logged), or with the status of an error
// that has an HTTPStatus() int method; that answer keeps the cookies the
// hooks set, since they stand for state the hooks have already stored,
// but nothing else of resp. Hooks do not run for a handler that failed: it
// panicked, returned nil, read the body past MaxBodyBytes, or returned a
// response that cannot be sent (an invalid cookie or status, a template
// that failed), so half-done work is never saved.
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
// MaxBodyBytes like any other: a declared length over it is answered 413
// before h runs. h writes through a ResponseWriter that supports Flush,
// Hijack, ReadFrom and Unwrap (for http.ResponseController); if h panics
// before writing anything the App answers 500, and after, the response is
// aborted.
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
	if !validToken(method) {
		panic(fmt.Sprintf("itty: invalid method %q for route %q", method, pattern))
	}
	if fn == nil && h == nil {
		panic(fmt.Sprintf("itty: nil handler for %s %q", method, pattern))
	}
	a.router.add(&route{method: method, pattern: pattern, fn: fn, h: h})
}

// Use appends middleware to the App. Middleware is a standard net/http
// wrapper; the first one added is the outermost, so it sees each request
// first and each response last. Middleware wraps every request, including
// those answered with 404 or 405. It reads the body under MaxBodyBytes, as
// handlers do: past it a read fails with an *http.MaxBytesError.
func (a *App) Use(middleware ...func(http.Handler) http.Handler) {
	a.middleware = append(a.middleware, middleware...)
	var h http.Handler = http.HandlerFunc(a.serve)
	for i := len(a.middleware) - 1; i >= 0; i-- {
		h = a.middleware[i](h)
	}
	a.handler = h
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
