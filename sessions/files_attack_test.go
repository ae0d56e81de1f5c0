package sessions_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

func newRecord(user string) *sessions.Record {
	now := time.Now()
	return &sessions.Record{ID: sessions.NewID(), User: user, Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour,
		Values: map[string]json.RawMessage{"k": json.RawMessage(`"v"`)}}
}

// userIndexDir is where the file store lists user's sessions, by the rule
// its doc comment gives: DIR/users/ + hex of the first 16 bytes of the
// SHA-256 of the user name.
func userIndexDir(dir, user string) string {
	h := sha256.Sum256([]byte(user))
	return filepath.Join(dir, "users", hex.EncodeToString(h[:16]))
}

// walkNames returns the name of every file and directory under dir.
func walkNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			names = append(names, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// idsOnDisk returns every session id the records under dir mention (their
// own and those their tombstones point to).
func idsOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "sessions", "*.json"))
	var ids []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec sessions.Record
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		ids = append(ids, rec.ID)
		if rec.RenamedTo != "" {
			ids = append(ids, rec.RenamedTo)
		}
	}
	return ids
}

// assertNoIDInNames fails if any file name under dir contains an id, in
// its own form, in standard base64, in hex, or any 8 characters of it.
func assertNoIDInNames(t *testing.T, dir string, ids []string) {
	t.Helper()
	names := walkNames(t, dir)
	if len(names) == 0 {
		t.Fatal("no files: the test proved nothing")
	}
	for _, id := range ids {
		raw, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil {
			t.Fatalf("id %q: %v", id, err)
		}
		forms := []string{base64.RawStdEncoding.EncodeToString(raw), hex.EncodeToString(raw)}
		for i := 0; i+8 <= len(id); i++ {
			forms = append(forms, id[i:i+8])
		}
		for _, name := range names {
			for _, f := range forms {
				if strings.Contains(strings.ToLower(name), strings.ToLower(f)) {
					t.Fatalf("file name %q gives away session id %s… (contains %q)", name, id[:8], f)
				}
			}
		}
	}
}

// TestFileStoreListingLeaksNoIDs: a listing of the store's directory (what
// a backup catalogue, a log of file names or another user's ls shows) must
// not hand out the cookie of any session, live or tombstone, through
// logins, renews, user changes, logouts and cleanup.
func TestFileStoreListingLeaksNoIDs(t *testing.T) {
	dir := t.TempDir()
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for _, user := range []string{"ann", "ann", "ben", ""} {
		rec := newRecord(user)
		if err := store.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	store.Update(ctx, ids[1], func(r *sessions.Record) error { r.User = "cleo"; return nil })
	store.Delete(ctx, ids[2])

	app := loadApp(t, store) // login (renew), set, logout
	for _, user := range []string{"dora", "dora", "eve"} {
		c := ittytest.NewClient(t, app)
		c.PostForm("/set", url.Values{"k": {"k"}, "v": {"v"}})
		if id, ok := c.Cookie("/", "sid"); ok {
			ids = append(ids, id)
		}
		c.PostForm("/login", url.Values{"user": {user}})
		if id, ok := c.Cookie("/", "sid"); ok {
			ids = append(ids, id)
		}
		c.PostForm("/login", url.Values{"user": {user}}) // renew: leaves a tombstone
		if id, ok := c.Cookie("/", "sid"); ok {
			ids = append(ids, id)
		}
		if user == "eve" {
			c.PostForm("/logout", url.Values{})
		}
	}
	// A process killed mid-write leaves a temporary file.
	os.WriteFile(filepath.Join(dir, "sessions", ".tmp-123456"), []byte(`{"id":"`+ids[0]), 0o600)

	ids = append(ids, idsOnDisk(t, dir)...)
	if len(ids) < 10 {
		t.Fatalf("only %d ids: the test proved nothing", len(ids))
	}
	assertNoIDInNames(t, dir, ids)
	if err := store.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	assertNoIDInNames(t, dir, ids)

	// ByUser still returns the real ids, read from the records.
	got, err := store.ByUser(ctx, "ann")
	if err != nil || !slices.Equal(got, []string{ids[0]}) {
		t.Fatalf("ByUser(ann) = %v, %v; want [%s]", got, err, ids[0])
	}
	if got, _ := store.ByUser(ctx, "cleo"); !slices.Equal(got, []string{ids[1]}) {
		t.Fatalf("ByUser(cleo) = %v; want [%s]", got, ids[1])
	}
	if got, _ := store.ByUser(ctx, "dora"); len(got) == 0 {
		t.Fatal("ByUser(dora) found nothing")
	}
}

// TestFileStoreIgnoresMisnamedRecords: a record copied (by an attacker
// with write access, or a careless restore) under another session's name
// is not served for that name, and its index entry does not list it.
func TestFileStoreIgnoresMisnamedRecords(t *testing.T) {
	dir := t.TempDir()
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	victim, other := newRecord("vic"), newRecord("vic")
	store.Create(ctx, victim)
	store.Create(ctx, other)
	b, _ := os.ReadFile(sessionFile(dir, victim.ID))
	os.WriteFile(sessionFile(dir, other.ID), b, 0o600)
	if _, err := store.Load(ctx, other.ID); err != sessions.ErrNotFound {
		t.Fatalf("a record under another id's name loaded: %v", err)
	}
	if ids, _ := store.ByUser(ctx, "vic"); !slices.Equal(ids, []string{victim.ID}) {
		t.Fatalf("ByUser = %v, want only %s", ids, victim.ID[:8])
	}
}

func skipModeBits(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("permission bits do not say who may write here")
	}
}

