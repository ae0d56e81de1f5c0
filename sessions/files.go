package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileStore keeps each session in its own JSON file under a directory: the
// embedded default, which survives restarts and is shared safely by every
// process on the machine that uses the same directory (so it works for CGI
// programs too).
//
// No file name holds a session id, so a directory listing, a backup
// catalogue or a log of file names gives away no cookie. A session is kept
// in DIR/sessions/NAME.json and listed for its user in
// DIR/users/USER/NAME, where NAME is the lower-case hex SHA-256 of the
// session id (64 characters) and USER the hex of the first 16 bytes of the
// SHA-256 of the user name. Index entries are empty: ByUser reads the id
// from the session file, and only if that file's id hashes to its name.
//
// NewFileStore refuses a directory (DIR, or its sessions, users or locks
// subdirectory) that is a symbolic link or that is writable by its group
// or by others, since whoever can write there can plant, swap or delete
// sessions. Directories it creates have mode 0700, and files mode 0600.
//
// Writes go to a temporary file that is synced and then renamed over the
// old one, so a process killed mid-write leaves the old version or the new
// one, never a torn file. After every rename, removal and new directory,
// the directory that changed is synced before the call returns, so a
// session whose creation was acknowledged survives a power cut and one
// whose deletion was acknowledged does not come back. (On systems without
// directory sync, such as Windows, the renames are atomic but their
// durability is up to the file system.) A user's index entry is written
// before the session file and removed after it, so the index never misses
// a session on disk and DestroyUser finds every one.
//
// Read-modify-write cycles hold an flock(2) lock (one of 64, chosen by the
// file name), so concurrent processes do not lose updates. Ids are checked
// with ValidID before they reach the file system.
type FileStore struct {
	dir     string
	sys     fileSystem
	janitor janitor
}

const lockStripes = 64

// NewFileStore returns a store in dir, creating it (mode 0700) if needed,
// and starts its cleanup goroutine, which runs Cleanup every
// DefaultFileCleanupInterval unless CleanupInterval in opts says
// otherwise. Close stops it.
//
// It returns an error if dir, or its sessions, users or locks
// subdirectory, is a symbolic link, is not a directory, is owned by another
// user or is group- or world-writable, or if a directory above it could be
// changed by another user (owned by someone but root or this user, or
// world-writable without the sticky bit); the error says how to fix it.
// The store keeps to the directory's real location: a symbolic link above
// it that changes later does not move it.
func NewFileStore(dir string, opts ...StoreOption) (*FileStore, error) {
	dir = filepath.Clean(dir)
	fresh, err := prepareDir(dir, true)
	if err != nil {
		return nil, err
	}
	if err := checkAncestors(dir); err != nil {
		return nil, err
	}
	// Pin the directory's real location, so that changing a symbolic
	// link above it later cannot move the store.
	parent, err := filepath.EvalSymlinks(filepath.Dir(dir))
	if err != nil {
		return nil, fmt.Errorf("sessions: file store: %w", err)
	}
	dir = filepath.Join(parent, filepath.Base(dir))
	s := &FileStore{dir: dir, sys: osFS{}}
	if fresh {
		if err := s.sys.syncDir(filepath.Dir(dir)); err != nil {
			return nil, fmt.Errorf("sessions: file store: %w", err)
		}
	}
	newSub := false
	for _, sub := range []string{"sessions", "users", "locks"} {
		created, err := prepareDir(filepath.Join(dir, sub), false)
		if err != nil {
			return nil, err
		}
		newSub = newSub || created
	}
	if newSub {
		if err := s.sys.syncDir(dir); err != nil {
			return nil, fmt.Errorf("sessions: file store: %w", err)
		}
	}
	s.janitor.start(resolveStoreOptions(DefaultFileCleanupInterval, opts), "files", s.Cleanup)
	return s, nil
}

// Close stops the cleanup goroutine and waits for it to finish.
func (s *FileStore) Close() error {
	s.janitor.close()
	return nil
}

// fileName is the name the store gives id's files: the hex SHA-256 of id.
func fileName(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// isFileName reports whether name has the form fileName gives.
func isFileName(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *FileStore) sessionsDir() string { return filepath.Join(s.dir, "sessions") }

// path is the session file of the record whose file name is name.
func (s *FileStore) path(name string) string { return filepath.Join(s.dir, "sessions", name+".json") }

func (s *FileStore) userDir(user string) string {
	h := sha256.Sum256([]byte(user))
	return filepath.Join(s.dir, "users", hex.EncodeToString(h[:16]))
}

// lock takes the cross-process lock for the record whose file name is name
// and returns its release.
func (s *FileStore) lock(ctx context.Context, name string) (func(), error) {
	n, _ := strconv.ParseUint(name[:2], 16, 8)
	return lockFile(ctx, filepath.Join(s.dir, "locks", fmt.Sprintf("%02d", n%lockStripes)))
}

// load returns the record in the session file called name; a missing,
// unreadable-as-JSON or expired file, or one whose id does not hash to its
// name, is ErrNotFound (a torn file cannot happen, but a file some other
// tool damaged must not break requests).
func (s *FileStore) load(name string) (*Record, error) {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if json.Unmarshal(b, &rec) != nil || !ValidID(rec.ID) || fileName(rec.ID) != name || rec.Expired(time.Now()) {
		return nil, ErrNotFound
	}
	return &rec, nil
}

// writeFile puts data in path atomically and durably: a temporary file in
// the sessions directory, synced, renamed to path, and path's directory
// synced.
func (s *FileStore) writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(s.sessionsDir(), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.sys.rename(tmp.Name(), path)
	}
	if err != nil {
		s.sys.remove(tmp.Name())
		return err
	}
	return s.sys.syncDir(filepath.Dir(path))
}

