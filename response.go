package itty

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Response is what a handler returns: a status, headers, cookies and a body.
// It can be written as a struct literal, itty3-style:
//
//	return &itty.Response{StatusCode: 302, Headers: http.Header{"Location": {"/"}}}
//
// or made with NewResponse, or with the App's Render, RenderJSON,
// RenderTemplate and Redirect shortcuts.
//
// The body is BodyReader if set (streamed, and closed afterwards if it is an
// io.Closer), else BodyBytes if non-nil, else Body.
type Response struct {
	// StatusCode is the HTTP status. Zero means 200 OK.
	StatusCode int
	// Headers are sent as given; a Content-Type here wins over ContentType.
	Headers http.Header
	// ContentType is the media type of the body. Empty means
	// "text/plain; charset=utf-8"; a text/* type without a charset gets
	// "; charset=utf-8" added.
	ContentType string
	// Body is the body as a string.
	Body string
	// BodyBytes is the body as bytes; it takes precedence over Body.
	BodyBytes []byte
	// BodyReader streams the body, for bodies too large to hold in memory;
	// it takes precedence over BodyBytes and Body. If it fails or panics
	// once the response has started, the response is aborted (the client
	// sees the connection cut, not a short body that looks whole).
	BodyReader io.Reader

	cookies []outCookie
	err     error
}

// outCookie is one Set-Cookie line, with the identity that makes a later
// SetCookie of the same cookie replace it.
type outCookie struct {
	name, path, domain string
	line               string
}

// NewResponse returns a response with the given body and status and the
// default content type, text/plain; charset=utf-8.
func NewResponse(body string, status int) *Response {
	return &Response{Body: body, StatusCode: status}
}

// SetHeader sets a response header, replacing any values it had.
func (resp *Response) SetHeader(key, value string) {
	if resp.Headers == nil {
		resp.Headers = make(http.Header)
	}
	resp.Headers.Set(key, value)
}

// SetCookie adds a Set-Cookie header for name and value, with the attributes
// in opts (at most one; none means a browser-session cookie for Path=/).
// Any string is a valid value: bytes outside the cookie-octet set are
// percent-encoded as [EncodeCookieValue] describes, and the request side
// decodes them, so the value arrives unchanged.
//
// A cookie that breaks a rule browsers enforce (see [CookieError]) is not
// silently dropped: SetCookie returns the error, and the response it was
// set on is answered with 500 and the reason logged, unless the handler
// uses a different response.
//
// Setting a cookie with the same name, Path and Domain again replaces the
// earlier one; cookies that differ in Path or Domain are all sent.
func (resp *Response) SetCookie(name, value string, opts ...CookieOptions) error {
	return resp.setCookie(name, EncodeCookieValue(value), oneOption(opts))
}

// DeleteCookie tells the browser to remove a cookie: it sends the name with
// an empty value, Max-Age=0 and an Expires in the past. opts must name the
// Path and Domain the cookie was set with (at most one; none means Path=/
// and no Domain). Secure is added when the name's __Secure- or __Host-
// prefix requires it.
func (resp *Response) DeleteCookie(name string, opts ...CookieOptions) error {
	o := deletionOptions(name, oneOption(opts))
	return resp.setCookie(name, "", o)
}

func oneOption(opts []CookieOptions) CookieOptions {
	switch len(opts) {
	case 0:
		return CookieOptions{}
	case 1:
		return opts[0]
	}
	panic("itty: at most one CookieOptions may be given")
}

// setCookie validates and records a cookie whose value is already encoded.
func (resp *Response) setCookie(name, encoded string, o CookieOptions) error {
	line, err := buildSetCookie(name, encoded, &o, time.Now())
	if err != nil {
		resp.fail(err)
		return err
	}
	path := o.Path
	if path == "" {
		path = "/"
	}
	c := outCookie{name: name, path: path, domain: o.Domain, line: line}
	for i, old := range resp.cookies {
		if old.name == c.name && old.path == c.path && old.domain == c.domain {
			resp.cookies[i] = c
			return nil
		}
	}
	resp.cookies = append(resp.cookies, c)
	return nil
}

// fail records the first error that keeps the response from being sent.
func (resp *Response) fail(err error) {
	if resp.err == nil {
		resp.err = err
	}
}

// Err returns the first error recorded on the response, such as an invalid
// cookie. A response with an error is answered with 500 instead.
func (resp *Response) Err() error { return resp.err }

// CookieLines returns the values of the Set-Cookie header lines the
// response will send, one for each cookie set or deleted on it, in the
// order they were first set: setting a cookie again with the same name,
// Path and Domain replaces its line in place. The slice is a copy; changing it changes nothing on the response.
func (resp *Response) CookieLines() []string {
	lines := make([]string, len(resp.cookies))
	for i, c := range resp.cookies {
		lines[i] = c.line
	}
	return lines
}

// errNilResponse is what a handler that returns nil gets logged with.
var errNilResponse = errors.New("itty: handler returned a nil *Response")

func (resp *Response) reset() {
	clear(resp.cookies)
	*resp = Response{cookies: resp.cookies[:0]}
}
