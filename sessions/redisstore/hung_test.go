package redisstore_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/redis/go-redis/v9"
)

// ownRedis starts a redis-server of the test's own, which the test may
// stop, and returns its address and process. It is resumed (if stopped)
// and killed when the test ends, however it ends.
func ownRedis(t *testing.T) (string, *os.Process) {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("needs a redis-server of its own to stop; unset REDIS_URL")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT) // a stopped process ignores SIGKILL until resumed on some systems
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	for i := 0; rdb.Ping(t.Context()).Err() != nil; i++ {
		if i > 200 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, cmd.Process
}

// TestHungRedisIs500WithinStoreTimeout is the attack (or accident) of a
// Redis that accepts connections but never answers: its process is stopped
// with SIGSTOP under a logged-in client. Every request must then be a 500
// (never a "stranger" page) within the Manager's StoreTimeout, not after
// the client's 5 s read timeout or longer, and service must come back by
// itself when the process is resumed. It runs with go-redis's default
// client options, which ignore context deadlines on the socket, and with
// the options the package doc recommends. (The store answers shortly
// before the Manager's deadline, so the times seen are a little under
// StoreTimeout.)
func TestHungRedisIs500WithinStoreTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(addr string) *redis.Options
	}{
		{"go-redis defaults", func(addr string) *redis.Options {
			return &redis.Options{Addr: addr}
		}},
		{"recommended", func(addr string) *redis.Options {
			return &redis.Options{Addr: addr, ContextTimeoutEnabled: true}
		}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			addr, proc := ownRedis(t)
			rdb := redis.NewClient(tc.opts(addr))
			t.Cleanup(func() { rdb.Close() })

			const storeTimeout = 500 * time.Millisecond
			const margin = time.Second
			// Two instances of one app: one with a short StoreTimeout,
			// one with the default.
			store := redisstore.New(rdb, "")
			short := newLoginApp(t, store, sessions.Options{CookieName: "sid", StoreTimeout: storeTimeout})
			dflt := newLoginApp(t, redisstore.New(rdb, ""), sessions.Options{CookieName: "sid"})
			c := short.login(t, "ada")
			cd, id := dflt.replay(t, c, short)
			if r := cd.Get("/whoami"); r.Body != "ada" {
				t.Fatalf("default-timeout instance before the hang: %q", r.Body)
			}

			if err := syscall.Kill(proc.Pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			stopped := time.Now()
			var slowest, fastest time.Duration
			check := func(what string, limit time.Duration, do func() *ittytest.Response) time.Duration {
				t.Helper()
				start := time.Now()
				r := do()
				took := time.Since(start)
				if r.StatusCode != 500 || r.Body == "stranger" {
					t.Fatalf("%s while Redis is hung: %d %q after %v (must be a 500, not a logged-out page)", what, r.StatusCode, r.Body, took)
				}
				if took >= limit {
					t.Fatalf("%s while Redis is hung took %v, want under %v", what, took, limit)
				}
				return took
			}
			for range 4 {
				for _, took := range []time.Duration{
					check("GET /whoami", storeTimeout+margin, func() *ittytest.Response { return c.Get("/whoami") }),
					check("POST /login", storeTimeout+margin, func() *ittytest.Response {
						return c.PostForm("/login", url.Values{"user": {"bob"}})
					}),
				} {
					if fastest == 0 || took < fastest {
						fastest = took
					}
					slowest = max(slowest, took)
				}
			}
			dfltTook := check("GET /whoami with the default StoreTimeout", 3*time.Second, func() *ittytest.Response { return cd.Get("/whoami") })
			if !short.logs.contains("sessions: load") || !dflt.logs.contains("sessions: load") {
				t.Fatalf("no logged reason:\n%s\n%s", short.logs.String(), dflt.logs.String())
			}

			// A direct Update given up on must not call its fn when Redis
			// answers later (go-redis without ContextTimeoutEnabled
			// would still be waiting for that answer).
			var lateCalls atomic.Int32
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			start := time.Now()
			err := store.Update(ctx, id, func(*sessions.Record) error { lateCalls.Add(1); return nil })
			cancel()
			if err == nil || time.Since(start) >= 300*time.Millisecond {
				t.Fatalf("Update while Redis is hung: %v after %v, want an error before the 300ms deadline", err, time.Since(start))
			}

			if err := syscall.Kill(proc.Pid, syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			resumed := time.Now()
			var recovered time.Duration
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if r := c.Get("/whoami"); r.StatusCode == 200 {
					if r.Body != "ada" {
						t.Fatalf("after Redis resumed: %q, want the logged-in user \"ada\"", r.Body)
					}
					recovered = time.Since(resumed)
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the logged-in client was not recognised within 5 s of Redis resuming")
				}
			}
			if r := cd.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
				t.Fatalf("default-timeout instance after Redis resumed: %d %q", r.StatusCode, r.Body)
			}
			time.Sleep(100 * time.Millisecond) // time for a late answer to the Update given up on
			if n := lateCalls.Load(); n != 0 {
				t.Fatalf("Update called its fn %d times after it had returned", n)
			}
			t.Logf("Redis stopped for %v: 8 requests at StoreTimeout %v answered 500 in %v–%v; one at the default %v in %v; recognised again %v after SIGCONT",
				resumed.Sub(stopped).Round(time.Millisecond), storeTimeout, fastest.Round(time.Millisecond), slowest.Round(time.Millisecond),
				sessions.DefaultStoreTimeout, dfltTook.Round(time.Millisecond), recovered.Round(time.Millisecond))
		})
	}
}
