package sessions

import "os"

// fileSystem is the seam through which the file store changes directory
// entries and makes the changes durable. Every rename, remove or mkdir
// that a store method relies on is followed by a syncDir of the directory
// that changed before the method returns; an internal test installs a
// recorder to check that. Everything else (reads, temporary files) goes
// to package os directly.
type fileSystem interface {
	rename(oldpath, newpath string) error
	remove(name string) error
	mkdir(name string) error
	syncDir(dir string) error
}

// osFS is the file system itself.
type osFS struct{}

func (osFS) rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) remove(name string) error             { return os.Remove(name) }
func (osFS) mkdir(name string) error              { return os.Mkdir(name, 0o700) }
func (osFS) syncDir(dir string) error             { return syncDir(dir) }
