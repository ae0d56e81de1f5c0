//go:build !unix

package sessions

import "sync"

// Without flock, the file store is safe within one process only.
var locks sync.Map

func lockFile(path string) (func(), error) {
	mu, _ := locks.LoadOrStore(path, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock, nil
}
