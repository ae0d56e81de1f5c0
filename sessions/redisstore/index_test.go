package redisstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/ittygo/itty/sessions/sessionstest"
	"github.com/redis/go-redis/v9"
)

// orderHook checks, on the store's own client, the order the package doc
// promises between a record and its user's index: before a command writes
// a record of a user, the user's index already names it, with a score no
// earlier than its expiry; and a command that removes an id from a user's
// index is sent only once the record is no longer that user's. It asks a
// second client, which it does not watch, what is stored. A write is
// judged by what was stored before it was sent, and counts only if it
// wrote: a compare-and-set that a concurrent Delete made fail may find the
// entry removed already, and stores nothing.
type orderHook struct {
	t        *testing.T
	admin    redis.UniversalClient
	prefix   string
	checks   atomic.Int64
	mu       sync.Mutex
	breaches []string
}

func (h *orderHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *orderHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next // the store's pipelines only read
}

func (h *orderHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := make([]string, len(cmd.Args()))
		for i, a := range cmd.Args() {
			if b, ok := a.([]byte); ok {
				args[i] = string(b)
			} else {
				args[i] = fmt.Sprint(a)
			}
		}
		sessionKey := func(i int) bool { return i < len(args) && strings.HasPrefix(args[i], h.prefix+"s:") }
		var breach string
		switch name := strings.ToLower(args[0]); {
		case name == "set" && sessionKey(1):
			breach = h.writing(args[1], args[2]) // Create's SET NX
		case (name == "evalsha" || name == "eval") && args[2] == "1" && sessionKey(3) && len(args) == 7:
			breach = h.writing(args[3], args[5]) // Update's compare-and-set
		case name == "zrem" && strings.HasPrefix(args[1], h.prefix+"user:"):
			h.removing(strings.TrimPrefix(args[1], h.prefix+"user:"), args[2:])
		}
		err := next(ctx, cmd)
		if breach != "" && wrote(cmd) {
			h.breach("%s", breach)
		}
		return err
	}
}

// wrote reports whether a SET NX or the compare-and-set script stored its
// value.
func wrote(cmd redis.Cmder) bool {
	switch c := cmd.(type) {
	case *redis.BoolCmd:
		return c.Err() == nil && c.Val()
	case *redis.StatusCmd:
		return c.Err() == nil && c.Val() == "OK"
	case *redis.Cmd:
		n, err := c.Int()
		return err == nil && n == 1
	}
	return true // unknown: judge it as written
}

func (h *orderHook) breach(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.breaches = append(h.breaches, fmt.Sprintf(format, args...))
}

// writing checks that the record about to be stored under key is in its
// user's index already, and returns the breach if it is not.
func (h *orderHook) writing(key, value string) string {
	var rec sessions.Record
	if err := json.Unmarshal([]byte(value), &rec); err != nil {
		return fmt.Sprintf("%s: the store writes a value that is no record: %v", key, err)
	}
	if rec.User == "" {
		return ""
	}
	h.checks.Add(1)
	score, err := h.admin.ZScore(context.Background(), h.prefix+"user:"+rec.User, rec.ID).Result()
	if err != nil {
		return fmt.Sprintf("record %s of %s written before its index entry (ZSCORE: %v)", rec.ID, rec.User, err)
	}
	if int64(score) < rec.ExpiresAt().UnixMilli() {
		return fmt.Sprintf("record %s of %s written with expiry %v, its index entry scored %v", rec.ID, rec.User,
			rec.ExpiresAt().UnixMilli(), int64(score))
	}
	return ""
}

// removing checks that ids, about to leave user's index, have no record of
// user.
func (h *orderHook) removing(user string, ids []string) {
	for _, id := range ids {
		h.checks.Add(1)
		b, err := h.admin.Get(context.Background(), h.prefix+"s:"+id).Bytes()
		if err == redis.Nil {
			continue
		}
		var rec sessions.Record
		if err != nil || json.Unmarshal(b, &rec) != nil || rec.User == user {
			h.breach("%s removed from %s's index while its record exists (%v)", id, user, err)
		}
	}
}

