package sessions_test

// Outside attacks on the commit point of sessions (landed with
// "a session is committed by a hook of its request, after the App's own
// hooks"). Written from docs/sessions.md, docs/extending.md and the
// non-test source only.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// ---- helpers ----------------------------------------------------------

const cpoLateMsg = "the session was changed after it was committed"

// cpoLogs captures every log record of an App.
type cpoLogs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *cpoLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *cpoLogs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *cpoLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *cpoLogs) WithGroup(string) slog.Handler      { return l }

// late counts the "changed after it was committed" lines.
func (l *cpoLogs) late() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, cpoLateMsg) {
			n++
		}
	}
	return n
}

func (l *cpoLogs) reset() {
	l.mu.Lock()
	l.msgs = nil
	l.mu.Unlock()
}

// cpoCountingStore counts the writes a Manager makes.
type cpoCountingStore struct {
	sessions.Store
	writes atomic.Int64
}

func (c *cpoCountingStore) Create(ctx context.Context, r *sessions.Record) error {
	c.writes.Add(1)
	return c.Store.Create(ctx, r)
}
func (c *cpoCountingStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	c.writes.Add(1)
	return c.Store.Update(ctx, id, fn)
}
func (c *cpoCountingStore) Delete(ctx context.Context, id string) error {
	c.writes.Add(1)
	return c.Store.Delete(ctx, id)
}
func (c *cpoCountingStore) ByUser(ctx context.Context, user string) ([]string, error) {
	return c.Store.(sessions.UserIndex).ByUser(ctx, user)
}

// cpoStoreKinds runs f for the memory store and the file store.
func cpoStoreKinds(t *testing.T, f func(t *testing.T, mk func() sessions.Store)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func() sessions.Store {
			s := sessions.NewMemoryStore()
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("file", func(t *testing.T) {
		f(t, func() sessions.Store {
			s, err := sessions.NewFileStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}

// cpoApp is an App with a capturing logger.
func cpoApp() (*itty.App, *cpoLogs) {
	app := itty.New()
	logs := &cpoLogs{}
	app.Logger = slog.New(logs)
	return app, logs
}

func cpoNew(t *testing.T, app *itty.App, store sessions.Store, name string) *sessions.Manager {
	t.Helper()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: name})
	if err != nil {
		t.Fatal(err)
	}
	return mgr
}

// cpoRoutes adds /seed (k=v0, a flash "hello", user alice) and /read?keys=a,b
// (prints key=value; for each key, then user= and new=).
func cpoRoutes(app *itty.App, mgr *sessions.Manager) {
	app.Get("/seed", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.Set("k", "v0")
		s.AddFlash("hello")
		s.SetUser("alice")
		return itty.NewResponse("seeded", 200)
	})
	app.Get("/read", func(req *itty.Request) *itty.Response {
		return itty.NewResponse(cpoDump(mgr.Get(req), req.GET.Get("keys")), 200)
	})
}

func cpoDump(s *sessions.Session, keys string) string {
	var b strings.Builder
	for _, k := range strings.Split(keys, ",") {
		if k != "" {
			fmt.Fprintf(&b, "%s=%s;", k, s.GetString(k))
		}
	}
	fmt.Fprintf(&b, "user=%s;new=%v;", s.User(), s.IsNew())
	return b.String()
}

func cpoCookie(t *testing.T, c *ittytest.Client, name string) string {
	t.Helper()
	v, ok := c.Cookie("/", name)
	if !ok {
		t.Fatalf("no %s cookie in the jar", name)
	}
	return v
}

// cpoLive reports whether store holds a live (non-tombstone) record for id.
func cpoLive(t *testing.T, store sessions.Store, id string) bool {
	t.Helper()
	rec, err := store.Load(context.Background(), id)
	if errors.Is(err, sessions.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return !rec.IsTombstone()
}

func cpoExpect(t *testing.T, r *ittytest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d (body %q)", r.StatusCode, status, r.Body)
	}
}

func cpoBody(t *testing.T, r *ittytest.Response, want string) {
	t.Helper()
	if r.Body != want {
		t.Fatalf("body %q, want %q", r.Body, want)
	}
}

// ---- promise 1: the commit runs after the App's hooks ------------------

// An App hook registered after New, and one registered before, both see
// their change saved, with the handler's.
func TestAttackAppHooksBeforeAndAfterNewAreSaved(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		var mgr *sessions.Manager
		var errBefore, errAfter error
		app.OnResponse(func(req *itty.Request, resp *itty.Response) error {
			if req.Path == "/w" {
				errBefore = mgr.Get(req).Set("before", "b")
			}
			return nil
		})
		mgr = cpoNew(t, app, mk(), "sid")
		app.OnResponse(func(req *itty.Request, resp *itty.Response) error {
			if req.Path == "/w" {
				s := mgr.Get(req)
				errAfter = s.Set("after", "a:"+s.GetString("h"))
			}
			return nil
		})
		cpoRoutes(app, mgr)
		app.Get("/w", func(req *itty.Request) *itty.Response {
			mgr.Get(req).Set("h", "1")
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		r := c.Get("/w")
		cpoExpect(t, r, 200)
		if errBefore != nil || errAfter != nil {
			t.Fatalf("hook Set errors: %v, %v", errBefore, errAfter)
		}
		if r.Cookie("sid") == nil {
			t.Fatal("new session's cookie not sent")
		}
		cpoBody(t, c.Get("/read?keys=h,before,after"), "h=1;before=b;after=a:1;user=;new=false;")
		if n := logs.late(); n != 0 {
			t.Fatalf("%d late-change log lines, want 0", n)
		}
	})
}

// A handler that never touches the session; an App hook takes it for the
// first time (Get registers the request hook from inside a hook) and logs
// in: it is saved and its cookie sent.
func TestAttackHookCallsGetFirstTime(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		var herr error
		app.OnResponse(func(req *itty.Request, resp *itty.Response) error {
			if req.Path == "/plain" {
				s := mgr.Get(req)
				s.SetUser("hooky")
				herr = s.Set("from", "hook")
			}
			return nil
		})
		cpoRoutes(app, mgr)
		app.Get("/plain", func(req *itty.Request) *itty.Response { return itty.NewResponse("p", 200) })
		c := ittytest.NewClient(t, app)
		r := c.Get("/plain")
		cpoExpect(t, r, 200)
		if herr != nil {
			t.Fatal(herr)
		}
		if r.Cookie("sid") == nil {
			t.Fatal("no cookie for the session a hook created")
		}
		cpoBody(t, c.Get("/read?keys=from"), "from=hook;user=hooky;new=false;")
		if logs.late() != 0 {
			t.Fatal("late log for a change made in time")
		}
	})
}

