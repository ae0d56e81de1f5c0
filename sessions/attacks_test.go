package sessions_test

// Attacks on package sessions written from its promises alone, by someone
// who had not read its tests. Each TestAttack… drives a real itty App
// through httptest, holding requests at chosen points with channels and
// pausing between store calls with a wrapper around a real store.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// hookStore wraps a real store; hooks run before the wrapped call.
type hookStore struct {
	sessions.Store
	beforeCreate atomic.Pointer[func(*sessions.Record)]
	beforeUpdate atomic.Pointer[func(id string)]
	beforeCall   atomic.Pointer[func(ctx context.Context, op, id string)] // every call, first
	failUpdate   atomic.Bool
	createFault  atomic.Int32                    // see the create… constants
	failID       atomic.Pointer[string]          // a live id whose Create fails, storing nothing
	failed       atomic.Pointer[sessions.Record] // the last live record a createFault hit
	hangUpdate   atomic.Pointer[chan struct{}]
	loadDelay    atomic.Int64 // nanoseconds each Load sleeps first
	loads        atomic.Int64
	writes       atomic.Int64
}

// call runs the beforeCall hook, if any.
func (h *hookStore) call(ctx context.Context, op, id string) {
	if f := h.beforeCall.Load(); f != nil {
		(*f)(ctx, op, id)
	}
}

func (h *hookStore) Create(ctx context.Context, r *sessions.Record) error {
	h.call(ctx, "Create", r.ID)
	if f := h.beforeCreate.Load(); f != nil {
		(*f)(r)
	}
	if id := h.failID.Load(); id != nil && *id == r.ID && !r.IsTombstone() {
		return errors.New("store down for this create (injected)")
	}
	switch h.createFault.Load() {
	case createRefused:
		if !r.IsTombstone() {
			h.failed.Store(r.Clone())
		}
		return errors.New("store down (injected)")
	case createRefusedLive:
		if !r.IsTombstone() {
			h.failed.Store(r.Clone())
			return errors.New("store down for a moment (injected)")
		}
	case createAnswerLost:
		if !r.IsTombstone() {
			h.failed.Store(r.Clone())
			if err := h.Store.Create(ctx, r); err != nil {
				return err
			}
			return errors.New("connection lost after the write (injected)")
		}
	}
	h.writes.Add(1)
	return h.Store.Create(ctx, r)
}

// Faults of hookStore.Create.
const (
	createOK          = iota
	createRefused     // every Create fails, storing nothing
	createRefusedLive // a Create of a live record fails, storing nothing
	createAnswerLost  // a live record is stored, and the Create fails
)

func (h *hookStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	h.call(ctx, "Load", id)
	time.Sleep(time.Duration(h.loadDelay.Load()))
	h.loads.Add(1)
	return h.Store.Load(ctx, id)
}

func (h *hookStore) Update(ctx context.Context, id string, fn func(*sessions.Record) error) error {
	h.call(ctx, "Update", id)
	if f := h.beforeUpdate.Load(); f != nil {
		(*f)(id)
	}
	if c := h.hangUpdate.Load(); c != nil {
		select {
		case <-*c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if h.failUpdate.Load() {
		return errors.New("store down (injected)")
	}
	h.writes.Add(1)
	return h.Store.Update(ctx, id, fn)
}

func (h *hookStore) Delete(ctx context.Context, id string) error {
	h.call(ctx, "Delete", id)
	if h.failUpdate.Load() {
		return errors.New("store down (injected)")
	}
	return h.Store.Delete(ctx, id)
}

func (h *hookStore) ByUser(ctx context.Context, user string) ([]string, error) {
	h.call(ctx, "ByUser", user)
	return h.Store.(sessions.UserIndex).ByUser(ctx, user)
}

// once makes a hook that runs f the first time pred holds.
func onceCreate(pred func(*sessions.Record) bool, f func(*sessions.Record)) *func(*sessions.Record) {
	var done atomic.Bool
	g := func(r *sessions.Record) {
		if pred(r) && done.CompareAndSwap(false, true) {
			f(r)
		}
	}
	return &g
}

func onceUpdate(pred func(string) bool, f func(string)) *func(string) {
	var done atomic.Bool
	g := func(id string) {
		if pred(id) && done.CompareAndSwap(false, true) {
			f(id)
		}
	}
	return &g
}

type gate struct{ loaded, release chan struct{} }

// rig is a test app with one Manager (cookie "sid") over a hookStore.
type rig struct {
	t     *testing.T
	app   *itty.App
	mgr   *sessions.Manager
	store *hookStore
	gates sync.Map // name -> *gate
}

type storeMaker func(t *testing.T) sessions.Store

var stores = []struct {
	name string
	mk   storeMaker
}{
	{"memory", func(t *testing.T) sessions.Store { return newMemory(t) }},
	{"files", func(t *testing.T) sessions.Store { return newFiles(t) }},
}

func forStores(t *testing.T, f func(t *testing.T, mk storeMaker)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { f(t, s.mk) })
	}
}

