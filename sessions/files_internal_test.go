package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fsCall is one call through the file store's fileSystem seam, and
// whether it failed.
type fsCall struct {
	op, path, from string
	failed         bool
}

func (c fsCall) String() string {
	if c.from != "" {
		return fmt.Sprintf("%s %s -> %s", c.op, c.from, c.path)
	}
	return c.op + " " + c.path
}

// recordingFS passes every call to the real file system and logs it, in
// order. before, if set, runs before each call; failSync, if set, makes
// syncDir fail.
type recordingFS struct {
	mu       sync.Mutex
	calls    []fsCall
	before   func(fsCall)
	failSync error
}

// do runs the hook, then the call, and logs it.
func (r *recordingFS) do(c fsCall, call func() error) error {
	r.mu.Lock()
	before := r.before
	r.mu.Unlock()
	if before != nil {
		before(c)
	}
	err := call()
	c.failed = err != nil
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
	return err
}

func (r *recordingFS) take() []fsCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

func (r *recordingFS) rename(oldpath, newpath string) error {
	return r.do(fsCall{op: "rename", path: newpath, from: oldpath}, func() error { return osFS{}.rename(oldpath, newpath) })
}

func (r *recordingFS) remove(name string) error {
	return r.do(fsCall{op: "remove", path: name}, func() error { return osFS{}.remove(name) })
}

func (r *recordingFS) mkdir(name string) error {
	return r.do(fsCall{op: "mkdir", path: name}, func() error { return osFS{}.mkdir(name) })
}

func (r *recordingFS) syncDir(dir string) error {
	return r.do(fsCall{op: "sync", path: dir}, func() error {
		if r.failSync != nil {
			return r.failSync
		}
		return osFS{}.syncDir(dir)
	})
}

func newRecordedStore(t *testing.T) (*FileStore, *recordingFS) {
	t.Helper()
	s, err := NewFileStore(t.TempDir(), CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.sys.(osFS); !ok {
		t.Fatalf("NewFileStore's file system is %T, want the real one", s.sys)
	}
	rec := &recordingFS{}
	s.sys = rec
	return s, rec
}

// assertSynced fails unless every rename, remove and mkdir in calls (the
// calls of one store method, which has returned) that succeeded is
// followed by a successful sync of the directory it changed. For a rename
// that is the directory of the new name: the old one is a temporary file,
// whose disappearance may be lost. A remove of a file already gone counts
// too: the store cannot tell whether its remover lived to sync.
func assertSynced(t *testing.T, method string, calls []fsCall) {
	t.Helper()
	for i, c := range calls {
		if c.op == "sync" || c.failed && c.op != "remove" {
			continue
		}
		dir := filepath.Dir(c.path)
		if !slices.Contains(calls[i+1:], fsCall{op: "sync", path: dir}) {
			t.Errorf("%s: %s is not followed by a sync of %s before it returns; calls:\n%s", method, c, dir, formatCalls(calls))
		}
	}
}

func formatCalls(calls []fsCall) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "\t%s\n", c)
	}
	return b.String()
}

// countOps returns how many calls have op and a path in dir.
func countOps(calls []fsCall, op, dir string) int {
	n := 0
	for _, c := range calls {
		if c.op == op && filepath.Dir(c.path) == dir {
			n++
		}
	}
	return n
}

// position returns the position of the first call with op on a path in
// dir, or -1.
func position(calls []fsCall, op, dir string) int {
	return slices.IndexFunc(calls, func(c fsCall) bool { return c.op == op && filepath.Dir(c.path) == dir })
}

func testRecord(user string) *Record {
	now := time.Now()
	return &Record{ID: NewID(), User: user, Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour,
		Values: map[string]json.RawMessage{"k": json.RawMessage(`"v"`)}}
}