// A request hook the handler registers itself: before Get it runs before
// the commit (saved); after Get it runs after the commit, so its change
// must be reported (ErrCommitted + one log line), never silently dropped.
func TestAttackUserRequestHookOrder(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var early, late1, late2 error
		app.Get("/w", func(req *itty.Request) *itty.Response {
			req.OnResponse(func(req *itty.Request, _ *itty.Response) error {
				early = mgr.Get(req).Set("early", "e")
				return nil
			})
			mgr.Get(req).Set("h", "1")
			req.OnResponse(func(req *itty.Request, _ *itty.Response) error {
				s := mgr.Get(req)
				late1 = s.Set("late", "l")
				late2 = s.Renew()
				s.Delete("h")
				return nil
			})
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		id := cpoCookie(t, c, "sid")
		logs.reset()
		cpoExpect(t, c.Get("/w"), 200)
		if early != nil {
			t.Fatalf("hook before the commit: %v", early)
		}
		if !errors.Is(late1, sessions.ErrCommitted) || !errors.Is(late2, sessions.ErrCommitted) {
			t.Fatalf("hook after the commit: Set %v, Renew %v; want ErrCommitted", late1, late2)
		}
		if n := logs.late(); n != 1 {
			t.Fatalf("%d late log lines, want 1", n)
		}
		if got := cpoCookie(t, c, "sid"); got != id {
			t.Fatal("late Renew changed the cookie")
		}
		cpoBody(t, c.Get("/read?keys=h,early,late"), "h=1;early=e;late=;user=alice;new=false;")
	})
}

// ---- promise 2: panics, nil, ServerError ------------------------------

// Every kind of change in the ServerError page of a panicking (or nil)
// handler is refused: nothing saved, Set/Renew ErrCommitted, one log line,
// no cookie; the page still reads the stored values and the flashes.
func TestAttackServerErrorChangesNothing(t *testing.T) {
	for _, how := range []string{"panic", "nil"} {
		t.Run(how, func(t *testing.T) {
			cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
				app, logs := cpoApp()
				store := mk()
				mgr := cpoNew(t, app, store, "sid")
				cpoRoutes(app, mgr)
				var setErr, renewErr error
				var readK, readUser string
				var flashes []string
				app.ServerError = func(req *itty.Request, err error) *itty.Response {
					s := mgr.Get(req)
					readK, readUser = s.GetString("k"), s.User()
					setErr = s.Set("se", "x")
					s.Delete("k")
					renewErr = s.Renew()
					s.SetUser("mallory")
					s.RememberMe(true)
					s.AddFlash("from error page")
					flashes = s.Flashes()
					s.Set("se2", "y")
					return itty.NewResponse("sorry", 500)
				}
				app.Get("/flash", func(req *itty.Request) *itty.Response {
					return itty.NewResponse(strings.Join(mgr.Get(req).Flashes(), "|"), 200)
				})
				app.Get("/fail", func(req *itty.Request) *itty.Response {
					s := mgr.Get(req)
					s.Set("h", "handler")
					s.Renew()
					if how == "panic" {
						panic("boom")
					}
					return nil
				})
				c := ittytest.NewClient(t, app)
				c.Get("/seed")
				id := cpoCookie(t, c, "sid")
				logs.reset()
				r := c.Get("/fail")
				cpoExpect(t, r, 500)
				if r.Cookie("sid") != nil {
					t.Fatalf("failed request set a cookie: %v", r.Cookie("sid"))
				}
				if !errors.Is(setErr, sessions.ErrCommitted) || !errors.Is(renewErr, sessions.ErrCommitted) {
					t.Fatalf("Set %v, Renew %v: want ErrCommitted", setErr, renewErr)
				}
				if readK != "v0" || readUser != "alice" {
					t.Fatalf("ServerError read k=%q user=%q", readK, readUser)
				}
				if len(flashes) == 0 {
					t.Fatal("ServerError could not read the flashes")
				}
				if n := logs.late(); n != 1 {
					t.Fatalf("%d late log lines, want exactly 1", n)
				}
				if !cpoLive(t, store, id) {
					t.Fatal("the session the browser holds is gone")
				}
				if got := cpoCookie(t, c, "sid"); got != id {
					t.Fatal("cookie changed")
				}
				cpoBody(t, c.Get("/read?keys=k,h,se,se2"), "k=v0;h=;se=;se2=;user=alice;new=false;")
				// the flash was not read away
				cpoBody(t, c.Get("/flash"), "hello")
			})
		})
	}
}

