package sessions

import (
	"context"
	"log/slog"
	"time"
)

// Default cleanup intervals of the stores in this package, used unless
// CleanupInterval says otherwise.
const (
	// DefaultMemoryCleanupInterval is how often a MemoryStore removes
	// expired records: every minute, which costs a walk over a map.
	DefaultMemoryCleanupInterval = time.Minute
	// DefaultFileCleanupInterval is how often a FileStore removes expired
	// and damaged sessions and stray temporary files: every ten minutes,
	// since each round reads the session directory.
	DefaultFileCleanupInterval = 10 * time.Minute
)

// A StoreOption changes a setting of NewMemoryStore or NewFileStore.
type StoreOption func(*storeOptions)

type storeOptions struct {
	interval time.Duration
	log      *slog.Logger
}

// CleanupInterval sets how often the store's cleanup goroutine removes
// expired records: zero means the store's default
// (DefaultMemoryCleanupInterval or DefaultFileCleanupInterval), a negative
// interval means no goroutine (for apps that run Cleanup themselves, from
// a cron job say, and for tests that want none running).
func CleanupInterval(d time.Duration) StoreOption {
	return func(o *storeOptions) { o.interval = d }
}

// CleanupLogger sets where the cleanup goroutine reports the rounds that
// failed (a file it could not remove, say); nil means slog.Default().
// Nothing else is logged: the store returns its other errors to the
// Manager, which logs them.
func CleanupLogger(l *slog.Logger) StoreOption {
	return func(o *storeOptions) { o.log = l }
}

// resolveStoreOptions applies opts over the defaults: the store's interval
// def.
func resolveStoreOptions(def time.Duration, opts []StoreOption) storeOptions {
	o := storeOptions{interval: def}
	for _, opt := range opts {
		opt(&o)
	}
	if o.interval == 0 {
		o.interval = def
	}
	return o
}

// logger is the CleanupLogger, or slog.Default() at the time of the call.
func (o storeOptions) logger() *slog.Logger {
	if o.log != nil {
		return o.log
	}
	return slog.Default()
}

// janitor runs a store's cleanup every interval on its own goroutine until
// closed. The zero value, or one started with a negative interval, runs
// nothing. The context a round gets ends when close is called, so close
// does not wait for a long round to finish. A round's error is logged and
// the next round tries again; the stores never return expired records
// whether or not a round removed them.
type janitor struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (j *janitor) start(o storeOptions, store string, cleanup func(context.Context) error) {
	interval := o.interval
	if interval < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel, j.done = cancel, make(chan struct{})
	go func() {
		defer close(j.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := cleanup(ctx); err != nil && ctx.Err() == nil {
					o.logger().Error("sessions: cleanup failed; will try again", "store", store, "err", err)
				}
			}
		}
	}()
}

// close stops the goroutine, ending a round in progress, and waits for it;
// calling it again is harmless.
func (j *janitor) close() {
	if j.cancel == nil {
		return
	}
	j.cancel()
	<-j.done
}
