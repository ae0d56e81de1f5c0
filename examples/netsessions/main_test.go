package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

// TestNetSessions starts the program and drives it as a browser would:
// sign in, count visits, a forged sign-out is refused, sign out, and a
// restart of the program keeps a signed-in session (file store).
func TestNetSessions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	bin := exampletest.Build(t, ".")
	proc := bin.Start(t, "-data", dir)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(base, path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(base, path string, form url.Values, header ...string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if body := get(proc.URL, "/"); !strings.Contains(body, "Hello, stranger.") {
		t.Fatalf("first visit: %s", body)
	}
	if status := post(proc.URL, "/login", url.Values{"name": {"Ada <3"}}); status != 200 {
		t.Fatalf("sign in: %d", status)
	}
	get(proc.URL, "/")
	body := get(proc.URL, "/")
	if !strings.Contains(body, "Hello, Ada &lt;3! This is visit 3 of this session.") {
		t.Fatalf("signed in: %s", body)
	}
	if status := post(proc.URL, "/logout", url.Values{}, "Sec-Fetch-Site", "cross-site"); status != http.StatusForbidden {
		t.Fatalf("a cross-site sign-out: %d, want 403", status)
	}
	if status := post(proc.URL, "/logout", url.Values{}); status != http.StatusForbidden {
		t.Fatalf("a sign-out without the CSRF token: %d, want 403", status)
	}

	// A restart keeps the session: it lives in files. (Cookies ignore
	// ports, so the jar sends it to the new port.)
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	proc = bin.Start(t, "-data", dir)
	body = get(proc.URL, "/")
	if !strings.Contains(body, "Hello, Ada &lt;3! This is visit 4") {
		t.Fatalf("after a restart: %s", body)
	}
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no CSRF token in %s", body)
	}
	if status := post(proc.URL, "/logout", url.Values{"csrf_token": {token[1]}}); status != 200 {
		t.Fatalf("sign out: %d", status)
	}
	if body := get(proc.URL, "/"); !strings.Contains(body, "Hello, stranger.") {
		t.Fatalf("after signing out: %s", body)
	}
}
