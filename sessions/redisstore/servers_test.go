package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Helpers that start redis-server processes of the tests' own on loopback:
// single servers with options (TLS, ACL, a replica), a sentinel, and a
// three-master cluster that the test binary starts once.

// requireCI reports whether a missing Redis must fail the tests rather
// than skip them, as in CI.
func requireCI() bool { return os.Getenv("CI") == "true" || os.Getenv("REQUIRE_REDIS") != "" }

// needBins skips the test, or fails it under CI, unless the programs are
// installed.
func needBins(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			msg := fmt.Sprintf("no %s; install redis-server and redis-tools (apt-get install redis-server redis-tools) to run this test", b)
			if requireCI() {
				t.Fatal(msg + " (required under CI=true)")
			}
			t.Skip(msg)
		}
	}
}

// server is a redis-server process of a test's own.
type server struct {
	cmd  *exec.Cmd
	addr string
	port int
	dir  string
	log  string // the server's log file
}

// stop kills the server and waits for it; stopping twice is harmless.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT) // in case a test stopped it
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// logTail returns the end of the server's log, for failure messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// startServer starts redis-server on port (a free one if 0) in a new
// directory under parent, with the extra arguments, and waits until ready
// says it is up (or, if ready is nil, until it answers PING on the port in
// plain text). The first extra argument may be a config file, as
// redis-server wants it first.
func startServer(parent string, port int, ready func(*server) error, extra ...string) (*server, error) {
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("redis-%d-", port))
	if err != nil {
		return nil, err
	}
	s := &server{addr: fmt.Sprintf("127.0.0.1:%d", port), port: port, dir: dir, log: filepath.Join(dir, "redis.log")}
	var args []string
	if len(extra) > 0 && strings.HasSuffix(extra[0], ".conf") {
		args, extra = append(args, extra[0]), extra[1:]
	}
	args = append(args, "--bind", "127.0.0.1", "--dir", dir, "--logfile", s.log, "--save", "", "--appendonly", "no")
	if !containsArg(extra, "--port") {
		args = append(args, "--port", fmt.Sprint(port))
	}
	args = append(args, extra...)
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if ready == nil {
		ready = func(s *server) error {
			rdb := redis.NewClient(&redis.Options{Addr: s.addr, DialTimeout: 200 * time.Millisecond})
			defer rdb.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return rdb.Ping(ctx).Err()
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err = ready(s); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server %v did not come up: %w\n%s", args, err, s.logTail())
		}
	}
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// ownServer starts a redis-server for the test on a free port, stopped
// when the test ends.
func ownServer(t *testing.T, ready func(*server) error, extra ...string) *server {
	t.Helper()
	return ownServerOn(t, 0, ready, extra...)
}

// ownServerOn is ownServer on the given port (a free one if 0), which
// the extra arguments may make a TLS port.
func ownServerOn(t *testing.T, port int, ready func(*server) error, extra ...string) *server {
	t.Helper()
	needBins(t, "redis-server")
	s, err := startServer(t.TempDir(), port, ready, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// infoField returns a field of INFO's section on rdb, or "".
func infoField(ctx context.Context, rdb redis.Cmdable, section, field string) string {
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok && k == field {
			return v
		}
	}
	return ""
}

// waitFor polls cond every 20 ms until it returns nil or the time is up.
func waitFor(what string, limit time.Duration, cond func() error) error {
	var err error
	for deadline := time.Now().Add(limit); ; time.Sleep(20 * time.Millisecond) {
		if err = cond(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v: %w", what, limit, err)
		}
	}
}

// The cluster: three masters, no replicas, started by the first test that
// asks for it and stopped by TestMain.
var (
	clusterOnce  sync.Once
	clusterNodes []*server
	clusterErr   error
)

// stopCluster stops the cluster's servers, if any were started.
func stopCluster() {
	for _, s := range clusterNodes {
		s.stop()
		os.RemoveAll(s.dir)
	}
}

// cluster returns the addresses of the tests' cluster, starting it the
// first time.
func cluster(t *testing.T) []string {
	t.Helper()
	needBins(t, "redis-server", "redis-cli")
	clusterOnce.Do(func() { clusterErr = startCluster() })
	if clusterErr != nil {
		t.Fatal("starting the Redis Cluster: ", clusterErr)
	}
	addrs := make([]string, len(clusterNodes))
	for i, s := range clusterNodes {
		addrs[i] = s.addr
	}
	return addrs
}

func startCluster() error {
	parent, err := os.MkdirTemp("", "itty-redis-cluster-")
	if err != nil {
		return err
	}
	var addrs []string
	for range 3 {
		port, err := freeClusterPort()
		if err != nil {
			return err
		}
		s, err := startServer(parent, port, nil,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			return err
		}
		clusterNodes = append(clusterNodes, s)
		addrs = append(addrs, s.addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redis-cli %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return waitFor("cluster_state:ok on every node", 20*time.Second, func() error {
		for _, s := range clusterNodes {
			rdb := redis.NewClient(&redis.Options{Addr: s.addr})
			info, err := rdb.ClusterInfo(ctx).Result()
			rdb.Close()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return fmt.Errorf("%s: %s", s.addr, strings.Fields(info)[0])
			}
		}
		return nil
	})
}

// freeClusterPort returns a free port whose cluster bus port (10000 more)
// is free too.
func freeClusterPort() (int, error) {
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			ln.Close()
			continue
		}
		bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000))
		ln.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of ports for a cluster node")
}
