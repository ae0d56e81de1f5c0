package sessions_test

import (
	"context"
	"net/url"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// hangingStore is a real memory store whose calls hang, as a stopped Redis
// or a lock held by a stopped process does, while hang is open.
type hangingStore struct {
	*sessions.MemoryStore
	hang atomic.Pointer[chan struct{}] // nil: answer normally
}

func (h *hangingStore) wait() {
	if c := h.hang.Load(); c != nil {
		<-*c
	}
}

func (h *hangingStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	h.wait()
	return h.MemoryStore.Load(ctx, id)
}

func (h *hangingStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	h.wait()
	return h.MemoryStore.Update(ctx, id, fn)
}

// TestAttackHungStoreHoldsRequests: a store that stops answering costs
// each request StoreTimeout and a 500, never an unbounded wait or a
// logged-out page, and service resumes when the store does.
func TestAttackHungStoreHoldsRequests(t *testing.T) {
	for _, timeout := range []time.Duration{0, 300 * time.Millisecond} {
		synctest.Test(t, func(t *testing.T) {
			store := &hangingStore{MemoryStore: sessions.NewMemoryStore(sessions.CleanupInterval(-1))}
			app := itty.New()
			mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid", StoreTimeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			app.Post("/login", func(req *itty.Request) *itty.Response {
				mgr.Get(req).SetUser(req.POST.Get("user"))
				return app.Render(req, "ok")
			})
			app.Get("/whoami", func(req *itty.Request) *itty.Response {
				if u := mgr.Get(req).User(); u != "" {
					return app.Render(req, u)
				}
				return app.Render(req, "stranger")
			})
			c := ittytest.NewClient(t, app)
			c.PostForm("/login", url.Values{"user": {"ada"}})
			hang := make(chan struct{})
			store.hang.Store(&hang)
			want := timeout
			if want == 0 {
				want = sessions.DefaultStoreTimeout
			}
			start := time.Now()
			r := c.Get("/whoami")
			if took := time.Since(start); r.StatusCode != 500 || took != want {
				t.Fatalf("hung store: %d %q after %v, want 500 after exactly %v (fake time)", r.StatusCode, r.Body, took, want)
			}
			store.hang.Store(nil)
			close(hang)
			if got := c.Get("/whoami"); got.StatusCode != 200 || got.Body != "ada" {
				t.Fatalf("after the store answered again: %d %q", got.StatusCode, got.Body)
			}
		})
	}
}
