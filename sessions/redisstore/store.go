package redisstore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ittygo/itty/sessions"
	"github.com/redis/go-redis/v9"
)

// FallbackPrefix is the prefix of a store made with an empty prefix that is
// used before a Manager has named it (see Namespace). No Manager's prefix
// can be equal to it or start with it, because a cookie name cannot contain
// parentheses.
const FallbackPrefix = "itty:(direct):"

// PrefixFor returns the key prefix a store made with an empty prefix takes
// from a Manager whose session cookie is named cookieName: "itty:" +
// cookieName + ":". Cookie names contain no colon, so the prefixes of two
// cookie names never overlap. Ask Redis for "itty:" + cookieName + ":*" to
// see one app's keys.
func PrefixFor(cookieName string) string { return "itty:" + cookieName + ":" }

// maxRetries bounds the compare-and-set retries of one Update.
const maxRetries = 50

// Store keeps sessions in Redis. It is safe for concurrent use by many
// processes on many machines.
type Store struct {
	rdb redis.UniversalClient

	// prefix is the key prefix once the store has one: given to New,
	// derived in Namespace, or FallbackPrefix at first use. It never
	// changes after that.
	prefix atomic.Pointer[string]

	mu       sync.Mutex // serialises the setting of prefix
	explicit bool       // the prefix was given to New
	named    string     // the cookie name the prefix was derived from
}

var (
	_ sessions.Store      = (*Store)(nil)
	_ sessions.UserIndex  = (*Store)(nil)
	_ sessions.Namespacer = (*Store)(nil)
)

// New returns a store using rdb, with keys starting with prefix. An empty
// prefix means the one the Manager names (PrefixFor its cookie name; see
// Namespace), which keeps apps on one Redis apart. A prefix of your own is
// used as it is, whatever the Manager's cookie name: stores with the same
// prefix share their sessions. Stores may share one client.
func New(rdb redis.UniversalClient, prefix string) *Store {
	s := &Store{rdb: rdb}
	if prefix != "" {
		s.explicit = true
		s.prefix.Store(&prefix)
	}
	return s
}

// Namespace implements sessions.Namespacer; sessions.New calls it with the
// Manager's cookie name. A store given a prefix by New keeps it and
// Namespace does nothing. Otherwise the first call sets the prefix to
// PrefixFor(cookieName), later calls with the same name do nothing, and a
// call with another name fails: one store value with a derived prefix
// serves one app. Namespace also fails on a store already used under
// FallbackPrefix, whose records the Manager would not see.
func (s *Store) Namespace(cookieName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.explicit:
		return nil
	case !isToken(cookieName):
		return fmt.Errorf("redisstore: Namespace: %q is not a cookie name", cookieName)
	case s.named == cookieName:
		return nil
	case s.named != "":
		return fmt.Errorf("redisstore: this store already keeps the sessions of cookie %q under prefix %q and cannot also serve cookie %q; give each Manager its own store (redisstore.New) or an explicit prefix",
			s.named, PrefixFor(s.named), cookieName)
	case s.prefix.Load() != nil:
		return fmt.Errorf("redisstore: this store was used before a Manager named it, under prefix %q; pass it to sessions.New before using it, or give redisstore.New an explicit prefix",
			FallbackPrefix)
	}
	p := PrefixFor(cookieName)
	s.named = cookieName
	s.prefix.Store(&p)
	return nil
}

// isToken reports whether s is an RFC 6265 cookie name (an HTTP token),
// which has no colon or parenthesis: so PrefixFor of two names never
// overlap, nor overlap FallbackPrefix.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Prefix returns the key prefix the store uses, or "" if it has none yet
// (made with an empty prefix, and neither named by a Manager nor used).
func (s *Store) Prefix() string {
	if p := s.prefix.Load(); p != nil {
		return *p
	}
	return ""
}

