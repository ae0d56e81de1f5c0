package itty

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunContextGracefulShutdown(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	started := make(chan struct{})
	release := make(chan struct{})
	app.Get("/slow", func(req *Request) *Response {
		close(started)
		<-release
		return NewResponse("finished", 200)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.RunContext(ctx, "127.0.0.1:0") }()

	var url string
	re := regexp.MustCompile(`url=(http://\S+)/`)
	for deadline := time.Now().Add(5 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no listening line: %s", logs.String())
	}
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // like SIGTERM: stop accepting, let /slow finish
	select {
	case err := <-done:
		t.Fatalf("RunContext returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("RunContext: %v", err)
	}
	if !strings.Contains(logs.String(), "path=/slow status=200") {
		t.Fatalf("no access log line: %s", logs.String())
	}
}

func TestNewServerDefaults(t *testing.T) {
	srv := New().NewServer(":0")
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 ||
		srv.IdleTimeout == 0 || srv.MaxHeaderBytes != 64<<10 || srv.ErrorLog == nil {
		t.Fatalf("server settings: %+v", srv)
	}
}

func TestNewServerRefusesHugeHeaders(t *testing.T) {
	app := New()
	app.Get("/", hello)
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = app.NewServer("")
	srv.Start()
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Cookie", "a="+strings.Repeat("x", DefaultMaxHeaderBytes+4096))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("got %d, want 431", resp.StatusCode)
	}
	req.Header.Set("Cookie", "a="+strings.Repeat("x", 30000))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("30 KB header: %v %v", resp, err)
	}
}

// TestOptionsStarReachesTheApp: "OPTIONS *" through the App's own server
// is answered by the App (204 with every method it serves), not by
// net/http's general OPTIONS handler.
func TestOptionsStarReachesTheApp(t *testing.T) {
	app := New()
	app.Get("/", func(req *Request) *Response { return app.Render(req, "hi") })
	app.Post("/items", func(req *Request) *Response { return app.Render(req, "ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := app.NewServer(ln.Addr().String())
	go srv.Serve(ln)
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if allow := resp.Header.Get("Allow"); resp.StatusCode != 204 || !strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
		t.Fatalf("OPTIONS *: %d, Allow %q", resp.StatusCode, allow)
	}
}

// TestRunEmptyAddrIsLoopback8000: Run("") listens where itty3's run()
// does, 127.0.0.1:8000, and nowhere else.
func TestRunEmptyAddrIsLoopback8000(t *testing.T) {
	if ln, err := net.Listen("tcp", DefaultAddr); err != nil {
		t.Skipf("%s is in use here: %v", DefaultAddr, err)
	} else {
		ln.Close()
	}
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.RunContext(ctx, "") }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "url="); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line: %s", logs.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "url=http://127.0.0.1:8000/") {
		t.Fatalf("Run(\"\") listened elsewhere: %s", logs.String())
	}
}

// TestAttackAbortedResponseLoggedAsServed: a handler that panics after its
// response started is aborted (the client sees the connection cut), so
// the access log must not record it as a 200 like any other: its line is
// a warning with aborted=true. A response that completed has no such mark.
func TestAttackAbortedResponseLoggedAsServed(t *testing.T) {
	logs := &syncBuffer{}
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(logs, nil))
	app.Get("/half", func(req *Request) *Response {
		resp := NewResponse("", 200)
		resp.BodyReader = readFunc(func(p []byte) (int, error) {
			if strings.Contains(logs.String(), "first part") {
				panic("the database went away mid-page")
			}
			app.Logger.Info("first part")
			return copy(p, "first part of the page\n"), nil
		})
		return resp
	})
	app.Get("/whole", func(req *Request) *Response { return app.Render(req, "all of it") })
	app.Get("/nothing", func(req *Request) *Response { panic(http.ErrAbortHandler) })
	app.Handle("GET", "/flushed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).Flush() // the header goes out, with no body yet
		panic(http.ErrAbortHandler)
	}))
	srv := httptest.NewUnstartedServer(app.NewServer("").Handler)
	srv.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	srv.Start()
	defer srv.Close()

	if resp, err := http.Get(srv.URL + "/half"); err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatal("the aborted response read as a whole one")
		}
	}
	if resp, err := http.Get(srv.URL + "/flushed"); err == nil {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if resp, err := http.Get(srv.URL + "/nothing"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET /nothing: %d, want the connection cut", resp.StatusCode)
	}
	resp, err := http.Get(srv.URL + "/whole")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var half, whole, nothing, flushed string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		switch {
		case strings.Contains(line, `msg="itty: request"`) && strings.Contains(line, "path=/flushed"):
			flushed = line
		case strings.Contains(line, `msg="itty: request"`) && strings.Contains(line, "path=/nothing"):
			nothing = line
		case strings.Contains(line, `msg="itty: request"`) && strings.Contains(line, "path=/half"):
			half = line
		case strings.Contains(line, `msg="itty: request"`) && strings.Contains(line, "path=/whole"):
			whole = line
		}
	}
	if !strings.Contains(half, "level=WARN") || !strings.Contains(half, "aborted=true") || !strings.Contains(half, "status=200") {
		t.Errorf("the aborted request's access line: %q; want a warning with status=200 aborted=true", half)
	}
	if !strings.Contains(nothing, "level=WARN") || !strings.Contains(nothing, "aborted=true") || !strings.Contains(nothing, "status=0 ") {
		t.Errorf("the request aborted before any byte: %q; want a warning with status=0 aborted=true", nothing)
	}
	if !strings.Contains(flushed, "aborted=true") || !strings.Contains(flushed, "status=200 ") {
		t.Errorf("the request aborted after a flush: %q; want status=200 (the header went out) aborted=true", flushed)
	}
	if !strings.Contains(whole, "level=INFO") || strings.Contains(whole, "aborted") {
		t.Errorf("the whole request's access line: %q; want INFO without aborted", whole)
	}
}
