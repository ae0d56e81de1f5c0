package sessions

import (
	"context"
	"fmt"
)

// call runs one store operation under Options.StoreTimeout. A store that
// does not answer in time (a hung Redis, a lock held by a stopped process)
// fails the operation with an error when the time is up, whether or not
// the store honours its context: the operation is left to finish on its
// own goroutine, and the request is answered with 500. It may still take
// effect later, as any write whose answer was lost may.
//
// This package's stores are called directly: the memory store never waits
// on I/O, and the file store gives up waiting for a lock when its context
// ends. A wrapper around them is called like any other store.
func (m *Manager) call(ctx context.Context, op func(context.Context) error) error {
	if m.inProcs {
		return op(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.StoreTimeout)
	defer cancel()
	if m.local {
		return op(ctx)
	}
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		select {
		case err := <-done: // it answered just in time
			return err
		default:
		}
		return fmt.Errorf("store did not answer within %v: %w", m.opts.StoreTimeout, ctx.Err())
	}
}
