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
// the session's expiry, so Redis itself removes expired sessions. Updates
// are optimistic transactions (WATCH/MULTI/EXEC), retried on contention, so
// concurrent requests on several machines never lose each other's changes.
// Each user's sessions are indexed in a set, so "log out everywhere" needs
// no KEYS scan. Tombstones (the records a renew or a destroy leaves behind)
// are kept and indexed like any other record; the Manager tells them apart.
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

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/redis/go-redis/v9"
)

// FallbackPrefix is the prefix of a store made with an empty prefix that is
// used before a Manager has named it (see Namespace). No Manager's prefix
// can be equal to it or start with it, because a cookie name cannot contain
// parentheses.
const FallbackPrefix = "itty:(direct):"

// PrefixFor returns the key prefix a store made with an empty prefix takes
// from a Manager whose session cookie is named cookieName: "itty:" +
// cookieName + ":". Cookie names contain no colon, so the prefixes of two
// cookie names never overlap. Ask Redis for "itty:" + cookieName + ":*" to
// see one app's keys.
func PrefixFor(cookieName string) string { return "itty:" + cookieName + ":" }

// maxRetries bounds the optimistic-transaction retries of one Update.
const maxRetries = 50

// Store keeps sessions in Redis. It is safe for concurrent use by many
// processes on many machines.
type Store struct {
	rdb redis.UniversalClient

	// prefix is the key prefix once the store has one: given to New,
	// derived in Namespace, or FallbackPrefix at first use. It never
	// changes after that.
	prefix atomic.Pointer[string]

	mu       sync.Mutex // serialises the setting of prefix
	explicit bool       // the prefix was given to New
	named    string     // the cookie name the prefix was derived from
}

var (
	_ sessions.Store      = (*Store)(nil)
	_ sessions.UserIndex  = (*Store)(nil)
	_ sessions.Namespacer = (*Store)(nil)
)

// New returns a store using rdb, with keys starting with prefix. An empty
// prefix means the one the Manager names (PrefixFor its cookie name; see
// Namespace), which keeps apps on one Redis apart. A prefix of your own is
// used as it is, whatever the Manager's cookie name: stores with the same
// prefix share their sessions. Stores may share one client.
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb}
	if prefix != "" {
		s.explicit = true
		s.prefix.Store(&prefix)
	}
	return s
}

// Namespace implements sessions.Namespacer; sessions.New calls it with the
// Manager's cookie name. A store given a prefix by New keeps it and
// Namespace does nothing. Otherwise the first call sets the prefix to
// PrefixFor(cookieName), later calls with the same name do nothing, and a
// call with another name fails: one store value with a derived prefix
// serves one app. Namespace also fails on a store already used under
// FallbackPrefix, whose records the Manager would not see.
func (s *Store) Namespace(cookieName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.explicit:
		return nil
	case !isToken(cookieName):
		return fmt.Errorf("redisstore: Namespace: %q is not a cookie name", cookieName)
	case s.named == cookieName:
		return nil
	case s.named != "":
		return fmt.Errorf("redisstore: this store already keeps the sessions of cookie %q under prefix %q and cannot also serve cookie %q; give each Manager its own store (redisstore.New) or an explicit prefix",
			s.named, PrefixFor(s.named), cookieName)
	case s.prefix.Load() != nil:
		return fmt.Errorf("redisstore: this store was used before a Manager named it, under prefix %q; pass it to sessions.New before using it, or give redisstore.New an explicit prefix",
			FallbackPrefix)
	}
	p := PrefixFor(cookieName)
	s.named = cookieName
	s.prefix.Store(&p)
	return nil
}

// isToken reports whether s is an RFC 6265 cookie name (an HTTP token),
// which has no colon or parenthesis: so PrefixFor of two names never
// overlap, nor overlap FallbackPrefix.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Prefix returns the key prefix the store uses, or "" if it has none yet
// (made with an empty prefix, and neither named by a Manager nor used).
func (s *Store) Prefix() string {
	if p := s.prefix.Load(); p != nil {
		return *p
	}
	return ""
}

