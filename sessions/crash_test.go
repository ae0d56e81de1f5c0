package sessions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

const crashSessions = 8

// crashBlob is a value whose every byte depends on n, so a torn write (half
// of one version, half of another) cannot pass the check.
func crashBlob(n int) string { return strings.Repeat(string(rune('a'+n%26)), 16<<10) }

// TestCrashSafety kills (SIGKILL) a process in the middle of heavy file
// store writes, CRASH_ROUNDS times (default 5; make hardening: 50). After
// every kill, each session file must hold a whole version, old or new, and
// an app on the same directory must start and serve it.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv("CRASH_CHILD_DIR"); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("crash test")
	}
	rounds := envInt("CRASH_ROUNDS", 5)
	dir := t.TempDir()
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for range crashSessions {
		now := time.Now()
		rec := &sessions.Record{ID: sessions.NewID(), Scope: "sid", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour,
			Values: map[string]json.RawMessage{"n": json.RawMessage("0"), "blob": mustJSON(crashBlob(0))}}
		if err := store.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	os.WriteFile(filepath.Join(dir, "ids"), []byte(strings.Join(ids, "\n")), 0o600)

	maxSeen := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
		cmd.Env = append(os.Environ(), "CRASH_CHILD_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for _, id := range ids {
			rec, err := store.Load(ctx, id)
			if err != nil {
				t.Fatalf("round %d: session %s unreadable after kill: %v", round, id[:8], err)
			}
			var n int
			var blob string
			json.Unmarshal(rec.Values["n"], &n)
			json.Unmarshal(rec.Values["blob"], &blob)
			if blob != crashBlob(n) {
				t.Fatalf("round %d: session %s holds a torn version (n=%d)", round, id[:8], n)
			}
			maxSeen = max(maxSeen, n)
		}
	}
	temps, _ := filepath.Glob(filepath.Join(dir, "sessions", ".tmp-*"))
	t.Logf("crash: %d SIGKILLs during writes; %d sessions intact after each; up to %d writes per session; %d temp files left for cleanup",
		rounds, crashSessions, maxSeen, len(temps))
	if maxSeen == 0 {
		t.Fatal("the child never wrote: the test proved nothing")
	}

	// The app starts on the same directory and serves normally.
	app := itty.New()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, string(mgr.Get(req).GetString("blob")[:1]))
	})
	c := ittytest.NewClient(t, app)
	c.SetCookie(&http.Cookie{Name: "sid", Value: ids[0]})
	if r := c.Get("/"); r.StatusCode != 200 || len(r.Body) != 1 {
		t.Fatalf("after crashes: %d %q", r.StatusCode, r.Body)
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// crashChild rewrites every session as fast as it can, from several
// goroutines, until it is killed.
func crashChild(dir string) {
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		os.Exit(2)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ids"))
	var wg sync.WaitGroup
	for _, id := range strings.Split(string(b), "\n") {
		wg.Go(func() {
			for {
				store.Update(context.Background(), id, func(r *sessions.Record) error {
					var n int
					json.Unmarshal(r.Values["n"], &n)
					n++
					r.Values["n"] = json.RawMessage(strconv.Itoa(n))
					r.Values["blob"] = mustJSON(crashBlob(n))
					return nil
				})
			}
		})
	}
	wg.Wait()
	fmt.Println("unreachable")
}