func newRig(t *testing.T, base sessions.Store, opts sessions.Options) *rig {
	t.Helper()
	if opts.CookieName == "" {
		opts.CookieName = "sid"
	}
	if opts.StoreTimeout == 0 {
		opts.StoreTimeout = time.Minute // pauses must not look like a hung store
	}
	r := &rig{t: t, app: itty.New(), store: &hookStore{Store: base}}
	mgr, err := sessions.New(r.app, r.store, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.mgr = mgr
	r.routes(mgr)
	return r
}

func (r *rig) gate(name string) *gate {
	g := &gate{loaded: make(chan struct{}), release: make(chan struct{})}
	r.gates.Store(name, g)
	return g
}

// routes: /whoami, /get?key=, /do (form: gate, op…). Ops run in order:
// set:K=V, renew, renewb, user:NAME, destroy, remember, csrf, panic.
func (r *rig) routes(mgr *sessions.Manager) {
	app := r.app
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).User(); u != "" {
			return app.Render(req, u)
		}
		return app.Render(req, "stranger")
	})
	app.Get("/get", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).GetString(req.GET.Get("key")))
	})
	app.Get("/csrf", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).CSRFToken())
	})
	app.Post("/do", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if name := req.POST.Get("gate"); name != "" {
			if g, ok := r.gates.Load(name); ok {
				close(g.(*gate).loaded)
				<-g.(*gate).release
			}
		}
		var errs []string
		for _, op := range req.POST.GetList("op") {
			if op == "panic" {
				panic("handler panicked (injected)")
			}
			if err := applyOp(sess, op); err != nil {
				errs = append(errs, op+": "+err.Error())
			}
		}
		return app.Render(req, "ok "+strings.Join(errs, "; "))
	})
}

// applyOp does one op of a test route to sess: set:K=V, renew, renewb,
// user:NAME, destroy, remember or csrf; others are left to the caller.
func applyOp(sess *sessions.Session, op string) error {
	switch {
	case strings.HasPrefix(op, "set:"):
		k, v, _ := strings.Cut(op[4:], "=")
		return sess.Set(k, v)
	case op == "renew":
		return sess.Renew()
	case op == "renewb":
		return sess.RenewBoundary()
	case strings.HasPrefix(op, "user:"):
		sess.SetUser(op[5:])
	case op == "destroy":
		return sess.Destroy()
	case op == "remember":
		sess.RememberMe(true)
	case op == "csrf":
		sess.CSRFToken()
	}
	return nil
}

// send makes one request carrying sid=id (if id != "").
func send(h http.Handler, method, path, id string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, "http://example.com"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://example.com"+path, nil)
	}
	if id != "" {
		req.Header.Set("Cookie", "sid="+id)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// sidOf returns the sid cookie a response set: its value and whether it
// deletes the cookie.
func sidOf(w *httptest.ResponseRecorder, name string) (value string, set, deleted bool) {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c.Value, true, c.MaxAge < 0 || c.Value == ""
		}
	}
	return "", false, false
}

func ops(gateName string, op ...string) url.Values {
	v := url.Values{"op": op}
	if gateName != "" {
		v.Set("gate", gateName)
	}
	return v
}

// login returns the id of a fresh session of user.
func (r *rig) login(user string) string {
	r.t.Helper()
	w := send(r.app, "POST", "/do", "", ops("", "renew", "user:"+user))
	id, set, _ := sidOf(w, "sid")
	if w.Code != 200 || !set {
		r.t.Fatalf("login: %d %q", w.Code, w.Body.String())
	}
	return id
}

// async starts a request held at its gate after loading; returns release.
func (r *rig) async(id string, gateName string, op ...string) func() *httptest.ResponseRecorder {
	g := r.gate(gateName)
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- send(r.app, "POST", "/do", id, ops(gateName, op...)) }()
	<-g.loaded
	return func() *httptest.ResponseRecorder {
		close(g.release)
		return <-done
	}
}

func (r *rig) whoami(id string) string {
	return send(r.app, "GET", "/whoami", id, nil).Body.String()
}

func (r *rig) value(id, key string) string {
	return send(r.app, "GET", "/get?key="+key, id, nil).Body.String()
}

func (r *rig) live(user string) int {
	r.t.Helper()
	infos, err := r.mgr.UserSessions(context.Background(), user)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(infos)
}

func notTomb(rec *sessions.Record) bool { return !rec.IsTombstone() }

// ---------------------------------------------------------------------
// Attacks that broke a promise when they were written, and hold since.

// TestAttackWriteRacingStalledRenew: as above, but the renew stalls
// between its two steps for longer than the write will wait. The write is
// refused (409), and it must not tell the browser to delete its cookie,
// which may by then hold the renewed id.
func TestAttackWriteRacingStalledRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		releaseW := r.async(id1, "w", "set:k=v")
		inCreate, resume := make(chan struct{}), make(chan struct{})
		r.store.beforeCreate.Store(onceCreate(notTomb, func(*sessions.Record) { close(inCreate); <-resume }))
		rDone := make(chan *httptest.ResponseRecorder, 1)
		go func() { rDone <- send(r.app, "POST", "/do", id1, ops("", "renew")) }()
		<-inCreate
		w := releaseW()
		close(resume)
		rw := <-rDone
		id2, _, _ := sidOf(rw, "sid")
		if _, _, deleted := sidOf(w, "sid"); w.Code != http.StatusConflict || deleted {
			t.Errorf("write racing a stalled renew: %d, deletes cookie: %v (want 409, cookie kept)", w.Code, deleted)
		}
		if rw.Code != 200 || r.whoami(id2) != "ada" {
			t.Errorf("the stalled renew: %d, whoami %q", rw.Code, r.whoami(id2))
		}
	})
}