// A failed request whose ServerError page takes the session for the first
// time (the handler never did), with nothing in the browser: a Set there
// must be refused, not create a session.
func TestAttackServerErrorFirstGetNewSession(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		store := &cpoCountingStore{Store: mk()}
		mgr := cpoNew(t, app, store, "sid")
		cpoRoutes(app, mgr)
		var setErr error
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			setErr = mgr.Get(req).Set("x", 1)
			return itty.NewResponse("sorry", 500)
		}
		app.Get("/boom", func(req *itty.Request) *itty.Response { panic("boom") })
		c := ittytest.NewClient(t, app)
		r := c.Get("/boom")
		cpoExpect(t, r, 500)
		if !errors.Is(setErr, sessions.ErrCommitted) || logs.late() != 1 {
			t.Fatalf("Set %v, late lines %d", setErr, logs.late())
		}
		if r.Cookie("sid") != nil || store.writes.Load() != 0 {
			t.Fatalf("cookie %v, %d store writes", r.Cookie("sid"), store.writes.Load())
		}
	})
}

// app.Error500 from a handler runs ServerError *before* the hooks (the
// handler has not failed: it chose its page), so a change there is saved,
// and never dropped silently.
func TestAttackError500FromHandlerNoSilentLoss(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var setErr error
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			setErr = mgr.Get(req).Set("se", "saved")
			return itty.NewResponse("sorry", 500)
		}
		app.Get("/e500", func(req *itty.Request) *itty.Response {
			return app.Error500(req, errors.New("handled"))
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		cpoExpect(t, c.Get("/e500"), 500)
		got := c.Get("/read?keys=se").Body
		if setErr != nil || got != "se=saved;user=alice;new=false;" || logs.late() != 0 {
			t.Fatalf("Set in an Error500 page: %v, then %q, %d late-change lines; want it saved", setErr, got, logs.late())
		}
	})
}

// A handler that reads its body past MaxBodyBytes is a 413: a failed
// request, which saves nothing (like a panic).
func TestAttackTooLargeBodySavesNothing(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		app.MaxBodyBytes = 10
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		app.Post("/big", func(req *itty.Request) *itty.Response {
			io.ReadAll(req.Body)
			mgr.Get(req).Set("big", "saved")
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		req := c.NewRequest("POST", "/big", strings.NewReader(strings.Repeat("x", 100)))
		req.ContentLength = -1 // undeclared: the handler hits the limit itself
		cpoExpect(t, c.Do(req), 413)
		cpoBody(t, c.Get("/read?keys=big"), "big=;user=alice;new=false;")
	})
}

// Two Managers; A's commit fails with 409 (its record was deleted under
// it). B is taken for the first time in the ServerError page: it reads
// B's stored session, and its changes are refused and logged once.
func TestAttackServerErrorAfterOtherManagers409(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		storeA, storeB := mk(), mk()
		mA := cpoNew(t, app, storeA, "sidA")
		mB := cpoNew(t, app, storeB, "sidB")
		app.Get("/seed", func(req *itty.Request) *itty.Response {
			mA.Get(req).Set("a", "1")
			mB.Get(req).Set("b", "1")
			return itty.NewResponse("ok", 200)
		})
		app.Get("/read", func(req *itty.Request) *itty.Response {
			return itty.NewResponse(mA.Get(req).GetString("a")+","+mB.Get(req).GetString("b"), 200)
		})
		var status int
		var readB string
		var setB, renewB error
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			var se interface{ HTTPStatus() int }
			status = 500
			if errors.As(err, &se) {
				status = se.HTTPStatus()
			}
			s := mB.Get(req)
			readB = s.GetString("b")
			setB = s.Set("b", "2")
			renewB = s.Renew()
			s.AddFlash("nope")
			return itty.NewResponse("conflict page", status)
		}
		app.Get("/conflict", func(req *itty.Request) *itty.Response {
			s := mA.Get(req)
			storeA.Delete(req.Context(), s.ID())
			s.Set("a", "2")
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		idB := cpoCookie(t, c, "sidB")
		logs.reset()
		r := c.Get("/conflict")
		cpoExpect(t, r, 409)
		if status != 409 {
			t.Fatalf("ServerError saw status %d", status)
		}
		if readB != "1" {
			t.Fatalf("ServerError read b=%q, want 1", readB)
		}
		if !errors.Is(setB, sessions.ErrCommitted) || !errors.Is(renewB, sessions.ErrCommitted) {
			t.Fatalf("B in ServerError: Set %v, Renew %v", setB, renewB)
		}
		if n := logs.late(); n != 1 {
			t.Fatalf("%d late lines, want 1", n)
		}
		if ck := r.Cookie("sidB"); ck != nil {
			t.Fatalf("B's cookie touched: %v", ck)
		}
		if cpoCookie(t, c, "sidB") != idB {
			t.Fatal("B's id changed")
		}
		if got := c.Get("/read").Body; got != ",1" {
			t.Fatalf("after: %q, want \",1\" (A destroyed, B unchanged)", got)
		}
	})
}

