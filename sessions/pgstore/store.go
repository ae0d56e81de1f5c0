package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table a store made with an empty table name uses.
const DefaultTable = "itty_sessions"

// DefaultCleanupInterval is how often a store deletes expired rows unless
// told otherwise (see CleanupInterval).
const DefaultCleanupInterval = 5 * time.Minute

// MaxTableNameLen is the longest table name (the part after the schema)
// New accepts: the names of the table's indexes, which add a suffix to it,
// must fit PostgreSQL's 63-byte limit on identifiers.
const MaxTableNameLen = 48

// The names of the table's indexes are the table's with these suffixes.
const (
	userIndexSuffix    = "_user_id_idx"
	expiresIndexSuffix = "_expires_at_idx"
)

// cleanupBatch is how many expired rows one DELETE of Cleanup removes, so
// that a large backlog never holds many row locks for long.
const cleanupBatch = 1000

// cleanupTimeout bounds one round of the cleanup loop.
const cleanupTimeout = time.Minute

// schemaLock is the key of the advisory lock CreateSchema holds while it
// creates a table: one for every table, so that two names of one table
// ("itty_sessions" and "public.itty_sessions") take turns too.
var schemaLock = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("github.com/ittygo/itty/sessions/pgstore.CreateSchema"))
	return int64(h.Sum64())
}()

// maxHeadroom is the most a call gives up before its context's deadline
// (see bound).
const maxHeadroom = 50 * time.Millisecond