// TestAttackWriteRacingRoutineRenewCreate: a write that loaded the session
// commits while a routine renew (same user) has written its tombstone but
// not yet created the new record. The promise: a routine renew forwards
// in-flight commits into the new session. The write must land (200) and the
// client must not be told to delete its cookie.
func TestAttackWriteRacingRoutineRenewCreate(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")

		releaseW := r.async(id1, "w", "set:k=v")

		// Hold the renew between its tombstone Update and its Create.
		inCreate, resume := make(chan struct{}), make(chan struct{})
		r.store.beforeCreate.Store(onceCreate(notTomb, func(*sessions.Record) { close(inCreate); <-resume }))
		rDone := make(chan *httptest.ResponseRecorder, 1)
		go func() { rDone <- send(r.app, "POST", "/do", id1, ops("", "renew")) }()
		<-inCreate

		// The write commits in the gap; the renew resumes while it waits.
		wDone := make(chan *httptest.ResponseRecorder, 1)
		go func() { wDone <- releaseW() }()
		time.Sleep(20 * time.Millisecond)
		close(resume)
		w := <-wDone
		rw := <-rDone
		id2, _, _ := sidOf(rw, "sid")
		if rw.Code != 200 || id2 == "" {
			t.Fatalf("renew: %d %q", rw.Code, rw.Body.String())
		}
		_, _, deleted := sidOf(w, "sid")
		if w.Code != 200 || deleted {
			t.Errorf("write racing a routine renew: %d %q, deletes cookie: %v (want 200, forwarded)", w.Code, strings.TrimSpace(w.Body.String()), deleted)
		}
		if got := r.value(id2, "k"); got != "v" && w.Code == 200 {
			t.Errorf("write answered 200 but lost: k=%q in the renewed session", got)
		}
	})
}

// TestAttackOldIDAfterRoutineRenewClobbersCookie: a browser sends a request
// with the old id that it had already sent before the renew's response
// arrived (parallel requests); the server handles it just after the renew
// committed. Its response must not log the user out: neither delete the
// cookie nor replace it by a fresh anonymous session, and its write must
// not go to a session nobody will ever use.
func TestAttackOldIDAfterRoutineRenewClobbersCookie(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		rw := send(r.app, "POST", "/do", id1, ops("", "renew"))
		id2, _, _ := sidOf(rw, "sid")
		if rw.Code != 200 || id2 == "" || id2 == id1 {
			t.Fatalf("renew: %d", rw.Code)
		}
		// A read-only request with the old id, handled after the renew.
		ro := send(r.app, "GET", "/whoami", id1, nil)
		if _, _, del := sidOf(ro, "sid"); del {
			t.Errorf("read-only request with the just-renewed id deletes the sid cookie: the browser, which holds %s..., is logged out", id2[:6])
		}
		// A write with the old id.
		wr := send(r.app, "POST", "/do", id1, ops("", "set:cart=apple"))
		if v, set, _ := sidOf(wr, "sid"); wr.Code == 200 && set && v != id2 {
			t.Errorf("write with the just-renewed id answered 200 and set a fresh anonymous cookie: the user is logged out, cart in new session=%q, in the user's session=%q",
				r.value(v, "cart"), r.value(id2, "cart"))
		}
	})
}

// TestAttackTwoManagersShareOneStoreObject: shop and staff Managers built
// over the same store value. New accepts it; a shopper copies the shop
// cookie's value into the staff cookie and the staff area greets them,
// and shop.DestroyUser ends the staff session of the same user name.
func TestAttackTwoManagersShareOneStoreObject(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		store := mk(t)
		app := itty.New()
		shop, err := sessions.New(app, store, sessions.Options{CookieName: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		staff, err := sessions.New(app, store, sessions.Options{CookieName: "staff"})
		if err != nil {
			t.Logf("New refused a second Manager on the same store: %v (promise held)", err)
			return
		}
		app.Post("/shop/login", func(req *itty.Request) *itty.Response {
			shop.Get(req).SetUser(req.POST.Get("user"))
			return app.Render(req, "ok")
		})
		app.Post("/staff/login", func(req *itty.Request) *itty.Response {
			staff.Get(req).SetUser(req.POST.Get("user"))
			return app.Render(req, "ok")
		})
		app.Get("/staff", func(req *itty.Request) *itty.Response {
			if u := staff.Get(req).User(); u != "" {
				return app.Render(req, "staff: "+u)
			}
			return app.Render(req, "staff: stranger")
		})
		c := ittytest.NewClient(t, app)
		c.PostForm("/shop/login", url.Values{"user": {"mallory"}})
		shopID, _ := c.Cookie("/", "shop")
		c.SetCookie(&http.Cookie{Name: "staff", Value: shopID})
		if got := c.Get("/staff").Body; got != "staff: stranger" {
			t.Errorf("the shop session's id in the staff cookie is accepted by the staff Manager: %q", got)
		}
		// A staff user "ada" and a shopper "ada": the shop logs its ada out
		// everywhere; the staff Manager's session must survive.
		s := ittytest.NewClient(t, app)
		s.PostForm("/staff/login", url.Values{"user": {"ada"}})
		if n, err := shop.DestroyUser(context.Background(), "ada"); err != nil || n != 0 {
			t.Errorf("shop.DestroyUser(ada) ended %d session(s) (err %v) — sessions of the staff Manager", n, err)
		}
		if got := s.Get("/staff").Body; got != "staff: ada" {
			t.Errorf("staff session after shop.DestroyUser: %q", got)
		}
	})
}

