package main

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHello(t *testing.T) {
	proc := exampletest.Build(t, ".").Start(t)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "Hello, world!"},
		{"/greet/Ada/", 200, "Hello, Ada!"},
		{"/greet/caf%C3%A9/", 200, "Hello, café!"},
		{"/greet/%3Cscript%3E/", 200, "Hello, &lt;script&gt;!"},
		{"/greet/Ada", 200, "Hello, Ada!"}, // via the trailing-slash redirect
		{"/nope", 404, "404 Not Found\n"},
	}
	for _, tt := range tests {
		if status, body := get(t, proc.URL+tt.path); status != tt.status || body != tt.body {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, status, body, tt.status, tt.body)
		}
	}
}

// TestGracefulShutdown sends SIGTERM while requests are in flight: each
// completes, and the program exits with status 0 and an access log.
func TestGracefulShutdown(t *testing.T) {
	proc := exampletest.Build(t, ".").Start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			resp, err := http.Get(proc.URL + "/greet/x/")
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, proc.Logs())
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	logs := proc.Logs()
	for _, want := range []string{"itty: listening", "msg=\"itty: request\" method=GET path=/greet/x/ status=200", "itty: stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}
