// Package redisstore is a sessions.Store on Redis, for itty apps that run on
// several machines. It lives in its own module so that apps without Redis do
// not download a Redis client.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
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
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
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
	b, err := s.rdb.Get(ctx, s.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, sessions.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: load: %w", err)
	}
	return decode(b, id)
}

// Update implements sessions.Store.
func (s *Store) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
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
			if err := fn(rec); err != nil {
				return fnError{err}
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
