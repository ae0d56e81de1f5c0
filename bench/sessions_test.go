package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// sessionCookie is the session cookie's name for every contestant: scs's
// default, and the CookieName itty's Manager is given (the one option
// set; everything else is the default).
const sessionCookie = "session"

// sessionRig is one contestant's handler for /login (puts user=ada),
// /read (reads user, changes nothing) and /write (reads user and changes
// one value), all behind the contestant's session machinery over an
// in-memory store.
type sessionRig struct {
	h http.Handler
	// misses counts requests whose handler did not see user=ada or whose
	// session change failed; it must stay zero.
	misses int
	// n is the value the next /write stores under "visits".
	n int
	// ops counts store calls when the rig was built counted, else nil.
	ops *storeOps
	// visits reads "visits" of the session with the cookie value token
	// straight from the store, to check that writes were saved.
	visits func(token string) int
}

type storeOps struct{ loads, writes int }

// see records whether the handler saw the session loaded.
func (r *sessionRig) see(user string) {
	if user != "ada" {
		r.misses++
	}
}

func (r *sessionRig) next() int { r.n++; return r.n }

var adaBytes = []byte("ada")

type sessionContestant struct {
	name  string
	build func(tb testing.TB, counted bool) *sessionRig
}

// sessionContestants: the session read through an itty handler, through
// itty's net/http middleware in front of a ServeMux, and through scs's
// LoadAndSave in front of a ServeMux. The net/http handlers write the
// bytes itty's Render writes (Content-Type included).
var sessionContestants = []sessionContestant{
	{"itty/handler", buildIttyHandlerRig},
	{"itty/middleware", buildIttyMiddlewareRig},
	{"scs/LoadAndSave", buildSCSRig},
}

// countingStore counts an itty Store's calls, for the checks only.
type countingStore struct {
	sessions.Store
	ops *storeOps
}

func (s countingStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	s.ops.loads++
	return s.Store.Load(ctx, id)
}

func (s countingStore) Create(ctx context.Context, rec *sessions.Record) error {
	s.ops.writes++
	return s.Store.Create(ctx, rec)
}

func (s countingStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	s.ops.writes++
	return s.Store.Update(ctx, id, fn)
}

func (s countingStore) Delete(ctx context.Context, id string) error {
	s.ops.writes++
	return s.Store.Delete(ctx, id)
}

// ittyStore returns a fresh memory store, wrapped in a counter if counted.
func ittyStore(tb testing.TB, rig *sessionRig, counted bool) (sessions.Store, *sessions.MemoryStore) {
	mem := sessions.NewMemoryStore(sessions.CleanupInterval(-1))
	tb.Cleanup(func() { mem.Close() })
	rig.visits = func(token string) int {
		rec, err := mem.Load(context.Background(), token)
		if err != nil {
			return -1
		}
		var n int
		if json.Unmarshal(rec.Values["visits"], &n) != nil {
			return -1
		}
		return n
	}
	if !counted {
		return mem, mem
	}
	rig.ops = &storeOps{}
	return countingStore{mem, rig.ops}, mem
}

func buildIttyHandlerRig(tb testing.TB, counted bool) *sessionRig {
	rig := &sessionRig{}
	store, _ := ittyStore(tb, rig, counted)
	app := itty.New()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: sessionCookie})
	if err != nil {
		tb.Fatal(err)
	}
	app.Get("/login", func(req *itty.Request) *itty.Response {
		if mgr.Get(req).Set("user", "ada") != nil {
			rig.misses++
		}
		return app.Render(req, "ok")
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		user := mgr.Get(req).GetString("user")
		rig.see(user)
		return app.Render(req, user)
	})
	app.Get("/write", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		user := sess.GetString("user")
		rig.see(user)
		if sess.Set("visits", rig.next()) != nil {
			rig.misses++
		}
		return app.Render(req, user)
	})
	rig.h = app
	return rig
}

func buildIttyMiddlewareRig(tb testing.TB, counted bool) *sessionRig {
	rig := &sessionRig{}
	store, _ := ittyStore(tb, rig, counted)
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: sessionCookie})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if mgr.FromContext(r.Context()).Set("user", "ada") != nil {
			rig.misses++
		}
		w.Header()["Content-Type"] = htmlType
		w.Write(bodyBytes)
	})
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		rig.see(mgr.FromContext(r.Context()).GetString("user"))
		w.Header()["Content-Type"] = htmlType
		w.Write(adaBytes)
	})
	mux.HandleFunc("GET /write", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		rig.see(sess.GetString("user"))
		if sess.Set("visits", rig.next()) != nil {
			rig.misses++
		}
		w.Header()["Content-Type"] = htmlType
		w.Write(adaBytes)
	})
	rig.h = mgr.Middleware(mux)
	return rig
}

// countingSCSStore counts an scs Store's calls, for the checks only.
type countingSCSStore struct {
	scs.Store
	ops *storeOps
}

func (s countingSCSStore) Find(token string) ([]byte, bool, error) {
	s.ops.loads++
	return s.Store.Find(token)
}

func (s countingSCSStore) Commit(token string, b []byte, expiry time.Time) error {
	s.ops.writes++
	return s.Store.Commit(token, b, expiry)
}

