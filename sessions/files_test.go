package sessions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// TestFileStoreSharedByProcesses runs several processes (this test binary,
// re-executed) that increment one counter in one session through the file
// store at the same time: flock makes every read-modify-write atomic across
// processes, so no increment is lost.
func TestFileStoreSharedByProcesses(t *testing.T) {
	if dir := os.Getenv("SESSIONS_CHILD_DIR"); dir != "" {
		s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
		if err != nil {
			t.Fatal(err)
		}
		for range 25 {
			err := s.Update(context.Background(), os.Getenv("SESSIONS_CHILD_ID"), func(r *sessions.Record) error {
				var n int
				json.Unmarshal(r.Values["n"], &n)
				r.Values["n"] = json.RawMessage(strconv.Itoa(n + 1))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := t.TempDir()
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour,
		Values: map[string]json.RawMessage{"n": json.RawMessage("0")}}
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	const procs = 4
	var cmds []*exec.Cmd
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreSharedByProcesses$")
		cmd.Env = append(os.Environ(), "SESSIONS_CHILD_DIR="+dir, "SESSIONS_CHILD_ID="+rec.ID)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(out.String())
			}
		})
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	got, err := s.Load(context.Background(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Values["n"]) != fmt.Sprint(procs*25) {
		t.Fatalf("counter %s after %d increments from %d processes", got.Values["n"], procs*25, procs)
	}
}

// sessionFile is where the file store keeps id's record, by the rule its
// doc comment gives: DIR/sessions/ + hex SHA-256 of the id + .json.
func sessionFile(dir, id string) string {
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, "sessions", hex.EncodeToString(h[:])+".json")
}

func TestFileStoreCleanup(t *testing.T) {
	dir := t.TempDir()
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	live := &sessions.Record{ID: sessions.NewID(), User: "u", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	dead := &sessions.Record{ID: sessions.NewID(), User: "u", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	s.Create(ctx, live)
	s.Create(ctx, dead)
	// Age the second record on disk, as if an hour had passed.
	path := sessionFile(dir, dead.ID)
	dead.LastSeen = now.Add(-2 * time.Hour)
	b, _ := json.Marshal(dead)
	os.WriteFile(path, b, 0o600)
	// A temporary file left by a process killed mid-write, and a damaged file.
	stale := filepath.Join(dir, "sessions", ".tmp-123")
	os.WriteFile(stale, []byte(`{"id":`), 0o600)
	os.Chtimes(stale, now.Add(-time.Hour), now.Add(-time.Hour))
	damagedID := sessions.NewID()
	os.WriteFile(sessionFile(dir, damagedID), []byte(`{"id": "trunc`), 0o600)

	if _, err := s.Load(ctx, damagedID); err != sessions.ErrNotFound {
		t.Fatalf("damaged file: %v (must read as no session, not break the request)", err)
	}
	if err := s.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, stale, sessionFile(dir, damagedID)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not cleaned up", filepath.Base(p))
		}
	}
	if _, err := s.Load(ctx, live.ID); err != nil {
		t.Fatalf("live session removed: %v", err)
	}
	if ids, _ := s.ByUser(ctx, "u"); len(ids) != 1 || ids[0] != live.ID {
		t.Fatalf("index after cleanup: %v", ids)
	}
	// Ids that are not ours never become paths.
	for _, id := range []string{"../../etc/passwd", "a/b", "", strings.Repeat("x", 43) + "/"} {
		if _, err := s.Load(ctx, id); err != sessions.ErrNotFound {
			t.Errorf("Load(%q) = %v", id, err)
		}
	}
}

func TestCookieStoreSizeLimit(t *testing.T) {
	var logs bytes.Buffer
	app := itty.New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	store, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := sessions.NewCookieManager(app, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/big", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set("blob", strings.Repeat("x", 5000))
		return app.Render(req, "stored?")
	})
	r := ittytest.NewClient(t, app).Post("/big", "text/plain", nil)
	if r.StatusCode != 500 || !strings.Contains(logs.String(), "too large for the cookie store") {
		t.Fatalf("oversized cookie session: %d, log %s", r.StatusCode, logs.String())
	}
	if _, err := sessions.NewCookieStore(itty.CookieKey{Hash: make([]byte, 32)}); err == nil {
		t.Fatal("cookie store without encryption key accepted")
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := sessions.NewID()
		if !sessions.ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 42), strings.Repeat("a", 44), strings.Repeat("a", 42) + "=", strings.Repeat("a", 42) + "/"} {
		if sessions.ValidID(bad) {
			t.Errorf("ValidID(%q)", bad)
		}
	}
}

// TestFileStoreCleanupReportsWhatItCannotRead: a session file Cleanup cannot
// read (here a directory under a session file's name) is left alone and
// named in the error, not skipped in silence; the rest is still cleaned,
// and a cleanup whose context has ended stops with that error.
func TestFileStoreCleanupReportsWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	dead := &sessions.Record{ID: sessions.NewID(), User: "u", Created: now.Add(-3 * time.Hour), LastSeen: now.Add(-2 * time.Hour), Idle: time.Hour, Lifetime: 12 * time.Hour}
	b, _ := json.Marshal(dead)
	os.WriteFile(sessionFile(dir, dead.ID), b, 0o600)
	odd := sessionFile(dir, sessions.NewID())
	if err := os.Mkdir(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	err = s.Cleanup(ctx)
	if err == nil || !strings.Contains(err.Error(), filepath.Base(odd)) {
		t.Fatalf("Cleanup = %v, want an error naming %s", err, filepath.Base(odd))
	}
	if _, err := os.Stat(sessionFile(dir, dead.ID)); !os.IsNotExist(err) {
		t.Errorf("the expired session was not removed beside the unreadable one: %v", err)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("the unreadable entry was touched: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Cleanup(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Cleanup with an ended context = %v", err)
	}
}
