package scaleout

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/internal/testservers"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// BenchmarkSessionStores measures one session request on each store, side
// by side on loopback: an itty App with the defaults a user gets, a
// request carrying the cookie of an existing session, reading one value
// ("read", no store write) or changing one ("write", one store write).
func BenchmarkSessionStores(b *testing.B) {
	stores := map[string]func(b *testing.B) sessions.Store{
		"memory": func(b *testing.B) sessions.Store { return sessions.NewMemoryStore(sessions.CleanupInterval(-1)) },
		"files": func(b *testing.B) sessions.Store {
			s, err := sessions.NewFileStore(b.TempDir(), sessions.CleanupInterval(-1))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"redis": func(b *testing.B) sessions.Store {
			r, err := testservers.StartRedis()
			if err != nil {
				b.Skip(err)
			}
			b.Cleanup(r.Stop)
			rdb := redis.NewClient(&redis.Options{Addr: r.Addr, ContextTimeoutEnabled: true})
			b.Cleanup(func() { rdb.Close() })
			return redisstore.New(rdb, "")
		},
		"redis-cluster": func(b *testing.B) sessions.Store {
			c, err := testservers.StartRedisCluster(3)
			if err != nil {
				b.Skip(err)
			}
			b.Cleanup(c.Stop)
			rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
			b.Cleanup(func() { rdb.Close() })
			return redisstore.New(rdb, "")
		},
		"postgres": func(b *testing.B) sessions.Store {
			bin, err := testservers.FindPostgres()
			if err != nil {
				b.Skip(err)
			}
			pg, err := testservers.NewPostgres(bin)
			if err != nil {
				b.Skip(err)
			}
			b.Cleanup(pg.Remove)
			if err := pg.Start(); err != nil {
				b.Fatal(err)
			}
			pool, err := pgxpool.New(context.Background(), pg.ConnString("postgres"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(pool.Close)
			s := pgstore.New(pool, "")
			b.Cleanup(func() { s.Close() })
			if err := s.CreateSchema(context.Background()); err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"memory", "files", "redis", "redis-cluster", "postgres"} {
		b.Run(name, func(b *testing.B) {
			store := stores[name](b)
			app := itty.New()
			mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid"})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			rec := &sessions.Record{ID: sessions.NewID(), Scope: "sid", User: "ada", Created: now, LastSeen: now,
				Idle: time.Hour, Lifetime: 12 * time.Hour, Values: map[string]json.RawMessage{"user": json.RawMessage(`"ada"`)}}
			if err := store.Create(context.Background(), rec); err != nil {
				b.Fatal(err)
			}
			n := 0
			app.Get("/read", func(req *itty.Request) *itty.Response {
				return app.Render(req, mgr.Get(req).GetString("user"))
			})
			app.Post("/write", func(req *itty.Request) *itty.Response {
				n++
				mgr.Get(req).Set("n", n)
				return app.Render(req, "ok")
			})
			for _, op := range []struct{ method, path string }{{"GET", "/read"}, {"POST", "/write"}} {
				b.Run(op.path[1:], func(b *testing.B) {
					req := httptest.NewRequest(op.method, op.path, nil)
					req.AddCookie(&http.Cookie{Name: "sid", Value: rec.ID})
					w := httptest.NewRecorder()
					app.ServeHTTP(w, req)
					if w.Code != 200 {
						b.Fatalf("%s: %d %s", op.path, w.Code, w.Body)
					}
					b.ReportAllocs()
					for b.Loop() {
						w := httptest.NewRecorder()
						app.ServeHTTP(w, req)
						if w.Code != 200 {
							b.Fatalf("%s: %d", op.path, w.Code)
						}
					}
				})
			}
		})
	}
}