// keyPrefix returns the prefix to use now, settling on FallbackPrefix if
// the store has none yet.
func (s *Store) keyPrefix() string {
	if p := s.prefix.Load(); p != nil {
		return *p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.prefix.Load(); p != nil { // named meanwhile
		return *p
	}
	p := FallbackPrefix
	s.prefix.Store(&p)
	return p
}

// key is the session's key. It has no hash tag, so on a Redis Cluster the
// sessions spread over the slots by id.
func (s *Store) key(id string) string { return s.keyPrefix() + "s:" + id }

// userKey is the key of the user's index: one key, so on a Redis Cluster
// one slot, with no hash tag, so that the indexes of users spread too.
func (s *Store) userKey(user string) string { return s.keyPrefix() + "user:" + user }

// clockSkew is how long an index entry outlives its record's expiry, so
// that app servers whose clocks differ by up to this much never drop the
// entry of a record another server still considers live.
const clockSkew = time.Minute

// ttl is how long Redis should keep rec: until it expires, at least 1 ms.
func ttl(rec *sessions.Record) time.Duration {
	return max(time.Until(rec.ExpiresAt()), time.Millisecond)
}

func decode(b []byte, id string) (*sessions.Record, error) {
	var rec sessions.Record
	if err := json.Unmarshal(b, &rec); err != nil || rec.ID != id {
		return nil, sessions.ErrNotFound // damaged by something else: treat as gone
	}
	if rec.Expired(time.Now()) {
		return nil, sessions.ErrNotFound
	}
	return &rec, nil
}

// The scripts. Each touches one key, so each runs on the node that holds
// it, in a cluster as on one server, and none uses a command newer than
// Redis 2.6.12 (see the package doc's list). Scores are Unix times in
// milliseconds.
var (
	// indexScript adds ARGV[1] to the index KEYS[1] with the score ARGV[2]
	// (its record's expiry), never lowering a score already there; drops
	// the entries scored before ARGV[3]; and makes the index live at least
	// ARGV[4] ms more. Scores only grow, so an entry's score is never
	// before the expiry of the record of that id and user, whatever order
	// concurrent writers run in.
	indexScript = newScript(`
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) < tonumber(ARGV[2]) then
	redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
	redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 1
`)
	// listScript drops the entries of the index KEYS[1] scored before
	// ARGV[1] and returns the others.
	listScript = newScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`)
	// casScript stores ARGV[2] under KEYS[1] with a TTL of ARGV[3] ms if
	// the key still holds the value whose SHA-1 is ARGV[1], and returns 1;
	// else it stores nothing and returns 0.
	casScript = newScript(`
local v = redis.call('GET', KEYS[1])
if not v or redis.sha1hex(v) ~= ARGV[1] then
	return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)
	// takeScript deletes KEYS[1] and returns the value it held, or nil.
	takeScript = newScript(`
local v = redis.call('GET', KEYS[1])
if v then
	redis.call('DEL', KEYS[1])
end
return v
`)
)

// index adds rec's id to its user's index, with its expiry as the score.
// A record is indexed before it is written, so whenever it exists its
// user's index names it (see the package doc).
func (s *Store) index(ctx context.Context, rec *sessions.Record) error {
	if rec.User == "" {
		return nil
	}
	// Round up, so the score is never before the expiry.
	score := rec.ExpiresAt().Add(time.Millisecond - 1).UnixMilli()
	err := indexScript.Run(ctx, s.rdb, []string{s.userKey(rec.User)},
		rec.ID, score, time.Now().Add(-clockSkew).UnixMilli(), (ttl(rec) + clockSkew).Milliseconds()).Err()
	if err != nil {
		return fail("index", err)
	}
	return nil
}

// script is one of the store's Lua scripts.
type script struct {
	*redis.Script
	lines []string // the source, by the line numbers Redis reports
}

// scripts are the store's scripts by SHA-1, to explain their errors.
var scripts = map[string]*script{}

func newScript(src string) *script {
	sc := &script{Script: redis.NewScript(src), lines: strings.Split(src, "\n")}
	scripts[sc.Hash()] = sc
	return sc
}

var (
	scriptLine   = regexp.MustCompile(`script: ([0-9a-f]{40}), on @user_script:([0-9]+)`)
	scriptCall   = regexp.MustCompile(`redis\.call\('([A-Z]+)'`)
	refusedQuote = regexp.MustCompile(`run the '([^']+)' command`)
)

