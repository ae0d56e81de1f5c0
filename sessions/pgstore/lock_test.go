package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
)

func count(r *sessions.Record) int {
	var n int
	json.Unmarshal(r.Values["count"], &n)
	return n
}

func setCount(r *sessions.Record, n int) {
	if r.Values == nil {
		r.Values = map[string]json.RawMessage{}
	}
	r.Values["count"] = json.RawMessage(fmt.Sprint(n))
}

// TestUpdateHoldsRowLock shows that Update holds its row's lock in
// PostgreSQL while its fn runs: with the first Update's fn held open, a
// second Update of the same id, from another pool (another machine), waits
// in PostgreSQL on a row lock and does not call its fn; a Load is not held
// up; a third Update with a short deadline gives up in time without
// calling its fn; an Update of another id is not held up either. Once the
// first fn returns, the second runs on what the first stored.
func TestUpdateHoldsRowLock(t *testing.T) {
	s1 := newPGStore(t, nil)
	s2 := pgstore.New(newPools(t, 1)[0], s1.Table(), pgstore.CleanupInterval(-1))
	defer s2.Close()
	ctx := context.Background()
	rec, other := liveRecord("ada"), liveRecord("bob")
	setCount(rec, 0)
	for _, r := range []*sessions.Record{rec, other} {
		if err := s1.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	inFirst, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s1.Update(ctx, rec.ID, func(r *sessions.Record) error {
			setCount(r, count(r)+1)
			close(inFirst)
			<-release
			return nil
		})
	}()
	<-inFirst
	held := time.Now()

	var secondCalled atomic.Int64 // when the second fn started, in ns since held
	var secondSaw atomic.Int64
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- s2.Update(ctx, rec.ID, func(r *sessions.Record) error {
			secondCalled.Store(int64(time.Since(held)))
			secondSaw.Store(int64(count(r)))
			setCount(r, count(r)+1)
			return nil
		})
	}()

	// The second Update's SELECT ... FOR UPDATE waits on the lock, in
	// PostgreSQL.
	var waiting int
	for deadline := time.Now().Add(5 * time.Second); waiting == 0; time.Sleep(5 * time.Millisecond) {
		if err := testPool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple') AND query LIKE '%FOR UPDATE%' AND query LIKE '%' || $1 || '%'`,
			s1.Table()).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no Update is waiting on the row lock in PostgreSQL")
		}
	}
	if got, err := s2.Load(ctx, rec.ID); err != nil || count(got) != 0 {
		t.Fatalf("Load while the row is locked: %+v %v, want the committed count 0 at once", got, err)
	}
	if err := s2.Update(ctx, other.ID, func(r *sessions.Record) error { setCount(r, 7); return nil }); err != nil {
		t.Fatalf("Update of another id while the row is locked: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	var thirdCalled atomic.Bool
	start := time.Now()
	err := s2.Update(short, rec.ID, func(*sessions.Record) error { thirdCalled.Store(true); return nil })
	cancel()
	gaveUp := time.Since(start)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || gaveUp >= 300*time.Millisecond || thirdCalled.Load() {
		t.Fatalf("Update with a 300ms deadline on a locked row: %v after %v, fn called: %v; want a deadline error before 300ms, fn not called",
			err, gaveUp, thirdCalled.Load())
	}
	time.Sleep(100 * time.Millisecond)
	if secondCalled.Load() != 0 {
		t.Fatalf("the second Update called its fn %v after the first had locked the row, while it still held it", time.Duration(secondCalled.Load()))
	}

	heldFor := time.Since(held)
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if saw := secondSaw.Load(); saw != 1 {
		t.Fatalf("the second Update's fn saw count %d, want the first's 1", saw)
	}
	if d := time.Duration(secondCalled.Load()); d < heldFor {
		t.Fatalf("the second fn ran %v after the lock was taken, before the first released it at %v", d, heldFor)
	}
	if got, _ := s1.Load(ctx, rec.ID); count(got) != 2 {
		t.Fatalf("count %d, want 2", count(got))
	}
	t.Logf("the second Update waited on the row lock in PostgreSQL for as long as the first held it (%v; its fn ran %v after the lock was taken, on count 1); a Load and an Update of another id meanwhile were not held; an Update with a 300ms deadline gave up after %v without calling its fn",
		heldFor.Round(time.Millisecond), time.Duration(secondCalled.Load()).Round(time.Millisecond), gaveUp.Round(time.Millisecond))
}

// TestAtomicUpdatesAcrossPools is RunStore's AtomicUpdates across four
// pools (four machines) on one table: 80 concurrent increments of one
// session, every one of which lands.
func TestAtomicUpdatesAcrossPools(t *testing.T) {
	const machines, each = 4, 20
	pools := newPools(t, machines)
	s := newPGStore(t, nil)
	rec := liveRecord("")
	setCount(rec, 0)
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	stores := make([]*pgstore.Store, machines)
	for i, p := range pools {
		stores[i] = pgstore.New(p, s.Table(), pgstore.CleanupInterval(-1))
		defer stores[i].Close()
	}
	var wg sync.WaitGroup
	errs := make(chan error, machines*each)
	start := time.Now()
	for i := range machines * each {
		wg.Go(func() {
			errs <- stores[i%machines].Update(t.Context(), rec.ID, func(r *sessions.Record) error {
				setCount(r, count(r)+1)
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
	got, err := s.Load(t.Context(), rec.ID)
	if err != nil || count(got) != machines*each {
		t.Fatalf("count %d after %d concurrent increments from %d pools (%v): updates were lost", count(got), machines*each, machines, err)
	}
	t.Logf("%d concurrent increments from %d pools all landed, in %v", machines*each, machines, time.Since(start).Round(time.Millisecond))
}
