package itty

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// This file is everything one request passes through, top to bottom:
// ServeHTTP and serve (cross-origin check, then the router), the answers
// for requests no route takes (404, 405, OPTIONS, and redirects to the
// clean or other-slash path, built in path.go), the pooled Request, running the handler
// and the OnResponse hooks, recovering from panics, writing the response,
// and the error pages.

// ServeHTTP dispatches the request to the route that matches it.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.handler != nil {
		if r.Body != nil && r.Body != http.NoBody && a.maxBody() >= 0 {
			// The App's middleware reads the body under the App's limit
			// too; past it, the App answers 413 as for its handlers.
			r.Body = http.MaxBytesReader(w, r.Body, a.maxBody())
		}
		a.handler.ServeHTTP(w, r)
		return
	}
	a.serve(w, r)
}

// serve routes one request. The common case (a match for an itty handler)
// allocates nothing of its own: the Request and its Response are pooled.
func (a *App) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "" || path[0] != '/' {
		// "OPTIONS *" and CONNECT authority-form requests name no path.
		if r.Method == http.MethodOptions && r.RequestURI == "*" {
			w.Header().Set("Allow", strings.Join(a.router.allowedAnywhere(), ", "))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		a.respond(w, r, a.notFound)
		return
	}
	if !safeMethod(r.Method) && a.refusedCrossOrigin(w, r) {
		return
	}
	req := a.acquire(r)
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
	req.Params.route = rt
	if rt.h != nil {
		a.servePlain(w, req, rt)
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

// refusedCrossOrigin answers an unsafe request that cross-origin
// protection refuses, with Forbidden, the protection's deny handler, or a
// plain 403, and reports whether it did.
func (a *App) refusedCrossOrigin(w http.ResponseWriter, r *http.Request) bool {
	err := a.crossOriginError(r)
	switch {
	case err == nil:
		return false
	case a.Forbidden != nil:
		a.respond(w, r, a.Forbidden)
	default:
		if rec := a.customDenial(r, err); rec != nil {
			rec.replay(w)
		} else {
			a.respond(w, r, forbidden)
		}
	}
	return true
}

// respond runs fn for a request that did not come through the router (the
// App's own error pages for requests outside it, Static's 404s).
func (a *App) respond(w http.ResponseWriter, r *http.Request, fn HandlerFunc) {
	req := a.acquire(r)
	defer a.done(w, req)
	a.finish(w, req, fn)
}

// finish runs an itty handler for req and writes its response. The common
// case (no body, no hooks, a rendered string) runs straight through; the
// rest is left to afterHandler and writeFull, so this path stays short.
func (a *App) finish(w http.ResponseWriter, req *Request, fn HandlerFunc) {
	if req.Raw.ContentLength > 0 && a.tooLong(req.Raw.ContentLength) {
		a.write(w, req, a.tooLarge(req))
		return
	}
	resp := fn(req)
	if resp == nil || req.body.exceeded || len(a.hooks) > 0 || len(req.hooks) > 0 {
		resp = a.afterHandler(w, req, resp)
	}
	a.write(w, req, resp)
}

// tooLong reports whether a declared body length is over MaxBodyBytes.
func (a *App) tooLong(n int64) bool {
	limit := a.maxBody()
	return limit >= 0 && n > limit
}

// afterHandler turns a nil response into a 500, a body read past the limit
// into a 413, a response that cannot be sent (an invalid cookie, a
// template that failed) into the 500 page, and runs the OnResponse hooks
// (the App's, then the request's) on anything else. The hooks do not run
// for a handler that failed, so that nothing it half did is committed.
func (a *App) afterHandler(w http.ResponseWriter, req *Request, resp *Response) *Response {
	switch {
	case resp == nil:
		return a.failedPage(w, req, errNilResponse)
	case req.body.exceeded:
		req.hooksRan = true
		a.notifyFailed(w, req)
		return a.tooLarge(req)
	case resp.err != nil:
		dropBody(resp)
		return a.failedPage(w, req, resp.err)
	case resp.StatusCode != 0 && !finalStatus(resp.StatusCode):
		dropBody(resp)
		return a.failedPage(w, req, unsendableStatus(resp.StatusCode))
	case len(a.hooks) > 0 || len(req.hooks) > 0:
		return a.runHooks(w, req, resp)
	}
	return resp
}

// runHooks runs the OnResponse hooks; the first error (or panic, or a
// cookie a hook could not set) fails the request. The error's page keeps
// the cookies the hooks set: they describe what the hooks have already
// stored (a renewed session id, say), which the error of a later hook does
// not undo.
func (a *App) runHooks(w http.ResponseWriter, req *Request, resp *Response) (out *Response) {
	fromHooks := len(resp.cookies)
	fail := func(err error) *Response {
		out := a.failedPage(w, req, err)
		out.cookies = append(out.cookies, resp.cookies[fromHooks:]...)
		return out
	}
	defer func() {
		if v := recover(); v != nil {
			out = fail(&PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	for _, h := range a.hooks {
		if err := h(req, resp); err != nil {
			return fail(err)
		}
		if resp.err != nil { // the hook set an invalid cookie, say
			return fail(resp.err)
		}
	}
	for i := 0; i < len(req.hooks); i++ { // a hook may add one: it runs too
		if err := req.hooks[i](req, resp); err != nil {
			return fail(err)
		}
		if resp.err != nil {
			return fail(resp.err)
		}
	}
	req.hooksRan = true
	return resp
}

// done ends every request the App handles itself, deferred by serve and
// respond: it turns a panic in a handler into a 500 (one deferred call per
// request does both jobs) and returns the Request to the pool.
func (a *App) done(w http.ResponseWriter, req *Request) {
	if v := recover(); v != nil {
		a.recovered(w, req, v)
	}
	req.clear() // release, written out: this runs for every request
	a.pool.Put(req)
}

// recovered answers a request whose handler panicked with v with a 500,
// if nothing of the response has gone out yet. Once it has, a 500 page
// would only be appended to it, and the client could take what arrived for
// a whole answer: the panic is logged and the response aborted instead, so
// that the client sees it fail. http.ErrAbortHandler, net/http's way to
// abort a response, is passed on after the Request is released; net/http
// then cuts the connection (or resets the HTTP/2 stream) and logs nothing.
func (a *App) recovered(w http.ResponseWriter, req *Request, v any) {
	started, plain := req.writing || req.plain.started, req.plain.ResponseWriter != nil
	if v == http.ErrAbortHandler {
		a.release(req)
		panic(v)
	}
	err := &PanicError{Value: v, Stack: debug.Stack()}
	if started {
		a.logger().Error("itty: panic after the response started; aborting it", "method", req.Method, "path", req.Path,
			"err", err, "stack", string(err.Stack))
		a.release(req)
		panic(http.ErrAbortHandler)
	}
	if plain {
		h := w.Header()
		for _, k := range bodyHeaders {
			delete(h, k)
		}
	}
	a.write(w, req, a.failedPage(w, req, err))
}

// write sends resp. A response carrying an error (an invalid cookie, a
// template that failed) is replaced by the 500 page, so it never goes out
// half right.
func (a *App) write(w http.ResponseWriter, req *Request, resp *Response) {
	if resp.err != nil {
		dropBody(resp)
		resp = a.failedPage(w, req, resp.err)
	}
	req.writing = true
	if resp.Headers == nil && len(resp.cookies) == 0 && resp.BodyReader == nil && resp.BodyBytes == nil &&
		(resp.StatusCode == 0 || resp.StatusCode == http.StatusOK) {
		// The common case, a rendered string: one header, implicit 200.
		setContentType(w.Header(), contentTypeHeader(resp.ContentType))
		w.Write(stringBytes(resp.Body))
		return
	}
	a.writeFull(w, req, resp)
}

// writeFull sends a response with a status, headers, cookies or a body
// other than a string.
func (a *App) writeFull(w http.ResponseWriter, req *Request, resp *Response) {
	if s := resp.StatusCode; s != 0 && !finalStatus(s) {
		dropBody(resp)
		page := a.failedPage(w, req, unsendableStatus(s))
		// The hooks have run: their cookies stand for what they stored
		// (a session), so the page keeps them, as runHooks' pages do.
		page.cookies = append(page.cookies, resp.cookies...)
		resp = page
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h[k] = v
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if _, ok := resp.Headers["Content-Type"]; !ok && bodyAllowed(status) {
		setContentType(h, contentTypeHeader(resp.ContentType))
	}
	for _, c := range resp.cookies {
		h["Set-Cookie"] = append(h["Set-Cookie"], c.line)
	}
	if c, ok := resp.BodyReader.(io.Closer); ok {
		defer c.Close()
	}
	w.WriteHeader(status)
	if !bodyAllowed(status) {
		return
	}
	switch {
	case resp.BodyReader != nil:
		if _, err := io.Copy(w, resp.BodyReader); err != nil {
			// What went out is not the whole body: abort the response, so
			// that the client does not take it for one.
			a.logger().Warn("itty: streaming response failed; aborting it", "method", req.Method, "path", req.Path, "err", err)
			panic(http.ErrAbortHandler)
		}
	case resp.BodyBytes != nil:
		w.Write(resp.BodyBytes)
	default:
		w.Write(stringBytes(resp.Body))
	}
}

// Shared header values, so that writing a common response allocates nothing.
// net/http only reads them.
const (
	contentTypeText = "text/plain; charset=utf-8"
	contentTypeHTML = "text/html; charset=utf-8"
	contentTypeJSON = "application/json"
)

var (
	headerText = []string{contentTypeText}
	headerHTML = []string{contentTypeHTML}
	headerJSON = []string{contentTypeJSON}
)

// setContentType makes ct the header's Content-Type. A header that already
// says exactly that is left alone: looking costs a hash, where storing costs
// the map's whole assignment. A new header map (net/http's, for every
// request) holds nothing, so the look is nearly free; a writer that keeps its
// map from one response to the next (a proxy's, a benchmark's) is spared
// the store.
func setContentType(h http.Header, ct []string) {
	cur := h["Content-Type"]
	if len(cur) == 1 && (&cur[0] == &ct[0] || cur[0] == ct[0]) {
		return // the shared slice itself is found by its address, without a compare
	}
	h["Content-Type"] = ct
}

// contentTypeHeader returns the Content-Type header value for a
// Response's ContentType: one of the shared slices, or a new one.
func contentTypeHeader(ct string) []string {
	// The shortcuts' types are these constants, known by their address
	// without comparing their bytes.
	switch unsafe.StringData(ct) {
	case unsafe.StringData(contentTypeHTML):
		if len(ct) == len(contentTypeHTML) {
			return headerHTML
		}
	case unsafe.StringData(contentTypeJSON):
		if len(ct) == len(contentTypeJSON) {
			return headerJSON
		}
	}
	switch ct {
	case "", contentTypeText:
		return headerText
	case contentTypeHTML:
		return headerHTML
	case contentTypeJSON:
		return headerJSON
	}
	return otherContentType(ct)
}

// otherContentType is the header value for a type other than the shared
// ones, with a charset added to a text type that names none.
func otherContentType(ct string) []string {
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += "; charset=utf-8"
	}
	return []string{ct}
}

// stringBytes returns the bytes of s without copying them, for Write,
// which io.Writer's contract forbids to modify or keep them. It saves
// io.WriteString's interface check on every response.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// dropBody closes the BodyReader of a response an error page replaces, if
// it is an io.Closer (an open file, say).
func dropBody(resp *Response) {
	if c, ok := resp.BodyReader.(io.Closer); ok {
		c.Close()
	}
}

// unsendableStatus is the error of a response whose status cannot end it.
func unsendableStatus(code int) error {
	return fmt.Errorf("itty: response status %d cannot be sent (a final status is 200 to 999)", code)
}

// finalStatus reports whether code can end a response: net/http sends
// 100 to 999, but a 1xx is informational and leaves the response open.
func finalStatus(code int) bool { return code >= 200 && code <= 999 }

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
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

func forbidden(req *Request) *Response {
	return req.newResponse(statusText(http.StatusForbidden), http.StatusForbidden, contentTypeText)
}

// tooLarge is the 413 for a body over MaxBodyBytes. On HTTP/1 it closes
// the connection: net/http then neither reads the rest of the body first
// nor asks an Expect: 100-continue client for it.
func (a *App) tooLarge(req *Request) *Response {
	a.logger().Warn("itty: request body too large", "method", req.Method, "path", req.Path,
		"limit", a.maxBody())
	resp := req.newResponse(statusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge, contentTypeText)
	if req.Raw.ProtoMajor == 1 {
		resp.Headers = http.Header{"Connection": {"close"}}
	}
	return resp
}

// failedPage is the error page of a request that failed (its handler
// panicked or returned nil, a hook failed, its response cannot be sent):
// no OnResponse hook runs after it (see HooksDone), and the writers that
// asked are told before the ServerError handler runs (see
// FailureNotifier).
func (a *App) failedPage(w http.ResponseWriter, req *Request, err error) *Response {
	req.hooksRan = true
	a.notifyFailed(w, req)
	return a.errorPage(req, err)
}

// FailureNotifier is implemented by a ResponseWriter that must know when
// the App answers a request whose handler failed — it panicked, returned
// nil, read a body past the limit, returned a response that cannot be
// sent, or an OnResponse hook failed — before the error page is made and
// written. Middleware that commits work as the response's header goes out,
// such as the sessions Manager's, implements it to commit nothing for a
// failed handler. The App calls HandlerFailed on the writer it was given
// and on each one that writer unwraps to (an Unwrap() http.ResponseWriter
// method, as for http.ResponseController), once a request for each (a
// chain that unwraps in a loop is followed for 32 steps). Middleware that
// wraps the writer between them must have such an Unwrap method, or the
// notifier behind it is not found. A HandlerFailed that panics is logged,
// and the writers after it are still told.
type FailureNotifier interface {
	HandlerFailed()
}

// notifyFailed tells every FailureNotifier in w's Unwrap chain, once a
// request.
func (a *App) notifyFailed(w http.ResponseWriter, req *Request) {
	if req.failed {
		return
	}
	req.failed = true
	var told []FailureNotifier
	for range 32 { // a chain that loops ends here
		if n, ok := w.(FailureNotifier); ok && !slices.ContainsFunc(told, func(t FailureNotifier) bool { return sameWriter(t, n) }) {
			told = append(told, n)
			a.tellFailed(req, n)
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// sameWriter reports whether a and b are the same writer, for a chain
// that unwraps in a loop; values of a type == cannot compare never are.
func sameWriter(a, b FailureNotifier) bool {
	t := reflect.TypeOf(a)
	return t == reflect.TypeOf(b) && t.Comparable() && a == b
}

// tellFailed calls n.HandlerFailed, logging a panic in it: the error page,
// and the notifiers after n, must still come.
func (a *App) tellFailed(req *Request, n FailureNotifier) {
	defer func() {
		if v := recover(); v != nil {
			a.logger().Error("itty: a FailureNotifier panicked", "method", req.Method, "path", req.Path,
				"panic", v, "stack", string(debug.Stack()))
		}
	}()
	n.HandlerFailed()
}

// errorPage logs err and returns the error response for it: 500, or the status
// an error with an HTTPStatus() int method asks for.
func (a *App) errorPage(req *Request, err error) *Response {
	status := http.StatusInternalServerError
	var se interface{ HTTPStatus() int }
	if errors.As(err, &se) && se.HTTPStatus() >= 400 {
		status = se.HTTPStatus()
	}
	attrs := []any{"method", req.Method, "path", req.Path, "status", status, "err", err}
	var pe *PanicError
	if errors.As(err, &pe) {
		attrs = append(attrs, "stack", string(pe.Stack))
	}
	if status >= 500 {
		a.logger().Error("itty: internal server error", attrs...)
	} else {
		a.logger().Warn("itty: request refused", attrs...)
	}
	if a.ServerError != nil {
		// A page that could not be sent either (an invalid cookie or
		// status) gives way to the generic one.
		if resp := a.safeServerError(req, err); resp != nil && resp.err == nil &&
			(resp.StatusCode == 0 || finalStatus(resp.StatusCode)) {
			return resp
		}
	}
	body := statusText(status)
	if a.Debug {
		body += "\n" + err.Error() + "\n"
		if pe != nil {
			body += "\n" + string(pe.Stack)
		}
	}
	resp := new(Response)
	resp.Body, resp.StatusCode, resp.ContentType = body, status, contentTypeText
	return resp
}

// safeServerError calls the App's ServerError handler; if that panics too,
// the panic is logged and the generic page is used.
func (a *App) safeServerError(req *Request, err error) (resp *Response) {
	defer func() {
		if v := recover(); v != nil {
			a.logger().Error("itty: ServerError handler panicked", "panic", v)
			resp = nil
		}
	}()
	return a.ServerError(req, err)
}

func statusText(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code) + "\n"
}

// PanicError is the error a ServerError handler receives when a handler
// panicked. Value is what was passed to panic; Stack is the goroutine's stack
// at the time, for logs (it never reaches a client unless Debug is on).
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic value; the stack is left out.
func (e *PanicError) Error() string { return fmt.Sprintf("itty: handler panicked: %v", e.Value) }

// ServeHTTP makes a HandlerFunc an http.Handler of its own, served with a
// default App's settings and no route parameters. It lets an itty handler
// be mounted in any net/http mux or passed to App.Handle. It is protected
// as an App is (cross-origin protection, panics answered with 500), and
// logs through slog.Default().
func (fn HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !safeMethod(r.Method) && standalone.refusedCrossOrigin(w, r) {
		return
	}
	standalone.respond(w, r, fn)
}

// standalone serves HandlerFuncs outside an App; its nil Logger means
// slog.Default() (see App.logger).
var standalone = &App{}