func (s countingSCSStore) Delete(token string) error {
	s.ops.writes++
	return s.Store.Delete(token)
}

func buildSCSRig(tb testing.TB, counted bool) *sessionRig {
	rig := &sessionRig{}
	sm := scs.New() // its default memstore, gob codec, 24 h lifetime, no idle timeout
	// The memstore's cleanup goroutine is left running: StopCleanup soon
	// after New races with the goroutine setting up its channel (memstore
	// v2.9.0), which go test -race reports.
	mem := sm.Store
	if counted {
		rig.ops = &storeOps{}
		sm.Store = countingSCSStore{mem, rig.ops}
	}
	reader := scs.New()
	reader.Store = mem
	rig.visits = func(token string) int {
		ctx, err := reader.Load(context.Background(), token)
		if err != nil || !reader.Exists(ctx, "visits") {
			return -1
		}
		return reader.GetInt(ctx, "visits")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "user", "ada")
		w.Header()["Content-Type"] = htmlType
		w.Write(bodyBytes)
	})
	mux.HandleFunc("GET /read", func(w http.ResponseWriter, r *http.Request) {
		rig.see(sm.GetString(r.Context(), "user"))
		w.Header()["Content-Type"] = htmlType
		w.Write(adaBytes)
	})
	mux.HandleFunc("GET /write", func(w http.ResponseWriter, r *http.Request) {
		rig.see(sm.GetString(r.Context(), "user"))
		sm.Put(r.Context(), "visits", rig.next())
		w.Header()["Content-Type"] = htmlType
		w.Write(adaBytes)
	})
	rig.h = sm.LoadAndSave(mux)
	return rig
}

// login signs in through the rig's own /login and returns the session
// cookie's value.
func login(tb testing.TB, rig *sessionRig) string {
	w := httptest.NewRecorder()
	rig.h.ServeHTTP(w, httptest.NewRequest("GET", "/login", nil))
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Value
		}
	}
	tb.Fatalf("/login: %d, no %s cookie in %q", w.Code, sessionCookie, w.Header().Values("Set-Cookie"))
	return ""
}

func sessionRequest(path, token string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Cookie", sessionCookie+"="+token)
	return r
}

// TestSessionContestants checks, with counted stores, that each
// contestant's /read loads the session once, sees user=ada, writes nothing
// to the store and sends no cookie, and that /write loads once, writes once
// and saves the value; so the benchmark measures sessions that really load
// and, for reads, the no-write path each library promises.
func TestSessionContestants(t *testing.T) {
	for _, c := range sessionContestants {
		t.Run(c.name, func(t *testing.T) {
			rig := c.build(t, true)
			token := login(t, rig)
			for _, path := range []string{"/read", "/write", "/read"} {
				*rig.ops = storeOps{}
				w := httptest.NewRecorder()
				rig.h.ServeHTTP(w, sessionRequest(path, token))
				if w.Code != http.StatusOK || w.Body.String() != "ada" || rig.misses != 0 {
					t.Fatalf("%s: %d %q, %d misses", path, w.Code, w.Body, rig.misses)
				}
				want := storeOps{loads: 1}
				if path == "/write" {
					want.writes = 1
				}
				if *rig.ops != want {
					t.Errorf("%s: store calls %+v, want %+v", path, *rig.ops, want)
				}
				if path == "/read" && len(w.Header().Values("Set-Cookie")) > 0 {
					t.Errorf("%s re-sent the cookie: %q", path, w.Header().Values("Set-Cookie"))
				}
			}
			if got := rig.visits(token); got != 1 {
				t.Errorf("visits stored = %d, want 1", got)
			}
		})
	}
}

// BenchmarkSessionMiddleware measures one request carrying the cookie of an
// existing session (user=ada) in an in-memory store, for itty's handler
// path, itty's net/http middleware and scs's LoadAndSave: read (read user,
// change nothing: no store write, no cookie) and write (read user and change
// one value: one store write). TestSessionContestants checks both with
// counted stores; each run checks again that every request saw ada, that
// reads sent no cookie and that the last write was saved.
func BenchmarkSessionMiddleware(b *testing.B) {
	for _, kind := range []string{"read", "write"} {
		for _, c := range sessionContestants {
			b.Run(kind+"/"+c.name, func(b *testing.B) {
				rig := c.build(b, false)
				r := sessionRequest("/"+kind, login(b, rig))
				w := NewResponseWriter()
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					w.status = 0
					rig.h.ServeHTTP(w, r)
				}
				if rig.misses != 0 || (w.status != 0 && w.status != http.StatusOK) {
					b.Fatalf("%d of %d requests missed the session; last status %d", rig.misses, b.N, w.status)
				}
				if kind == "read" && len(w.h["Set-Cookie"]) > 0 {
					b.Fatalf("read sent a cookie: %q", w.h["Set-Cookie"])
				}
				if kind == "write" {
					token := strings.TrimPrefix(r.Header.Get("Cookie"), sessionCookie+"=")
					if got := rig.visits(token); got != rig.n {
						b.Fatalf("visits stored = %d, want %d", got, rig.n)
					}
				}
			})
		}
	}
}