// keyPrefix returns the prefix to use now, settling on FallbackPrefix if
// the store has none yet.
func (s *Store) keyPrefix() string {
	if p := s.prefix.Load(); p != nil {
		return *p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.prefix.Load(); p != nil { // named meanwhile
		return *p
	}
	p := FallbackPrefix
	s.prefix.Store(&p)
	return p
}

func (s *Store) key(id string) string       { return s.keyPrefix() + "s:" + id }
func (s *Store) userKey(user string) string { return s.keyPrefix() + "u:" + user }

// ttl is how long Redis should keep rec: until it expires, at least 1 ms.
func ttl(rec *sessions.Record) time.Duration {
	return max(time.Until(rec.ExpiresAt()), time.Millisecond)
}

func decode(b []byte, id string) (*sessions.Record, error) {
	var rec sessions.Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.ID != id {
		return nil, sessions.ErrNotFound // damaged by something else: treat as gone
	}
	if rec.Expired(time.Now()) {
		return nil, sessions.ErrNotFound
	}
	return &rec, nil
}

// index adds rec, tombstone or not, to its user's set within a
// transaction; the set lives as long as the longest record in it.
func (s *Store) index(ctx context.Context, pipe redis.Pipeliner, oldUser string, rec *sessions.Record) {
	if oldUser != "" && oldUser != rec.User {
		pipe.SRem(ctx, s.userKey(oldUser), rec.ID)
	}
	if rec.User == "" {
		return
	}
	uk := s.userKey(rec.User)
	life := ttl(rec).Truncate(time.Second) + time.Second
	pipe.SAdd(ctx, uk, rec.ID)
	pipe.ExpireNX(ctx, uk, life)
	pipe.ExpireGT(ctx, uk, life)
}

// Create implements sessions.Store.
func (s *Store) Create(ctx context.Context, rec *sessions.Record) error {
	rec = rec.Clone() // the caller may reuse its record once we return
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = bounded(ctx, func(ctx context.Context, _ *guard) (struct{}, error) {
		return struct{}{}, s.create(ctx, rec, b)
	})
	return err
}

func (s *Store) create(ctx context.Context, rec *sessions.Record, b []byte) error {
	ok, err := s.rdb.SetNX(ctx, s.key(rec.ID), b, ttl(rec)).Result()
	if err != nil {
		return fmt.Errorf("redisstore: create: %w", err)
	}
	if !ok {
		return sessions.ErrExists
	}
	if rec.User != "" {
		if _, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			s.index(ctx, pipe, "", rec)
			return nil
		}); err != nil {
			return fmt.Errorf("redisstore: index: %w", err)
		}
	}
	return nil
}

// Load implements sessions.Store.
func (s *Store) Load(ctx context.Context, id string) (*sessions.Record, error) {
	return bounded(ctx, func(ctx context.Context, _ *guard) (*sessions.Record, error) {
		b, err := s.rdb.Get(ctx, s.key(id)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil, sessions.ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("redisstore: load: %w", err)
		}
		return decode(b, id)
	})
}

// Update implements sessions.Store. It never calls fn after it has
// returned, even when Redis answers after the context's deadline.
func (s *Store) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	_, err := bounded(ctx, func(ctx context.Context, g *guard) (struct{}, error) {
		return struct{}{}, s.update(ctx, g, id, fn)
	})
	return err
}

func (s *Store) update(ctx context.Context, g *guard, id string, fn func(*sessions.Record) error) error {
	key := s.key(id)
	for range maxRetries {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			b, err := tx.Get(ctx, key).Bytes()
			if errors.Is(err, redis.Nil) {
				return sessions.ErrNotFound
			}
			if err != nil {
				return err
			}
			rec, err := decode(b, id)
			if err != nil {
				return err
			}
			oldUser := rec.User
			var fnErr error
			if !g.do(func() { fnErr = fn(rec) }) {
				return errGaveUp
			}
			if fnErr != nil {
				return fnError{fnErr}
			}
			rec.ID = id
			nb, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, key, nb, ttl(rec))
				s.index(ctx, pipe, oldUser, rec)
				return nil
			})
			return err
		}, key)
		var fe fnError
		switch {
		case errors.Is(err, redis.TxFailedErr):
			continue // another writer got there first: read again
		case errors.As(err, &fe):
			return fe.err
		case err == nil, errors.Is(err, sessions.ErrNotFound):
			return err
		}
		return fmt.Errorf("redisstore: update: %w", err)
	}
	return fmt.Errorf("redisstore: update of %s: still contended after %d tries", id, maxRetries)
}

