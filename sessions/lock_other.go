//go:build !unix

package sessions

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Without flock, the file store is safe within one process only.
var locks sync.Map

func lockFile(ctx context.Context, path string) (func(), error) {
	v, _ := locks.LoadOrStore(path, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	for !mu.TryLock() {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("sessions: file store lock %s: %w", path, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return mu.Unlock, nil
}
