package main

import (
	"container/list"
	"sync"
	"time"
)

// throttle slows down password guessing. Each key (a user name, a client
// address) has freeFailures failures that cost nothing; each failure after
// them locks the key, for firstLock, doubling with every further failure up
// to maxLock. A key that has not failed for forgetAfter starts afresh.
//
// At most maxKeys keys are remembered, so that a flood of distinct names
// costs bounded memory. When a new key needs room, the key that failed
// least recently among those still within their free failures is
// forgotten; only when there are none is a locked key forgotten (the least
// recently failed).
// So a flood of fresh keys, each failing once (a new name from a new
// address every time), cannot push a locked user name out and give its
// guesser a fresh start: it must first lock maxKeys other keys, six failed
// logins each.
type throttle struct {
	mu      sync.Mutex
	keys    map[string]*list.Element
	free    *list.List // of *strike within its free failures, the most recent failure at the front
	locked  *list.List // of *strike past them, the same way
	now     func() time.Time
	maxKeys int
}

type strike struct {
	key      string
	failures int
	last     time.Time
	until    time.Time  // locked until then
	in       *list.List // free or locked
}

const (
	freeFailures = 5
	firstLock    = time.Second
	maxLock      = 15 * time.Minute
	forgetAfter  = time.Hour
)

func newThrottle(maxKeys int) *throttle {
	return &throttle{keys: map[string]*list.Element{}, free: list.New(), locked: list.New(), now: time.Now, maxKeys: maxKeys}
}

// wait returns how long the caller must wait before any of keys may try
// again, or zero.
func (t *throttle) wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var longest time.Duration
	for _, k := range keys {
		if e, ok := t.keys[k]; ok {
			longest = max(longest, e.Value.(*strike).until.Sub(now))
		}
	}
	return longest
}

// fail records a failed attempt for each of keys.
func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		e, ok := t.keys[k]
		if !ok {
			if len(t.keys) >= t.maxKeys {
				t.evict()
			}
			e = t.free.PushFront(&strike{key: k, in: t.free})
			t.keys[k] = e
		}
		s := e.Value.(*strike)
		if now.Sub(s.last) > forgetAfter {
			s.failures = 0
		}
		s.failures++
		s.last = now
		if n := s.failures - freeFailures; n > 0 {
			lock := maxLock
			if n < 20 {
				lock = min(firstLock<<(n-1), maxLock)
			}
			s.until = now.Add(lock)
		}
		to := t.free
		if s.failures > freeFailures {
			to = t.locked
		}
		if s.in == to {
			to.MoveToFront(e)
			continue
		}
		s.in.Remove(e)
		s.in = to
		t.keys[k] = to.PushFront(s)
	}
}

// evict forgets one key to make room: the least recently failed of those
// within their free failures, else of the locked ones.
func (t *throttle) evict() {
	from := t.free
	if from.Len() == 0 {
		from = t.locked
	}
	oldest := from.Back()
	delete(t.keys, oldest.Value.(*strike).key)
	from.Remove(oldest)
}

// forget clears key, after a successful login.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.keys[key]; ok {
		delete(t.keys, key)
		e.Value.(*strike).in.Remove(e)
	}
}

func (t *throttle) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}