// fail wraps a Redis error for op. A command the server's ACL refuses is
// named, even when a script ran it (Redis 7.0 reports only the script's
// line then), with what to do about it.
func fail(op string, err error) error {
	msg := err.Error()
	refused := ""
	if m := refusedQuote.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "NOPERM") {
		refused = "may not run " + strings.ToUpper(m[1])
	} else if strings.Contains(msg, "NOPERM") && strings.Contains(msg, "keys") {
		refused = "may not use the store's keys (its ACL key pattern does not cover the store's prefix)"
	} else if m := scriptLine.FindStringSubmatch(msg); m != nil && strings.Contains(msg, "can't run this command") {
		refused = "may not run a command of the store's scripts"
		if sc := scripts[m[1]]; sc != nil {
			if n, _ := strconv.Atoi(m[2]); n >= 1 && n <= len(sc.lines) {
				if c := scriptCall.FindStringSubmatch(sc.lines[n-1]); c != nil {
					refused = "may not run " + c[1] + ", which a script of the store runs"
				}
			}
		}
	}
	if refused != "" {
		return fmt.Errorf("redisstore: %s: the Redis user %s (%w); grant it the ACL rules in the redisstore package documentation", op, refused, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// Create implements sessions.Store.
func (s *Store) Create(ctx context.Context, rec *sessions.Record) error {
	rec = rec.Clone() // the caller may reuse its record once we return
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = bounded(ctx, func(ctx context.Context, _ *guard) (struct{}, error) {
		return struct{}{}, s.create(ctx, rec, b)
	})
	return err
}

func (s *Store) create(ctx context.Context, rec *sessions.Record, b []byte) error {
	if err := s.index(ctx, rec); err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.key(rec.ID), b, ttl(rec)).Result()
	if err != nil {
		return fail("create", err)
	}
	if !ok {
		return sessions.ErrExists // the entry just added is stale: harmless
	}
	// Index it once more: a Delete of this id that ran meanwhile (an id
	// deleted and created again at once) may have removed the entry
	// between the first add and the write. The record is stored whatever
	// this answers, so its failure is not the create's: the entry of the
	// first add is there unless such a Delete ran, and a caller told the
	// create failed would lose track of a session that exists.
	_ = s.index(ctx, rec)
	return nil
}

// Load implements sessions.Store.
func (s *Store) Load(ctx context.Context, id string) (*sessions.Record, error) {
	return bounded(ctx, func(ctx context.Context, _ *guard) (*sessions.Record, error) {
		b, err := s.rdb.Get(ctx, s.key(id)).Bytes()
		if errors.Is(err, redis.Nil) {
			return nil, sessions.ErrNotFound
		}
		if err != nil {
			return nil, fail("load", err)
		}
		return decode(b, id)
	})
}

// Update implements sessions.Store. It never calls fn after it has
// returned, even when Redis answers after the context's deadline.
func (s *Store) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	_, err := bounded(ctx, func(ctx context.Context, g *guard) (struct{}, error) {
		return struct{}{}, s.update(ctx, g, id, fn)
	})
	return err
}

// update reads the record, calls fn, indexes the result under its user and
// stores it with casScript, which writes only if the record is still the
// one read; if it is not, another writer got there first, and update reads
// again. The compare-and-set touches the session's key alone, and no
// connection is held while the index is written.
func (s *Store) update(ctx context.Context, g *guard, id string, fn func(*sessions.Record) error) error {
	key := s.key(id)
	for range maxRetries {
		b, err := s.rdb.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			return sessions.ErrNotFound
		}
		if err != nil {
			return fail("update", err)
		}
		rec, err := decode(b, id)
		if err != nil {
			return err
		}
		var fnErr error
		if !g.do(func() { fnErr = fn(rec) }) {
			return errGaveUp
		}
		if fnErr != nil {
			return fnErr
		}
		rec.ID = id
		nb, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := s.index(ctx, rec); err != nil {
			return err
		}
		sum := sha1.Sum(b)
		stored, err := casScript.Run(ctx, s.rdb, []string{key}, hex.EncodeToString(sum[:]), nb, ttl(rec).Milliseconds()).Int()
		if err != nil {
			return fail("update", err)
		}
		if stored == 1 {
			return nil
		}
		// Changed or deleted since it was read: read again.
	}
	return fmt.Errorf("redisstore: update of %s: still contended after %d tries", id, maxRetries)
}

// Delete implements sessions.Store.
func (s *Store) Delete(ctx context.Context, id string) error {
	_, err := bounded(ctx, func(ctx context.Context, _ *guard) (struct{}, error) {
		return struct{}{}, s.delete(ctx, id)
	})
	return err
}

// delete deletes the record, then removes it from its user's index.
func (s *Store) delete(ctx context.Context, id string) error {
	key := s.key(id)
	b, err := takeScript.Run(ctx, s.rdb, []string{key}).Text()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fail("delete", err)
	}
	var rec sessions.Record
	if json.Unmarshal([]byte(b), &rec) != nil || rec.User == "" {
		return nil
	}
	if err := s.rdb.ZRem(ctx, s.userKey(rec.User), id).Err(); err != nil {
		return fail("delete", err)
	}
	// A Create of the same id that ran meanwhile indexes its record again
	// after writing it; one that wrote it between our delete and our
	// removal of the entry is caught here.
	return s.reindex(ctx, rec.User, []string{id})
}