// unlink removes path, if it exists, and syncs its directory. The sync is
// done even if path was already gone, in case whoever removed it did not
// live to sync.
func (s *FileStore) unlink(path string) error {
	if err := s.sys.remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.sys.syncDir(filepath.Dir(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s *FileStore) write(rec *Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.writeFile(s.path(fileName(rec.ID)), b)
}

// addIndex lists the record called name under user.
func (s *FileStore) addIndex(user, name string) error {
	dir := s.userDir(user)
	if err := s.sys.mkdir(dir); err == nil {
		if err := s.sys.syncDir(filepath.Dir(dir)); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	return s.writeFile(filepath.Join(dir, name), nil)
}

// Create implements Store.
func (s *FileStore) Create(ctx context.Context, rec *Record) error {
	if !ValidID(rec.ID) {
		return fmt.Errorf("sessions: invalid id")
	}
	name := fileName(rec.ID)
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.load(name); err == nil {
		return ErrExists
	}
	if rec.User != "" {
		if err := s.addIndex(rec.User, name); err != nil {
			return err
		}
	}
	return s.write(rec)
}

// Load implements Store.
func (s *FileStore) Load(_ context.Context, id string) (*Record, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	return s.load(fileName(id))
}

// Update implements Store.
func (s *FileStore) Update(ctx context.Context, id string, fn func(*Record) error) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	name := fileName(id)
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := s.load(name)
	if err != nil {
		return err
	}
	oldUser := rec.User
	if err := fn(rec); err != nil {
		return err
	}
	rec.ID = id
	if rec.User != "" && rec.User != oldUser {
		if err := s.addIndex(rec.User, name); err != nil {
			return err
		}
	}
	if err := s.write(rec); err != nil {
		return err
	}
	if oldUser != "" && oldUser != rec.User {
		return s.unlink(filepath.Join(s.userDir(oldUser), name))
	}
	return nil
}

// Delete implements Store.
func (s *FileStore) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return nil
	}
	name := fileName(id)
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	return s.remove(name)
}

// remove deletes the session file called name, then its index entry; the
// lock is held.
func (s *FileStore) remove(name string) error {
	path := s.path(name)
	b, _ := os.ReadFile(path)
	var rec Record
	user := ""
	if json.Unmarshal(b, &rec) == nil {
		user = rec.User
	}
	if err := s.unlink(path); err != nil {
		return err
	}
	if user != "" {
		return s.unlink(filepath.Join(s.userDir(user), name))
	}
	return nil
}

// ByUser implements UserIndex.
func (s *FileStore) ByUser(ctx context.Context, user string) ([]string, error) {
	dir := s.userDir(user)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !isFileName(name) {
			continue
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		rec, err := s.load(name)
		if err == nil && rec.User == user {
			ids = append(ids, rec.ID)
			continue
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			continue
		}
		// Stale, or being written right now: look again under the lock.
		id, err := s.dropStale(ctx, dir, name, user)
		if err != nil {
			return nil, err
		}
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// dropStale removes user's index entry for the record called name, unless,
// under the lock, the record turns out to be user's after all; then it
// returns its id.
func (s *FileStore) dropStale(ctx context.Context, dir, name, user string) (string, error) {
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return "", err
	}
	defer unlock()
	rec, err := s.load(name)
	switch {
	case err == nil && rec.User == user:
		return rec.ID, nil
	case err == nil || errors.Is(err, ErrNotFound):
		return "", s.unlink(filepath.Join(dir, name))
	}
	return "", nil
}

// Cleanup removes expired and damaged sessions, their index entries, and
// temporary files left by processes killed while writing. The cleanup
// goroutine calls it; apps that turn the goroutine off (CleanupInterval)
// may call it themselves, from a cron job say. Expired sessions are never
// returned before Cleanup runs: it only reclaims their space. It returns
// the errors of the files it could not read or remove, joined. It stops
// early, with ctx's error, when ctx ends, which also bounds its wait for
// each session's lock.
func (s *FileStore) Cleanup(ctx context.Context) error {
	dir := s.sessionsDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	now := time.Now()
	var errs []error
	removedTemp := false
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err) // the store is closing, or the caller gave up
			break
		}
		name := e.Name()
		base := strings.TrimSuffix(name, ".json")
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			info, err := e.Info()
			if err != nil {
				errs = append(errs, ignoreGone(err)) // gone already: its writer renamed it
				continue
			}
			if now.Sub(info.ModTime()) > time.Minute {
				if err := s.sys.remove(filepath.Join(dir, name)); err == nil {
					removedTemp = true
				} else {
					errs = append(errs, ignoreGone(err))
				}
			}
		case base == name:
		case isFileName(base):
			switch _, err := s.load(base); {
			case errors.Is(err, ErrNotFound): // expired or damaged
				errs = append(errs, s.removeIfGone(ctx, base))
			case err != nil:
				errs = append(errs, err) // unreadable: left alone, and said
			}
		}
	}
	if removedTemp {
		errs = append(errs, s.sys.syncDir(dir))
	}
	return errors.Join(errs...)
}

// removeIfGone removes the session file called name if, under the lock,
// it still holds no live record.
func (s *FileStore) removeIfGone(ctx context.Context, name string) error {
	unlock, err := s.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.load(name); !errors.Is(err, ErrNotFound) {
		return nil
	}
	return s.remove(name)
}

// ignoreGone is err, or nil if err says the file no longer exists.
func ignoreGone(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
