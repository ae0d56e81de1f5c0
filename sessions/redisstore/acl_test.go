package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// docACL returns the ACL SETUSER command the package doc publishes, as
// arguments, so that the tests check the very rules the doc gives.
func docACL(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if strings.HasPrefix(line, "ACL SETUSER itty ") {
			return strings.Fields(line)
		}
	}
	t.Fatal("doc.go publishes no ACL SETUSER itty line")
	return nil
}

// aclUser creates, with admin, the doc's ACL user under the name user,
// leaving out the command rule without (if any) and adding extra rules.
// The doc's password is "password".
func aclUser(t *testing.T, admin *redis.Client, user, without string, extra ...string) {
	t.Helper()
	var args []any
	for i, f := range docACL(t) {
		switch {
		case i == 2:
			f = user // ACL SETUSER <name>
		case f == without:
			continue
		}
		args = append(args, f)
	}
	for _, f := range extra {
		args = append(args, f)
	}
	ctx := context.Background()
	admin.Do(ctx, "ACL", "DELUSER", user)
	if err := admin.Do(ctx, args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

// docCommands returns the doc's command rules (+get, +set, ...).
func docCommands(t *testing.T) []string {
	var cmds []string
	for _, f := range docACL(t) {
		if strings.HasPrefix(f, "+") {
			cmds = append(cmds, f)
		}
	}
	return cmds
}

// storeFlow runs each Store and UserIndex method once on a record of a
// user, and returns the first error.
func storeFlow(s *redisstore.Store) error {
	ctx := context.Background()
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), User: "ada", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	if err := s.Create(ctx, rec); err != nil {
		return err
	}
	if _, err := s.Load(ctx, rec.ID); err != nil {
		return err
	}
	if err := s.Update(ctx, rec.ID, func(r *sessions.Record) error {
		r.Values = map[string]json.RawMessage{"k": json.RawMessage(`1`)}
		return nil
	}); err != nil {
		return err
	}
	ids, err := s.ByUser(ctx, "ada")
	if err != nil {
		return err
	}
	if len(ids) != 1 || ids[0] != rec.ID {
		return errors.New("ByUser did not find the record")
	}
	return s.Delete(ctx, rec.ID)
}

// TestACL creates the ACL user the package doc publishes on a server of
// the test's own, and runs the Store and Manager suites as that user:
// everything passes. Then, for each command of the list, a user that lacks
// just that one fails, with an error that names the command and points to
// the list; so the list is complete and none of it is superfluous. A store
// whose prefix the user's key pattern does not cover fails clearly too.
func TestACL(t *testing.T) {
	t.Parallel()
	srv := ownServer(t, nil)
	admin := redis.NewClient(&redis.Options{Addr: srv.addr})
	t.Cleanup(func() { admin.Close() })
	aclUser(t, admin, "itty", "")
	asUser := func(t *testing.T, user string) *redis.Client {
		rdb := redis.NewClient(&redis.Options{Addr: srv.addr, Username: user, Password: "password", ContextTimeoutEnabled: true})
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	rdb := asUser(t, "itty")
	newStore := func(t *testing.T) sessions.Store {
		return redisstore.New(rdb, "itty:acl-"+sessions.NewID()[:12]+":")
	}

	t.Run("Store", func(t *testing.T) { sessionstest.RunStore(t, newStore) })
	t.Run("Manager", func(t *testing.T) {
		sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true}, newStore)
	})
	t.Run("DerivedPrefix", func(t *testing.T) {
		a := sessionstest.NewLoginApp(t, redisstore.New(rdb, ""), sessions.Options{CookieName: uniqueCookie("acl_sid")})
		c := a.Login(t, "ada")
		if r := c.PostForm("/everywhere", nil); r.StatusCode != 200 || r.Body != "1" {
			t.Fatalf("log out everywhere: %d %q", r.StatusCode, r.Body)
		}
	})

	t.Run("LackingOne", func(t *testing.T) {
		ctx := context.Background()
		for _, cmd := range docCommands(t) {
			user := "lacks-" + strings.TrimPrefix(cmd, "+")
			aclUser(t, admin, user, cmd)
			// Without cached scripts, so that EVAL is needed too.
			if err := admin.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			err := storeFlow(redisstore.New(asUser(t, user), "itty:acl-"+sessions.NewID()[:12]+":"))
			if err == nil {
				t.Errorf("a user without %s: the store worked, so %s is not needed and should leave the doc's list", cmd, cmd)
				continue
			}
			want := "the Redis user may not run " + strings.ToUpper(strings.TrimPrefix(cmd, "+"))
			if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, "ACL rules in the redisstore package documentation") {
				t.Errorf("a user without %s: %v (want an error saying %q and pointing to the doc)", cmd, err, want)
			}
			if cmd == "+get" || cmd == "+zadd" {
				t.Logf("without %s: %v", cmd, err)
			}
		}
		if err := storeFlow(redisstore.New(asUser(t, "itty"), "itty:acl-"+sessions.NewID()[:12]+":")); err != nil {
			t.Fatalf("the full list after SCRIPT FLUSH: %v", err)
		}
	})

	t.Run("OutsideKeyPattern", func(t *testing.T) {
		err := storeFlow(redisstore.New(rdb, "other:"))
		if err == nil || !strings.Contains(err.Error(), "may not use the store's keys") || !strings.Contains(err.Error(), "ACL rules") {
			t.Fatalf("a prefix outside ~itty:*: %v, want a NOPERM error pointing to the doc", err)
		}
		t.Logf("a prefix outside the key pattern: %v", err)
	})
}

// TestClusterACL runs the Store suite on the cluster as the doc's ACL user
// with +cluster|slots, which a cluster client needs, created on every node.
func TestClusterACL(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	for _, addr := range addrs {
		admin := redis.NewClient(&redis.Options{Addr: addr})
		aclUser(t, admin, "itty", "", "+cluster|slots")
		aclUser(t, admin, "itty-noslots", "")
		admin.Close()
	}
	rdb := newClusterClient(t, func(o *redis.ClusterOptions) { o.Username, o.Password = "itty", "password" })
	sessionstest.RunStore(t, func(t *testing.T) sessions.Store {
		return redisstore.New(rdb, "itty:acl-"+sessions.NewID()[:12]+":")
	})
	noSlots := newClusterClient(t, func(o *redis.ClusterOptions) { o.Username, o.Password = "itty-noslots", "password" })
	err := storeFlow(redisstore.New(noSlots, "itty:acl-"+sessions.NewID()[:12]+":"))
	if err == nil {
		t.Fatal("a cluster client without +cluster|slots worked")
	}
	if !strings.Contains(err.Error(), "may not run CLUSTER|SLOTS") {
		t.Fatalf("without +cluster|slots: %v, want an error naming it", err)
	}
	t.Logf("without +cluster|slots: %v", err)
}
