package redisstore_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
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

			sessionstest.RunHung(t, sessionstest.Hang{
				Server: "Redis",
				// Two instances of one app, each with a store of its own.
				Store:        redisstore.New(rdb, ""),
				DefaultStore: redisstore.New(rdb, ""),
				Stop:         func() error { return syscall.Kill(proc.Pid, syscall.SIGSTOP) },
				Resume:       func() error { return syscall.Kill(proc.Pid, syscall.SIGCONT) },
				Logged:       "sessions: load",
			})
		})
	}
}