// Store keeps sessions in a PostgreSQL table. It is safe for concurrent use
// by many processes on many machines sharing the table.
type Store struct {
	pool   *pgxpool.Pool
	table  string    // as given to New, or DefaultTable
	schema string    // the SQL of SchemaSQL
	names  [3]string // the table and its indexes, quoted, as to_regclass takes them
	q      queries
	log    *slog.Logger

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// queries are the store's statements, with its table's name filled in.
type queries struct {
	create, load, lock, update, delete, byUser, cleanup string
}

var (
	_ sessions.Store      = (*Store)(nil)
	_ sessions.UserIndex  = (*Store)(nil)
	_ sessions.Namespacer = (*Store)(nil)
)

// An Option changes a setting of New.
type Option func(*options)

type options struct {
	interval time.Duration
	log      *slog.Logger
}

// CleanupInterval sets how often the store's cleanup loop deletes expired
// rows: zero means DefaultCleanupInterval, a negative interval means no
// loop (for apps that run Cleanup themselves, from a cron job say).
func CleanupInterval(d time.Duration) Option {
	return func(o *options) { o.interval = d }
}

// Logger sets where the cleanup loop reports the rounds that failed (a
// database outage, say); nil means slog.Default(). Nothing else is logged:
// the store returns its other errors to the Manager, which logs them.
func Logger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// New returns a store keeping sessions in table, through pool, and starts
// its cleanup loop (every DefaultCleanupInterval; see CleanupInterval),
// which Close stops. An empty table means DefaultTable, "itty_sessions".
// The table is named as given, optionally schema-qualified ("app.sessions"):
// each part is a letter or underscore followed by letters, digits and
// underscores, and the table's part is at most MaxTableNameLen bytes long.
// Names are quoted, so they are case-sensitive: "Sessions" is not the table
// an unquoted CREATE TABLE Sessions makes. New panics on any other name, as
// it is a mistake in the program, not a condition to handle.
//
// New does not create the table: call CreateSchema once at start-up, or
// create it with SchemaSQL in your own migrations. Stores may share one
// pool, and stores on the same table, in one process or many, share their
// sessions.
func New(pool *pgxpool.Pool, table string, opts ...Option) *Store {
	if pool == nil {
		panic("pgstore: New: nil pool")
	}
	if table == "" {
		table = DefaultTable
	}
	parts, err := splitName(table)
	if err != nil {
		panic(err)
	}
	o := options{interval: DefaultCleanupInterval, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.interval == 0 {
		o.interval = DefaultCleanupInterval
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	t := pgx.Identifier(parts).Sanitize()
	s := &Store{pool: pool, table: table, log: o.log, schema: schemaSQL(parts)}
	idx := func(suffix string) string {
		return pgx.Identifier(append(parts[:len(parts)-1:len(parts)-1], parts[len(parts)-1]+suffix)).Sanitize()
	}
	s.names = [3]string{t, idx(userIndexSuffix), idx(expiresIndexSuffix)}
	s.q = queries{
		create: `INSERT INTO ` + t + ` AS s (id, user_id, expires_at, data) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at, data = excluded.data
			WHERE s.expires_at <= $5`,
		load:    `SELECT data FROM ` + t + ` WHERE id = $1 AND expires_at > $2`,
		lock:    `SELECT data FROM ` + t + ` WHERE id = $1 AND expires_at > $2 FOR UPDATE`,
		update:  `UPDATE ` + t + ` SET user_id = $2, expires_at = $3, data = $4 WHERE id = $1`,
		delete:  `DELETE FROM ` + t + ` WHERE id = $1`,
		byUser:  `SELECT id FROM ` + t + ` WHERE user_id = $1 AND expires_at > $2`,
		cleanup: `DELETE FROM ` + t + ` WHERE id IN (SELECT id FROM ` + t + ` WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	if o.interval < 0 {
		close(s.done)
	} else {
		go s.cleanupLoop(o.interval)
	}
	return s
}

// splitName checks a table name as New documents it and returns its parts.
func splitName(name string) ([]string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return nil, fmt.Errorf("pgstore: table name %q: at most one dot (schema.table)", name)
	}
	for i, p := range parts {
		if !isIdentifier(p) {
			return nil, fmt.Errorf("pgstore: table name %q: %q is not a name of letters, digits and underscores that starts with a letter or an underscore", name, p)
		}
		limit := 63
		if i == len(parts)-1 {
			limit = MaxTableNameLen
		}
		if len(p) > limit {
			return nil, fmt.Errorf("pgstore: table name %q: %q is longer than %d bytes", name, p, limit)
		}
	}
	return parts, nil
}

func isIdentifier(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// schemaSQL returns the statements that create the table named by parts
// and its indexes.
func schemaSQL(parts []string) string {
	t := pgx.Identifier(parts).Sanitize()
	name := parts[len(parts)-1]
	userIdx := pgx.Identifier{name + userIndexSuffix}.Sanitize()
	expiresIdx := pgx.Identifier{name + expiresIndexSuffix}.Sanitize()
	return `CREATE TABLE IF NOT EXISTS ` + t + ` (
	id         text COLLATE "C" PRIMARY KEY,
	user_id    text COLLATE "C",
	expires_at timestamptz NOT NULL,
	data       bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + userIdx + ` ON ` + t + ` (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ` + expiresIdx + ` ON ` + t + ` (expires_at);
`
}

// Table returns the name of the store's table, as given to New (or
// DefaultTable).
func (s *Store) Table() string { return s.table }

// SchemaSQL returns the SQL that creates the store's table and its
// indexes, if they do not exist yet, for apps that manage their schema
// with migrations of their own. (The package documentation shows it for
// DefaultTable.) CreateSchema runs the same statements.
func (s *Store) SchemaSQL() string { return s.schema }

// CreateSchema creates the store's table and its indexes if they do not
// exist yet. It is safe to call at every start-up, from any number of
// instances at once. When the table and both indexes exist it only looks
// them up, taking no lock. Otherwise it runs SchemaSQL in a transaction
// that holds an advisory lock of this package's, so that concurrent calls
// take turns rather than fail on PostgreSQL's catalog, as concurrent CREATE
// TABLE IF NOT EXISTS statements can. A schema in the table's name must
// exist already.
func (s *Store) CreateSchema(ctx context.Context) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL`,
		s.names[0], s.names[1], s.names[2]).Scan(&exists)
	if err == nil && exists {
		return nil
	}
	if err == nil {
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, s.schema) // no arguments: one round trip for all the statements
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("pgstore: create schema of %s: %w", s.table, err)
	}
	return nil
}

// Close stops the cleanup loop and waits for a round in progress to end. It
// does not close the pool. Calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.stop) })
	<-s.done
	return nil
}

func (s *Store) cleanupLoop(interval time.Duration) {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel() // end a round in progress
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			rctx, rcancel := context.WithTimeout(ctx, cleanupTimeout)
			err := s.Cleanup(rctx)
			rcancel()
			if err != nil && ctx.Err() == nil {
				s.log.Error("pgstore: cleanup failed; will try again", "table", s.table, "err", err)
			}
		}
	}
}

// Cleanup deletes the expired rows now, in batches, skipping rows that
// other transactions hold (a concurrent Cleanup elsewhere, an Update),
// which the next round deletes. The cleanup loop calls it; apps that turn
// the loop off (CleanupInterval) call it themselves. Expired rows are never
// returned before Cleanup runs: it only reclaims their space.
func (s *Store) Cleanup(ctx context.Context) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "cleanup of "+s.table)
	if err != nil {
		return err
	}
	defer conn.Release()
	now := time.Now()
	for {
		tag, err := conn.Exec(ctx, s.q.cleanup, now, cleanupBatch)
		if err != nil {
			return fmt.Errorf("pgstore: cleanup of %s: %w", s.table, err)
		}
		if tag.RowsAffected() < cleanupBatch {
			return nil
		}
	}
}

// Namespace implements sessions.Namespacer, and accepts every Manager: one
// table can serve several Managers, because every record carries the scope
// of the Manager that made it (its cookie name) and a Manager never loads,
// renews or destroys the records of another scope. The instances of one
// app, which share a cookie name, share their sessions through the table;
// apps that must not even share a table get one each from New.
func (s *Store) Namespace(cookieName string) error { return nil }

// expiry is rec's ExpiresAt as the table keeps it: rounded up to the
// microsecond PostgreSQL stores, so the row never expires before the
// record does.
func expiry(rec *sessions.Record) time.Time {
	t := rec.ExpiresAt()
	if r := t.Truncate(time.Microsecond); !r.Equal(t) {
		return r.Add(time.Microsecond)
	}
	return t
}

// userID is the user_id column of rec: NULL for an anonymous session, so
// that the index holds only the sessions of users.
func userID(rec *sessions.Record) any {
	if rec.User == "" {
		return nil
	}
	return rec.User
}

// decode returns the record in data, or ErrNotFound if it is damaged (not
// written by this package) or has expired at now.
func decode(data []byte, id string, now time.Time) (*sessions.Record, error) {
	var rec sessions.Record
	if err := json.Unmarshal(data, &rec); err != nil || rec.ID != id {
		return nil, sessions.ErrNotFound
	}
	if rec.Expired(now) {
		return nil, sessions.ErrNotFound
	}
	return &rec, nil
}

// Create implements sessions.Store. A row of the same id that has expired
// (and Cleanup has not deleted yet) is replaced.
func (s *Store) Create(ctx context.Context, rec *sessions.Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("pgstore: create: %w", err)
	}
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "create")
	if err != nil {
		return err
	}
	defer conn.Release()
	tag, err := conn.Exec(ctx, s.q.create, rec.ID, userID(rec), expiry(rec), data, time.Now())
	if err != nil {
		return fmt.Errorf("pgstore: create: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return sessions.ErrExists // a live row has the id
	}
	return nil
}

// Load implements sessions.Store.
func (s *Store) Load(ctx context.Context, id string) (*sessions.Record, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "load")
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	now := time.Now()
	var data []byte
	err = conn.QueryRow(ctx, s.q.load, id, now).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, sessions.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: load: %w", err)
	}
	return decode(data, id, now)
}

// Update implements sessions.Store. It locks the row (SELECT ... FOR
// UPDATE) in a transaction, calls fn and writes what fn leaves before it
// commits, so concurrent Updates of one id, from any process, take turns
// and never retry. fn is not called once ctx is done, nor once the store
// has stopped waiting, shortly before ctx's deadline (see the package
// documentation on timeouts).
func (s *Store) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "update")
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("pgstore: update: %w", err)
	}
	defer tx.Rollback(ctx) // after Commit, it does nothing
	now := time.Now()
	var data []byte
	err = tx.QueryRow(ctx, s.q.lock, id, now).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return sessions.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("pgstore: update: %w", err)
	}
	rec, err := decode(data, id, time.Now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// The row came too late: the caller is about to stop waiting.
		return fmt.Errorf("pgstore: update: %w", context.Cause(ctx))
	}
	if err := fn(rec); err != nil {
		return err // rolled back
	}
	rec.ID = id
	if data, err = json.Marshal(rec); err != nil {
		return fmt.Errorf("pgstore: update: %w", err)
	}
	if _, err := tx.Exec(ctx, s.q.update, id, userID(rec), expiry(rec), data); err != nil {
		return fmt.Errorf("pgstore: update: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: update: commit: %w", err)
	}
	return nil
}

// Delete implements sessions.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "delete")
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, s.q.delete, id); err != nil {
		return fmt.Errorf("pgstore: delete: %w", err)
	}
	return nil
}

// ByUser implements sessions.UserIndex: the ids of the user's unexpired
// rows, tombstones included.
func (s *Store) ByUser(ctx context.Context, user string) ([]string, error) {
	ctx, cancel := bound(ctx)
	defer cancel()
	conn, err := s.acquire(ctx, "by user")
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, s.q.byUser, user, time.Now())
	if err != nil {
		return nil, fmt.Errorf("pgstore: by user: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: by user: %w", err)
	}
	return ids, nil
}

// acquire takes a connection from the pool for op. Its error says so, to
// tell a pool whose connections are all busy, or a server that does not
// accept new ones, from a query that failed.
func (s *Store) acquire(ctx context.Context, op string) (*pgxpool.Conn, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: getting a connection from the pool: %w", op, err)
	}
	return conn, nil
}

// bound returns ctx with its deadline brought forward by a tenth of the
// time left, at most maxHeadroom. The Manager stops waiting for a store
// call at its deadline; a call that gives up a little earlier answers with
// the reason (a query that timed out, a connection refused) rather than
// be abandoned, and Update never calls its fn after the Manager has
// stopped waiting. A context without a deadline is returned as it is.
func bound(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	headroom := min(time.Until(deadline)/10, maxHeadroom)
	if headroom <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(-headroom))
}
