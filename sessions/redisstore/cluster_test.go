package redisstore_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// newClusterClient returns a client of the tests' three-master cluster
// with the settings the package doc recommends, closed with the test;
// opts, if not nil, adjusts them.
func newClusterClient(t *testing.T, opts func(*redis.ClusterOptions)) *redis.ClusterClient {
	t.Helper()
	o := &redis.ClusterOptions{Addrs: cluster(t), ContextTimeoutEnabled: true}
	if opts != nil {
		opts(o)
	}
	rdb := redis.NewClusterClient(o)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// keySpread counts, on each master of the cluster, the keys that start
// with prefix, and the distinct slots they are in.
func keySpread(t *testing.T, rdb *redis.ClusterClient, prefix string) (perMaster map[string]int, slots int) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	perMaster = map[string]int{}
	seen := map[int64]bool{}
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n := 0
		var nodeSlots []int64
		iter := node.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
			slot, err := node.ClusterKeySlot(ctx, iter.Val()).Result()
			if err != nil {
				return err
			}
			nodeSlots = append(nodeSlots, slot)
		}
		mu.Lock()
		defer mu.Unlock()
		perMaster[node.Options().Addr] = n
		for _, s := range nodeSlots {
			seen[s] = true
		}
		return iter.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return perMaster, len(seen)
}

// checkSpread fails the test unless the keys under prefix are on more
// than one master, and logs how they are spread.
func checkSpread(t *testing.T, rdb *redis.ClusterClient, prefix string) {
	t.Helper()
	perMaster, slots := keySpread(t, rdb, prefix)
	masters, total := 0, 0
	addrs := make([]string, 0, len(perMaster))
	for addr, n := range perMaster {
		addrs = append(addrs, addr)
		total += n
		if n > 0 {
			masters++
		}
	}
	slices.Sort(addrs)
	var parts []string
	for _, addr := range addrs {
		parts = append(parts, fmt.Sprintf("%s: %d", addr, perMaster[addr]))
	}
	if masters < 2 {
		t.Fatalf("the %d keys are all on one master (%s): the sessions are not spread over the slots", total, strings.Join(parts, ", "))
	}
	t.Logf("%d keys in %d slots, per master: %s", total, slots, strings.Join(parts, ", "))
}

// TestClusterStoreConformance runs the Store contract on a three-master
// Redis Cluster.
func TestClusterStoreConformance(t *testing.T) {
	t.Parallel()
	rdb := newClusterClient(t, nil)
	base := "itty-test:" + sessions.NewID()[:12] + ":"
	sessionstest.RunStore(t, func(t *testing.T) sessions.Store {
		return redisstore.New(rdb, base+sessions.NewID()[:8]+":")
	})
	checkSpread(t, rdb, base)
}

// TestClusterManagerConformance runs the session behaviour users see, the
// protocol proof included, on a three-master Redis Cluster, then shows
// that the suite's keys landed on more than one master.
func TestClusterManagerConformance(t *testing.T) {
	t.Parallel()
	rdb := newClusterClient(t, nil)
	base := "itty-test:" + sessions.NewID()[:12] + ":"
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true}, func(t *testing.T) sessions.Store {
		return redisstore.New(rdb, base+sessions.NewID()[:8]+":")
	})
	checkSpread(t, rdb, base)
}

// TestClusterLogoutEverywhere is the report: on a cluster, log
// in, log out and "log out everywhere" ended in CROSSSLOT errors. One user
// logs in on a dozen devices, whose sessions land on several masters; one
// device logs out, another logs out everywhere, and every device is then
// a stranger.
func TestClusterLogoutEverywhere(t *testing.T) {
	t.Parallel()
	rdb := newClusterClient(t, nil)
	store := redisstore.New(rdb, "")
	a := sessionstest.NewLoginApp(t, store, sessions.Options{CookieName: uniqueCookie("cluster_sid")})
	ctx := context.Background()
	var devices []*ittytest.Client
	nodes := map[string]bool{}
	for range 12 {
		c := a.Login(t, "ada")
		id, _ := c.Cookie("/", a.Mgr.CookieName())
		node, err := rdb.MasterForKey(ctx, store.Prefix()+"s:"+id)
		if err != nil {
			t.Fatal(err)
		}
		nodes[node.Options().Addr] = true
		devices = append(devices, c)
	}
	if len(nodes) < 2 {
		t.Fatalf("12 sessions of one user all on %v", nodes)
	}
	if infos, err := a.Mgr.UserSessions(ctx, "ada"); err != nil || len(infos) != 12 {
		t.Fatalf("UserSessions: %d, %v; want 12", len(infos), err)
	}
	if r := devices[0].PostForm("/logout", nil); r.StatusCode != 200 {
		t.Fatalf("logout: %d %q", r.StatusCode, r.Body)
	}
	if r := devices[1].PostForm("/everywhere", nil); r.StatusCode != 200 || r.Body != "11" {
		t.Fatalf("log out everywhere: %d %q, want 200 \"11\"", r.StatusCode, r.Body)
	}
	for i, c := range devices {
		if r := c.Get("/whoami"); r.StatusCode != 200 || r.Body != "stranger" {
			t.Fatalf("device %d after log out everywhere: %d %q", i, r.StatusCode, r.Body)
		}
	}
	if ids, err := store.ByUser(ctx, "ada"); err != nil || len(ids) != 0 {
		t.Fatalf("ByUser after log out everywhere: %v, %v", ids, err)
	}
	if r := devices[2].PostForm("/login", url.Values{"user": {"ada"}}); r.StatusCode != 200 {
		t.Fatalf("login again: %d %q", r.StatusCode, r.Body)
	}
	if strings.Contains(a.Logs.String(), "CROSSSLOT") || strings.Contains(a.Logs.String(), "level=ERROR") {
		t.Fatalf("errors logged:\n%s", a.Logs.String())
	}
	t.Logf("12 sessions of one user on %d masters; logout, log out everywhere (11 ended) and a new login all worked", len(nodes))
}
