package main

import (
	"container/list"
	"sync"
	"time"
)

// throttle slows down password guessing. Each key (a user name, a client
// address) may fail freeFailures times; after that it is locked for
// firstLock, doubling with every further failure up to maxLock. A key
// that has not failed for forgetAfter starts afresh. At most maxKeys keys
// are remembered, the least recently failed forgotten first, so a flood
// of distinct names costs bounded memory.
type throttle struct {
	mu      sync.Mutex
	keys    map[string]*list.Element
	lru     *list.List // of *strike, most recent at the front
	now     func() time.Time
	maxKeys int
}

type strike struct {
	key      string
	failures int
	last     time.Time
	until    time.Time // locked until then
}

const (
	freeFailures = 5
	firstLock    = time.Second
	maxLock      = 15 * time.Minute
	forgetAfter  = time.Hour
)

func newThrottle(maxKeys int) *throttle {
	return &throttle{keys: map[string]*list.Element{}, lru: list.New(), now: time.Now, maxKeys: maxKeys}
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
			if t.lru.Len() >= t.maxKeys {
				oldest := t.lru.Back()
				delete(t.keys, oldest.Value.(*strike).key)
				t.lru.Remove(oldest)
			}
			e = t.lru.PushFront(&strike{key: k})
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
		t.lru.MoveToFront(e)
	}
}

// forget clears key, after a successful login.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.keys[key]; ok {
		delete(t.keys, key)
		t.lru.Remove(e)
	}
}

func (t *throttle) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