// fnError carries the error of Update's fn out of the transaction, apart
// from Redis's own errors.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// Delete implements sessions.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := bounded(ctx, func(ctx context.Context, _ *guard) (struct{}, error) {
		return struct{}{}, s.delete(ctx, id)
	})
	return err
}

func (s *Store) delete(ctx context.Context, id string) error {
	key := s.key(id)
	b, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	var rec sessions.Record
	_ = json.Unmarshal(b, &rec)
	_, err = s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, key)
		if rec.User != "" {
			pipe.SRem(ctx, s.userKey(rec.User), id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

// ByUser implements sessions.UserIndex. It returns the ids of the user's
// unexpired records, tombstones included, and drops from the user's set the
// ids of records that are gone or have moved to another user.
func (s *Store) ByUser(ctx context.Context, user string) ([]string, error) {
	return bounded(ctx, func(ctx context.Context, _ *guard) ([]string, error) {
		return s.byUser(ctx, user)
	})
}

func (s *Store) byUser(ctx context.Context, user string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.userKey(user)).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: by user: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.key(id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: by user: %w", err)
	}
	var live, stale []string
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			stale = append(stale, ids[i])
			continue
		}
		rec, err := decode([]byte(str), ids[i])
		if err != nil || rec.User != user {
			stale = append(stale, ids[i])
			continue
		}
		live = append(live, ids[i])
	}
	if len(stale) > 0 {
		s.rdb.SRem(ctx, s.userKey(user), stale) // tidy; failure is harmless
	}
	return live, nil
}

// maxHeadroom is the most a call gives up before its context's deadline:
// see bounded.
const maxHeadroom = 50 * time.Millisecond

// errGaveUp stops an Update whose caller has stopped waiting before it
// calls fn.
var errGaveUp = errors.New("redisstore: the caller stopped waiting")

// bounded runs op and returns its result, or an error if op has not
// finished shortly before ctx's deadline (by a tenth of the time left, at
// most maxHeadroom) or when ctx is cancelled. A client that ignores
// context deadlines on its socket (go-redis without ContextTimeoutEnabled)
// would otherwise keep the call waiting past the deadline, and a caller
// that stops waiting by itself, as the Manager does at StoreTimeout, would
// learn only that the time is up, while the call went on with the caller's
// values. Here the caller gets the store's error before its own deadline,
// and the call given up on touches nothing of the caller's again: Create
// works on a copy of the record, and Update's fn runs only under guard. A
// call given up on runs on until the client gives up too, and what it
// writes may still take effect, as any write whose answer is lost may.
// Without a deadline, op runs on the caller's goroutine.
func bounded[T any](ctx context.Context, op func(context.Context, *guard) (T, error)) (T, error) {
	g := &guard{}
	deadline, ok := ctx.Deadline()
	if !ok {
		return op(ctx, g)
	}
	headroom := max(min(time.Until(deadline)/10, maxHeadroom), 0)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(-headroom))
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op(ctx, g)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
	}
	g.giveUp()
	select {
	case r := <-done: // it answered just in time
		return r.v, r.err
	default:
	}
	var zero T
	return zero, fmt.Errorf("redisstore: gave up waiting for Redis: %w", context.Cause(ctx))
}

// guard lets an op run the caller's code (Update's fn) only while the
// caller is still waiting for it.
type guard struct {
	mu     sync.Mutex
	gaveUp bool
}

// do runs f and returns true, unless the caller has stopped waiting.
func (g *guard) do(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gaveUp {
		return false
	}
	f()
	return true
}

// giveUp marks that the caller stops waiting; if do is running f, it
// returns once f has.
func (g *guard) giveUp() {
	g.mu.Lock()
	g.gaveUp = true
	g.mu.Unlock()
}
