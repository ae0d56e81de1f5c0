// Command sessionapp is the small session app the scale-out tests start
// several times over one shared store: log in, count, log out.
//
//	sessionapp -addr 127.0.0.1:0 -store redis -redis redis://127.0.0.1:6379/0
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	kind := flag.String("store", "files", "files, redis, redis-cluster or postgres")
	data := flag.String("data", "sessions", "directory (-store files)")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL (-store redis)")
	cluster := flag.String("cluster", "", "comma-separated cluster node addresses (-store redis-cluster)")
	dsn := flag.String("postgres", "", "PostgreSQL connection string (-store postgres)")
	flag.Parse()

	store, err := openStore(*kind, *data, *redisURL, *cluster, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	app := itty.New()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "scale_sid"})
	if err != nil {
		log.Fatal(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Render(req, "ok")
	})
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).User(); u != "" {
			return app.Render(req, u)
		}
		return app.Render(req, "stranger")
	})
	app.Post("/incr", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if sess.User() == "" {
			return itty.NewResponse("stranger", 401)
		}
		n := sess.GetInt("n") + 1
		sess.Set("n", n)
		return app.Render(req, strconv.Itoa(n))
	})
	app.Get("/n", func(req *itty.Request) *itty.Response {
		return app.Render(req, strconv.Itoa(mgr.Get(req).GetInt("n")))
	})
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Destroy()
		return app.Render(req, "bye")
	})
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}

func openStore(kind, dir, redisURL, cluster, dsn string) (sessions.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch kind {
	case "files":
		return sessions.NewFileStore(dir)
	case "redis":
		opts, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, err
		}
		opts.ContextTimeoutEnabled = true
		rdb := redis.NewClient(opts)
		return redisstore.New(rdb, ""), rdb.Ping(ctx).Err()
	case "redis-cluster":
		rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(cluster, ","), ContextTimeoutEnabled: true})
		return redisstore.New(rdb, ""), rdb.Ping(ctx).Err()
	case "postgres":
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			return nil, err
		}
		store := pgstore.New(pool, "")
		// Several instances start at once: CreateSchema is safe to race.
		return store, store.CreateSchema(ctx)
	}
	return nil, fmt.Errorf("-store %q: want files, redis, redis-cluster or postgres", kind)
}
