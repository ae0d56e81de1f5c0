package itty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"strings"
)

// Request is the request a handler receives, with itty3's names: GET for the
// query string, POST for form fields, COOKIES for cookies, Params for route
// parameters. Raw is the underlying *http.Request for everything else.
//
// Query, form and cookies are parsed on first use, so a handler pays only for
// what it reads. A Request and the Responses the App's shortcuts return for
// it are recycled once the handler's response has been written: do not keep
// them, or use them from another goroutine, after the handler returns.
type Request struct {
	// Method is the HTTP method, such as "GET".
	Method string
	// Path is the decoded URL path, such as "/greet/café/".
	Path string
	// Headers are the request headers (the same map as Raw.Header).
	Headers http.Header
	// Body is the request body, bounded by the App's MaxBodyBytes. Reading
	// past the limit fails with an *http.MaxBytesError, and the App then
	// answers 413 whatever the handler returns.
	Body io.ReadCloser
	// GET holds the query-string values.
	GET Values
	// POST holds the form values of a url-encoded or multipart body.
	POST Values
	// COOKIES holds the request's cookies, decoded.
	COOKIES Cookies
	// Params holds the route parameters.
	Params Params
	// Raw is the underlying net/http request.
	Raw *http.Request

	app      *App
	values   []keyValue                        // per-request values of other packages; see SetValue
	hooks    []func(*Request, *Response) error // this request's own; see OnResponse
	body     bodyReader
	resp     Response // handed out once by the App's shortcuts
	respUsed bool
	writing  bool        // the response has started going out
	hooksRan bool        // the hooks have run, or will not: see HooksDone
	failed   bool        // the writer was told the handler failed (FailureNotifier)
	plain    plainWriter // the writer of a plain http.Handler route (plain.go)
}

// acquire returns a Request from a's pool pointed at r. Nothing is parsed
// yet. (Init is written out here, not called: this runs for every request.)
func (a *App) acquire(r *http.Request) *Request {
	req, _ := a.pool.Get().(*Request)
	if req == nil {
		req = new(Request)
		req.GET = Values{req: req}
		req.POST = Values{req: req, form: true}
	}
	req.app, req.Raw = a, r
	req.Method, req.Path, req.Headers = r.Method, r.URL.Path, r.Header
	req.COOKIES.header = r.Header
	req.Params.reset()
	req.Body = http.NoBody
	if r.Body != nil && r.Body != http.NoBody {
		req.body = bodyReader{rc: r.Body, left: a.maxBody(), limit: a.maxBody()}
		req.Body = &req.body
		r.Body = &req.body
	}
	return req
}

// release returns req to a's pool.
func (a *App) release(req *Request) {
	req.clear()
	a.pool.Put(req)
}

// clear readies the Request for the pool. A request that used nothing
// beyond routing has only the pointers that would keep it alive to drop;
// the parts filled on first use are reset only when they were used.
func (req *Request) clear() {
	if req.GET.loaded {
		req.GET = Values{req: req}
	}
	if req.POST.loaded {
		req.POST = Values{req: req, form: true}
	}
	if req.COOKIES.parsed {
		req.COOKIES.reset(nil)
	}
	if len(req.values) > 0 {
		clear(req.values)
		req.values = req.values[:0]
	}
	if req.body.rc != nil {
		req.body = bodyReader{}
	}
	if len(req.hooks) > 0 {
		clear(req.hooks)
		req.hooks = req.hooks[:0]
	}
	if req.respUsed {
		req.resp.reset()
		req.respUsed = false
	}
	req.writing, req.hooksRan, req.failed = false, false, false
	if req.plain.ResponseWriter != nil { // a handler that ended by runtime.Goexit
		req.plain = plainWriter{}
	}
	req.Raw, req.Headers, req.COOKIES.header = nil, nil, nil // don't keep the last request alive
}

// newResponse returns the Request's own Response the first time it is
// asked, so the common handler allocates no Response; later calls allocate.
func (req *Request) newResponse(body string, status int, contentType string) *Response {
	var resp *Response
	if req == nil || req.respUsed {
		resp = new(Response)
	} else {
		req.respUsed = true
		resp = &req.resp
	}
	resp.Body, resp.StatusCode, resp.ContentType = body, status, contentType
	return resp
}

type keyValue struct{ key, value any }

// SetValue attaches a value to the request for its lifetime, under a key
// of a type the caller's package owns (as with context.WithValue). It costs
// no context copy; packages such as sessions keep their per-request state
// here.
func (req *Request) SetValue(key, value any) {
	for i := range req.values {
		if req.values[i].key == key {
			req.values[i].value = value
			return
		}
	}
	req.values = append(req.values, keyValue{key, value})
}

// Value returns the value SetValue attached under key, or nil.
func (req *Request) Value(key any) any {
	for _, kv := range req.values {
		if kv.key == key {
			return kv.value
		}
	}
	return nil
}