// TestAttackOtherManagersConflictDropsRenewCookie: one handler uses two
// Managers with stores of their own. Manager A renews and writes; Manager
// B's commit meets a concurrent change of the same key (409). B's 409
// replaces the whole response: A's new cookie is never sent, A's old id is
// a tombstone, so the user is logged out of A, and the 409 page says
// nothing was saved while A's write landed.
func TestAttackOtherManagersConflictDropsRenewCookie(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		app := itty.New()
		a, _ := sessions.New(app, mk(t), sessions.Options{CookieName: "a"})
		b, _ := sessions.New(app, mk(t), sessions.Options{CookieName: "b"})
		loaded, release := make(chan struct{}), make(chan struct{})
		app.Post("/login", func(req *itty.Request) *itty.Response {
			a.Get(req).SetUser("ada")
			b.Get(req).SetUser("ada")
			return app.Render(req, "ok")
		})
		app.Post("/b", func(req *itty.Request) *itty.Response {
			b.Get(req).Set("k", req.POST.Get("v"))
			return app.Render(req, "ok")
		})
		app.Post("/both", func(req *itty.Request) *itty.Response {
			sa, sb := a.Get(req), b.Get(req)
			close(loaded)
			<-release
			sa.Renew()
			sa.Set("a", "written")
			sb.Set("k", "mine")
			return app.Render(req, "ok")
		})
		app.Get("/a", func(req *itty.Request) *itty.Response {
			s := a.Get(req)
			return app.Render(req, s.User()+"/"+s.GetString("a"))
		})
		c := ittytest.NewClient(t, app)
		c.Post("/login", "", nil)
		aID, _ := c.Cookie("/", "a")
		bID, _ := c.Cookie("/", "b")
		cookies := "a=" + aID + "; b=" + bID

		done := make(chan *httptest.ResponseRecorder, 1)
		go func() {
			req := httptest.NewRequest("POST", "http://example.com/both", nil)
			req.Header.Set("Cookie", cookies)
			w := httptest.NewRecorder()
			app.ServeHTTP(w, req)
			done <- w
		}()
		<-loaded
		c.PostForm("/b", url.Values{"v": {"theirs"}}) // B's key changes first
		close(release)
		w := <-done
		if w.Code != http.StatusConflict {
			t.Fatalf("B conflict: %d", w.Code)
		}
		newA, setA, _ := sidOf(w, "a")
		cur := ittytest.NewClient(t, app)
		cur.SetCookie(&http.Cookie{Name: "a", Value: aID})
		if setA {
			cur.SetCookie(&http.Cookie{Name: "a", Value: newA})
		}
		if got := cur.Get("/a").Body; got != "ada/written" {
			t.Errorf("Manager B's 409 made Manager A answer differently: A's renew landed but its Set-Cookie was dropped (set: %v); A's client now sees %q (logged out), 409 body %q",
				setA, got, strings.TrimSpace(w.Body.String()))
		}
	})
}

// TestAttackLogoutOnFailingStoreAnswersSuccess: the documented logout
// handler (mgr.Get(req).Destroy(); redirect) on a store that fails or
// hangs. The docs promise a 500 when the store cannot be written; the
// logout answers 302, clears the cookie, and the session stays live for
// every copy of the cookie.
func TestAttackLogoutOnFailingStoreAnswersSuccess(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for _, mode := range []string{"fails", "hangs"} {
			t.Run(mode, func(t *testing.T) {
				r := newRig(t, mk(t), sessions.Options{StoreTimeout: 100 * time.Millisecond})
				r.app.Post("/logout", func(req *itty.Request) *itty.Response {
					r.mgr.Get(req).Destroy() // as in docs/sessions.md
					return r.app.Redirect(req, "/")
				})
				id := r.login("ada")
				hang := make(chan struct{})
				if mode == "fails" {
					r.store.failUpdate.Store(true)
				} else {
					r.store.hangUpdate.Store(&hang)
				}
				w := send(r.app, "POST", "/logout", id, url.Values{})
				r.store.failUpdate.Store(false)
				r.store.hangUpdate.Store(nil)
				close(hang)
				_, _, del := sidOf(w, "sid")
				alive := r.whoami(id)
				if w.Code != 500 {
					t.Errorf("logout with the store %s: answered %d (cookie deleted: %v), want 500; the session is still live: whoami=%q", mode, w.Code, del, alive)
				}
			})
		}
	})
}