// reindex indexes again, under user, those of ids whose records exist and
// are user's: the check that follows Delete's removal of an entry.
func (s *Store) reindex(ctx context.Context, user string, ids []string) error {
	recs, err := s.loadAll(ctx, ids)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if rec != nil && rec.User == user {
			if err := s.index(ctx, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadAll loads the records of ids, nil for those that are gone, expired
// or damaged, with one GET per id: pipelined, and on a cluster sent to
// each id's node, never one multi-key command across slots.
func (s *Store) loadAll(ctx context.Context, ids []string) ([]*sessions.Record, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, _ = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = pipe.Get(ctx, s.key(id))
		}
		return nil
	}) // each command's own error is read below
	recs := make([]*sessions.Record, len(ids))
	for i, cmd := range cmds {
		b, err := cmd.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fail("load", err)
		}
		recs[i], _ = decode(b, ids[i])
	}
	return recs, nil
}

// ByUser implements sessions.UserIndex. It returns the ids of the user's
// unexpired records, tombstones included. It drops from the user's index
// the entries a minute past their records' expiry, and skips, without
// dropping them, the entries of records that are gone or now another
// user's (see the package doc).
func (s *Store) ByUser(ctx context.Context, user string) ([]string, error) {
	return bounded(ctx, func(ctx context.Context, _ *guard) ([]string, error) {
		return s.byUser(ctx, user)
	})
}

func (s *Store) byUser(ctx context.Context, user string) ([]string, error) {
	ids, err := listScript.Run(ctx, s.rdb, []string{s.userKey(user)}, time.Now().Add(-clockSkew).UnixMilli()).StringSlice()
	if err != nil {
		return nil, fail("by user", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := s.loadAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	var live []string
	for i, rec := range recs {
		if rec != nil && rec.User == user {
			live = append(live, ids[i])
		}
	}
	return live, nil
}

// maxHeadroom is the most a call gives up before its context's deadline:
// see bounded.
const maxHeadroom = 50 * time.Millisecond

// errGaveUp stops an Update whose caller has stopped waiting before it
// calls fn.
var errGaveUp = errors.New("redisstore: the caller stopped waiting")

// bounded runs op and returns its result, or an error if op has not
// finished shortly before ctx's deadline (by a tenth of the time left, at
// most maxHeadroom) or when ctx is cancelled. A client that ignores
// context deadlines on its socket (go-redis without ContextTimeoutEnabled)
// would otherwise keep the call waiting past the deadline, and a caller
// that stops waiting by itself, as the Manager does at StoreTimeout, would
// learn only that the time is up, while the call went on with the caller's
// values. Here the caller gets the store's error before its own deadline,
// and the call given up on touches nothing of the caller's again: Create
// works on a copy of the record, and Update's fn runs only under guard. A
// call given up on runs on until the client gives up too, and what it
// writes may still take effect, as any write whose answer is lost may.
// Without a deadline, op runs on the caller's goroutine.
func bounded[T any](ctx context.Context, op func(context.Context, *guard) (T, error)) (T, error) {
	g := &guard{}
	deadline, ok := ctx.Deadline()
	if !ok {
		return op(ctx, g)
	}
	headroom := max(min(time.Until(deadline)/10, maxHeadroom), 0)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(-headroom))
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := op(ctx, g)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
	}
	g.giveUp()
	select {
	case r := <-done: // it answered just in time
		return r.v, r.err
	default:
	}
	var zero T
	return zero, fmt.Errorf("redisstore: gave up waiting for Redis: %w", context.Cause(ctx))
}

// guard lets an op run the caller's code (Update's fn) only while the
// caller is still waiting for it.
type guard struct {
	mu     sync.Mutex
	gaveUp bool
}

// do runs f and returns true, unless the caller has stopped waiting.
func (g *guard) do(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gaveUp {
		return false
	}
	f()
	return true
}

// giveUp marks that the caller stops waiting; if do is running f, it
// returns once f has.
func (g *guard) giveUp() {
	g.mu.Lock()
	g.gaveUp = true
	g.mu.Unlock()
}
