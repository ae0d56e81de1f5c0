//go:build !unix

package sessions

import "io/fs"

// modeBitsMeaningful says whether permission bits say who may write to a
// directory; elsewhere (Windows ACLs) they do not, and NewFileStore checks
// only for symbolic links.
const modeBitsMeaningful = false

// syncDir does nothing: directories cannot be synced here, so renames and
// removals are atomic but their durability is up to the file system.
func syncDir(string) error { return nil }

// checkOwner and checkAncestors check nothing here: ownership and
// permission bits do not say who may write (Windows ACLs).
func checkOwner(string, fs.FileInfo) error { return nil }
func checkAncestors(string) error          { return nil }