// OnResponse registers fn to run for this request only, after the App's
// own OnResponse hooks, once the handler has returned a response. It runs
// under the same rules as App.OnResponse: fn may change resp, an error
// becomes the answer, and fn does not run when the App's hooks would not
// (a failed handler) or after an earlier hook failed. A hook registered by
// another hook runs too; one registered once HooksDone reports true never
// runs. Packages that are handed a request (the sessions Manager, say) use
// it to commit only what a handler finished.
func (req *Request) OnResponse(fn func(req *Request, resp *Response) error) {
	req.hooks = append(req.hooks, fn)
}

// HooksDone reports whether the request's OnResponse hooks have all run,
// or will not run because the request failed: it is true in the App's
// ServerError handler when the App calls it for a failed request, and
// while the response is being written; it is false in the handler and in
// the hooks themselves (and in a ServerError page a handler asks for with
// Error500). A package that commits work in a hook checks it before
// relying on one.
func (req *Request) HooksDone() bool { return req.hooksRan || req.writing }

// App returns the App serving the request.
func (req *Request) App() *App { return req.app }

// Context returns the request's context, which is canceled when the client
// goes away or the server shuts down.
func (req *Request) Context() context.Context { return req.Raw.Context() }

// ContentType returns the media type of the request body, without parameters,
// in lower case, or "" if there is none or it cannot be read. A type whose
// parameters are malformed ("text/plain; charset") still gives its media
// type, as net/http's form parsing reads it.
func (req *Request) ContentType() string {
	ct := req.Headers.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return ""
	}
	return mt
}

// IsSecure reports whether the client reached the app over TLS: the request
// came over TLS to this server, or through one of the App's TrustedProxies
// that says so in X-Forwarded-Proto (see App.IsSecure).
func (req *Request) IsSecure() bool { return req.app.IsSecure(req.Raw) }

// ClientAddr returns the address of the client that sent the request: the
// peer's, or, from one of the App's TrustedProxies, the client's as the
// proxies report it in X-Forwarded-For (see App.ClientAddr).
func (req *Request) ClientAddr() netip.Addr { return req.app.ClientAddr(req.Raw) }

// ErrNotJSON is returned by Request.JSON for a body whose Content-Type names
// a media type other than JSON.
var ErrNotJSON = errors.New("itty: request body is not JSON")

// JSON decodes the request body, which must hold exactly one JSON value, into
// v. The Content-Type may be absent, application/json (with or without a
// charset parameter) or any application/*+json type; anything else, a
// Content-Type that cannot be read included, is ErrNotJSON. Malformed JSON and trailing data are errors; a body over the
// App's limit is an *http.MaxBytesError and the request is answered 413.
func (req *Request) JSON(v any) error {
	if h := req.Headers.Get("Content-Type"); h != "" {
		ct := req.ContentType()
		if ct == "" {
			return fmt.Errorf("%w (malformed Content-Type %q)", ErrNotJSON, h)
		}
		if ct != "application/json" && !(strings.HasPrefix(ct, "application/") && strings.HasSuffix(ct, "+json")) {
			return fmt.Errorf("%w (Content-Type %s)", ErrNotJSON, ct)
		}
	}
	dec := json.NewDecoder(req.Body)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("itty: invalid JSON body: empty")
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("itty: invalid JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("itty: invalid JSON body: data after the JSON value")
	}
	return nil
}

// DefaultMaxMemory is how much of a multipart body is held in memory; the
// rest of each file goes to a temporary file.
const DefaultMaxMemory = 32 << 20

// File returns the uploaded file sent in the named field of a
// multipart/form-data body, or http.ErrMissingFile if there is none.
// Open the header to read the file's contents.
func (req *Request) File(name string) (*multipart.FileHeader, error) {
	req.POST.load()
	if req.POST.err != nil {
		return nil, req.POST.err
	}
	if mf := req.Raw.MultipartForm; mf != nil {
		if fhs := mf.File[name]; len(fhs) > 0 {
			return fhs[0], nil
		}
	}
	return nil, http.ErrMissingFile
}

// bodyReader bounds a request body like http.MaxBytesReader, and remembers
// that the limit was hit so that the App can answer 413.
type bodyReader struct {
	rc       io.ReadCloser
	left     int64
	limit    int64
	exceeded bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.exceeded {
		return 0, &http.MaxBytesError{Limit: b.limit}
	}
	if b.limit < 0 {
		return b.rc.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Read one byte more than allowed to tell "exactly at the limit" from "over".
	if int64(len(p))-1 > b.left {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		if err != nil && err != io.EOF {
			// The limit ServeHTTP set for the App's middleware is the
			// same limit: the App answers 413 for it too.
			var tooBig *http.MaxBytesError
			b.exceeded = errors.As(err, &tooBig)
		}
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.exceeded = true
	return n, &http.MaxBytesError{Limit: b.limit}
}

func (b *bodyReader) Close() error { return b.rc.Close() }