// TestAttackFileStoreForeignOwnedDir: a store directory owned by another
// user (mode 0755: only its owner, not us, can write) is accepted, so that
// user can plant session files. Needs root to chown.
func TestAttackFileStoreForeignOwnedDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	base := t.TempDir()
	dir := filepath.Join(base, "store")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Skip(err)
	}
	s, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err == nil {
		s.Close()
		t.Errorf("NewFileStore accepted %s owned by uid 65534 (who can write there) while running as uid %d", dir, os.Geteuid())
	}
	// The same for a subdirectory another user owns.
	dir2 := filepath.Join(base, "store2")
	os.Mkdir(dir2, 0o700)
	os.Mkdir(filepath.Join(dir2, "sessions"), 0o700)
	os.Chown(filepath.Join(dir2, "sessions"), 65534, 65534)
	if s, err := sessions.NewFileStore(dir2, sessions.CleanupInterval(-1)); err == nil {
		s.Close()
		t.Errorf("NewFileStore accepted a sessions/ subdirectory owned by uid 65534")
	}
}

// TestAttackFileStoreSymlinkedParent: the store path goes through a
// symlink that is re-pointed after start, or through a link or a parent
// anyone can write to without the sticky bit (anyone can rename the store
// away and put their own in its place).
func TestAttackFileStoreSymlinkedParent(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	os.Mkdir(real, 0o700)
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	// A link only its owner can change is accepted, but the store keeps to
	// the real directory: re-pointing the link later does not move it.
	store, err := sessions.NewFileStore(filepath.Join(link, "store"), sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatalf("a store under a private symlink: %v", err)
	}
	defer store.Close()
	other := filepath.Join(base, "other")
	os.Mkdir(other, 0o700)
	os.Remove(link)
	os.Symlink(other, link)
	now := time.Now()
	rec := &sessions.Record{ID: sessions.NewID(), Created: now, LastSeen: now, Idle: time.Hour, Lifetime: time.Hour}
	if err := store.Create(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(real, "store", "sessions")); len(entries) != 1 {
		t.Errorf("after the link moved, the session went elsewhere: %d files in the real store", len(entries))
	}
	if _, err := os.Stat(filepath.Join(other, "store")); err == nil {
		t.Errorf("re-pointing a link above the store moved it")
	}
	// A link in a directory anyone can write to is refused.
	pub := filepath.Join(base, "pub")
	os.Mkdir(pub, 0o777)
	os.Chmod(pub, 0o777)
	os.Symlink(real, filepath.Join(pub, "link"))
	if s, err := sessions.NewFileStore(filepath.Join(pub, "link", "store2"), sessions.CleanupInterval(-1)); err == nil {
		s.Close()
		t.Errorf("NewFileStore accepted a store behind a link in a world-writable directory")
	}
	loose := filepath.Join(base, "loose")
	os.Mkdir(loose, 0o777)
	os.Chmod(loose, 0o777) // world-writable, no sticky bit
	if s, err := sessions.NewFileStore(filepath.Join(loose, "store"), sessions.CleanupInterval(-1)); err == nil {
		s.Close()
		t.Errorf("NewFileStore accepted a store inside a world-writable non-sticky directory (%s): anyone can rename it away and substitute their own", loose)
	}
}

// ---------------------------------------------------------------------
// Attacks the package withstood when they were written.

// TestAttackRenewChainThreeRequests: a writer loaded id1; two routine
// renews follow (id1→id2, id2→id3); the write lands in id3.
func TestAttackRenewChainThreeRequests(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		w := r.async(id1, "w", "set:k=v")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
		id3, _, _ := sidOf(send(r.app, "POST", "/do", id2, ops("", "renew")), "sid")
		if rw := w(); rw.Code != 200 {
			t.Fatalf("write after two routine renews: %d %q", rw.Code, rw.Body.String())
		}
		if got := r.value(id3, "k"); got != "v" {
			t.Fatalf("write lost after two renews: %q", got)
		}
		if r.whoami(id1) != "stranger" || r.whoami(id2) != "stranger" || r.whoami(id3) != "ada" {
			t.Fatal("old ids still load")
		}
	})
}

// TestAttackForwardThenBoundary: a held writer loaded id1; a routine renew
// (id1→id2) then a login as someone else (id2→id3). The writer must not
// reach id3 through the forward chain.
func TestAttackForwardThenBoundary(t *testing.T) {
	for _, boundary := range []string{"user:bob", "renewb", "user:"} {
		t.Run(boundary, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				w := r.async(id1, "w", "set:planted=evil", "renew")
				id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
				id3, _, _ := sidOf(send(r.app, "POST", "/do", id2, ops("", boundary)), "sid")
				rw := w()
				if rw.Code != http.StatusConflict {
					t.Fatalf("held write across forward+%s: %d", boundary, rw.Code)
				}
				if got := r.value(id3, "planted"); got != "" {
					t.Fatalf("held write crossed the boundary: %q", got)
				}
			})
		})
	}
}