// TestIndexOrderOnCluster runs logins, renews, logins as someone else,
// logouts and "log out everywhere" of many concurrent clients on the
// cluster, through a client whose every command orderHook checks, and
// then checks that every record left is in its user's index.
func TestIndexOrderOnCluster(t *testing.T) {
	t.Parallel()
	admin := newClusterClient(t, nil)
	rdb := newClusterClient(t, nil)
	prefix := "itty-test:" + sessions.NewID()[:12] + ":"
	hook := &orderHook{t: t, admin: admin, prefix: prefix}
	rdb.AddHook(hook)
	store := redisstore.New(rdb, prefix)
	a := sessionstest.NewLoginApp(t, store, sessions.Options{CookieName: uniqueCookie("order_sid")})

	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			user := []string{"ada", "bob", "cleo"}[i%3]
			c := a.Login(t, user)
			for range 3 { // renews of the same user
				c.PostForm("/login", url.Values{"user": {user}})
			}
			switch i % 4 {
			case 0:
				c.PostForm("/login", url.Values{"user": {"dan"}}) // someone else logs in
			case 1:
				c.PostForm("/logout", nil)
			case 2:
				c.PostForm("/everywhere", nil)
			}
		})
	}
	wg.Wait()

	// Direct use: a record that moves to another user, and deletes.
	ctx := context.Background()
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), User: "eve", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	if err := store.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := store.Update(ctx, rec.ID, func(r *sessions.Record) error { r.User = "fay"; return nil }); err != nil {
		t.Fatal(err)
	}
	if ids, _ := store.ByUser(ctx, "fay"); len(ids) != 1 {
		t.Fatalf("ByUser(fay) after the move: %v", ids)
	}
	if ids, _ := store.ByUser(ctx, "eve"); len(ids) != 0 {
		t.Fatalf("ByUser(eve) after the move: %v", ids)
	}
	if err := store.Delete(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}

	// Every record left is in its user's index.
	left := 0
	err := admin.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, prefix+"s:*", 1000).Iterator()
		for iter.Next(ctx) {
			b, err := node.Get(ctx, iter.Val()).Bytes()
			if err != nil {
				continue // expired meanwhile
			}
			var r sessions.Record
			if json.Unmarshal(b, &r) != nil || r.User == "" {
				continue
			}
			hook.mu.Lock()
			left++
			hook.mu.Unlock()
			if _, err := admin.ZScore(ctx, prefix+"user:"+r.User, r.ID).Result(); err != nil {
				hook.breach("record %s of %s is not in the index at the end: %v", r.ID, r.User, err)
			}
		}
		return iter.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range hook.breaches {
		t.Error(b)
	}
	if hook.checks.Load() < 50 {
		t.Fatalf("only %d checks: the hook did not see the store's writes", hook.checks.Load())
	}
	if strings.Contains(a.Logs.String(), "level=ERROR") {
		t.Fatalf("errors logged:\n%s", a.Logs.String())
	}
	t.Logf("%d checks of the index order on every record write and index removal, %d breaches; %d records of users left, each in its index",
		hook.checks.Load(), len(hook.breaches), left)
}

// TestIndexEntriesExpire checks the index's own expiry: its key lives a
// minute longer than its longest record, each entry is scored with its
// record's expiry, and entries a minute past their score are dropped, by
// the next write to the index or by ByUser.
func TestIndexEntriesExpire(t *testing.T) {
	s := newStore(t).(*redisstore.Store)
	rdb := newClient(t)
	ctx := context.Background()
	now := time.Now()
	live := &sessions.Record{ID: sessions.NewID(), User: "ada", Created: now, LastSeen: now, Idle: 1500 * time.Millisecond, Lifetime: time.Hour}
	if err := s.Create(ctx, live); err != nil {
		t.Fatal(err)
	}
	key := s.Prefix() + "user:ada"
	pttl, _ := rdb.PTTL(ctx, key).Result()
	if pttl < time.Minute || pttl > time.Minute+1500*time.Millisecond {
		t.Fatalf("the index's TTL is %v, want a minute more than the record's 1.5s", pttl)
	}
	score, err := rdb.ZScore(ctx, key, live.ID).Result()
	if want := float64(live.ExpiresAt().UnixMilli()); err != nil || score < want || score > want+1 {
		t.Fatalf("the entry's score is %v (%v), want the record's expiry %v", score, err, want)
	}
	// An entry whose record expired more than a minute ago, as a process
	// that died before deleting it would leave.
	old := sessions.NewID()
	rdb.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(-2 * time.Minute).UnixMilli()), Member: old})
	if ids, err := s.ByUser(ctx, "ada"); err != nil || len(ids) != 1 || ids[0] != live.ID {
		t.Fatalf("ByUser = %v, %v; want the live record only", ids, err)
	}
	if n, _ := rdb.ZCard(ctx, key).Result(); n != 1 {
		t.Fatalf("%d entries after ByUser, want the stale one dropped", n)
	}
	rdb.ZAdd(ctx, key, redis.Z{Score: float64(now.Add(-2 * time.Minute).UnixMilli()), Member: old})
	again := &sessions.Record{ID: sessions.NewID(), User: "ada", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	if err := s.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.ZScore(ctx, key, old).Result(); err != redis.Nil {
		t.Fatalf("the stale entry after a write to the index: %v, want it dropped", err)
	}
	if pttl, _ := rdb.PTTL(ctx, key).Result(); pttl < time.Hour {
		t.Fatalf("the index's TTL is %v after a record of an hour joined it", pttl)
	}
}
