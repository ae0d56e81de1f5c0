package sessions

import (
	"context"
	"sync"
	"time"
)

// MemoryStore keeps records in a map, for tests and development. Records
// are lost when the process ends. A background goroutine removes expired
// records every DefaultMemoryCleanupInterval (see CleanupInterval) until
// Close is called.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string]*Record
	users   map[string]map[string]struct{}
	janitor janitor
}

// NewMemoryStore returns an empty store and starts its cleanup goroutine,
// which removes expired records every DefaultMemoryCleanupInterval unless
// CleanupInterval in opts says otherwise. Close stops it.
func NewMemoryStore(opts ...StoreOption) *MemoryStore {
	s := &MemoryStore{records: map[string]*Record{}, users: map[string]map[string]struct{}{}}
	s.janitor.start(resolveStoreOptions(DefaultMemoryCleanupInterval, opts), "memory", s.Cleanup)
	return s
}

// Close stops the cleanup goroutine and waits for it to finish.
func (s *MemoryStore) Close() error {
	s.janitor.close()
	return nil
}

// Cleanup removes every expired record now. The cleanup goroutine calls
// it; apps that turn the goroutine off (CleanupInterval) may call it
// themselves. Expired records are never returned before Cleanup runs: it
// only frees their memory. It returns nil: it has the signature every
// store's Cleanup has, but removing records from a map cannot fail.
func (s *MemoryStore) Cleanup(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for id, r := range s.records {
		if r.Expired(now) {
			s.remove(id)
		}
	}
	return nil
}

// live returns the record if it exists and has not expired; s.mu is held.
func (s *MemoryStore) live(id string) *Record {
	r := s.records[id]
	if r == nil {
		return nil
	}
	if r.Expired(time.Now()) {
		s.remove(id)
		return nil
	}
	return r
}

func (s *MemoryStore) remove(id string) {
	if r := s.records[id]; r != nil && r.User != "" {
		delete(s.users[r.User], id)
		if len(s.users[r.User]) == 0 {
			delete(s.users, r.User)
		}
	}
	delete(s.records, id)
}

func (s *MemoryStore) put(r *Record) {
	if old := s.records[r.ID]; old != nil && old.User != r.User {
		s.remove(r.ID)
	}
	s.records[r.ID] = r
	if r.User != "" {
		if s.users[r.User] == nil {
			s.users[r.User] = map[string]struct{}{}
		}
		s.users[r.User][r.ID] = struct{}{}
	}
}

// Create implements Store.
func (s *MemoryStore) Create(_ context.Context, rec *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live(rec.ID) != nil {
		return ErrExists
	}
	s.put(rec.Clone())
	return nil
}

// Load implements Store.
func (s *MemoryStore) Load(_ context.Context, id string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live(id)
	if r == nil {
		return nil, ErrNotFound
	}
	return r.Clone(), nil
}

// Update implements Store.
func (s *MemoryStore) Update(_ context.Context, id string, fn func(*Record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.live(id)
	if r == nil {
		return ErrNotFound
	}
	c := r.Clone()
	if err := fn(c); err != nil {
		return err
	}
	c.ID = id
	s.put(c)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(id)
	return nil
}

// ByUser implements UserIndex.
func (s *MemoryStore) ByUser(_ context.Context, user string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.users[user] {
		if s.live(id) != nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