// B is used first (its hook commits a renew), then A's commit fails: the
// 409 page carries B's new cookie, and a Destroy of B in ServerError ends
// B's new id in the store.
func TestAttackOtherManagerCommittedThen409ThenDestroy(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		storeA, storeB := mk(), mk()
		mA := cpoNew(t, app, storeA, "sidA")
		mB := cpoNew(t, app, storeB, "sidB")
		app.Get("/seed", func(req *itty.Request) *itty.Response {
			mA.Get(req).Set("a", "1")
			mB.Get(req).Set("b", "1")
			return itty.NewResponse("ok", 200)
		})
		var destroyErr error
		var newB string
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			s := mB.Get(req)
			newB = s.ID()
			destroyErr = s.Destroy()
			return itty.NewResponse("conflict page", 409)
		}
		app.Get("/conflict", func(req *itty.Request) *itty.Response {
			mB.Get(req).SetUser("bob") // a login: a renew, committed first
			s := mA.Get(req)
			storeA.Delete(req.Context(), s.ID())
			s.Set("a", "2")
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		oldB := cpoCookie(t, c, "sidB")
		r := c.Get("/conflict")
		cpoExpect(t, r, 409)
		ck := r.Cookie("sidB")
		if ck == nil || ck.Value == oldB || ck.Value != newB {
			t.Fatalf("409 page's B cookie %v, want the renewed id %q", ck, newB)
		}
		if destroyErr != nil {
			t.Fatalf("Destroy in ServerError: %v", destroyErr)
		}
		if cpoLive(t, storeB, newB) || cpoLive(t, storeB, oldB) {
			t.Fatal("B's session still live after Destroy")
		}
		if infos, err := mB.UserSessions(context.Background(), "bob"); err != nil || len(infos) != 0 {
			t.Fatalf("bob still has sessions: %v %v", infos, err)
		}
	})
}

// The NotFound, MethodNotAllowed and Forbidden handlers are ordinary
// handlers: their changes are saved.
func TestAttackNotFoundMethodNotAllowedForbiddenSave(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var errs [3]error
		app.NotFound = func(req *itty.Request) *itty.Response {
			errs[0] = mgr.Get(req).Set("nf", "1")
			return itty.NewResponse("nf", 404)
		}
		app.MethodNotAllowed = func(req *itty.Request) *itty.Response {
			errs[1] = mgr.Get(req).Set("mna", "1")
			return itty.NewResponse("mna", 405)
		}
		app.Forbidden = func(req *itty.Request) *itty.Response {
			errs[2] = mgr.Get(req).Set("fb", "1")
			return itty.NewResponse("fb", 403)
		}
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		cpoExpect(t, c.Get("/nowhere"), 404)
		cpoExpect(t, c.Do(c.NewRequest("DELETE", "/seed", nil)), 405)
		req := c.NewRequest("POST", "/seed", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		cpoExpect(t, c.Do(req), 403)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("handler %d: %v", i, err)
			}
		}
		cpoBody(t, c.Get("/read?keys=nf,mna,fb"), "nf=1;mna=1;fb=1;user=alice;new=false;")
	})
}

// ---- promise 4: Destroy at any time -----------------------------------

// A panicking handler; ServerError destroys: the store's session ends
// (server stores), the next request with the cookie is a stranger.
func TestAttackDestroyInServerErrorEndsStoredSession(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		store := mk()
		mgr := cpoNew(t, app, store, "sid")
		cpoRoutes(app, mgr)
		var derr error
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			derr = mgr.Get(req).Destroy()
			return itty.NewResponse("sorry", 500)
		}
		app.Get("/boom", func(req *itty.Request) *itty.Response {
			mgr.Get(req).Renew() // not saved: the browser keeps the old id
			panic("boom")
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		id := cpoCookie(t, c, "sid")
		cpoExpect(t, c.Get("/boom"), 500)
		if derr != nil {
			t.Fatal(derr)
		}
		if cpoLive(t, store, id) {
			t.Fatal("Destroy in ServerError left the session live")
		}
		cpoBody(t, c.Get("/read?keys=k"), "k=;user=;new=true;")
	})
}

// A login (SetUser: a renew) committed by the hook, then Destroy in a
// request hook that runs after the commit: the new id is ended in the
// store, and so is the old one.
func TestAttackDestroyAfterCommitEndsLoginsNewID(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		store := mk()
		mgr := cpoNew(t, app, store, "sid")
		cpoRoutes(app, mgr)
		var derr error
		var newID string
		app.Get("/login-then-destroy", func(req *itty.Request) *itty.Response {
			s := mgr.Get(req)
			s.SetUser("bob")
			s.Set("cart", "x")
			req.OnResponse(func(req *itty.Request, _ *itty.Response) error {
				s := mgr.Get(req)
				newID = s.ID()
				derr = s.Destroy()
				return nil
			})
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		old := cpoCookie(t, c, "sid")
		r := c.Get("/login-then-destroy")
		cpoExpect(t, r, 200)
		if derr != nil {
			t.Fatal(derr)
		}
		if newID == old {
			t.Fatal("no renew")
		}
		if cpoLive(t, store, newID) || cpoLive(t, store, old) {
			t.Fatalf("live after Destroy: new %v old %v", cpoLive(t, store, newID), cpoLive(t, store, old))
		}
		if infos, _ := mgr.UserSessions(context.Background(), "bob"); len(infos) != 0 {
			t.Fatalf("bob has %d sessions", len(infos))
		}
		cpoBody(t, c.Get("/read?keys=cart"), "cart=;user=;new=true;")
	})
}

