// Package pgstore is a sessions.Store on PostgreSQL, for itty apps that run
// on several machines and have a database already. It lives in its own
// module so that apps without PostgreSQL do not download a driver. It uses
// pgx through a pgxpool.Pool:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	store := pgstore.New(pool, "") // the table itty_sessions
//	defer store.Close()
//	if err := store.CreateSchema(ctx); err != nil {
//		return err
//	}
//	mgr, err := sessions.New(app, store, sessions.Options{})
//
// Each session is one row holding the JSON record, indexed by user so that
// "log out everywhere" reads only that user's rows. Updates lock their row
// (SELECT ... FOR UPDATE) in a transaction, so concurrent requests on
// several machines take turns on a session and never lose each other's
// changes, without retries. Tombstones (the records a renew or a destroy
// leaves behind) are kept and indexed like any other record; the Manager
// tells them apart.
//
// # The table
//
// New(pool, "") keeps sessions in the table itty_sessions (DefaultTable);
// give New another name, optionally schema-qualified ("app.sessions"), for
// another table. Names are quoted, and so case-sensitive. CreateSchema
// creates the table and its indexes if they are missing; it is safe to run
// at every start-up, on every instance at once. Apps that manage their
// schema with migrations of their own run SchemaSQL instead, which for the
// default table is:
//
//	CREATE TABLE IF NOT EXISTS "itty_sessions" (
//		id         text COLLATE "C" PRIMARY KEY,
//		user_id    text COLLATE "C",
//		expires_at timestamptz NOT NULL,
//		data       bytea NOT NULL
//	);
//	CREATE INDEX IF NOT EXISTS "itty_sessions_user_id_idx" ON "itty_sessions" (user_id) WHERE user_id IS NOT NULL;
//	CREATE INDEX IF NOT EXISTS "itty_sessions_expires_at_idx" ON "itty_sessions" (expires_at);
//
// user_id is NULL for an anonymous session. data is the sessions.Record as
// JSON, byte for byte as the Manager wrote it: jsonb would refuse session
// values holding "\u0000" and rewrite the others. To look at it in psql:
// convert_from(data, 'UTF8')::json.
//
// # Expiry and cleanup
//
// expires_at is the record's ExpiresAt. A row past it is never returned:
// Load, Update and ByUser skip it, and Create replaces it. Expiry is judged
// by the clock of the app's machine, the clock that set it, not by the
// database's, so keep the app's machines in sync (NTP), as for any store
// they share. New starts a loop that deletes expired rows every five
// minutes (DefaultCleanupInterval; see CleanupInterval), in batches that
// skip rows other transactions hold, so every instance can run it; Close
// stops it, and it logs the rounds that fail (see Logger). Apps that would rather clean up from one place turn the loop
// off with CleanupInterval(-1) and call Cleanup from a job of their own.
//
// # Sharing a table
//
// Stores on one table share their sessions, in one process or many: that
// is how the instances of an app behind a load balancer see the same
// sessions. Several Managers may share a table too, even with one Store
// value: each record carries its Manager's scope (the session cookie's
// name), and a Manager never loads, renews or destroys another's, so a
// session id copied from one app's cookie to another's is a stranger
// there. Apps that should not share a table at all give New different
// names.
//
// # Pool size
//
// A request uses the store for at most a few short calls: a Load when it
// reads the session and, when it changed the session, an Update at commit
// (a transaction of four round trips: BEGIN, SELECT ... FOR UPDATE, UPDATE,
// COMMIT), followed by a Create for a renew. Each call holds a connection
// only for its own queries, well under a millisecond each on a nearby
// server, never while the handler runs. So a pool far smaller than the
// number of requests in flight serves them: the connections busy at once
// are about requests per second times the store's time per request (1000
// requests a second at 1 ms each keep one connection busy on average).
// pgxpool's default MaxConns, the larger of 4 and the number of CPUs, suits
// most apps; raise it (pool_max_conns in the connection string) to 10-20
// for busy ones rather than to the request concurrency, since each
// connection is a PostgreSQL process, and keep the sum over all instances,
// and whatever else uses the database, under the server's max_connections
// (100 by default). A request that finds every connection busy waits for
// one within the Manager's StoreTimeout and is then answered 500, like any
// other store failure: a pool that is too small shows as such 500s in the
// log, with "getting a connection from the pool: context deadline
// exceeded".
//
// # Outages and timeouts
//
// When PostgreSQL is down or cannot be reached, each store call fails and
// the Manager answers the requests that use the session with 500, logging
// the reason ("sessions: load: pgstore: load: getting a connection from
// the pool: failed to connect to ..."):
// an outage is never mistaken for a logged-out user, and requests that do
// not touch the session are served as usual. Sessions saved before the
// outage are kept, and the pool connects again by itself once the server
// is back, so service resumes without a restart.
//
// A server that accepts connections but does not answer (stopped, or
// behind a network that drops packets) costs each call at most the
// Manager's StoreTimeout (two seconds by default; see
// sessions.Options.StoreTimeout). The store keeps to the deadline itself: a
// call whose context has a deadline gives up shortly before it (by a tenth
// of the time left, at most 50 ms) with the reason, pgx then closing the
// connection of a query given up on, and Update does not call its fn once
// it has given up. A write given up on may still take effect, as any write
// whose answer is lost may. An Update waiting for a row another Update
// holds waits within the same deadline. Calls made without a deadline,
// such as direct use with context.Background(), wait as long as pgx does;
// each round of the cleanup loop is bounded by a minute.
package pgstore
