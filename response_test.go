package itty

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestResponseForms(t *testing.T) {
	app := New()
	stream := &closeRecorder{Reader: strings.NewReader(strings.Repeat("z", 100000))}
	app.Get("/literal", func(*Request) *Response {
		return &Response{StatusCode: 302, Headers: http.Header{"Location": {"/"}}}
	})
	app.Get("/new", func(*Request) *Response { return NewResponse("created", 201) })
	app.Get("/bytes", func(*Request) *Response {
		return &Response{BodyBytes: []byte{0, 1, 2}, ContentType: "application/octet-stream"}
	})
	app.Get("/stream", func(*Request) *Response { return &Response{BodyReader: stream, ContentType: "text/csv"} })
	app.Get("/header-ct", func(*Request) *Response {
		r := NewResponse("<x/>", 200)
		r.SetHeader("Content-Type", "application/xml")
		r.SetHeader("X-Extra", "1")
		return r
	})
	app.Get("/empty", func(*Request) *Response { return &Response{StatusCode: 204, Body: "ignored"} })
	c := ittytest.NewClient(t, app)
	tests := []struct {
		path, ctype string
		status      int
		body        string
	}{
		{"/literal", "text/plain; charset=utf-8", 302, ""},
		{"/new", "text/plain; charset=utf-8", 201, "created"},
		{"/bytes", "application/octet-stream", 200, "\x00\x01\x02"},
		{"/stream", "text/csv; charset=utf-8", 200, strings.Repeat("z", 100000)},
		{"/header-ct", "application/xml", 200, "<x/>"},
		{"/empty", "", 204, ""},
	}
	for _, tt := range tests {
		r := c.Get(tt.path)
		if r.StatusCode != tt.status || r.Body != tt.body || r.Headers.Get("Content-Type") != tt.ctype {
			t.Errorf("%s: got %d %q %q, want %d %q %q", tt.path, r.StatusCode, r.Headers.Get("Content-Type"),
				trunc(r.Body), tt.status, tt.ctype, trunc(tt.body))
		}
	}
	if !stream.closed {
		t.Error("BodyReader was not closed")
	}
	if c.Get("/literal").Location() != "/" {
		t.Error("literal Location lost")
	}
}

func trunc(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