// A cookie-kept session can't be ended after the commit: Destroy in
// ServerError returns ErrCommitted (logged once) and the session stays.
func TestAttackCookieManagerDestroyInServerError(t *testing.T) {
	app, logs := cpoApp()
	cs, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := sessions.NewCookieManager(app, cs, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	cpoRoutes(app, mgr)
	var derr error
	app.ServerError = func(req *itty.Request, err error) *itty.Response {
		derr = mgr.Get(req).Destroy()
		return itty.NewResponse("sorry", 500)
	}
	app.Get("/boom", func(req *itty.Request) *itty.Response { mgr.Get(req).Set("z", 1); panic("boom") })
	c := ittytest.NewClient(t, app)
	c.Get("/seed")
	logs.reset()
	r := c.Get("/boom")
	cpoExpect(t, r, 500)
	if !errors.Is(derr, sessions.ErrCommitted) {
		t.Fatalf("Destroy: %v, want ErrCommitted", derr)
	}
	if logs.late() != 1 {
		t.Fatalf("%d late lines, want 1", logs.late())
	}
	if r.Cookie("sid") != nil {
		t.Fatal("cookie touched")
	}
	cpoBody(t, c.Get("/read?keys=k,z"), "k=v0;z=;user=alice;new=false;")
}

// ---- hooks that fail or panic after the commit -------------------------

// A request hook after the session's returns an error (or panics) after
// the session's hook stored a renew: the 500 page must keep the session's
// cookie (the old id is a tombstone now), or the browser loses its session.
func TestAttackHookFailsAfterCommitKeepsCookie(t *testing.T) {
	for _, how := range []string{"error", "panic"} {
		t.Run(how, func(t *testing.T) {
			cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
				app, _ := cpoApp()
				mgr := cpoNew(t, app, mk(), "sid")
				cpoRoutes(app, mgr)
				app.Get("/renew", func(req *itty.Request) *itty.Response {
					s := mgr.Get(req)
					s.Renew()
					s.Set("after", "renew")
					req.OnResponse(func(*itty.Request, *itty.Response) error {
						if how == "panic" {
							panic("late hook")
						}
						return errors.New("late hook")
					})
					return itty.NewResponse("ok", 200)
				})
				c := ittytest.NewClient(t, app)
				c.Get("/seed")
				old := cpoCookie(t, c, "sid")
				r := c.Get("/renew")
				cpoExpect(t, r, 500)
				ck := r.Cookie("sid")
				if ck == nil || ck.Value == old {
					t.Fatalf("500 page after a stored renew carries cookie %v: the browser keeps the tombstoned id; its next read: %q",
						ck, c.Get("/read?keys=k,after").Body)
				}
				cpoBody(t, c.Get("/read?keys=k,after"), "k=v0;after=renew;user=alice;new=false;")
			})
		})
	}
}

// A response the handler spoiled with an invalid cookie is replaced by a
// 500 page: the handler failed, so nothing it did is saved (no renew is
// stored behind the browser's back), and the browser keeps a working
// session under its old cookie.
func TestAttackInvalidCookieResponseKeepsSessionCookie(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		store := mk()
		mgr := cpoNew(t, app, store, "sid")
		cpoRoutes(app, mgr)
		var newID string
		app.Get("/spoil", func(req *itty.Request) *itty.Response {
			s := mgr.Get(req)
			s.Renew()
			newID = s.ID()
			resp := itty.NewResponse("ok", 200)
			resp.SetCookie("bad name;", "v", itty.CookieOptions{}) // error ignored
			return resp
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		old := cpoCookie(t, c, "sid")
		r := c.Get("/spoil")
		cpoExpect(t, r, 500)
		if cpoLive(t, store, newID) || !cpoLive(t, store, old) {
			t.Fatalf("the failed handler's renew was stored (new id live: %v, old id live: %v)",
				cpoLive(t, store, newID), cpoLive(t, store, old))
		}
		if ck := r.Cookie("sid"); ck != nil {
			t.Fatalf("the 500 page of a failed handler sets the session cookie %v", ck)
		}
		cpoBody(t, c.Get("/read?keys=k"), "k=v0;user=alice;new=false;")
	})
}

// ---- promise 5: HooksDone ----------------------------------------------

