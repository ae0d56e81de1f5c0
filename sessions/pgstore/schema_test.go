package pgstore_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// newPools returns n pools of the tests' database, each connected, closed
// when the test ends: n instances of an app starting at once.
func newPools(t *testing.T, n int) []*pgxpool.Pool {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		p, err := pgxpool.New(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		if err := p.Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
		pools[i] = p
	}
	return pools
}

// together runs f(i) for each i < n on its own goroutine, releasing them
// at once, and returns their errors.
func together(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		wg.Go(func() {
			ready.Done()
			<-start
			errs[i] = f(i)
		})
	}
	ready.Wait()
	close(start)
	wg.Wait()
	return errs
}

// indexes returns the names of the indexes of table (unqualified, in the
// current schema).
func indexes(t *testing.T, table string) []string {
	t.Helper()
	rows, _ := testPool.Query(t.Context(), `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`, table)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestCreateSchemaConcurrent starts eight instances at once, each with a
// pool of its own, all calling CreateSchema on a table that does not exist
// yet, in several rounds: every call must succeed, and leave the table with
// its indexes. The same statements run without the advisory lock show what
// it prevents (logged, not checked: the race is PostgreSQL's to lose).
func TestCreateSchemaConcurrent(t *testing.T) {
	const instances, rounds = 8, 10
	pools := newPools(t, instances)
	var took []time.Duration
	for range rounds {
		table := freshTable()
		t.Cleanup(func() { dropTable(t, table) })
		start := time.Now()
		errs := together(instances, func(i int) error {
			s := pgstore.New(pools[i], table, pgstore.CleanupInterval(-1))
			defer s.Close()
			return s.CreateSchema(t.Context())
		})
		took = append(took, time.Since(start))
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: CreateSchema: %v", i, err)
			}
		}
		want := []string{table + "_expires_at_idx", table + "_pkey", table + "_user_id_idx"}
		if got := indexes(t, table); !slices.Equal(got, want) {
			t.Fatalf("indexes %v, want %v", got, want)
		}
	}

	// Without the lock.
	failedRounds, failures := 0, 0
	var first error
	for range rounds {
		table := freshTable()
		t.Cleanup(func() { dropTable(t, table) })
		sql := pgstore.New(testPool, table, pgstore.CleanupInterval(-1)).SchemaSQL()
		errs := together(instances, func(i int) error {
			_, err := pools[i].Exec(t.Context(), sql)
			return err
		})
		n := 0
		for _, err := range errs {
			if err != nil {
				n++
				if first == nil {
					first = err
				}
			}
		}
		failures += n
		if n > 0 {
			failedRounds++
		}
	}
	t.Logf("%d rounds of %d concurrent CreateSchema calls: all %d calls succeeded (a round took %v–%v); "+
		"the same SQL without the advisory lock failed in %d of %d rounds (%d calls; first error: %v)",
		rounds, instances, rounds*instances, slices.Min(took).Round(time.Millisecond), slices.Max(took).Round(time.Millisecond),
		failedRounds, rounds, failures, first)
}