// TestFileStoreFsyncsDirAfterRenameAndUnlink checks durability at the
// system-call boundary: every rename, removal and new directory a store
// method makes is followed by a sync of the directory that changed before
// the method returns, so an acknowledged login survives a power cut and an
// acknowledged logout does not come back. It also checks the order that
// keeps the user index a superset of the sessions on disk: the entry is
// written before the session file and removed after it.
func TestFileStoreFsyncsDirAfterRenameAndUnlink(t *testing.T) {
	ctx := context.Background()
	s, fsys := newRecordedStore(t)
	sessionsDir := filepath.Join(s.dir, "sessions")
	usersDir := filepath.Join(s.dir, "users")
	ann, ben := s.userDir("ann"), s.userDir("ben")

	step := func(method string, want func(calls []fsCall) error, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		calls := fsys.take()
		assertSynced(t, method, calls)
		if err := want(calls); err != nil {
			t.Errorf("%s: %v; calls:\n%s", method, err, formatCalls(calls))
		}
	}
	expect := func(conds ...bool) error {
		for i, ok := range conds {
			if !ok {
				return fmt.Errorf("expectation %d not met", i+1)
			}
		}
		return nil
	}

	rec := testRecord("ann")
	step("Create (new user)", func(c []fsCall) error {
		return expect(countOps(c, "mkdir", usersDir) == 1, countOps(c, "rename", ann) == 1, countOps(c, "rename", sessionsDir) == 1,
			position(c, "rename", ann) < position(c, "rename", sessionsDir))
	}, func() error { return s.Create(ctx, rec) })

	second := testRecord("ann")
	step("Create (known user)", func(c []fsCall) error {
		return expect(countOps(c, "rename", ann) == 1, countOps(c, "rename", sessionsDir) == 1)
	}, func() error { return s.Create(ctx, second) })

	anon := testRecord("")
	step("Create (anonymous)", func(c []fsCall) error {
		return expect(len(c) == 2, countOps(c, "rename", sessionsDir) == 1)
	}, func() error { return s.Create(ctx, anon) })

	step("Update (values)", func(c []fsCall) error {
		return expect(len(c) == 2, countOps(c, "rename", sessionsDir) == 1)
	}, func() error {
		return s.Update(ctx, rec.ID, func(r *Record) error { r.Values["n"] = json.RawMessage("1"); return nil })
	})

	step("Update (user changes)", func(c []fsCall) error {
		return expect(countOps(c, "rename", ben) == 1, countOps(c, "rename", sessionsDir) == 1, countOps(c, "remove", ann) == 1,
			position(c, "rename", ben) < position(c, "rename", sessionsDir), position(c, "rename", sessionsDir) < position(c, "remove", ann))
	}, func() error {
		return s.Update(ctx, rec.ID, func(r *Record) error { r.User = "ben"; return nil })
	})

	step("Update (user logs out)", func(c []fsCall) error {
		return expect(countOps(c, "rename", sessionsDir) == 1, countOps(c, "remove", ben) == 1,
			position(c, "rename", sessionsDir) < position(c, "remove", ben))
	}, func() error {
		return s.Update(ctx, rec.ID, func(r *Record) error { r.User = ""; return nil })
	})

	step("Delete", func(c []fsCall) error {
		return expect(countOps(c, "remove", sessionsDir) == 1, countOps(c, "remove", ann) == 1,
			position(c, "remove", sessionsDir) < position(c, "remove", ann))
	}, func() error { return s.Delete(ctx, second.ID) })

	step("Delete (anonymous)", func(c []fsCall) error {
		return expect(countOps(c, "remove", sessionsDir) == 1)
	}, func() error { return s.Delete(ctx, anon.ID) })

	step("Delete (missing)", func(c []fsCall) error { return nil }, func() error { return s.Delete(ctx, NewID()) })

	// A stale index entry, dropped by ByUser.
	stale := testRecord("ann")
	if err := s.Create(ctx, stale); err != nil {
		t.Fatal(err)
	}
	os.Remove(s.path(fileName(stale.ID)))
	fsys.take()
	step("ByUser (stale entry)", func(c []fsCall) error {
		return expect(countOps(c, "remove", ann) == 1)
	}, func() error {
		ids, err := s.ByUser(ctx, "ann")
		if len(ids) != 0 {
			return fmt.Errorf("ByUser = %v", ids)
		}
		return err
	})

	// Cleanup: an expired session with an index entry, a damaged file and
	// a stale temporary file.
	expired := testRecord("ann")
	if err := s.Create(ctx, expired); err != nil {
		t.Fatal(err)
	}
	expired.LastSeen = time.Now().Add(-2 * time.Hour)
	b, _ := json.Marshal(expired)
	os.WriteFile(s.path(fileName(expired.ID)), b, 0o600)
	os.WriteFile(s.path(fileName(NewID())), []byte("{"), 0o600)
	tmp := filepath.Join(sessionsDir, ".tmp-1")
	os.WriteFile(tmp, nil, 0o600)
	os.Chtimes(tmp, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	fsys.take()
	step("Cleanup", func(c []fsCall) error {
		return expect(countOps(c, "remove", sessionsDir) == 3, countOps(c, "remove", ann) == 1)
	}, func() error { return s.Cleanup(ctx) })
}

// TestFileStoreReportsFailedDirSync: when the directory cannot be synced,
// the change is not acknowledged: Create, Update and Delete fail.
func TestFileStoreReportsFailedDirSync(t *testing.T) {
	ctx := context.Background()
	s, fsys := newRecordedStore(t)
	rec := testRecord("ann")
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("EIO")
	fsys.failSync = boom
	if err := s.Create(ctx, testRecord("ann")); !errors.Is(err, boom) {
		t.Errorf("Create: %v, want the sync error", err)
	}
	if err := s.Update(ctx, rec.ID, func(*Record) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("Update: %v, want the sync error", err)
	}
	if err := s.Delete(ctx, rec.ID); !errors.Is(err, boom) {
		t.Errorf("Delete: %v, want the sync error", err)
	}
}

// TestFileStoreByUserKeepsEntryOfSessionBeingMoved: ByUser may read an
// index entry after it is written and before the session file that it
// lists is (a user change in progress in another process). It must not
// take the entry for stale and drop it, which would hide the session from
// DestroyUser; it looks again under the record's lock.
func TestFileStoreByUserKeepsEntryOfSessionBeingMoved(t *testing.T) {
	ctx := context.Background()
	s, fsys := newRecordedStore(t)
	rec := testRecord("ann")
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	ben := s.userDir("ben")
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	var once sync.Once
	fsys.before = func(c fsCall) {
		// Ben's entry is in place; the session file still says ann.
		if c.op == "rename" && filepath.Dir(c.path) == filepath.Join(s.dir, "sessions") {
			once.Do(func() {
				go func() {
					ids, err := s.ByUser(ctx, "ben")
					done <- result{ids, err}
				}()
				time.Sleep(50 * time.Millisecond) // let ByUser read the old record
			})
		}
	}
	if err := s.Update(ctx, rec.ID, func(r *Record) error { r.User = "ben"; return nil }); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || !slices.Equal(r.ids, []string{rec.ID}) {
		t.Fatalf("ByUser(ben) during the move = %v, %v; want [%s]", r.ids, r.err, rec.ID[:8])
	}
	if _, err := os.Stat(filepath.Join(ben, fileName(rec.ID))); err != nil {
		t.Fatalf("ben's index entry dropped: %v", err)
	}
	if ids, _ := s.ByUser(ctx, "ben"); !slices.Equal(ids, []string{rec.ID}) {
		t.Fatalf("ByUser(ben) after the move = %v", ids)
	}
}

// TestAttackStoppedProcessHoldsFileLock: a process stopped while it held a
// record's lock (SIGSTOP, a debugger) costs a writer its deadline, not its
// life: the lock is polled until the context ends.
func TestAttackStoppedProcessHoldsFileLock(t *testing.T) {
	s, err := NewFileStore(t.TempDir(), CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	rec := testRecord("ann")
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	unlock, err := s.lock(context.Background(), fileName(rec.ID)) // the stopped process
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = s.Update(ctx, rec.ID, func(*Record) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update under a held lock: %v, want the deadline", err)
	}
	unlock()
	if err := s.Update(context.Background(), rec.ID, func(*Record) error { return nil }); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}
