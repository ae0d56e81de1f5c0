package sessions_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ittygo/itty/sessions"
)

// lockedBuffer is a log the server's goroutines can write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// middlewareApp serves mux behind the Middleware of a Manager with no itty
// App, which logs to the returned buffer through slog's default logger.
// POST /login logs ada in.
func middlewareApp(t *testing.T, store sessions.Store, mux *http.ServeMux) (*sessions.Manager, *httptest.Server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).SetUser("ada")
		w.Write([]byte("ok"))
	})
	srv := oaQuietServer(mgr.Middleware(mux))
	t.Cleanup(srv.Close)
	return mgr, srv, logs
}

// loginAda logs ada in and returns her cookie.
func loginAda(t *testing.T, srv *httptest.Server) *http.Cookie {
	t.Helper()
	resp, _ := oaHit(t, nil, "POST", srv.URL+"/login", nil, nil, nil)
	if c := oaCookie(resp, "sid"); c != nil {
		return c
	}
	t.Fatalf("login set no cookie: %q", resp.Header.Values("Set-Cookie"))
	return nil
}

// TestAttackChangeAfterResponseStartedIsLostSilently: behind the
// middleware the session is saved as the header goes out, so a change
// made after the handler's first Write cannot be. It must not vanish
// without a word: Set and Renew return ErrCommitted, and the Manager
// logs it once; nothing reaches the store.
func TestAttackChangeAfterResponseStartedIsLostSilently(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mux := http.NewServeMux()
	mgr, srv, logs := middlewareApp(t, store, mux)
	var setErr, renewErr error
	mux.HandleFunc("GET /write-then-set", func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.User() // loaded before the response starts
		w.Write([]byte("page"))
		setErr = s.Set("cart", "apple")
		renewErr = s.Renew()
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(mgr.FromContext(r.Context()).GetString("cart")))
	})
	c := loginAda(t, srv)
	oaHit(t, nil, "GET", srv.URL+"/write-then-set", []*http.Cookie{c}, nil, nil)
	if !errors.Is(setErr, sessions.ErrCommitted) || !errors.Is(renewErr, sessions.ErrCommitted) {
		t.Errorf("Set after the response started: %v; Renew: %v; want ErrCommitted", setErr, renewErr)
	}
	if strings.Count(logs.String(), "changed after it was committed") != 1 {
		t.Errorf("the lost change was not logged once: %q", logs.String())
	}
	if _, body := oaHit(t, nil, "GET", srv.URL+"/cart", []*http.Cookie{c}, nil, nil); body != "" {
		t.Errorf("cart %q: a change the handler was told was not saved was saved", body)
	}
	if ids, _ := store.ByUser(context.Background(), "ada"); len(ids) != 1 || ids[0] != c.Value {
		t.Errorf("ada's sessions after a late Renew: %v, want only %s", ids, c.Value)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d errors logged, want the one: %q", n, logs.String())
	}
}

// TestAttackHijackAfterFailedCommit: a handler whose session was logged
// out while it ran (everywhere, from another device) changes it and
// hijacks the connection. The commit fails and its 409 page is the answer;
// Hijack must then fail too, not hand over a connection as if the session
// had been saved.
func TestAttackHijackAfterFailedCommit(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mux := http.NewServeMux()
	mgr, srv, _ := middlewareApp(t, store, mux)
	var hijackErr error
	hijacked := false
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		s := mgr.FromContext(r.Context())
		s.User()
		if _, err := mgr.DestroyUser(r.Context(), "ada"); err != nil {
			t.Error(err)
		}
		s.Set("last", "ws")
		conn, _, err := http.NewResponseController(w).Hijack()
		hijackErr = err
		if err == nil {
			hijacked = true
			conn.Close()
		}
	})
	c := loginAda(t, srv)
	resp, _ := oaHit(t, nil, "GET", srv.URL+"/ws", []*http.Cookie{c}, nil, nil)
	if hijacked || hijackErr == nil || resp.StatusCode != http.StatusConflict {
		t.Fatalf("hijack after a failed commit: %d, hijacked %v, err %v; want 409 and an error", resp.StatusCode, hijacked, hijackErr)
	}
}

// noFlushWriter is a ResponseWriter that cannot flush.
type noFlushWriter struct{ http.ResponseWriter }

// TestMiddlewareFlushReportsItsError: through the middleware's writer,
// http.ResponseController.Flush reports a writer that cannot flush, as it
// would without the middleware.
func TestMiddlewareFlushReportsItsError(t *testing.T) {
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	var flushErr error
	h := mgr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
	}))
	h.ServeHTTP(noFlushWriter{httptest.NewRecorder()}, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(flushErr, http.ErrNotSupported) {
		t.Errorf("Flush on a writer that cannot: %v, want http.ErrNotSupported", flushErr)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if flushErr != nil || !rec.Flushed {
		t.Errorf("Flush on a recorder: %v, flushed %v", flushErr, rec.Flushed)
	}
}

// TestAttackLoadFailurePageIsCacheable: the 500 a store failure gives a
// session request carries Vary: Cookie and no-store too.
func TestAttackLoadFailurePageIsCacheable(t *testing.T) {
	store := &flakyStore{MemoryStore: sessions.NewMemoryStore()}
	defer store.Close()
	mux := http.NewServeMux()
	mgr, srv, _ := middlewareApp(t, store, mux)
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(mgr.FromContext(r.Context()).User()))
	})
	c := loginAda(t, srv)
	store.failLoad.Store(true)
	resp, _ := oaHit(t, nil, "GET", srv.URL+"/me", []*http.Cookie{c}, nil, nil)
	if resp.StatusCode != 500 || !oaVaryHasCookie(resp.Header) || !oaNoStore(resp.Header) {
		t.Errorf("store down: %d, Vary %q, Cache-Control %q; want 500 with Vary: Cookie and no-store",
			resp.StatusCode, resp.Header.Values("Vary"), resp.Header.Get("Cache-Control"))
	}
}
