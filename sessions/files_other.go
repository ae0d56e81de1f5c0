//go:build !unix

package sessions

// modeBitsMeaningful says whether permission bits say who may write to a
// directory; elsewhere (Windows ACLs) they do not, and NewFileStore checks
// only for symbolic links.
const modeBitsMeaningful = false

// syncDir does nothing: directories cannot be synced here, so renames and
// removals are atomic but their durability is up to the file system.
func syncDir(string) error { return nil }