func TestAttackHooksDone(t *testing.T) {
	app, _ := cpoApp()
	var mu sync.Mutex
	seen := map[string]bool{}
	note := func(where string, req *itty.Request) {
		mu.Lock()
		seen[where] = req.HooksDone()
		mu.Unlock()
	}
	var lateRan atomic.Bool
	app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
		note("app hook "+req.Path, req)
		return nil
	})
	app.ServerError = func(req *itty.Request, err error) *itty.Response {
		note("server error "+req.Path, req)
		if req.HooksDone() { // (for Error500 in a handler it is false, and the hooks run after)
			req.OnResponse(func(*itty.Request, *itty.Response) error { lateRan.Store(true); return nil })
		}
		return itty.NewResponse("sorry", 500)
	}
	app.Get("/ok", func(req *itty.Request) *itty.Response {
		note("handler", req)
		req.OnResponse(func(req *itty.Request, _ *itty.Response) error {
			note("req hook", req)
			return nil
		})
		resp := itty.NewResponse("", 200)
		resp.BodyReader = &cpoNoteReader{f: func() {
			note("writing", req)
			req.OnResponse(func(*itty.Request, *itty.Response) error { lateRan.Store(true); return nil })
		}}
		return resp
	})
	app.Get("/panic", func(req *itty.Request) *itty.Response { note("handler panic", req); panic("x") })
	app.Get("/nil", func(req *itty.Request) *itty.Response { return nil })
	app.Get("/e500", func(req *itty.Request) *itty.Response { return app.Error500(req, errors.New("x")) })
	c := ittytest.NewClient(t, app)
	cpoBody(t, c.Get("/ok"), "body")
	c.Get("/panic")
	c.Get("/nil")
	c.Get("/e500")
	want := map[string]bool{
		"handler": false, "req hook": false, "app hook /ok": false, "writing": true,
		"handler panic": false, "server error /panic": true, "server error /nil": true,
		"server error /e500": false, "app hook /e500": false,
	}
	for k, v := range want {
		got, ok := seen[k]
		if !ok || got != v {
			t.Errorf("HooksDone at %s = %v (seen %v), want %v", k, got, ok, v)
		}
	}
	if lateRan.Load() {
		t.Error("a hook registered while HooksDone was true ran")
	}
}

type cpoNoteReader struct {
	f    func()
	done bool
}

func (r *cpoNoteReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	r.done = true
	r.f()
	return copy(p, "body"), nil
}

// ---- promise 6: reads write nothing -----------------------------------

func TestAttackReadOnlyWritesNothingSendsNoCookie(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		store := &cpoCountingStore{Store: mk()}
		mgr := cpoNew(t, app, store, "sid")
		other := cpoNew(t, app, &cpoCountingStore{Store: mk()}, "sid2")
		cpoRoutes(app, mgr)
		app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
			if req.Path == "/ro" {
				mgr.Get(req).GetString("k") // a hook that only reads
			}
			return nil
		})
		app.Get("/ro", func(req *itty.Request) *itty.Response {
			s := mgr.Get(req)
			_ = s.GetString("k") + s.User() + s.ID()
			s.Has("nope")
			s.Delete("absent")
			s.Flashes("no-such-category")
			other.Get(req).GetString("x") // a second Manager read too
			return itty.NewResponse("ro", 200)
		})
		mux := http.NewServeMux()
		mux.HandleFunc("/plainro", func(w http.ResponseWriter, r *http.Request) {
			s := mgr.FromContext(r.Context())
			io.WriteString(w, s.GetString("k"))
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		cp := ittytest.NewClient(t, mgr.Middleware(mux))
		cp.SetCookie(&http.Cookie{Name: "sid", Value: cpoCookie(t, c, "sid")})
		before := store.writes.Load()
		for range 3 {
			r := c.Get("/ro")
			cpoExpect(t, r, 200)
			if sc := r.Headers.Values("Set-Cookie"); len(sc) != 0 {
				t.Fatalf("read-only request sent cookies %q", sc)
			}
			r = cp.Get("/plainro")
			cpoBody(t, r, "v0")
			if sc := r.Headers.Values("Set-Cookie"); len(sc) != 0 {
				t.Fatalf("read-only plain request sent cookies %q", sc)
			}
		}
		if n := store.writes.Load() - before; n != 0 {
			t.Fatalf("%d store writes for read-only requests", n)
		}
	})
}

// ---- promise 3: the middleware -----------------------------------------

// Loaded before the first Write, changed after: ErrCommitted, logged once.
func TestAttackMiddlewareChangeAfterWrite(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var setErr, renewErr error
		mux := http.NewServeMux()
		mux.HandleFunc("/w", func(w http.ResponseWriter, r *http.Request) {
			s := mgr.FromContext(r.Context())
			s.Set("before", "b")
			w.Write([]byte("x"))
			setErr = s.Set("after", "a")
			renewErr = s.Renew()
			s.Flashes()
			s.SetUser("eve")
		})
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		cp := ittytest.NewClient(t, mgr.Middleware(mux))
		cp.SetCookie(&http.Cookie{Name: "sid", Value: cpoCookie(t, c, "sid")})
		logs.reset()
		cp.Get("/w")
		if !errors.Is(setErr, sessions.ErrCommitted) || !errors.Is(renewErr, sessions.ErrCommitted) || logs.late() != 1 {
			t.Fatalf("Set %v Renew %v, %d late lines", setErr, renewErr, logs.late())
		}
		cpoBody(t, c.Get("/read?keys=before,after"), "before=b;after=;user=alice;new=false;")
	})
}

