// Package sessionstest is the conformance suite every session store passes:
// RunStore checks the Store contract directly, RunManager checks the
// session behaviour users see, over HTTP, with the store underneath. Store
// implementations in other modules run it from their own tests.
package sessionstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
)

func record(user string) *sessions.Record {
	now := time.Now()
	return &sessions.Record{
		ID: sessions.NewID(), User: user, Created: now, LastSeen: now,
		Idle: time.Hour, Lifetime: 12 * time.Hour,
		Values: map[string]json.RawMessage{"k": json.RawMessage(`"v"`)},
	}
}

// RunStore runs the Store contract tests against stores made by newStore.
func RunStore(t *testing.T, newStore func(t *testing.T) sessions.Store) {
	ctx := context.Background()
	t.Run("CreateLoad", func(t *testing.T) {
		s := newStore(t)
		rec := record("ada")
		if err := s.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, rec.ID)
		if err != nil || got.ID != rec.ID || got.User != "ada" || string(got.Values["k"]) != `"v"` ||
			!got.Created.Equal(rec.Created) || got.Idle != time.Hour {
			t.Fatalf("Load = %+v, %v", got, err)
		}
		if err := s.Create(ctx, rec); !errors.Is(err, sessions.ErrExists) {
			t.Fatalf("second Create: %v, want ErrExists", err)
		}
		if _, err := s.Load(ctx, sessions.NewID()); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Load unknown: %v", err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		rec := record("")
		s.Create(ctx, rec)
		err := s.Update(ctx, rec.ID, func(r *sessions.Record) error {
			r.Values["n"] = json.RawMessage(`1`)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := s.Update(ctx, rec.ID, func(r *sessions.Record) error {
			r.Values["n"] = json.RawMessage(`2`)
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing fn: %v", err)
		}
		got, _ := s.Load(ctx, rec.ID)
		if string(got.Values["n"]) != "1" {
			t.Fatalf("value %s, want 1 (a failed fn must store nothing)", got.Values["n"])
		}
		if err := s.Update(ctx, sessions.NewID(), func(*sessions.Record) error { return nil }); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Update of a missing record: %v (must never create)", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		rec := record("bob")
		s.Create(ctx, rec)
		if err := s.Delete(ctx, rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, rec.ID); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Load after Delete: %v", err)
		}
		if err := s.Update(ctx, rec.ID, func(*sessions.Record) error { return nil }); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Update after Delete: %v (a deleted session must not come back)", err)
		}
		if err := s.Delete(ctx, rec.ID); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		s := newStore(t)
		idle := record("carol")
		idle.LastSeen = time.Now().Add(-2 * time.Hour) // idle for two hours, timeout one
		old := record("carol")
		old.Created = time.Now().Add(-13 * time.Hour) // past its 12h lifetime, though active
		for _, rec := range []*sessions.Record{idle, old} {
			if err := s.Create(ctx, rec); err != nil && !errors.Is(err, sessions.ErrNotFound) {
				t.Fatal(err)
			}
			if _, err := s.Load(ctx, rec.ID); !errors.Is(err, sessions.ErrNotFound) {
				t.Fatalf("expired record loaded: %v", err)
			}
			if err := s.Update(ctx, rec.ID, func(*sessions.Record) error { return nil }); !errors.Is(err, sessions.ErrNotFound) {
				t.Fatalf("expired record updated: %v", err)
			}
		}
		if ix, ok := s.(sessions.UserIndex); ok {
			if ids, _ := ix.ByUser(ctx, "carol"); len(ids) != 0 {
				t.Fatalf("expired records listed: %v", ids)
			}
		}
	})
	t.Run("ByUser", func(t *testing.T) {
		st := newStore(t)
		s, ok := st.(interface {
			sessions.Store
			sessions.UserIndex
		})
		if !ok {
			t.Skip("the store has no UserIndex")
		}
		a1, a2, b := record("ann"), record("ann"), record("ben")
		for _, r := range []*sessions.Record{a1, a2, b} {
			s.Create(ctx, r)
		}
		ids, err := s.ByUser(ctx, "ann")
		slices.Sort(ids)
		want := []string{a1.ID, a2.ID}
		slices.Sort(want)
		if err != nil || !slices.Equal(ids, want) {
			t.Fatalf("ByUser(ann) = %v, %v; want %v", ids, err, want)
		}
		s.Update(ctx, a2.ID, func(r *sessions.Record) error { r.User = "ben"; return nil })
		s.Delete(ctx, a1.ID)
		if ids, _ := s.ByUser(ctx, "ann"); len(ids) != 0 {
			t.Fatalf("after moving and deleting: ann has %v", ids)
		}
		if ids, _ := s.ByUser(ctx, "ben"); len(ids) != 2 {
			t.Fatalf("ben has %v, want 2", ids)
		}
		if ids, err := s.ByUser(ctx, "nobody"); err != nil || len(ids) != 0 {
			t.Fatalf("unknown user: %v %v", ids, err)
		}
		// Tombstones are records like any other: the Manager needs to find
		// a renew in progress through the index.
		tomb := record("cleo")
		tomb.Values = nil
		tomb.RenamedTo, tomb.TombstoneUntil = sessions.NewID(), time.Now().Add(time.Minute)
		if err := s.Create(ctx, tomb); err != nil {
			t.Fatal(err)
		}
		if ids, err := s.ByUser(ctx, "cleo"); err != nil || len(ids) != 1 || ids[0] != tomb.ID {
			t.Fatalf("ByUser(cleo) = %v, %v; want the tombstone %s", ids, err, tomb.ID)
		}
		if got, err := s.Load(ctx, tomb.ID); err != nil || got.RenamedTo != tomb.RenamedTo {
			t.Fatalf("Load(tombstone) = %+v, %v", got, err)
		}
	})
	t.Run("AtomicUpdates", func(t *testing.T) {
		s := newStore(t)
		rec := record("")
		s.Create(ctx, rec)
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				errs <- s.Update(ctx, rec.ID, func(r *sessions.Record) error {
					var c int
					json.Unmarshal(r.Values["count"], &c)
					r.Values["count"] = json.RawMessage(fmt.Sprint(c + 1))
					return nil
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.Load(ctx, rec.ID)
		if string(got.Values["count"]) != fmt.Sprint(n) {
			t.Fatalf("count %s after %d concurrent increments: updates were lost", got.Values["count"], n)
		}
	})
}