// TestAttackLogoutBySetUserEmpty: SetUser("") is a boundary; a held write
// from before it is refused, and the CSRF token changes.
func TestAttackLogoutBySetUserEmpty(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		tok := send(r.app, "GET", "/csrf", id1, nil).Body.String()
		w := r.async(id1, "w", "set:k=v")
		lo := send(r.app, "POST", "/do", id1, ops("", "user:", "set:x=1"))
		id2, _, _ := sidOf(lo, "sid")
		if rw := w(); rw.Code != http.StatusConflict {
			t.Fatalf("held write after logout-by-SetUser(\"\"): %d", rw.Code)
		}
		if r.whoami(id2) != "stranger" || r.live("ada") != 0 {
			t.Fatal("still ada after SetUser(\"\")")
		}
		if tok2 := send(r.app, "GET", "/csrf", id2, nil).Body.String(); tok2 == tok {
			t.Fatal("CSRF token survived a change of user")
		}
	})
}

// TestAttackDestroyUserDuringForwardedCommit: a writer loaded id1, a
// routine renew made id2; the writer follows the tombstone and is paused
// just before its Update of id2; DestroyUser runs; the writer must not
// bring anything back.
func TestAttackDestroyUserDuringForwardedCommit(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		w := r.async(id1, "w", "set:k=v")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
		paused, resume := make(chan struct{}), make(chan struct{})
		r.store.beforeUpdate.Store(onceUpdate(func(id string) bool { return id == id2 }, func(string) { close(paused); <-resume }))
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- w() }()
		<-paused
		r.store.beforeUpdate.Store(nil)
		n, err := r.mgr.DestroyUser(context.Background(), "ada")
		if err != nil || n != 1 {
			t.Fatalf("DestroyUser: %d %v", n, err)
		}
		close(resume)
		if rw := <-done; rw.Code != http.StatusConflict {
			t.Fatalf("forwarded write after DestroyUser: %d", rw.Code)
		}
		if r.live("ada") != 0 || r.whoami(id2) != "stranger" || r.whoami(id1) != "stranger" {
			t.Fatal("ada has a live session after DestroyUser")
		}
	})
}

// TestAttackDestroyUserDuringRenewOfAnonymousLogin: an anonymous session is
// logged in as ada; DestroyUser(ada) runs between the renew's tombstone
// and its Create.
func TestAttackDestroyUserDuringRenewOfAnonymousLogin(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		a := send(r.app, "POST", "/do", "", ops("", "set:cart=1"))
		anon, _, _ := sidOf(a, "sid")
		inCreate, resume := make(chan struct{}), make(chan struct{})
		r.store.beforeCreate.Store(onceCreate(notTomb, func(*sessions.Record) { close(inCreate); <-resume }))
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- send(r.app, "POST", "/do", anon, ops("", "user:ada")) }()
		<-inCreate
		if _, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil {
			t.Fatal(err)
		}
		close(resume)
		lw := <-done
		if lw.Code == 200 && r.live("ada") != 0 {
			t.Fatalf("login half done during DestroyUser is live afterwards")
		}
	})
}

// TestAttackLogoutDuringForwardedCommit: like the DestroyUser case but a
// logout (Destroy) by a request that loaded id1 before the renew.
func TestAttackLogoutDuringForwardedCommit(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		w := r.async(id1, "w", "set:k=v")
		d := r.async(id1, "d", "destroy")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
		if dw := d(); dw.Code != 200 {
			t.Fatalf("logout: %d", dw.Code)
		}
		if rw := w(); rw.Code != http.StatusConflict {
			t.Fatalf("write after logout: %d", rw.Code)
		}
		if r.live("ada") != 0 || r.whoami(id2) != "stranger" {
			t.Fatal("renewed session survived the logout")
		}
	})
}

// TestAttackDestroyRenewInOneHandler: Destroy then Renew, and Renew then
// Destroy, in one handler; then a handler that panics after each.
func TestAttackDestroyRenewInOneHandler(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		for _, seq := range [][]string{{"destroy", "renew", "set:k=v"}, {"renew", "destroy"}, {"user:bob", "destroy"}, {"destroy", "user:eve"}, {"destroy", "panic"}} {
			id := r.login("ada")
			w := send(r.app, "POST", "/do", id, ops("", seq...))
			v, set, del := sidOf(w, "sid")
			if set && !del {
				t.Errorf("%v: sets a live cookie %s", seq, v)
			}
			if r.whoami(id) != "stranger" || r.live("ada") != 0 || r.live("bob") != 0 || r.live("eve") != 0 {
				t.Errorf("%v: a session survived", seq)
			}
		}
		id := r.login("ada")
		if w := send(r.app, "POST", "/do", id, ops("", "renew", "user:bob", "panic")); w.Code != 500 {
			t.Fatalf("panic: %d", w.Code)
		}
		if r.whoami(id) != "ada" || r.live("bob") != 0 {
			t.Fatal("a panicking handler's renew was saved")
		}
	})
}

// TestAttackTombstoneIDsAsCookies: the ids of tombstones (a renewed id, an
// Ended reservation, a destroyed id) and forged well-formed ids are sent
// as cookies; none loads, and a write through them cannot touch the live
// session.
func TestAttackTombstoneIDsAsCookies(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "user:bob")), "sid")
		id3, _, _ := sidOf(send(r.app, "POST", "/do", id2, ops("", "renew")), "sid")
		for _, id := range []string{id1, id2, sessions.NewID(), strings.Repeat("A", 43)} {
			if got := r.whoami(id); got != "stranger" {
				t.Errorf("tombstone/forged id loads as %q", got)
			}
			send(r.app, "POST", "/do", id, ops("", "set:evil=1", "renew", "destroy"))
		}
		if r.whoami(id3) != "bob" || r.value(id3, "evil") != "" {
			t.Fatal("a tombstone id reached the live session")
		}
	})
}

