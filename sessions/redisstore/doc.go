// Package redisstore is a sessions.Store on Redis, for itty apps that run on
// several machines. It lives in its own module so that apps without Redis do
// not download a Redis client.
//
//	rdb := redis.NewClient(&redis.Options{
//		Addr:                  "127.0.0.1:6379",
//		ContextTimeoutEnabled: true,
//	})
//	mgr, err := sessions.New(app, redisstore.New(rdb, ""), sessions.Options{})
//
// Each session is one Redis string holding the JSON record, with a TTL at
// the session's expiry, so Redis itself removes expired sessions. An update
// reads the record, applies the change and writes the result with a
// compare-and-set script, which stores it only if the record is still the
// one read; otherwise the update reads it again and retries. So concurrent
// requests on several machines never lose each other's changes. Each user's
// sessions are indexed in a sorted set, so "log out everywhere" needs no
// KEYS scan. Tombstones (the records a renew or a destroy leaves behind) are
// kept and indexed like any other record; the Manager tells them apart.
//
// # One server, Redis Cluster, Sentinel, TLS
//
// New takes any go-redis client (a redis.UniversalClient):
//
//   - One server: redis.NewClient.
//   - Redis Cluster: redis.NewClusterClient. Every command and script the
//     store sends touches one key, so none needs two slots, and no key has
//     a hash tag: the sessions spread over the slots by id, and the users'
//     indexes by user name. (A prefix of your own that contains a hash tag,
//     such as "{app}:", puts every key in that tag's slot: that works, on
//     one node.)
//   - Sentinel: redis.NewFailoverClient, with the master's name and the
//     sentinels' addresses. While a failover runs, requests that Redis
//     cannot answer in time are answered with 500, as in an outage (never
//     as if the user were logged out), and once the client has the new
//     master the sessions are served again.
//     Replication is asynchronous, though: a write the old master
//     acknowledged but had not yet sent to its replica is lost with it,
//     such as a login or a logout made in its last moments (a lost logout
//     leaves the session alive). The master's min-replicas-to-write and
//     min-replicas-max-lag settings bound that window. The user whose
//     login was lost has no session on the new master: the request that
//     finds that out is a 409 that clears the cookie.
//   - TLS: set the client's TLSConfig (redis.ParseURL does for a rediss://
//     URL), with the CA of the server's certificate in RootCAs and, if the
//     server asks for client certificates (tls-auth-clients, on by
//     default), the client's in Certificates.
//
// ContextTimeoutEnabled: true is recommended for each (see Timeouts).
//
// # The user index
//
// A user's index is one sorted set, the key prefix + "user:" + the user
// name, of the ids of the user's records, each scored with its record's
// expiry. No transaction spans a record and its index (on a cluster they
// are in different slots); the writes are ordered instead, so that the
// index never misses a record:
//
//   - Create and Update add the id to the index of the record's user
//     before they write the record, raising its score to the record's new
//     expiry if that is later (a score is never lowered), and Create adds
//     it once more after writing the record.
//   - Delete removes the id from the user's index after it has deleted the
//     record, then looks the id up again and adds it back if the record
//     exists again.
//   - Every write to an index and every ByUser drops the entries that are
//     a minute past their score, whose records have expired, and the index
//     itself has a TTL a minute past its longest-lived record. The minute
//     allows for app servers whose clocks differ by up to that much.
//
// So a record is in its user's index from before it is written until it
// is deleted or expires, whatever order concurrent requests run in and
// whichever of them dies or fails between two of its steps: a DestroyUser
// finds every session that exists when it starts. There is one exception,
// which the Manager never meets, as it never creates an id it has deleted:
// if one process creates an id while another deletes it, and the deleting
// one dies between removing the index entry and looking the id up again,
// the new record can be left out of the index. On a cluster, a failover
// can also lose the index write of a record whose own write survived, as
// they are on different masters; the session's next write indexes it
// again.
//
// The converse does not hold: an index may name records that are gone (a
// process died between deleting a record and updating the index; a Create
// found its id taken) or that are now another user's (a renew that logged
// someone else in); such entries stay until their score has passed. ByUser
// therefore looks every id up, with one GET per id (pipelined, and on a
// cluster sent to each id's node: never one command across slots), and
// returns only the ids of unexpired records that are still the user's.
//
// # Redis versions
//
// The store supports Redis 6.2 and newer. It sends no command, and no
// option of one, newer than Redis 2.6.12 (SET with NX and PX): GET, SET,
// ZREM, EVALSHA and EVAL, and in its scripts GET, SET, DEL, ZADD,
// ZSCORE, ZRANGE, ZREMRANGEBYSCORE, PTTL and PEXPIRE. In particular it does
// not use EXPIRE's NX and GT options (Redis 7.0), ZADD's GT option or GETDEL
// (6.2): the scripts do what they would. The tests run on Redis 7.0 and
// check every command the store sends, its scripts' included, against the
// server's own command documentation (TestCommandsPredateRedis62). Versions
// before 6.2 have reached their end of life and are not supported, though
// nothing the store sends needs more than 2.6.12 (ACL users, below, need
// 6.0).
//
// # ACL
//
// The Redis user the store connects as needs these commands, on the keys of
// its prefix:
//
//	ACL SETUSER itty on >password ~itty:* +get +set +del +zrem +zadd +zscore +zrange +zremrangebyscore +pttl +pexpire +evalsha +eval
//
// ~itty:* covers every prefix PrefixFor and FallbackPrefix make; give your
// own prefix's pattern instead if you chose one. Commands the scripts run
// are checked against the user's rules like any other. On a Redis Cluster,
// the client also needs +cluster|slots, to learn which node serves which
// slot. go-redis sends CLIENT SETINFO (and, where the server has it, CLIENT
// MAINT_NOTIFICATIONS) when it connects and ignores their errors, so they
// may be left out. A user that lacks one of the commands, or whose key
// pattern does not cover the prefix, gets errors from the store that say
// which command (or that the keys) it may not use and point to this list;
// the Manager answers 500 and logs them.
//
// # Key prefix
//
// Every key the store writes starts with its prefix. A store made with an
// empty prefix, New(rdb, ""), takes it from the Manager it is given to:
// sessions.New names it after the session cookie, and the prefix becomes
// PrefixFor(cookieName), "itty:" + cookieName + ":". Apps with different
// cookie names (the default cookie name differs between apps) therefore
// never see each other's sessions on a shared Redis, even if a session id
// is copied from one app's cookie into the other's, while the instances of
// one app, which share a cookie name, share their sessions. A prefix given
// to New is kept as it is; every app that uses the same one shares
// sessions, which is what the instances of one app want and two different
// apps must not do.
//
// Such a store serves one namespace: giving it to a second Manager with
// another cookie name is an error from sessions.New, so give each Manager
// its own store (New is cheap; the client can be shared) or an explicit
// prefix. A store with an empty prefix that is used directly, before any
// Manager has named it, works under FallbackPrefix and keeps that prefix
// from then on; a Manager given it afterwards fails in sessions.New rather
// than silently losing what was written.
//
// # Timeouts
//
// The Manager bounds every store call by sessions.Options.StoreTimeout (two
// seconds by default): when Redis does not answer in time (hung, stopped,
// or behind a network that drops packets) the request is answered with 500
// by that deadline whatever the client is set to. The store keeps to the
// deadline itself too: a call whose context has a deadline returns an
// error shortly before it (by a tenth of the time left, at most 50 ms) if
// Redis has not answered, even when the client is still waiting on its
// socket, and Update never calls its fn after it has returned. Either way
// the Manager's StoreTimeout, not the client's timeouts, is what a request
// waits at most.
//
// The client's settings decide what becomes of a call given up on, and
// what bounds calls made without a deadline. We recommend:
//
//   - ContextTimeoutEnabled: true. go-redis then puts the context's
//     deadline on the socket, so a call given up on ends at the deadline
//     and its connection is closed. Without it, go-redis ignores context
//     deadlines on the socket: each call given up on holds a pooled
//     connection until ReadTimeout ends its attempt, so a busy app can use
//     up its pool while Redis is hung. (go-redis makes no further retries
//     once the context is done, in both cases.)
//   - ReadTimeout and WriteTimeout at their default (5 s) or shorter, never
//     -1 or -2 (no deadline): they bound calls made without a deadline,
//     such as direct use of the store with context.Background(), and,
//     without ContextTimeoutEnabled, how long a call given up on lives.
//     With ContextTimeoutEnabled, the earlier of the two deadlines applies.
package redisstore
