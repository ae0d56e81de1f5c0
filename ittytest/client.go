// Package ittytest is an in-process test client for itty apps and any other
// http.Handler, in the spirit of Flask's test_client: requests go straight
// to the handler's ServeHTTP (no network), and a cookie jar carries cookies
// from one request to the next as a browser would.
package ittytest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty/internal/abort"
)

// DefaultBaseURL is the origin requests are made to unless Client.BaseURL
// says otherwise.
const DefaultBaseURL = "http://example.com"

// DefaultRemoteAddr is the peer address handlers see (r.RemoteAddr) unless
// Client.RemoteAddr says otherwise: a documentation address (RFC 5737)
// that no real client or proxy has.
const DefaultRemoteAddr = "192.0.2.1:1234"

// Client sends requests to a handler in-process and keeps cookies between
// them. Its jar follows browser rules: cookies are scoped by domain and path,
// expire, are deleted by Max-Age=0 or a past Expires, and Secure cookies are
// sent only when BaseURL is https (the handler then sees r.TLS set).
//
// Every method fails the test (t.Fatal) on an error it cannot return as an
// HTTP response, so tests need not check errors.
type Client struct {
	// BaseURL is the scheme and host of every request; it is what the
	// cookie jar scopes cookies by. Default DefaultBaseURL.
	BaseURL string
	// FollowRedirects makes the client follow 3xx responses, as a browser
	// does; by default it returns them, so tests can check Location.
	FollowRedirects bool
	// RemoteAddr is the peer address the handler sees, "host:port". Set it
	// to a trusted proxy's (such as "127.0.0.1:5000") and send
	// X-Forwarded-For to test an app behind one. Default DefaultRemoteAddr.
	RemoteAddr string

	t       testing.TB
	handler http.Handler
	jar     *cookiejar.Jar
	client  *http.Client
}

// NewClient returns a client for h with an empty cookie jar.
func NewClient(t testing.TB, h http.Handler) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: DefaultBaseURL, RemoteAddr: DefaultRemoteAddr, t: t, handler: h, jar: jar}
	c.client = &http.Client{
		Transport: handlerTransport{h: h, c: c},
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			if c.FollowRedirects {
				return nil
			}
			return http.ErrUseLastResponse
		},
	}
	return c
}

// Response is a response read in full.
type Response struct {
	StatusCode int
	// Headers are the response's headers, as itty.Response names them.
	Headers http.Header
	// Body is the whole response body.
	Body string
	// Raw is the underlying response; its Body has been read and closed.
	// Raw.Request is the last request made, after any redirects.
	Raw *http.Response
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error { return json.Unmarshal([]byte(r.Body), v) }

// Location returns the Location header.
func (r *Response) Location() string { return r.Headers.Get("Location") }

// Cookie returns the cookie named name that the response set in a
// Set-Cookie header, parsed as a browser would, or nil if it set none.
// If it set several of that name (for different paths, say), Cookie
// returns the first. Unlike Client.Cookie, it does not look in the jar.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, c := range r.Raw.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Get sends a GET request for path (which may carry a query string).
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	return c.Do(c.NewRequest(http.MethodGet, path, nil))
}

// Post sends a POST request with the given content type and body.
func (c *Client) Post(path, contentType string, body io.Reader) *Response {
	c.t.Helper()
	req := c.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

// PostForm sends form as an application/x-www-form-urlencoded POST body.
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.t.Helper()
	return c.Post(path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// PostJSON sends v encoded as an application/json POST body.
func (c *Client) PostJSON(path string, v any) *Response {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatalf("ittytest: encode JSON: %v", err)
	}
	return c.Post(path, "application/json", bytes.NewReader(b))
}

// NewRequest returns a request for path on BaseURL, to adjust and pass to Do.
func (c *Client) NewRequest(method, path string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.BaseURL+path, body)
	if err != nil {
		c.t.Fatalf("ittytest: %v", err)
	}
	return req
}

// Do sends req, adding the jar's cookies and storing the cookies the
// response sets, and returns the response read in full.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("ittytest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("ittytest: read body: %v", err)
	}
	return &Response{StatusCode: resp.StatusCode, Headers: resp.Header, Body: string(b), Raw: resp}
}

// Cookie returns the value the jar would send to BaseURL+path for the named
// cookie (the first, most specific, one), and whether there is one.
// The value is as the server wrote it, before itty's decoding.
func (c *Client) Cookie(path, name string) (string, bool) {
	c.t.Helper()
	u, err := url.Parse(c.BaseURL + path)
	if err != nil {
		c.t.Fatalf("ittytest: %v", err)
	}
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value, true
		}
	}
	return "", false
}

// SetCookie puts a cookie in the jar as if BaseURL had set it, for
// Path=/ unless ck.Path says otherwise.
func (c *Client) SetCookie(ck *http.Cookie) {
	c.t.Helper()
	u, err := url.Parse(c.BaseURL + "/")
	if err != nil {
		c.t.Fatalf("ittytest: %v", err)
	}
	if ck.Path == "" {
		ck.Path = "/"
	}
	c.jar.SetCookies(u, []*http.Cookie{ck})
}

// handlerTransport turns a client request into a server request and runs
// the handler on it.
type handlerTransport struct {
	h http.Handler
	c *Client // for RemoteAddr
}

// RoundTrip runs the handler. A handler that aborts its response (it
// panics with http.ErrAbortHandler, as an itty App does when it panics
// after the response started) is an error, as a broken connection is to a
// real client: the test sees that no whole response came.
func (ht handlerTransport) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	if r.URL == nil {
		return nil, errors.New("ittytest: request without URL")
	}
	sr := r.Clone(r.Context())
	sr.URL = &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	sr.RequestURI = r.URL.RequestURI()
	sr.Host = r.URL.Host
	sr.RemoteAddr = ht.c.RemoteAddr
	if sr.RemoteAddr == "" {
		sr.RemoteAddr = DefaultRemoteAddr
	}
	sr.Proto, sr.ProtoMajor, sr.ProtoMinor = "HTTP/1.1", 1, 1
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	if r.URL.Scheme == "https" {
		sr.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: r.URL.Hostname()}
	}
	rec := httptest.NewRecorder()
	if aborted := abort.Serve(ht.h, rec, sr); aborted {
		return nil, fmt.Errorf("ittytest: the handler aborted the response after %d bytes: %w", rec.Body.Len(), http.ErrAbortHandler)
	}
	resp = rec.Result()
	resp.Request = r
	if r.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp, nil
}