// Taken for the FIRST time after the header went out: a change can no
// longer be saved, so it must return ErrCommitted and be logged.
func TestAttackMiddlewareFirstUseAfterWrite(t *testing.T) {
	for _, how := range []string{"write", "flush", "writeheader"} {
		t.Run(how, func(t *testing.T) {
			cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
				app, logs := cpoApp()
				mgr := cpoNew(t, app, mk(), "sid")
				cpoRoutes(app, mgr)
				var setErr error
				mux := http.NewServeMux()
				mux.HandleFunc("/w", func(w http.ResponseWriter, r *http.Request) {
					switch how {
					case "write":
						w.Write([]byte("x"))
					case "flush":
						w.(http.Flusher).Flush()
					default:
						w.WriteHeader(200)
					}
					setErr = mgr.FromContext(r.Context()).Set("late", "l")
				})
				c := ittytest.NewClient(t, app)
				c.Get("/seed")
				cp := ittytest.NewClient(t, mgr.Middleware(mux))
				cp.SetCookie(&http.Cookie{Name: "sid", Value: cpoCookie(t, c, "sid")})
				logs.reset()
				cp.Get("/w")
				saved := c.Get("/read?keys=late").Body == "late=l;user=alice;new=false;"
				if !saved && (!errors.Is(setErr, sessions.ErrCommitted) || logs.late() != 1) {
					t.Fatalf("change lost silently: Set returned %v, %d late log lines", setErr, logs.late())
				}
			})
		})
	}
}

// Destroy after the header: a server store ends the login's new id; the
// cookie store says ErrCommitted.
func TestAttackMiddlewareDestroyAfterWrite(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		store := mk()
		mgr := cpoNew(t, app, store, "sid")
		var derr error
		var newID string
		mux := http.NewServeMux()
		mux.HandleFunc("/w", func(w http.ResponseWriter, r *http.Request) {
			s := mgr.FromContext(r.Context())
			s.SetUser("bob")
			io.WriteString(w, "hi")
			newID = s.ID()
			derr = s.Destroy()
		})
		cp := ittytest.NewClient(t, mgr.Middleware(mux))
		r := cp.Get("/w")
		if derr != nil {
			t.Fatal(derr)
		}
		if ck := r.Cookie("sid"); ck == nil || ck.Value != newID {
			t.Fatalf("cookie %v, want the login's id", ck)
		}
		if cpoLive(t, store, newID) {
			t.Fatal("Destroy after the header left the login's session live")
		}
		if infos, _ := mgr.UserSessions(context.Background(), "bob"); len(infos) != 0 {
			t.Fatalf("bob has %d sessions", len(infos))
		}
	})
	t.Run("cookie", func(t *testing.T) {
		app, logs := cpoApp()
		cs, _ := sessions.NewCookieStore(itty.NewCookieKey())
		mgr, err := sessions.NewCookieManager(app, cs, sessions.Options{CookieName: "sid"})
		if err != nil {
			t.Fatal(err)
		}
		var derr error
		mux := http.NewServeMux()
		mux.HandleFunc("/seed", func(w http.ResponseWriter, r *http.Request) {
			mgr.FromContext(r.Context()).Set("k", "v")
		})
		mux.HandleFunc("/w", func(w http.ResponseWriter, r *http.Request) {
			s := mgr.FromContext(r.Context())
			io.WriteString(w, s.GetString("k"))
			derr = s.Destroy()
		})
		cp := ittytest.NewClient(t, mgr.Middleware(mux))
		cp.Get("/seed")
		cp.Get("/w")
		if !errors.Is(derr, sessions.ErrCommitted) || logs.late() != 1 {
			t.Fatalf("cookie Destroy after header: %v, %d late lines", derr, logs.late())
		}
		cpoBody(t, cp.Get("/w"), "v")
	})
}

// mgr.Middleware(app): an itty handler that takes its session through
// FromContext (the doc says it is the same session as Get) and panics
// must save nothing.
func TestAttackMiddlewareIttyHandlerFromContextPanics(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		app.Get("/boom", func(req *itty.Request) *itty.Response {
			mgr.FromContext(req.Context()).Set("half", "done")
			panic("boom")
		})
		c := ittytest.NewClient(t, mgr.Middleware(app))
		c.Get("/seed")
		cpoExpect(t, c.Get("/boom"), 500)
		cpoBody(t, c.Get("/read?keys=half"), "half=;user=alice;new=false;")
	})
}

// mgr.Middleware(app): the handler used Get and panicked; the ServerError
// page reaches the same session through FromContext. Its change cannot be
// saved, so it must be refused and logged.
func TestAttackMiddlewareServerErrorFromContext(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var setErr error
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			setErr = mgr.FromContext(req.Context()).Set("se", "x")
			return itty.NewResponse("sorry", 500)
		}
		app.Get("/boom", func(req *itty.Request) *itty.Response {
			mgr.Get(req).Set("h", "1")
			panic("boom")
		})
		c := ittytest.NewClient(t, mgr.Middleware(app))
		c.Get("/seed")
		logs.reset()
		cpoExpect(t, c.Get("/boom"), 500)
		got := c.Get("/read?keys=h,se").Body
		if strings.Contains(got, "h=1") {
			t.Fatalf("panicking handler's change saved: %q", got)
		}
		saved := strings.Contains(got, "se=x")
		if saved || !errors.Is(setErr, sessions.ErrCommitted) || logs.late() != 1 {
			t.Fatalf("ServerError FromContext Set: err %v, saved %v, %d late lines (want ErrCommitted, not saved, 1)",
				setErr, saved, logs.late())
		}
	})
}

// app.Use(mgr.Middleware) with a plain route (app.Handle) that changes the
// session and panics before writing: the App's 500 page goes out through
// the middleware's writer; the change must not be saved.
func TestAttackAppUseMiddlewarePlainRoutePanics(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		app.Use(mgr.Middleware)
		app.Handle("GET", "/plainboom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mgr.FromContext(r.Context()).Set("half", "done")
			panic("boom")
		}))
		c := ittytest.NewClient(t, app)
		c.Get("/seed")
		cpoExpect(t, c.Get("/plainboom"), 500)
		cpoBody(t, c.Get("/read?keys=half"), "half=;user=alice;new=false;")
	})
}

