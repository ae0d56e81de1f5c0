package itty

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawConn sends text as-is over a real connection (no client-side
// cleaning or encoding) and returns the connection to read the answer from.
func rawConn(t *testing.T, srv *httptest.Server, text string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	return conn
}

// rawRequest sends text and returns the status and body of the answer.
func rawRequest(t *testing.T, srv *httptest.Server, text string) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(rawConn(t, srv, text)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBadInputOverRealHTTP(t *testing.T) {
	app := New()
	app.MaxBodyBytes = 64
	app.Get("/q", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("a=%q b=%q err=%v", req.GET.Get("a"), req.GET.Get("b"), req.GET.Err() != nil), 200)
	})
	app.Get("/c", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("%d %q", req.COOKIES.Len(), req.COOKIES.Get("ok")), 200)
	})
	app.Get("/greet/<str:name>/", func(req *Request) *Response { return NewResponse(req.Params.Get("name"), 200) })
	app.Post("/json", func(req *Request) *Response {
		var v map[string]any
		if err := req.JSON(&v); err != nil {
			return NewResponse(err.Error(), 400)
		}
		return NewResponse("ok", 200)
	})
	app.Post("/form", func(req *Request) *Response {
		return NewResponse(req.POST.Get("a"), 200)
	})
	srv := httptest.NewServer(app)
	defer srv.Close()

	big := strings.Repeat("x", 100)
	tests := []struct {
		name, text string
		status     int
		body       string
	}{
		{"malformed query keeps good pairs", "GET /q?a=%zz&b=2 HTTP/1.1\r\nHost: x\r\n\r\n", 200, `a="" b="2" err=true`},
		{"semicolon query", "GET /q?a=1;b=2 HTTP/1.1\r\nHost: x\r\n\r\n", 200, `a="" b="" err=true`},
		{"malformed percent-encoding in path", "GET /greet/%zz/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, ""},
		{"encoded UTF-8 param", "GET /greet/caf%C3%A9/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, "café"},
		{"malformed cookie header", "GET /c HTTP/1.1\r\nHost: x\r\nCookie: ;;=bad; no-equals; sp ace=1; ok=yes; =\r\n\r\n", 200, `1 "yes"`},
		{"unknown method", "FROB /q HTTP/1.1\r\nHost: x\r\n\r\n", 405, ""},
		{"invalid JSON", "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\":", 400, ""},
		{"oversized JSON by length", "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + big, 413, ""},
		{"oversized chunked form", "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + big + "\r\n0\r\n\r\n", 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, srv, tt.text)
			if status != tt.status || (tt.body != "" && body != tt.body) {
				t.Fatalf("got %d %q, want %d %q", status, body, tt.status, tt.body)
			}
		})
	}
}
