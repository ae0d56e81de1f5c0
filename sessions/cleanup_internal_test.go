package sessions

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// cleanable is what every store with a cleanup goroutine offers, here and
// in pgstore: the same Cleanup and Close.
type cleanable interface {
	Store
	Cleanup(ctx context.Context) error
	Close() error
}

var (
	_ cleanable = (*MemoryStore)(nil)
	_ cleanable = (*FileStore)(nil)
)

// cleanedStore opens a store of this package that has a cleanup goroutine.
// records counts the records it holds and users the index entries of a
// user, expired ones included, without going through the Store, which
// would remove an expired record by itself on reading it.
type cleanedStore struct {
	name     string
	interval time.Duration // the default
	open     func(t *testing.T, opts ...StoreOption) (s cleanable, records func() int, users func(user string) int)
}

var cleanedStores = []cleanedStore{
	{"memory", DefaultMemoryCleanupInterval, func(t *testing.T, opts ...StoreOption) (cleanable, func() int, func(string) int) {
		s := NewMemoryStore(opts...)
		records := func() int {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.records)
		}
		users := func(user string) int {
			s.mu.Lock()
			defer s.mu.Unlock()
			return len(s.users[user])
		}
		return s, records, users
	}},
	{"file", DefaultFileCleanupInterval, func(t *testing.T, opts ...StoreOption) (cleanable, func() int, func(string) int) {
		s, err := NewFileStore(t.TempDir(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		count := func(dir string, keep func(string) bool) int {
			entries, err := os.ReadDir(dir)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if keep(e.Name()) {
					n++
				}
			}
			return n
		}
		records := func() int {
			return count(s.sessionsDir(), func(name string) bool { return strings.HasSuffix(name, ".json") })
		}
		users := func(user string) int { return count(s.userDir(user), isFileName) }
		return s, records, users
	}},
}

// liveFor returns a record of user that expires d from now.
func liveFor(user string, d time.Duration) *Record {
	now := time.Now()
	return &Record{ID: NewID(), User: user, Created: now, LastSeen: now, Idle: d, Lifetime: d}
}

// TestCleanupRemovesExpiredRecords: Cleanup, called directly, removes the
// expired records and their user's index entries, keeps the live ones,
// and has nothing left to do when called again.
func TestCleanupRemovesExpiredRecords(t *testing.T) {
	for _, st := range cleanedStores {
		t.Run(st.name, func(t *testing.T) {
			s, records, users := st.open(t, CleanupInterval(-1))
			defer s.Close()
			ctx := t.Context()
			live := liveFor("ada", time.Hour)
			for _, r := range []*Record{live, liveFor("ada", -time.Second), liveFor("", -time.Second)} {
				if err := s.Create(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if n, u := records(), users("ada"); n != 3 || u != 2 {
				t.Fatalf("before Cleanup: %d records, %d index entries for ada; want 3 and 2", n, u)
			}
			for range 2 {
				if err := s.Cleanup(ctx); err != nil {
					t.Fatal(err)
				}
				if n, u := records(), users("ada"); n != 1 || u != 1 {
					t.Fatalf("after Cleanup: %d records, %d index entries for ada; want 1 and 1", n, u)
				}
			}
			if got, err := s.Load(ctx, live.ID); err != nil || got.User != "ada" {
				t.Fatalf("the live record after Cleanup: %+v, %v", got, err)
			}
		})
	}
}

// TestCleanupInterval: the cleanup goroutine removes an expired record at
// the interval the store was given (its default when none or zero was),
// not before; a negative interval starts no goroutine; and Close stops it.
func TestCleanupInterval(t *testing.T) {
	for _, st := range cleanedStores {
		cases := []struct {
			name  string
			opts  []StoreOption
			every time.Duration // negative: never
		}{
			{"default", nil, st.interval},
			{"zero", []StoreOption{CleanupInterval(0)}, st.interval},
			{"hourly", []StoreOption{CleanupInterval(time.Hour)}, time.Hour},
			{"off", []StoreOption{CleanupInterval(-1)}, -1},
		}
		for _, tc := range cases {
			t.Run(st.name+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s, records, _ := st.open(t, tc.opts...)
					defer s.Close()
					ctx := t.Context()
					for _, r := range []*Record{liveFor("", time.Second), liveFor("", 365*24*time.Hour)} {
						if err := s.Create(ctx, r); err != nil {
							t.Fatal(err)
						}
					}
					if tc.every < 0 {
						time.Sleep(30 * 24 * time.Hour)
						synctest.Wait()
						if n := records(); n != 2 {
							t.Fatalf("%d records after 30 days with cleanup off, want 2", n)
						}
						return
					}
					time.Sleep(tc.every - time.Millisecond)
					synctest.Wait()
					if n := records(); n != 2 {
						t.Fatalf("%d records just before the interval %v, want 2", n, tc.every)
					}
					time.Sleep(2 * time.Millisecond)
					synctest.Wait()
					if n := records(); n != 1 {
						t.Fatalf("%d records just after the interval %v, want 1 (the live one)", n, tc.every)
					}

					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					if err := s.Create(ctx, liveFor("", time.Second)); err != nil {
						t.Fatal(err)
					}
					time.Sleep(3 * tc.every)
					synctest.Wait()
					if n := records(); n != 2 {
						t.Fatalf("%d records three intervals after Close, want 2: the goroutine must have stopped", n)
					}
				})
			})
		}
	}
}

// TestCloseEndsARoundInProgress: Close cancels the context of a cleanup
// round that is running, rather than waiting for it to end by itself (a
// file store waiting on a lock held by a stopped process, say). Without
// the cancel, the bubble deadlocks and the test fails.
func TestCloseEndsARoundInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var j janitor
		started := make(chan struct{})
		var once sync.Once
		j.start(storeOptions{interval: time.Minute, log: slog.Default()}, "test", func(ctx context.Context) error {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return ctx.Err()
		})
		<-started
		j.close()
		j.close() // again: harmless
	})
}

// TestFailedCleanupIsLogged: a round that fails is reported on the
// CleanupLogger, naming the store, and the next round runs; Close's own
// cancellation is not reported.
func TestFailedCleanupIsLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
		rounds := 0
		var j janitor
		j.start(resolveStoreOptions(time.Minute, []StoreOption{CleanupLogger(log)}), "files", func(ctx context.Context) error {
			rounds++
			return errors.New("permission denied")
		})
		time.Sleep(2*time.Minute + time.Second)
		synctest.Wait()
		j.close()
		mu.Lock()
		defer mu.Unlock()
		if rounds != 2 || strings.Count(buf.String(), "sessions: cleanup failed") != 2 ||
			!strings.Contains(buf.String(), "store=files") || !strings.Contains(buf.String(), "permission denied") {
			t.Fatalf("%d rounds, log:\n%s", rounds, buf.String())
		}
	})
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
