// Checks of the file store's directory: a real directory only its owner can
// write to, created private.

package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// prepareDir creates path (mode 0700) if it does not exist, with its
// parents if parents is set, and checks that it is a real directory only
// its owner can write to. It reports whether it created path.
func prepareDir(path string, parents bool) (created bool, err error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		mkdir := os.Mkdir
		if parents {
			mkdir = os.MkdirAll
		}
		if err := mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("sessions: file store: %w", err)
		} else if err == nil {
			created = true
			// The umask may have taken bits away; make it exactly 0700.
			if err := os.Chmod(path, 0o700); err != nil {
				return false, fmt.Errorf("sessions: file store: %w", err)
			}
		}
	}
	return created, checkDir(path)
}

// checkDir returns an error, saying how to fix it, if path is a symbolic
// link, not a directory, or writable by anyone but its owner.
func checkDir(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("sessions: file store: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		real := ""
		if target, err := filepath.EvalSymlinks(path); err == nil {
			real = " (here " + target + ")"
		}
		return fmt.Errorf("sessions: file store: %s is a symbolic link, which anyone who can change the link could point at a directory of their own; use the real path, not a symlink%s", path, real)
	}
	if !fi.IsDir() {
		return fmt.Errorf("sessions: file store: %s is not a directory", path)
	}
	if err := checkOwner(path, fi); err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); modeBitsMeaningful && perm&0o022 != 0 {
		who := "world"
		switch {
		case perm&0o022 == 0o022:
			who = "group- and world"
		case perm&0o020 != 0:
			who = "group"
		}
		return fmt.Errorf("sessions: file store: %s is %s-writable (mode %04o), so other users could plant, swap or delete session files; make it private with: chmod 700 %s", path, who, perm, path)
	}
	return nil
}
