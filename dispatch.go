package itty

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
)

// PanicError is the error a ServerError handler receives when a handler
// panicked. Value is what was passed to panic; Stack is the goroutine's stack
// at the time, for logs (it never reaches a client unless Debug is on).
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic value; the stack is left out.
func (e *PanicError) Error() string { return fmt.Sprintf("itty: handler panicked: %v", e.Value) }

// finish runs an itty handler for req and writes its response. The common
// case (no body, no hooks, a rendered string) runs straight through; the
// rest is left to afterHandler and writeFull, so this path stays short.
func (a *App) finish(w http.ResponseWriter, req *Request, fn HandlerFunc) {
	if req.Raw.ContentLength > 0 && a.tooLong(req.Raw.ContentLength) {
		a.write(w, req, a.tooLarge(req))
		return
	}
	resp := fn(req)
	if resp == nil || req.body.exceeded || len(a.hooks) > 0 {
		resp = a.afterHandler(req, resp)
	}
	a.write(w, req, resp)
}

// tooLong reports whether a declared body length is over MaxBodyBytes.
func (a *App) tooLong(n int64) bool {
	limit := a.maxBody()
	return limit >= 0 && n > limit
}

// afterHandler turns a nil response into a 500, a body read past the limit
// into a 413, and runs the OnResponse hooks on anything else.
func (a *App) afterHandler(req *Request, resp *Response) *Response {
	switch {
	case resp == nil:
		return a.fail(req, errNilResponse)
	case req.body.exceeded:
		return a.tooLarge(req)
	case len(a.hooks) > 0:
		return a.runHooks(req, resp)
	}
	return resp
}

// runHooks runs the OnResponse hooks; the first error fails the request.
// The error's page keeps the cookies the hooks set: they describe what the
// hooks have already stored (a renewed session id, say), which the error
// of a later hook does not undo.
func (a *App) runHooks(req *Request, resp *Response) (out *Response) {
	defer func() {
		if v := recover(); v != nil {
			out = a.fail(req, &PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	fromHooks := len(resp.cookies)
	for _, h := range a.hooks {
		if err := h(req, resp); err != nil {
			out = a.fail(req, err)
			out.cookies = append(out.cookies, resp.cookies[fromHooks:]...)
			return out
		}
	}
	return resp
}

// done ends every request the App handles itself, deferred by serve and
// respond: it turns a panic in a handler into a 500 (one deferred call per
// request does both jobs) and returns the Request to the pool.
func (a *App) done(w http.ResponseWriter, req *Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			a.release(req)
			panic(v) // net/http's way to abort a response; it logs nothing
		}
		err := &PanicError{Value: v, Stack: debug.Stack()}
		if req.writing {
			// The response was already on its way: all we can do is log.
			a.logger().Error("itty: panic while writing the response", "method", req.Method, "path", req.Path,
				"err", err, "stack", string(err.Stack))
		} else {
			a.write(w, req, a.fail(req, err))
		}
	}
	a.release(req)
}

func (a *App) tooLarge(req *Request) *Response {
	a.logger().Warn("itty: request body too large", "method", req.Method, "path", req.Path,
		"limit", a.maxBody())
	return req.newResponse(statusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge, contentTypeText)
}

// fail logs err and returns the error response for it: 500, or the status
// an error with an HTTPStatus() int method asks for.
func (a *App) fail(req *Request, err error) *Response {
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
		if resp := a.safeServerError(req, err); resp != nil && resp.err == nil {
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

// Shared header values, so that writing a common response allocates nothing.
// net/http only reads them.
var (
	contentTypeText = "text/plain; charset=utf-8"
	contentTypeHTML = "text/html; charset=utf-8"
	contentTypeJSON = "application/json"

	headerText = []string{contentTypeText}
	headerHTML = []string{contentTypeHTML}
	headerJSON = []string{contentTypeJSON}
)

func contentTypeHeader(ct string) []string {
	switch ct {
	case "", contentTypeText:
		return headerText
	case contentTypeHTML:
		return headerHTML
	case contentTypeJSON:
		return headerJSON
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += "; charset=utf-8"
	}
	return []string{ct}
}

// write sends resp. A response carrying an error (an invalid cookie, a
// template that failed) is replaced by the 500 page, so it never goes out
// half right.
func (a *App) write(w http.ResponseWriter, req *Request, resp *Response) {
	if resp.err != nil {
		resp = a.fail(req, resp.err)
	}
	req.writing = true
	if resp.Headers == nil && len(resp.cookies) == 0 && resp.BodyReader == nil && resp.BodyBytes == nil &&
		(resp.StatusCode == 0 || resp.StatusCode == http.StatusOK) {
		// The common case, a rendered string: one header, implicit 200.
		w.Header()["Content-Type"] = contentTypeHeader(resp.ContentType)
		io.WriteString(w, resp.Body)
		return
	}
	a.writeFull(w, req, resp)
}

// writeFull sends a response with a status, headers, cookies or a body
// other than a string.
func (a *App) writeFull(w http.ResponseWriter, req *Request, resp *Response) {
	h := w.Header()
	for k, v := range resp.Headers {
		h[k] = v
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if _, ok := resp.Headers["Content-Type"]; !ok && bodyAllowed(status) {
		h["Content-Type"] = contentTypeHeader(resp.ContentType)
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
			a.logger().Warn("itty: streaming response failed", "method", req.Method, "path", req.Path, "err", err)
		}
	case resp.BodyBytes != nil:
		w.Write(resp.BodyBytes)
	default:
		io.WriteString(w, resp.Body)
	}
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
