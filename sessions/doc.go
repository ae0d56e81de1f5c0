// Package sessions is itty's server-side session manager: a random id in an
// HttpOnly cookie, the data on the server, and the things hand-written
// session code gets wrong done right.
//
//	store, _ := sessions.NewFileStore("data/sessions")
//	mgr, _ := sessions.New(app, store, sessions.Options{})
//
//	app.Get("/", func(req *itty.Request) *itty.Response {
//		sess := mgr.Get(req)
//		if name := sess.GetString("user"); name != "" {
//			return app.Render(req, "Welcome "+html.EscapeString(name)+"!")
//		}
//		return app.Render(req, "Welcome Stranger!")
//	})
//
// Ids are 256 bits from crypto/rand, and only ids the server issued are
// accepted (strict mode): a forged, expired or destroyed id gets a fresh
// session. Sessions end after an idle timeout and an absolute lifetime, both
// enforced on the server. Renew gives a new id on login; Destroy ends a
// session for good; DestroyUser ends all of a user's sessions.
//
// Changes are saved when the handler's response is written, by a hook of
// the request after the App's own hooks, and not at all if the handler
// fails (a panic, say); a change made too late to be saved returns
// ErrCommitted. They are merged per key into the stored session: two concurrent requests that change different
// keys both keep their change, and a request that changes a key another
// request changed first gets a ConflictError (409) rather than silently
// overwriting it. A request in flight when its session is destroyed cannot
// bring it back; one in flight when it is renewed saves into the new id.
// A session that is only read costs no store write, except to move the idle
// deadline at most once per TouchInterval.
//
// Stores: MemoryStore (tests), FileStore (the persistent default, shared by
// processes on one machine), CookieStore (everything in an encrypted
// cookie), and the redisstore and pgstore modules (Redis, PostgreSQL) for
// several machines.
package sessions
