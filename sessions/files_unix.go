//go:build unix

package sessions

import (
	"errors"
	"os"
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
