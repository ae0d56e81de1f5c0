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
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "itty:session:"

// maxRetries bounds the optimistic-transaction retries of one Update.
const maxRetries = 50

// Store keeps sessions in Redis. It is safe for concurrent use by many
// processes on many machines.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ sessions.Store = (*Store)(nil)

// New returns a store using rdb, with keys starting with prefix (empty means
// DefaultPrefix). Share one prefix between all instances of an app.
func New(rdb redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) key(id string) string       { return s.prefix + "s:" + id }
func (s *Store) userKey(user string) string { return s.prefix + "u:" + user }

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
