package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rows counts the rows of the store's table, expired ones included.
func rows(t *testing.T, s *pgstore.Store) int {
	t.Helper()
	var n int
	if err := testPool.QueryRow(t.Context(), `SELECT count(*) FROM `+pgx.Identifier{s.Table()}.Sanitize()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func liveRecord(user string) *sessions.Record {
	now := time.Now()
	return &sessions.Record{ID: sessions.NewID(), User: user, Created: now, LastSeen: now, Idle: time.Hour, Lifetime: 12 * time.Hour}
}

// expiredRecord has been idle for longer than its idle timeout.
func expiredRecord(user string) *sessions.Record {
	r := liveRecord(user)
	r.LastSeen = r.LastSeen.Add(-2 * time.Hour)
	return r
}

// TestCleanup checks that Cleanup deletes the expired rows, in several
// batches when there are many, and keeps the live ones (sessions and
// tombstones), which are then as they were.
func TestCleanup(t *testing.T) {
	s := newPGStore(t, nil, pgstore.CleanupInterval(-1))
	ctx := t.Context()
	live, expired := liveRecord("ada"), expiredRecord("ada")
	tomb := liveRecord("ada")
	tomb.RenamedTo, tomb.TombstoneUntil = live.ID, time.Now().Add(time.Minute)
	oldTomb := liveRecord("bob")
	oldTomb.Ended, oldTomb.TombstoneUntil = true, time.Now().Add(-time.Second)
	for _, r := range []*sessions.Record{live, expired, tomb, oldTomb} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// A backlog of expired rows, as after a weekend without cleanup.
	const backlog = 2500
	if _, err := testPool.Exec(ctx, `INSERT INTO `+pgx.Identifier{s.Table()}.Sanitize()+` (id, user_id, expires_at, data)
		SELECT 'old' || g, 'u' || (g % 10), now() - interval '1 minute', '{}' FROM generate_series(1, $1) g`, backlog); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, s); n != backlog+4 {
		t.Fatalf("%d rows before Cleanup, want %d", n, backlog+4)
	}
	// Expired rows are never returned, cleaned up or not.
	if _, err := s.Load(ctx, expired.ID); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("Load of an expired row: %v", err)
	}
	if ids, err := s.ByUser(ctx, "u1"); err != nil || len(ids) != 0 {
		t.Fatalf("ByUser of expired rows: %v %v", ids, err)
	}

	start := time.Now()
	if err := s.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if n := rows(t, s); n != 2 {
		t.Fatalf("%d rows after Cleanup, want 2 (the live session and tombstone)", n)
	}
	if got, err := s.Load(ctx, live.ID); err != nil || got.User != "ada" {
		t.Fatalf("live session after Cleanup: %+v %v", got, err)
	}
	if got, err := s.Load(ctx, tomb.ID); err != nil || got.RenamedTo != live.ID {
		t.Fatalf("live tombstone after Cleanup: %+v %v", got, err)
	}
	if err := s.Cleanup(ctx); err != nil || rows(t, s) != 2 {
		t.Fatalf("second Cleanup: %v, %d rows", err, rows(t, s))
	}
	t.Logf("Cleanup deleted %d expired rows in %v, keeping the 2 live ones", backlog+2, took.Round(time.Millisecond))
}

// TestCleanupLoop checks that the loop New starts deletes expired rows by
// itself, that Close stops it, and that a failed round is logged.
func TestCleanupLoop(t *testing.T) {
	s := newPGStore(t, nil, pgstore.CleanupInterval(20*time.Millisecond))
	ctx := t.Context()
	expired := expiredRecord("")
	if err := s.Create(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, liveRecord("")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); rows(t, s) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows 5 s after the loop should have run, want 1", rows(t, s))
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close() // again: harmless
	if err := s.Create(ctx, expiredRecord("")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := rows(t, s); n != 2 {
		t.Fatalf("%d rows after Close, want 2: the loop must have stopped", n)
	}

	closed, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	logs := &sessionstest.LogBuffer{}
	broken := pgstore.New(closed, s.Table(), pgstore.CleanupInterval(10*time.Millisecond),
		pgstore.Logger(slog.New(slog.NewTextHandler(logs, nil))))
	defer broken.Close()
	for deadline := time.Now().Add(5 * time.Second); !logs.Contains("pgstore: cleanup failed"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no failed round logged: %q", logs.String())
		}
	}
}

// TestCreateReplacesExpiredRow checks that Create takes over an id whose
// row has expired but not been cleaned up yet, and refuses one whose row
// is live, as the Manager's destroy and renew need.
func TestCreateReplacesExpiredRow(t *testing.T) {
	s := newPGStore(t, nil, pgstore.CleanupInterval(-1))
	ctx := t.Context()
	old := expiredRecord("ada")
	if err := s.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	fresh := liveRecord("bob")
	fresh.ID = old.ID
	if err := s.Create(ctx, fresh); err != nil {
		t.Fatalf("Create over an expired row: %v", err)
	}
	if got, err := s.Load(ctx, old.ID); err != nil || got.User != "bob" {
		t.Fatalf("Load: %+v %v", got, err)
	}
	if ids, _ := s.ByUser(ctx, "ada"); len(ids) != 0 {
		t.Fatalf("the expired row's user still has %v", ids)
	}
	again := liveRecord("eve")
	again.ID = old.ID
	if err := s.Create(ctx, again); !errors.Is(err, sessions.ErrExists) {
		t.Fatalf("Create over a live row: %v, want ErrExists", err)
	}
	if got, _ := s.Load(ctx, old.ID); got == nil || got.User != "bob" {
		t.Fatalf("a refused Create changed the row: %+v", got)
	}
}

// TestValuesKeptExactly stores values jsonb would refuse ("\u0000") or
// rewrite (key order, spacing, number forms), and checks that they come
// back byte for byte.
func TestValuesKeptExactly(t *testing.T) {
	s := newPGStore(t, nil, pgstore.CleanupInterval(-1))
	ctx := context.Background()
	rec := liveRecord("ada")
	values := map[string]json.RawMessage{
		"nul":    json.RawMessage(`"a\u0000b"`),
		"order":  json.RawMessage(`{"z":1,"a":2}`),
		"number": json.RawMessage(`1.50`),
		"big":    json.RawMessage(`123456789012345678901234567890`),
	}
	rec.Values = values
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, rec.ID, func(r *sessions.Record) error {
		r.Values["added"] = json.RawMessage(`"\u0000"`)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	values["added"] = json.RawMessage(`"\u0000"`)
	for k, v := range values {
		if string(got.Values[k]) != string(v) {
			t.Errorf("value %s: %s, want %s", k, got.Values[k], v)
		}
	}
}