// TestAttackStuffedCookieHeaders: many Cookie header lines, duplicate
// names, the live id in 4th place: at most 3 lookups.
func TestAttackStuffedCookieHeaders(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id := r.login("ada")
		req := httptest.NewRequest("GET", "http://example.com/whoami", nil)
		for range 300 {
			req.Header.Add("Cookie", "sid="+sessions.NewID()+"; sid="+sessions.NewID())
		}
		req.Header.Add("Cookie", "sid="+id)
		before := r.store.loads.Load()
		w := httptest.NewRecorder()
		r.app.ServeHTTP(w, req)
		if n := r.store.loads.Load() - before; n > 3 {
			t.Fatalf("%d lookups", n)
		}
		if w.Code != 200 {
			t.Fatalf("%d", w.Code)
		}
	})
}

// TestAttackConcurrentKeys: different keys both land; same key 409.
func TestAttackConcurrentKeys(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id := r.login("ada")
		a := r.async(id, "a", "set:x=1")
		b := r.async(id, "b", "set:y=2")
		c := r.async(id, "c", "set:x=3")
		if a().Code != 200 || b().Code != 200 {
			t.Fatal("different keys refused")
		}
		if cw := c(); cw.Code != http.StatusConflict {
			t.Fatalf("same key overwritten silently: %d", cw.Code)
		}
		if r.value(id, "x") != "1" || r.value(id, "y") != "2" {
			t.Fatal("write lost")
		}
	})
}

// TestAttackSameUserLoginForwards: login again as the same user (SetUser
// same name + Renew) is routine: held writes land.
func TestAttackSameUserLoginForwards(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		w := r.async(id1, "w", "set:k=v")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada")), "sid")
		if rw := w(); rw.Code != 200 || r.value(id2, "k") != "v" {
			t.Fatalf("same-user login did not forward: %d", rw.Code)
		}
	})
}

// TestAttackExpiryBoundaries: at exactly IdleTimeout the session is dead,
// a held write committing after expiry does not revive it, renew does not
// extend the lifetime, and RememberMe's Max-Age follows the lifetime left.
func TestAttackExpiryBoundaries(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{IdleTimeout: 10 * time.Minute, Lifetime: 30 * time.Minute})
			id := r.login("ada")
			time.Sleep(10*time.Minute - time.Nanosecond)
			if r.whoami(id) != "ada" {
				t.Fatal("dead before idle timeout")
			}
			time.Sleep(10 * time.Minute)
			if r.whoami(id) != "stranger" {
				t.Fatal("alive at idle timeout")
			}
			id = r.login("ada")
			w := r.async(id, "w", "set:k=v")
			time.Sleep(11 * time.Minute)
			if rw := w(); rw.Code != http.StatusConflict || r.whoami(id) != "stranger" {
				t.Fatalf("late write after expiry: %d", rw.Code)
			}
			id = r.login("ada")
			for range 3 {
				time.Sleep(9 * time.Minute)
				nid, _, _ := sidOf(send(r.app, "POST", "/do", id, ops("", "renew")), "sid")
				id = nid
			}
			time.Sleep(4 * time.Minute) // 31 min after login
			if r.whoami(id) != "stranger" {
				t.Fatal("renew extended the absolute lifetime")
			}
		})
	})
}

// TestAttackRememberMeCookie: RememberMe's Max-Age does not exceed the
// record's bounded lifetime.
func TestAttackRememberMeCookie(t *testing.T) {
	r := newRig(t, newMemory(t), sessions.Options{RememberLifetime: 24 * time.Hour})
	w := send(r.app, "POST", "/do", "", ops("", "user:ada", "remember"))
	for _, c := range w.Result().Cookies() {
		if c.Name == "sid" && (c.MaxAge <= 0 || c.MaxAge > 24*3600) {
			t.Fatalf("Max-Age %d", c.MaxAge)
		}
	}
}

// TestAttackCookieOptions: default name gets __Host- with Secure and no
// Domain; a __Host- name without Secure, or with Domain, is refused.
func TestAttackCookieOptions(t *testing.T) {
	m, err := sessions.New(itty.New(), newMemory(t), sessions.Options{Secure: true})
	if err != nil || !strings.HasPrefix(m.CookieName(), "__Host-") {
		t.Fatalf("%v %q", err, m.CookieName())
	}
	m, err = sessions.New(itty.New(), newMemory(t), sessions.Options{Secure: true, Domain: "example.com"})
	if err != nil || strings.HasPrefix(m.CookieName(), "__Host-") {
		t.Fatalf("%v %q", err, m.CookieName())
	}
	for _, o := range []sessions.Options{{CookieName: "__Host-x"}, {CookieName: "__host-x"}, {CookieName: "__Secure-x"}, {CookieName: "__Host-x", Secure: true, Domain: "example.com"}} {
		if _, err := sessions.New(itty.New(), newMemory(t), o); err == nil {
			t.Errorf("accepted %+v", o)
		}
	}
}

