package sessions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkSessionRequest measures a request that loads its session and
// reads one value without changing it, for each store; "plain" is the same
// request without a session and "load" the store's own Load. The session
// framework's overhead is session - plain - load.
func BenchmarkSessionRequest(b *testing.B) {
	stores := map[string]func(b *testing.B) sessions.Store{
		"memory": func(b *testing.B) sessions.Store {
			s := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
			b.Cleanup(func() { s.Close() })
			return s
		},
		"files": func(b *testing.B) sessions.Store {
			s, err := sessions.NewFileStore(b.TempDir(), sessions.CleanupInterval(-1))
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"memory", "files"} {
		store := stores[name](b)
		now := time.Now()
		rec := &sessions.Record{ID: sessions.NewID(), Scope: "sid", User: "ada", Created: now, LastSeen: now, Idle: time.Hour, Lifetime: 12 * time.Hour,
			Values: map[string]json.RawMessage{"user": json.RawMessage(`"ada"`)}}
		if err := store.Create(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
		app := itty.New()
		mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid", TouchInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		app.Get("/session", func(req *itty.Request) *itty.Response {
			return app.Render(req, mgr.Get(req).GetString("user"))
		})
		app.Get("/plain", func(req *itty.Request) *itty.Response {
			req.COOKIES.Get("sid")
			return app.Render(req, "ada")
		})
		run := func(path string) func(b *testing.B) {
			return func(b *testing.B) {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Cookie", "sid="+rec.ID)
				w := &nopWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					app.ServeHTTP(w, r)
				}
			}
		}
		b.Run(name+"/session", run("/session"))
		b.Run(name+"/plain", run("/plain"))
		b.Run(name+"/load", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := store.Load(context.Background(), rec.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
