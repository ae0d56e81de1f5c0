package testservers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Redis is a redis-server of a test's own on a loopback port, without
// persistence.
type Redis struct {
	Addr string // host:port
	cmd  *exec.Cmd
	dir  string
}

// StartRedis starts redis-server (from PATH) with extra arguments and waits
// until it answers.
func StartRedis(extra ...string) (*Redis, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	return startRedisOn(port, extra...)
}

func startRedisOn(port int, extra ...string) (*Redis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("no redis-server (apt-get install redis-server, or scripts/deps.sh as root)")
	}
	dir, err := os.MkdirTemp("", "itty-redis-")
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	r := &Redis{Addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: exec.Command(bin, args...), dir: dir}
	r.cmd.Stdout, r.cmd.Stderr = nil, nil
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := waitPort(r.Addr, 10*time.Second); err != nil {
		r.Stop()
		return nil, fmt.Errorf("redis-server on %s: %w", r.Addr, err)
	}
	return r, nil
}

// URL is the redis:// URL of database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

// Stop kills the server and removes its directory.
func (r *Redis) Stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
	os.RemoveAll(r.dir)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitPort waits until something accepts connections on addr.
func waitPort(addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