// TestSchemaSQL checks the schema others may create themselves: SchemaSQL
// run by hand, in one statement as a migration tool would, makes a table
// the store works with, with the documented columns, and CreateSchema then
// finds it. The package documentation shows SchemaSQL for the default
// table, word for word.
func TestSchemaSQL(t *testing.T) {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ctx := t.Context()
	table := freshTable()
	t.Cleanup(func() { dropTable(t, table) })
	s := pgstore.New(testPool, table, pgstore.CleanupInterval(-1))
	defer s.Close()
	if _, err := testPool.Exec(ctx, s.SchemaSQL()); err != nil {
		t.Fatalf("SchemaSQL by hand: %v\n%s", err, s.SchemaSQL())
	}
	if err := s.CreateSchema(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ := testPool.Query(ctx, `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"id text NO", "user_id text YES", "expires_at timestamp with time zone NO", "data bytea NO"}
	if !slices.Equal(cols, want) {
		t.Fatalf("columns %q, want %q", cols, want)
	}
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), User: "ada", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.ByUser(ctx, "ada"); err != nil || len(ids) != 1 || ids[0] != rec.ID {
		t.Fatalf("ByUser: %v %v", ids, err)
	}
	var user string
	var expires time.Time
	if err := testPool.QueryRow(ctx, `SELECT user_id, expires_at FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = $1`, rec.ID).Scan(&user, &expires); err != nil {
		t.Fatal(err)
	}
	if user != "ada" || expires.Before(rec.ExpiresAt().Truncate(time.Microsecond)) || expires.Sub(rec.ExpiresAt()) > time.Microsecond {
		t.Fatalf("row: user %q, expires %v; want ada, %v", user, expires, rec.ExpiresAt())
	}

	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	def := pgstore.New(testPool, "", pgstore.CleanupInterval(-1))
	defer def.Close()
	if def.Table() != pgstore.DefaultTable || pgstore.DefaultTable != "itty_sessions" {
		t.Fatalf("default table %q", def.Table())
	}
	var quoted strings.Builder
	for line := range strings.Lines(def.SchemaSQL()) {
		quoted.WriteString("//\t" + line)
	}
	if !strings.Contains(string(doc), quoted.String()) {
		t.Fatalf("the package documentation does not show the schema SQL as it is:\n%s", quoted.String())
	}
}

// TestTableNames checks the names New takes: the default, a schema-
// qualified one (here a reserved word, which the quoting makes safe), one
// with capitals, and every other name refused with a panic, injection
// attempts included.
func TestTableNames(t *testing.T) {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ctx := t.Context()
	for _, bad := range []string{
		"a.b.c", "1sessions", "bad-name", "two words", ".t", "s.", "sessions;", `x"; DROP TABLE y; --`,
		"séance", strings.Repeat("t", pgstore.MaxTableNameLen+1), strings.Repeat("s", 64) + ".t",
	} {
		func() {
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "pgstore: table name") {
					t.Errorf("New(%q): recovered %v, want a panic naming the table", bad, r)
				}
			}()
			pgstore.New(testPool, bad, pgstore.CleanupInterval(-1))
		}()
	}

	schema := freshTable() + "_schema"
	if _, err := testPool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testPool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	for _, name := range []string{"user", "MixedCase", strings.Repeat("t", pgstore.MaxTableNameLen)} {
		s := pgstore.New(testPool, schema+"."+name, pgstore.CleanupInterval(-1))
		defer s.Close()
		for range 2 {
			if err := s.CreateSchema(ctx); err != nil {
				t.Fatalf("%s: %v", s.Table(), err)
			}
		}
		rec := &sessions.Record{ID: sessions.NewID(), Created: time.Now(), LastSeen: time.Now(), Idle: time.Hour, Lifetime: time.Hour}
		if err := s.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, rec.ID); err != nil {
			t.Fatalf("%s: Load: %v", s.Table(), err)
		}
		var n int
		if err := testPool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`, schema, name).Scan(&n); err != nil || n != 3 {
			t.Fatalf("%s: %d indexes in schema %s, %v; want 3", s.Table(), n, schema, err)
		}
	}
	// A schema that does not exist is an error from CreateSchema, not a
	// table somewhere else.
	s := pgstore.New(testPool, "no_such_schema_itty.sessions", pgstore.CleanupInterval(-1))
	defer s.Close()
	if err := s.CreateSchema(ctx); err == nil || !strings.Contains(err.Error(), "no_such_schema_itty") {
		t.Fatalf("CreateSchema in a missing schema: %v", err)
	}
	if _, err := s.Load(ctx, sessions.NewID()); err == nil || errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("Load from a missing table: %v, want an error other than ErrNotFound", err)
	}
}
