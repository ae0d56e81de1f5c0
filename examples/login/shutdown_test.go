package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
	"github.com/ittygo/itty/sessions"
)

// TestShutdownDuringLoad sends SIGTERM while clients are logging in (every
// login writes a session file): the program must exit with status 0 within
// its grace period, every request it accepted must complete, and every
// login it acknowledged must be on disk.
func TestShutdownDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("shutdown test")
	}
	dir := filepath.Join(t.TempDir(), "sessions")
	proc := exampletest.Build(t, ".").Start(t, "-data", dir, "-demo")

	var stopping atomic.Bool
	var acked sync.Map
	var ackCount, before, after atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for {
				sentAfterStop := stopping.Load()
				resp, err := client.PostForm(proc.URL+"/login", url.Values{"username": {"demo"}, "password": {"demo"}})
				if err != nil {
					if !stopping.Load() {
						before.Add(1)
						t.Errorf("request failed before shutdown began: %v", err)
					}
					after.Add(1)
					return // the server is gone: expected once stopping
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusFound {
					t.Errorf("login: %d", resp.StatusCode)
					return
				}
				for _, c := range resp.Cookies() {
					if c.Name == "login_sid" {
						acked.Store(c.Value, true)
						ackCount.Add(1)
					}
				}
				if sentAfterStop {
					return
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	stopping.Store(true)
	start := time.Now()
	if err := proc.Stop(30 * time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, proc.Logs())
	}
	took := time.Since(start)
	wg.Wait()

	missing := 0
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	acked.Range(func(id, _ any) bool {
		if _, err := store.Load(context.Background(), id.(string)); err != nil {
			missing++
		}
		return true
	})
	t.Logf("shutdown: %d logins acknowledged, %d sessions missing on disk; exit status 0 after %v; %d clients cut off after SIGTERM",
		ackCount.Load(), missing, took.Round(time.Millisecond), after.Load())
	if ackCount.Load() == 0 {
		t.Fatal("no login completed: the test proved nothing")
	}
	if missing > 0 {
		t.Fatalf("%d acknowledged sessions were lost", missing)
	}
	if !strings.Contains(proc.Logs(), "itty: stopped") {
		t.Fatalf("no clean stop in the log:\n%s", proc.Logs())
	}
}
