package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

// noRedirect is a client that returns 302s instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, url, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestTodoList(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data.json")
	prog := exampletest.Build(t, ".")
	proc := prog.Start(t, "-data", data)

	if status, body, _ := do(t, "GET", proc.URL+"/", nil); status != 200 || !strings.Contains(body, "Nothing to do!") {
		t.Fatalf("empty list: %d %s", status, body)
	}
	for _, item := range []string{"Buy milk", "Write <docs>", "Walk the dog"} {
		status, _, h := do(t, "POST", proc.URL+"/create/", url.Values{"todo": {item}})
		if status != 302 || h.Get("Location") != "/" {
			t.Fatalf("create %q: %d %v", item, status, h)
		}
	}
	_, body, _ := do(t, "GET", proc.URL+"/", nil)
	if !strings.Contains(body, "Buy milk") || !strings.Contains(body, "Write &lt;docs&gt;") || strings.Contains(body, "<docs>") {
		t.Fatalf("list: %s", body)
	}
	if status, _, _ := do(t, "POST", proc.URL+"/done/1/", url.Values{}); status != 302 {
		t.Fatalf("done: %d", status)
	}
	if status, _, _ := do(t, "POST", proc.URL+"/done/7/", url.Values{}); status != 404 {
		t.Fatalf("done out of range: %d", status)
	}
	if status, _, _ := do(t, "POST", proc.URL+"/done/99999999999999999999999/", url.Values{}); status != 404 {
		t.Fatalf("done overflow: %d", status)
	}
	if status, _, h := do(t, "GET", proc.URL+"/static/style.css", nil); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %v", status, h)
	}
	if status, _, _ := do(t, "GET", proc.URL+"/create/", nil); status != 405 {
		t.Fatalf("GET /create/: %d", status)
	}

	// The list survives a restart.
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	proc = prog.Start(t, "-data", data)
	_, body, _ = do(t, "GET", proc.URL+"/", nil)
	if !strings.Contains(body, "Buy milk") || strings.Contains(body, "Write &lt;docs&gt;") || !strings.Contains(body, "Walk the dog") {
		t.Fatalf("after restart: %s", body)
	}
	saved, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Items, Done []string }
	if err := json.Unmarshal(saved, &d); err != nil || len(d.Items) != 2 || len(d.Done) != 1 || d.Done[0] != "Write <docs>" {
		t.Fatalf("data.json: %s (%v)", saved, err)
	}
}
