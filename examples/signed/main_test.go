package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

func TestSignedCounter(t *testing.T) {
	prog := exampletest.Build(t, ".")
	key, err := exec.Command(prog.Path, "-newkey").Output()
	if err != nil {
		t.Fatal(err)
	}
	prog.Env = []string{"ITTY_SECRET_KEY=" + strings.TrimSpace(string(key))}
	proc := prog.Start(t)

	cookie := ""
	visit := func() string {
		t.Helper()
		req, _ := http.NewRequest("GET", proc.URL+"/", nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "visits" {
				cookie = "visits=" + c.Value
			}
		}
		return string(b)
	}
	for i, want := range []string{"Visits: 1", "Visits: 2", "Visits: 3"} {
		if got := visit(); got != want {
			t.Fatalf("visit %d: %q", i, got)
		}
	}
	// The same key after a restart still reads the cookie.
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	proc = prog.Start(t)
	if got := visit(); got != "Visits: 4" {
		t.Fatalf("after restart: %q", got)
	}
	// Tampering restarts the count instead of failing.
	cookie = cookie[:len(cookie)-3] + "abc"
	if got := visit(); got != "Visits: 1" {
		t.Fatalf("tampered: %q", got)
	}
	cookie = "visits=999"
	if got := visit(); got != "Visits: 1" {
		t.Fatalf("forged: %q", got)
	}
}
