package sessions

import (
	"sync"
	"time"
)

// janitor runs a store's cleanup every interval on its own goroutine until
// stopped. The zero value, or one started with a negative interval, runs
// nothing.
type janitor struct {
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func (j *janitor) start(interval time.Duration, cleanup func()) {
	if interval < 0 {
		return
	}
	j.stop, j.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(j.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-j.stop:
				return
			case <-t.C:
				cleanup()
			}
		}
	}()
}

// close stops the goroutine and waits for it; calling it again is harmless.
func (j *janitor) close() {
	if j.stop == nil {
		return
	}
	j.once.Do(func() { close(j.stop) })
	<-j.done
}
