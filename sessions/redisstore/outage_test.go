package redisstore_test

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// TestOutage stops redis-server under a logged-in client and starts it
// again: during the outage every request is a 500 with a logged reason
// (never a "stranger" page, never a crash), and service comes back by
// itself when Redis does.
func TestOutage(t *testing.T) {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("needs a redis-server of its own to stop; unset REDIS_URL")
	}
	bin, _ := exec.LookPath("redis-server")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	server := start()
	defer func() { server.Process.Kill(); server.Wait() }()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: 1})
	defer rdb.Close()
	for i := 0; rdb.Ping(t.Context()).Err() != nil; i++ {
		if i > 200 {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	a := sessionstest.NewLoginApp(t, redisstore.New(rdb, ""), sessions.Options{CookieName: "sid"})
	app, logs := a.App, a.Logs
	c := ittytest.NewClient(t, app)
	if r := c.PostForm("/login", url.Values{"user": {"ada"}}); r.StatusCode != 200 {
		t.Fatalf("login: %d", r.StatusCode)
	}
	if r := c.Get("/whoami"); r.Body != "ada" {
		t.Fatalf("whoami: %q", r.Body)
	}

	server.Process.Kill()
	server.Wait()
	statuses := map[int]int{}
	outageStart := time.Now()
	for range 20 {
		r := c.Get("/whoami")
		statuses[r.StatusCode]++
		if r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("during the outage: %d %q (must be a 500, not a logged-out page)", r.StatusCode, r.Body)
		}
		if r := c.PostForm("/login", url.Values{"user": {"bob"}}); r.StatusCode != 500 {
			t.Fatalf("login during the outage: %d", r.StatusCode)
		}
		statuses[500]++
	}
	if !logs.Contains("sessions: load") {
		t.Fatalf("no logged reason:\n%s", logs.String())
	}

	restarted := time.Now()
	server = start()
	recovered := time.Time{}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r := c.PostForm("/login", url.Values{"user": {"ada"}}); r.StatusCode == 200 {
			recovered = time.Now()
			break
		}
	}
	if recovered.IsZero() {
		t.Fatal("service did not recover after Redis came back")
	}
	if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != "ada" {
		t.Fatalf("after recovery: %d %q", r.StatusCode, r.Body)
	}
	t.Logf("outage: %d requests while Redis was down, statuses %v, no panic; served again %v after Redis restarted (%v outage in all)",
		statuses[500], statuses, recovered.Sub(restarted).Round(time.Millisecond), recovered.Sub(outageStart).Round(time.Millisecond))
}