// TestAttackCookieStore: replay of a pre-logout cookie (documented to
// work), the CSRF token across login, shortened timeouts, tampered and
// oversized cookies.
func TestAttackCookieStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := newCookie(t)
		app := itty.New()
		mgr, err := sessions.NewCookieManager(app, cs, sessions.Options{CookieName: "sid", IdleTimeout: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		r := &rig{t: t, app: app, mgr: mgr}
		r.routes(mgr)
		pre := send(app, "GET", "/csrf", "", nil)
		preCookie, _, _ := sidOf(pre, "sid")
		tok := pre.Body.String()
		lw := send(app, "POST", "/do", preCookie, ops("", "user:ada"))
		post, _, _ := sidOf(lw, "sid")
		if send(app, "GET", "/csrf", post, nil).Body.String() == tok {
			t.Error("cookie store: CSRF token survived login")
		}
		if r.whoami(post[:len(post)-2]+"xx") != "stranger" {
			t.Error("tampered cookie accepted")
		}
		send(app, "POST", "/do", post, ops("", "destroy"))
		if r.whoami(post) != "ada" {
			t.Log("replay after logout refused (stronger than documented)")
		}
		// A tightened Manager on the same keys.
		app2 := itty.New()
		tight, _ := sessions.NewCookieManager(app2, cs, sessions.Options{CookieName: "sid", IdleTimeout: 5 * time.Minute})
		r2 := &rig{t: t, app: app2, mgr: tight}
		r2.routes(tight)
		time.Sleep(6 * time.Minute)
		if r2.whoami(post) != "stranger" {
			t.Error("cookie store: shortened IdleTimeout ignored")
		}
		big := send(app, "POST", "/do", "", ops("", "set:k="+strings.Repeat("x", 5000)))
		if big.Code != 500 {
			t.Errorf("oversized cookie session: %d", big.Code)
		}
	})
}

// TestAttackFileNamesRevealNoID: after logins, renews and logouts, no file
// or directory name under the store holds a session id.
func TestAttackFileNamesRevealNoID(t *testing.T) {
	dir := t.TempDir()
	fs, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	r := newRig(t, fs, sessions.Options{})
	var ids []string
	for _, u := range []string{"ada", "bob"} {
		id := r.login(u)
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id, ops("", "renew")), "sid")
		ids = append(ids, id, id2)
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		for _, id := range ids {
			if strings.Contains(p, id) || strings.Contains(p, id[:16]) {
				t.Errorf("file name %s reveals id", p)
			}
		}
		if info != nil && !info.IsDir() && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s mode %v", p, info.Mode())
		}
		if info != nil && !info.IsDir() && strings.HasSuffix(p, ".json") {
			b, _ := os.ReadFile(p)
			var rec sessions.Record
			if json.Unmarshal(b, &rec) != nil {
				t.Errorf("%s not JSON", p)
			}
		}
		return nil
	})
	sub := filepath.Join(t.TempDir(), "s")
	os.Mkdir(sub, 0o700)
	os.Mkdir(filepath.Join(sub, "locks"), 0o777)
	os.Chmod(filepath.Join(sub, "locks"), 0o777)
	if s, err := sessions.NewFileStore(sub, sessions.CleanupInterval(-1)); err == nil {
		s.Close()
		t.Error("world-writable locks/ accepted")
	}
}

// TestAttackLogoutDuringBoundaryRenew: a logout (loaded before) runs
// between a RenewBoundary's tombstone and its Create; the renewed session
// must never become live.
func TestAttackLogoutDuringBoundaryRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		d := r.async(id1, "d", "destroy")
		inCreate, resume := make(chan struct{}), make(chan struct{})
		r.store.beforeCreate.Store(onceCreate(notTomb, func(*sessions.Record) { close(inCreate); <-resume }))
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- send(r.app, "POST", "/do", id1, ops("", "renewb", "set:x=1")) }()
		<-inCreate
		if dw := d(); dw.Code != 200 {
			t.Fatalf("logout: %d", dw.Code)
		}
		close(resume)
		bw := <-done
		id2, _, _ := sidOf(bw, "sid")
		if r.live("ada") != 0 || (id2 != "" && r.whoami(id2) == "ada") {
			t.Fatalf("boundary renew survived a logout that returned success: %d", bw.Code)
		}
	})
}

// TestAttackDestroyUserExceptDuringRenewOfTheKept: "sign out my other
// devices" runs for id1 just after a routine renew of id1 made id2 (the
// browser now holds id2, the request that asked still carried id1): the
// kept session must live on as id2, and only the other device's ends.
func TestAttackDestroyUserExceptDuringRenewOfTheKept(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		other := r.login("ada")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
		n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", id1)
		if err != nil || n != 1 {
			t.Fatalf("DestroyUserExcept: %d ended, %v; want the other device's 1", n, err)
		}
		if r.whoami(id2) != "ada" {
			t.Fatal("the kept session was destroyed because it had just been renewed")
		}
		if r.whoami(other) != "stranger" {
			t.Fatal("the other device's session survived")
		}
	})
}