func mkdirMode(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// wantRefused checks that NewFileStore(dir) fails with an error naming
// path and containing every hint.
func wantRefused(t *testing.T, dir, path string, hints ...string) {
	t.Helper()
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err == nil {
		s.Close()
		t.Fatalf("NewFileStore(%s) accepted an unsafe %s", dir, path)
	}
	for _, want := range append([]string{path}, hints...) {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
}

// TestFileStoreRefusesSymlinkedDir: a store directory that is a symbolic
// link (which whoever can change the link can point elsewhere) is refused,
// with or without a trailing slash, even if what it points to is fine.
func TestFileStoreRefusesSymlinkedDir(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	symlink(t, real, link)
	wantRefused(t, link, link, "symbolic link", "use the real path, not a symlink")
	wantRefused(t, link+string(filepath.Separator), link, "symbolic link")
	if s, err := sessions.NewFileStore(real, sessions.CleanupInterval(-1)); err != nil {
		t.Fatalf("the real path refused: %v", err)
	} else {
		s.Close()
	}
}

// TestFileStoreRefusesWorldWritableDir: a directory others can write to
// (where they could plant, swap or delete session files) is refused, with
// the command that fixes it.
func TestFileStoreRefusesWorldWritableDir(t *testing.T) {
	skipModeBits(t)
	for _, mode := range []os.FileMode{0o777, 0o703, os.ModeSticky | 0o777} {
		dir := filepath.Join(t.TempDir(), "store")
		mkdirMode(t, dir, mode)
		wantRefused(t, dir, dir, "world-writable", "chmod 700 "+dir)
	}
}

// TestFileStoreRefusesGroupWritableDir: so is a directory its group can
// write to.
func TestFileStoreRefusesGroupWritableDir(t *testing.T) {
	skipModeBits(t)
	for _, mode := range []os.FileMode{0o770, 0o730} {
		dir := filepath.Join(t.TempDir(), "store")
		mkdirMode(t, dir, mode)
		wantRefused(t, dir, dir, "group-writable", "chmod 700 "+dir)
	}
}

// TestFileStoreRefusesUnsafeSubdirs: the same checks hold for the
// sessions, users and locks subdirectories, of a directory that is itself
// fine.
func TestFileStoreRefusesUnsafeSubdirs(t *testing.T) {
	for _, sub := range []string{"sessions", "users", "locks"} {
		t.Run(sub, func(t *testing.T) {
			dir := t.TempDir()
			symlink(t, t.TempDir(), filepath.Join(dir, sub))
			wantRefused(t, dir, filepath.Join(dir, sub), "symbolic link", "not a symlink")

			skipModeBits(t)
			for mode, hint := range map[os.FileMode]string{0o777: "world-writable", 0o770: "group-writable"} {
				dir := t.TempDir()
				mkdirMode(t, filepath.Join(dir, sub), mode)
				wantRefused(t, dir, filepath.Join(dir, sub), hint, "chmod 700 "+filepath.Join(dir, sub))
			}

			dir = t.TempDir()
			os.WriteFile(filepath.Join(dir, sub), nil, 0o600)
			wantRefused(t, dir, filepath.Join(dir, sub), "not a directory")
		})
	}
}

// TestFileStoreAcceptsPrivateDir: a directory only its owner can write to
// is accepted, with subdirectories that are, and a directory the store
// creates (with its subdirectories and the index directories of users) has
// mode 0700.
func TestFileStoreAcceptsPrivateDir(t *testing.T) {
	for _, mode := range []os.FileMode{0o700, 0o750, 0o755} {
		dir := filepath.Join(t.TempDir(), "store")
		mkdirMode(t, dir, mode)
		s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
		if err != nil {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		s.Close()
		// And again, now that the subdirectories exist.
		if s, err = sessions.NewFileStore(dir, sessions.CleanupInterval(-1)); err != nil {
			t.Fatalf("mode %04o, reopened: %v", mode, err)
		}
		s.Close()
	}

	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := newRecord("ann")
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	skipModeBits(t)
	for _, path := range []string{dir, filepath.Join(dir, "sessions"), filepath.Join(dir, "users"), filepath.Join(dir, "locks"), userIndexDir(dir, "ann")} {
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, %v; want 0700", path, fi.Mode().Perm(), err)
		}
	}
	if fi, err := os.Lstat(sessionFile(dir, rec.ID)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("session file: mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}