// mgr.Middleware(app) with an App hook that changes the session the
// handler took with Get: saved by the request hook, one session.
func TestAttackMiddlewareAroundAppHookSaved(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, _ := cpoApp()
		mgr := cpoNew(t, app, mk(), "sid")
		cpoRoutes(app, mgr)
		var same bool
		var herr error
		app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
			if req.Path == "/w" {
				same = mgr.Get(req) == mgr.FromContext(req.Context())
				herr = mgr.FromContext(req.Context()).Set("hook", "h")
			}
			return nil
		})
		app.Get("/w", func(req *itty.Request) *itty.Response {
			mgr.Get(req).Set("h", "1")
			return itty.NewResponse("ok", 200)
		})
		c := ittytest.NewClient(t, mgr.Middleware(app))
		c.Get("/seed")
		cpoExpect(t, c.Get("/w"), 200)
		if !same || herr != nil {
			t.Fatalf("same %v, hook err %v", same, herr)
		}
		cpoBody(t, c.Get("/read?keys=h,hook"), "h=1;hook=h;user=alice;new=false;")
	})
}

// ---- concurrency (run with -race) --------------------------------------

// Many clients over real HTTP, two Managers, an App hook that writes,
// panics answered by a ServerError that reads and tries to write, and
// parallel requests of one client on distinct keys (which merge).
func TestAttackConcurrentHooksAndServerError(t *testing.T) {
	cpoStoreKinds(t, func(t *testing.T, mk func() sessions.Store) {
		app, logs := cpoApp()
		mA := cpoNew(t, app, mk(), "sidA")
		mB := cpoNew(t, app, mk(), "sidB")
		app.OnResponse(func(req *itty.Request, _ *itty.Response) error {
			if req.Path == "/inc" {
				s := mB.Get(req)
				return s.Set("hookn", s.GetInt("hookn")+1)
			}
			return nil
		})
		var unexpected atomic.Int64
		app.ServerError = func(req *itty.Request, err error) *itty.Response {
			if !errors.Is(mA.Get(req).Set("se", 1), sessions.ErrCommitted) ||
				!errors.Is(mB.Get(req).Set("se", 1), sessions.ErrCommitted) {
				unexpected.Add(1)
			}
			return itty.NewResponse("sorry", 500)
		}
		app.Get("/seed", func(req *itty.Request) *itty.Response {
			mA.Get(req).Set("n", 0)
			mB.Get(req).Set("hookn", 0)
			return itty.NewResponse("ok", 200)
		})
		app.Get("/inc", func(req *itty.Request) *itty.Response {
			s := mA.Get(req)
			s.Set("n", s.GetInt("n")+1)
			return itty.NewResponse("ok", 200)
		})
		app.Get("/boom", func(req *itty.Request) *itty.Response {
			mA.Get(req).Set("n", -1000)
			mB.Get(req).Set("hookn", -1000)
			panic("boom")
		})
		app.Get("/par/<int:i>/", func(req *itty.Request) *itty.Response {
			mA.Get(req).Set("p"+req.Params.Get("i"), true)
			return itty.NewResponse("ok", 200)
		})
		app.Get("/read", func(req *itty.Request) *itty.Response {
			a, b := mA.Get(req), mB.Get(req)
			n := 0
			for i := range 8 {
				if a.GetBool(fmt.Sprint("p", i)) {
					n++
				}
			}
			return itty.NewResponse(fmt.Sprintf("%d,%d,%d,%v", a.GetInt("n"), b.GetInt("hookn"), n, a.Has("se") || b.Has("se")), 200)
		})
		srv := httptest.NewServer(app)
		defer srv.Close()
		const clients, rounds = 6, 12
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				jar, _ := cookiejar.New(nil)
				hc := &http.Client{Jar: jar}
				get := func(p string) (int, string) {
					resp, err := hc.Get(srv.URL + p)
					if err != nil {
						return 0, err.Error()
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					return resp.StatusCode, string(b)
				}
				get("/seed")
				for i := range rounds {
					if st, _ := get("/inc"); st != 200 {
						errs <- fmt.Errorf("/inc: %d", st)
						return
					}
					if i%4 == 0 {
						if st, _ := get("/boom"); st != 500 {
							errs <- fmt.Errorf("/boom: %d", st)
							return
						}
					}
				}
				var pw sync.WaitGroup
				for i := range 8 {
					pw.Add(1)
					go func() { defer pw.Done(); get(fmt.Sprint("/par/", i, "/")) }()
				}
				pw.Wait()
				if _, body := get("/read"); body != fmt.Sprintf("%d,%d,8,false", rounds, rounds) {
					errs <- fmt.Errorf("final state %q, want %d,%d,8,false", body, rounds, rounds)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if unexpected.Load() != 0 {
			t.Errorf("%d ServerError Sets not refused", unexpected.Load())
		}
		booms := clients * ((rounds + 3) / 4)
		if n := logs.late(); n != 2*booms {
			t.Errorf("%d late lines, want %d (one per Manager per failed request)", n, 2*booms)
		}
	})
}
