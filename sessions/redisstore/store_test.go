package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// redisAddr is the server the tests use: REDIS_URL's, or a redis-server
// this test binary starts on a free loopback port.
var (
	redisOpts *redis.Options
	skipWhy   string
)

func TestMain(m *testing.M) {
	stop, err := startRedis()
	if err != nil {
		if requireCI() {
			fmt.Fprintln(os.Stderr, "redisstore: Redis is required here (CI=true):", err)
			os.Exit(1)
		}
		skipWhy = err.Error() + "; install redis-server (apt-get install redis-server) or set REDIS_URL to run these tests"
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	stopCluster()
	os.Exit(code)
}

func startRedis() (func(), error) {
	if url := os.Getenv("REDIS_URL"); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		opts.ContextTimeoutEnabled = true // as the package doc recommends
		redisOpts = opts
		return nil, ping()
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("no redis-server")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	// The client settings the package doc recommends; the outage and
	// hung-Redis tests make clients of their own.
	redisOpts = &redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), ContextTimeoutEnabled: true}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err = ping(); err == nil {
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server did not answer: %w", err)
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func ping() error {
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return rdb.Ping(ctx).Err()
}

// newStore returns a store on a fresh key prefix, so tests never see each
// other's data even on a shared server.
func newStore(t *testing.T) sessions.Store {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	rdb := redis.NewClient(redisOpts)
	t.Cleanup(func() { rdb.Close() })
	return redisstore.New(rdb, "itty-test:"+sessions.NewID()[:12]+":")
}

func TestStoreConformance(t *testing.T) { sessionstest.RunStore(t, newStore) }

func TestManagerConformance(t *testing.T) {
	t.Parallel() // with the other backends' suites, after the timing tests
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true}, newStore)
}

// TestRedisExpiresKeys checks that Redis itself drops a session at its
// expiry (the TTL), so no cleanup job is needed.
func TestRedisExpiresKeys(t *testing.T) {
	s := newStore(t)
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), Created: now, LastSeen: now, Idle: 1500 * time.Millisecond, Lifetime: time.Hour}
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	keys, _ := rdb.Keys(context.Background(), "itty-test:*"+rec.ID).Result()
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	ttl, _ := rdb.PTTL(context.Background(), keys[0]).Result()
	if ttl <= 0 || ttl > 1500*time.Millisecond {
		t.Fatalf("TTL %v, want about 1.5s", ttl)
	}
}
