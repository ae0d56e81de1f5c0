package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// openStore opens the session store -store names: files under dir (one
// machine), or Redis at redisURL or PostgreSQL at dsn (several machines).
func openStore(kind, dir, redisURL, dsn string) (sessions.Store, func(), error) {
	switch kind {
	case "files":
		s, err := sessions.NewFileStore(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case "redis":
		opts, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, nil, fmt.Errorf("-redis: %w", err)
		}
		// Let a hung Redis give up each call at the session Manager's
		// deadline (see the redisstore package doc).
		opts.ContextTimeoutEnabled = true
		rdb := redis.NewClient(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			rdb.Close()
			return nil, nil, fmt.Errorf("redis at %s: %w", redisURL, err)
		}
		return redisstore.New(rdb, ""), func() { rdb.Close() }, nil
	case "postgres":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("-postgres: %w", err)
		}
		store := pgstore.New(pool, "")
		if err := store.CreateSchema(ctx); err != nil { // idempotent, safe when instances race
			pool.Close()
			return nil, nil, fmt.Errorf("postgres: %w", err)
		}
		return store, func() { store.Close(); pool.Close() }, nil
	}
	return nil, nil, fmt.Errorf("-store %q: want files, redis or postgres", kind)
}
