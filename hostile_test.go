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

// hostileServer serves app with NewServer's settings, but timeouts short
// enough for a test.
func hostileServer(t *testing.T, app *App, readHeader, read time.Duration) *httptest.Server {
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = app.NewServer("")
	srv.Config.ReadHeaderTimeout = readHeader
	srv.Config.ReadTimeout = read
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestSlowClientsAreCutOff holds a connection that sends headers (and one
// that sends a body) a byte at a time: the server drops each at its timeout,
// while a normal client is served meanwhile.
func TestSlowClientsAreCutOff(t *testing.T) {
	if DefaultReadHeaderTimeout > 10*time.Second {
		t.Fatalf("default read-header timeout %v, promised at most 10s", DefaultReadHeaderTimeout)
	}
	app := New()
	app.Get("/", hello)
	app.Post("/upload", func(req *Request) *Response {
		io.ReadAll(req.Body)
		return NewResponse("got it", 200)
	})
	srv := hostileServer(t, app, 300*time.Millisecond, 600*time.Millisecond)
	addr := srv.Listener.Addr().String()

	trickle := func(prefix string) (time.Duration, error) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		start := time.Now()
		io.WriteString(conn, prefix)
		for i := 0; ; i++ {
			time.Sleep(50 * time.Millisecond)
			if _, err := conn.Write([]byte("x")); err != nil {
				return time.Since(start), nil
			}
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			var b [512]byte
			if n, err := conn.Read(b[:]); n > 0 || (err != nil && !isTimeout(err)) {
				return time.Since(start), nil // the server answered (408/400) or closed
			}
			if time.Since(start) > 5*time.Second {
				return time.Since(start), fmt.Errorf("connection still open after %v", time.Since(start))
			}
		}
	}
	done := make(chan string, 2)
	go func() {
		d, err := trickle("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		done <- fmt.Sprintf("slow headers cut after %v (err %v)", d.Round(10*time.Millisecond), err)
	}()
	go func() {
		d, err := trickle("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		done <- fmt.Sprintf("slow body cut after %v (err %v)", d.Round(10*time.Millisecond), err)
	}()
	// Meanwhile, a normal client is served.
	for range 5 {
		resp, err := http.Get(srv.URL + "/")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("normal client during the attack: %v %v", resp, err)
		}
		resp.Body.Close()
		time.Sleep(40 * time.Millisecond)
	}
	for range 2 {
		msg := <-done
		t.Log(msg)
		if strings.Contains(msg, "still open") {
			t.Error(msg)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestThousandsOfCookies: a request with 3000 cookies is served, and every
// one of them is readable.
func TestThousandsOfCookies(t *testing.T) {
	app := New()
	app.Get("/", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("%d %s %s", req.COOKIES.Len(), req.COOKIES.Get("c0"), req.COOKIES.Get("c2999")), 200)
	})
	srv := hostileServer(t, app, time.Second, time.Second)
	var parts []string
	for i := range 3000 {
		parts = append(parts, fmt.Sprintf("c%d=v%d", i, i))
	}
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Cookie", strings.Join(parts, "; "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "3000 v0 v2999" {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

// TestNoHeaderInjection: CR/LF in values that end up in headers (a redirect
// target, a cookie value) never start a new header line.
func TestNoHeaderInjection(t *testing.T) {
	app := New()
	app.Get("/go", func(req *Request) *Response { return app.Redirect(req, req.GET.Get("to")) })
	app.Get("/cookie", func(req *Request) *Response {
		resp := app.Render(req, "ok")
		resp.SetCookie("v", req.GET.Get("v"))
		return resp
	})
	srv := hostileServer(t, app, time.Second, time.Second)
	for _, path := range []string{
		"/go?to=/a%0d%0aX-Injected:%201",
		"/go?to=/a%0aX-Injected:%201",
		"/go?to=/a%0dX-Injected:%201",
		"/cookie?v=a%0d%0aX-Injected:%201",
		"/cookie?v=a%0d%0a%0d%0a<html>",
	} {
		b, _ := io.ReadAll(rawConn(t, srv, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
		raw := string(b)
		var status int
		fmt.Sscanf(raw, "HTTP/1.1 %d", &status)
		if strings.Contains(strings.ToLower(raw), "\r\nx-injected") || strings.Contains(raw, "\r\n\r\n<html>") || status >= 500 {
			t.Errorf("%s: injected or failed (%d):\n%s", path, status, raw)
		}
	}
}

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
