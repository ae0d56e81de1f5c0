package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/testservers"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The database the tests use: PG_URL's (or DATABASE_URL's), or one on a
// PostgreSQL this test binary starts in a temporary directory.
var (
	dbURL    string
	testPool *pgxpool.Pool
	skipWhy  string
	binDir   string // the server binaries, if found: tests that stop a server start their own
)

func TestMain(m *testing.M) {
	stop, err := setUp()
	if err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("REQUIRE_PG") != "" {
			fmt.Fprintln(os.Stderr, "pgstore: PostgreSQL is required here (CI=true):", err)
			os.Exit(1)
		}
		skipWhy = err.Error() + "; install PostgreSQL (apt-get install postgresql) or set PG_URL to a database the tests may create tables in, to run these tests"
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

func setUp() (func(), error) {
	var stop func()
	binDir, _ = testservers.FindPostgres()
	url := os.Getenv("PG_URL")
	if url == "" {
		url = os.Getenv("DATABASE_URL")
	}
	if url == "" {
		if binDir == "" {
			_, err := testservers.FindPostgres()
			return nil, err
		}
		srv, err := testservers.NewPostgres(binDir)
		if err != nil {
			return nil, err
		}
		if err := srv.Start(); err != nil {
			srv.Remove()
			return nil, err
		}
		stop = srv.Remove
		if err := createDatabase(srv.ConnString("postgres"), "itty_test"); err != nil {
			stop()
			return nil, err
		}
		url = srv.ConnString("itty_test")
	}
	dbURL = url
	var err error
	testPool, err = pgxpool.New(context.Background(), url)
	if err != nil {
		if stop != nil {
			stop()
		}
		return nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := testPool.Ping(ctx); err != nil {
		testPool.Close()
		if stop != nil {
			stop()
		}
		return nil, fmt.Errorf("PostgreSQL does not answer: %w", err)
	}
	return func() {
		closeRing()
		testPool.Close()
		if stop != nil {
			stop()
		}
	}, nil
}

func createDatabase(url, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

var tables atomic.Int64

// freshTable returns a table name no other store of this or another test
// run has used, so every store starts empty even on a shared database.
func freshTable() string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("itty_test_%s_%d", hex.EncodeToString(b), tables.Add(1))
}

// newPGStore returns a store on a new, empty table of the tests' database,
// through pool (testPool if nil). The store is closed and the table
// dropped when the test ends.
func newPGStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if pool == nil {
		pool = testPool
	}
	s := pgstore.New(pool, freshTable(), opts...)
	if err := s.CreateSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		dropTable(t, s.Table())
	})
	return s
}

func dropTable(t testing.TB, table string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := testPool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier(strings.Split(table, ".")).Sanitize()); err != nil {
		t.Errorf("drop %s: %v", table, err)
	}
}

// The conformance suites make thousands of stores (the interleaving proof
// one per order it runs), each of which must start empty. Rather than
// create and drop a table for each, which would make every statement new
// to pgx's statement cache and PostgreSQL's planner and the suites five
// times slower, newStore hands out the tables of a ring in turn, emptying
// each as it does. A store is checked on every call to be still the newest
// holder of its table, so a test that kept using one for longer than the
// ring lasts would fail rather than see another test's sessions vanish.
var ring struct {
	sync.Mutex
	next  int
	slots [32]*ringSlot
}

type ringSlot struct {
	store *pgstore.Store
	gen   atomic.Int64 // counts the stores handed out on the slot
}

// newStore returns a store on an empty table, for the conformance suites.
func newStore(t *testing.T) sessions.Store {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ring.Lock()
	defer ring.Unlock()
	i := ring.next % len(ring.slots)
	ring.next++
	slot := ring.slots[i]
	if slot == nil {
		slot = &ringSlot{store: pgstore.New(testPool, freshTable())}
		if err := slot.store.CreateSchema(context.Background()); err != nil {
			t.Fatal(err)
		}
		ring.slots[i] = slot
	} else if _, err := testPool.Exec(context.Background(), "DELETE FROM "+pgx.Identifier{slot.store.Table()}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return &ringStore{Store: slot.store, t: t, slot: slot, gen: slot.gen.Add(1)}
}

// closeRing closes the ring's stores and drops their tables.
func closeRing() {
	ring.Lock()
	defer ring.Unlock()
	for _, slot := range ring.slots {
		if slot != nil {
			slot.store.Close()
			testPool.Exec(context.Background(), "DROP TABLE "+pgx.Identifier{slot.store.Table()}.Sanitize())
		}
	}
}

// ringStore is a store of the ring, which checks that it is still its
// table's newest holder. Namespace passes through.
type ringStore struct {
	*pgstore.Store
	t    *testing.T
	slot *ringSlot
	gen  int64
}

func (r *ringStore) check() {
	if g := r.slot.gen.Load(); g != r.gen {
		r.t.Errorf("a store from newStore was used after its table had been handed on %d more times; make the ring larger", g-r.gen)
	}
}

func (r *ringStore) Create(ctx context.Context, rec *sessions.Record) error {
	r.check()
	return r.Store.Create(ctx, rec)
}

func (r *ringStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	r.check()
	return r.Store.Load(ctx, id)
}

func (r *ringStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	r.check()
	return r.Store.Update(ctx, id, fn)
}

func (r *ringStore) Delete(ctx context.Context, id string) error {
	r.check()
	return r.Store.Delete(ctx, id)
}

func (r *ringStore) ByUser(ctx context.Context, user string) ([]string, error) {
	r.check()
	return r.Store.ByUser(ctx, user)
}

func TestStoreConformance(t *testing.T) { sessionstest.RunStore(t, newStore) }

func TestManagerConformance(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true}, newStore)
}

// ownServer starts a PostgreSQL of the test's own, which it may stop, and
// returns it and a pool of its postgres database with the store's table
// made; the server is removed when the test ends.
func ownServer(t *testing.T) (*testservers.Postgres, *pgxpool.Pool) {
	t.Helper()
	if binDir == "" {
		_, err := testservers.FindPostgres()
		if os.Getenv("CI") == "true" {
			t.Fatalf("needs a PostgreSQL of its own to stop: %v", err)
		}
		t.Skipf("needs a PostgreSQL of its own to stop: %v; install PostgreSQL (apt-get install postgresql) to run it", err)
	}
	srv, err := testservers.NewPostgres(binDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Remove)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(t.Context(), srv.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.New(pool, "", pgstore.CleanupInterval(-1)).CreateSchema(t.Context()); err != nil {
		t.Fatal(err)
	}
	return srv, pool
}
