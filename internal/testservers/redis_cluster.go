package testservers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"
)

// RedisCluster is a Redis Cluster of a test's own: n masters on loopback,
// no replicas, slots spread over them by redis-cli --cluster create.
type RedisCluster struct {
	Nodes []*Redis
}

// StartRedisCluster starts n cluster-enabled redis-servers, joins them
// into a cluster and waits until every node reports cluster_state:ok.
func StartRedisCluster(n int) (*RedisCluster, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, errors.New("no redis-cli (apt-get install redis-tools, or scripts/deps.sh as root)")
	}
	c := &RedisCluster{}
	for range n {
		port, err := freeClusterPort()
		if err == nil {
			var r *Redis
			r, err = startRedisOn(port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
			if err == nil {
				c.Nodes = append(c.Nodes, r)
			}
		}
		if err != nil {
			c.Stop()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append(append([]string{"--cluster", "create"}, c.Addrs()...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis-cli %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok := true
		for _, r := range c.Nodes {
			host, port, _ := net.SplitHostPort(r.Addr)
			out, err := exec.CommandContext(ctx, "redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if err != nil || !strings.Contains(string(out), "cluster_state:ok") {
				ok = false
				break
			}
		}
		if ok {
			return c, nil
		}
		if time.Now().After(deadline) {
			c.Stop()
			return nil, errors.New("the cluster did not reach cluster_state:ok in 20s")
		}
	}
}

// Addrs are the nodes' host:port addresses.
func (c *RedisCluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, r := range c.Nodes {
		addrs[i] = r.Addr
	}
	return addrs
}

// Stop stops every node.
func (c *RedisCluster) Stop() {
	for _, r := range c.Nodes {
		r.Stop()
	}
}

// freeClusterPort returns a free port whose cluster bus port (10000 more)
// is free too.
func freeClusterPort() (int, error) {
	for range 100 {
		port, err := FreePort()
		if err != nil {
			return 0, err
		}
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of ports for a cluster node")
}
