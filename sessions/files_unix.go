//go:build unix

package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// modeBitsMeaningful says whether permission bits say who may write to a
// directory, which NewFileStore checks.
const modeBitsMeaningful = true

// syncDir makes the entries of dir (files renamed into it, created or
// removed) durable. A file system that cannot sync a directory (EINVAL,
// ENOTSUP) gives no such guarantee, and is not an error.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}

// checkOwner refuses a store directory owned by another user, who could
// plant, swap or delete session files whatever its mode says.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	return fmt.Errorf("sessions: file store: %s is owned by uid %d, not by this process (uid %d), so that user could plant, swap or delete session files; use a directory of your own, or: chown %d %s",
		path, st.Uid, os.Geteuid(), os.Geteuid(), path)
}

// checkAncestors refuses a store whose path someone else could redirect:
// every directory above it, along the path as given and along the path it
// resolves to, must belong to root or to this process's user and must not
// be writable by others unless it has the sticky bit (as /tmp does). The
// link targets met on the way are checked by the second walk.
func checkAncestors(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("sessions: file store: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return fmt.Errorf("sessions: file store: %w", err)
	}
	for _, start := range []string{filepath.Dir(abs), real} {
		for p := start; ; p = filepath.Dir(p) {
			fi, err := os.Lstat(p)
			if err != nil {
				return fmt.Errorf("sessions: file store: %w", err)
			}
			if fi.Mode()&fs.ModeSymlink == 0 {
				if err := checkAncestor(p, fi); err != nil {
					return err
				}
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	return nil
}

func checkAncestor(p string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("sessions: file store: %s, above the store, is owned by uid %d, who could move the store away and put one of their own in its place; keep the store under directories of root or of this process's user", p, st.Uid)
	}
	if fi.Mode().Perm()&0o002 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("sessions: file store: %s, above the store, is world-writable without the sticky bit, so anyone could move the store away and put one of their own in its place; chmod o-w %s (or +t)", p, p)
	}
	return nil
}
