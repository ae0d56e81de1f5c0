package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileStore keeps each session in its own JSON file under a directory: the
// embedded default, which survives restarts and is shared safely by every
// process on the machine that uses the same directory (so it works for CGI
// programs too).
//
// Writes go to a temporary file that is synced and then renamed over the
// old one, so a process killed mid-write leaves the old version or the new
// one, never a torn file. Read-modify-write cycles hold an flock(2) lock
// (one of 64, chosen by id), so concurrent processes do not lose updates.
// Ids are checked with ValidID before they are used as file names.
type FileStore struct {
	dir     string
	janitor janitor
}

const lockStripes = 64

// NewFileStore returns a store in dir, creating it (mode 0700) if needed,
// that removes expired sessions every cleanupInterval (zero means ten
// minutes, negative never). Call Close to stop the cleanup.
func NewFileStore(dir string, cleanupInterval time.Duration) (*FileStore, error) {
	for _, sub := range []string{"sessions", "users", "locks"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("sessions: file store: %w", err)
		}
	}
	s := &FileStore{dir: dir}
	if cleanupInterval == 0 {
		cleanupInterval = 10 * time.Minute
	}
	s.janitor.start(cleanupInterval, func() { s.Cleanup(context.Background()) })
	return s, nil
}

// Close stops the cleanup goroutine and waits for it to finish.
func (s *FileStore) Close() error {
	s.janitor.close()
	return nil
}

func (s *FileStore) path(id string) string { return filepath.Join(s.dir, "sessions", id+".json") }

func (s *FileStore) userDir(user string) string {
	h := sha256.Sum256([]byte(user))
	return filepath.Join(s.dir, "users", hex.EncodeToString(h[:16]))
}

// lock takes the cross-process lock for id and returns its release.
func (s *FileStore) lock(id string) (func(), error) {
	h := fnv.New32a()
	h.Write([]byte(id))
	return lockFile(filepath.Join(s.dir, "locks", fmt.Sprintf("%02d", h.Sum32()%lockStripes)))
}

// read returns the record in id's file; a missing, unreadable-as-JSON or
// expired file is ErrNotFound (a torn file cannot happen, but a file some
// other tool damaged must not break requests).
func (s *FileStore) read(id string) (*Record, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	b, err := os.ReadFile(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if json.Unmarshal(b, &rec) != nil || rec.ID != id || rec.Expired(time.Now()) {
		return nil, ErrNotFound
	}
	return &rec, nil
}

func (s *FileStore) write(rec *Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "sessions"), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path(rec.ID))
}

func (s *FileStore) index(oldUser string, rec *Record) error {
	if oldUser != "" && oldUser != rec.User {
		os.Remove(filepath.Join(s.userDir(oldUser), rec.ID))
	}
	if rec.User == "" {
		return nil
	}
	dir := s.userDir(rec.User)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, rec.ID), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// Create implements Store.
func (s *FileStore) Create(_ context.Context, rec *Record) error {
	if !ValidID(rec.ID) {
		return fmt.Errorf("sessions: invalid id")
	}
	unlock, err := s.lock(rec.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.read(rec.ID); err == nil {
		return ErrExists
	}
	if err := s.write(rec); err != nil {
		return err
	}
	return s.index("", rec)
}

// Load implements Store.
func (s *FileStore) Load(_ context.Context, id string) (*Record, error) {
	return s.read(id)
}

// Update implements Store.
func (s *FileStore) Update(_ context.Context, id string, fn func(*Record) error) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	unlock, err := s.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := s.read(id)
	if err != nil {
		return err
	}
	oldUser := rec.User
	if err := fn(rec); err != nil {
		return err
	}
	rec.ID = id
	if err := s.write(rec); err != nil {
		return err
	}
	return s.index(oldUser, rec)
}

// Delete implements Store.
func (s *FileStore) Delete(_ context.Context, id string) error {
	if !ValidID(id) {
		return nil
	}
	unlock, err := s.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	return s.remove(id)
}

// remove deletes id's file and index entry; the lock is held.
func (s *FileStore) remove(id string) error {
	b, _ := os.ReadFile(s.path(id))
	var rec Record
	if json.Unmarshal(b, &rec) == nil && rec.User != "" {
		os.Remove(filepath.Join(s.userDir(rec.User), id))
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ByUser implements UserIndex.
func (s *FileStore) ByUser(_ context.Context, user string) ([]string, error) {
	entries, err := os.ReadDir(s.userDir(user))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		id := e.Name()
		if rec, err := s.read(id); err == nil && rec.User == user {
			ids = append(ids, id)
		} else if errors.Is(err, ErrNotFound) || err == nil {
			os.Remove(filepath.Join(s.userDir(user), id)) // stale entry
		}
	}
	return ids, nil
}

// Cleanup removes expired sessions, their index entries, and temporary
// files left by processes killed while writing.
func (s *FileStore) Cleanup(context.Context) error {
	dir := filepath.Join(s.dir, "sessions")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > time.Minute {
				os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		id := strings.TrimSuffix(name, ".json")
		if !ValidID(id) {
			continue
		}
		if _, err := s.read(id); errors.Is(err, ErrNotFound) {
			if unlock, err := s.lock(id); err == nil {
				if _, err := s.read(id); errors.Is(err, ErrNotFound) {
					s.remove(id)
				}
				unlock()
			}
		}
	}
	return nil
}
