package sessions_test

// Attacks on Session.DestroyOthers and Manager.DestroyUserExcept,
// written from their promises (session.go, manager.go, docs/sessions.md
// "Logging out"). Real stores (memory, files), wrapped by the hookStore
// of attacks_test.go; requests over the itty App through httptest.

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

// othersRoute adds /x to r.app: the ops run in order on the request's session:
// set:K=V, renew, renewb, user:NAME, remember, destroy, gate:NAME (block at
// r's gate NAME), others (DestroyOthers). The answer lists what each
// "others" returned, and each failing op.
func othersRoute(r *rig) {
	last := &atomic.Pointer[string]{}
	lastOthers.Store(r, last)
	r.app.Post("/x", func(req *itty.Request) *itty.Response {
		sess := r.mgr.Get(req)
		var out []string
		for _, op := range req.POST.GetList("op") {
			var err error
			switch {
			case strings.HasPrefix(op, "gate:"):
				if g, ok := r.gates.Load(op[5:]); ok {
					close(g.(*gate).loaded)
					<-g.(*gate).release
				}
			case op == "others":
				n, derr := sess.DestroyOthers(req.Context())
				if derr != nil {
					out = append(out, "others-err:"+derr.Error())
					if errors.Is(derr, sessions.ErrSessionEnded) {
						out = append(out, "others-ended")
					}
				} else {
					out = append(out, fmt.Sprintf("others=%d", n))
				}
			default:
				err = applyOp(sess, op)
			}
			if err != nil {
				out = append(out, op+"-err:"+err.Error())
			}
		}
		res := strings.Join(out, "; ")
		last.Store(&res)
		return r.app.Render(req, res)
	})
}

// lastOthers maps a rig to what its last /x request's ops returned, which the
// App's 500 or 409 page hides from the body.
var lastOthers sync.Map

func othersResult(r *rig) string {
	v, _ := lastOthers.Load(r)
	if p := v.(*atomic.Pointer[string]).Load(); p != nil {
		return *p
	}
	return ""
}

func othersForm(op ...string) url.Values { return url.Values{"op": op} }

// othersSend sends ops to /x with sid=id.
func othersSend(r *rig, id string, op ...string) *httptest.ResponseRecorder {
	return send(r.app, "POST", "/x", id, othersForm(op...))
}

// othersAsync starts a /x request whose ops include gate:name, and returns once
// it is held there, with a function that lets it go on.
func othersAsync(r *rig, id, name string, op ...string) func() *httptest.ResponseRecorder {
	g := r.gate(name)
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- othersSend(r, id, op...) }()
	<-g.loaded
	return func() *httptest.ResponseRecorder {
		close(g.release)
		return <-done
	}
}

// othersHeld is the id the browser holds after w: the cookie w set, or id.
func othersHeld(id string, w *httptest.ResponseRecorder) string {
	if v, set, del := sidOf(w, "sid"); set && !del {
		return v
	} else if set && del {
		return ""
	}
	return id
}

func bodyOf(w *httptest.ResponseRecorder) string { return strings.TrimSpace(w.Body.String()) }

// TestAttackLoginHandlerDestroyOthers (promise 1): a login handler
// makes the login the user's only session: an anonymous session (stored
// with a cart, or none at all) is given the user with SetUser, possibly
// after a Renew, a RememberMe or a Set, and DestroyOthers runs. The login
// must survive under its new cookie with its data, ada's two other devices
// end (count 2), and bob is untouched.
func TestAttackLoginHandlerDestroyOthers(t *testing.T) {
	cases := []struct {
		name   string
		stored bool // the browser has a stored anonymous session
		op     []string
	}{
		{"stored anon/SetUser", true, []string{"user:ada", "others"}},
		{"stored anon/Renew+SetUser", true, []string{"renew", "user:ada", "others"}},
		{"stored anon/SetUser+RememberMe+Set", true, []string{"user:ada", "remember", "set:k=v", "others"}},
		{"stored anon/RenewBoundary+SetUser", true, []string{"renewb", "user:ada", "others"}},
		{"stored anon/others then SetUser again", true, []string{"user:ada", "others", "set:k=v"}},
		{"no cookie/SetUser", false, []string{"user:ada", "others"}},
		{"no cookie/Set+SetUser+RememberMe", false, []string{"set:k=v", "user:ada", "remember", "others"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				o1, o2 := r.login("ada"), r.login("ada")
				bob := r.login("bob")
				anon := ""
				if c.stored {
					w := send(r.app, "POST", "/do", "", ops("", "set:cart=3"))
					anon, _, _ = sidOf(w, "sid")
				}
				w := othersSend(r, anon, c.op...)
				held := othersHeld(anon, w)
				body := bodyOf(w)
				wantCart := ""
				if c.stored {
					wantCart = "3"
				}
				if w.Code != 200 || body != "others=2" || held == "" || r.whoami(held) != "ada" || r.value(held, "cart") != wantCart ||
					r.whoami(o1) != "stranger" || r.whoami(o2) != "stranger" || r.whoami(bob) != "bob" || r.live("ada") != 1 {
					t.Errorf("login %v then DestroyOthers: %d %q; login %q cart %q; ada's others %q %q; bob %q; live ada %d "+
						"(want 200 \"others=2\", login ada with cart %q, others stranger, bob bob, live 1)",
						c.op, w.Code, body, r.whoami(held), r.value(held, "cart"), r.whoami(o1), r.whoami(o2), r.whoami(bob), r.live("ada"), wantCart)
				}
			})
		})
	}
}

// TestAttackUserSwitchThenDestroyOthers (promises 1 and 4): ada's
// session switches to bob (SetUser("bob")) and calls DestroyOthers. The
// session's user is now bob: bob's two other sessions end, the switched
// session lives on as bob's, and ada's other device is untouched.
func TestAttackUserSwitchThenDestroyOthers(t *testing.T) {
	for _, op := range [][]string{{"user:bob", "others"}, {"renew", "user:bob", "others"}, {"user:bob", "renewb", "set:k=v", "others"}} {
		t.Run(strings.Join(op, ","), func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				this, ada2 := r.login("ada"), r.login("ada")
				b1, b2 := r.login("bob"), r.login("bob")
				w := othersSend(r, this, op...)
				held := othersHeld(this, w)
				if w.Code != 200 || bodyOf(w) != "others=2" || r.whoami(held) != "bob" || r.whoami(this) != "stranger" ||
					r.whoami(ada2) != "ada" || r.whoami(b1) != "stranger" || r.whoami(b2) != "stranger" || r.live("bob") != 1 || r.live("ada") != 1 {
					t.Errorf("%v: %d %q; switched %q, old id %q; ada2 %q; bob's others %q %q; live ada %d bob %d",
						op, w.Code, bodyOf(w), r.whoami(held), r.whoami(this), r.whoami(ada2), r.whoami(b1), r.whoami(b2), r.live("ada"), r.live("bob"))
				}
			})
		})
	}
}

// TestAttackDestroyOthersAfterEveryPrep (promise 1): whatever the
// handler did to a logged-in session earlier in the request (Set,
// RememberMe, Renew, RenewBoundary, their combinations, SetUser to the same
// user), DestroyOthers keeps it and ends the two other devices.
func TestAttackDestroyOthersAfterEveryPrep(t *testing.T) {
	preps := [][]string{{}, {"set:k=v"}, {"remember"}, {"renew"}, {"renewb"}, {"renew", "set:k=v"}, {"renewb", "remember", "set:k=v"},
		{"set:k=v", "renew", "remember"}, {"user:ada"}, {"renew", "renewb"}, {"others", "renew"}, {"renew", "others", "renewb"}}
	for _, prep := range preps {
		t.Run(strings.Join(prep, ","), func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				this := r.login("ada")
				o1, o2 := r.login("ada"), r.login("ada")
				bob := r.login("bob")
				w := othersSend(r, this, append(append([]string{}, prep...), "others")...)
				held := othersHeld(this, w)
				want := "others=2"
				if len(prep) > 0 && prep[0] == "others" {
					want = "others=2; others=0"
				} else if strings.Contains(strings.Join(prep, ","), "others") {
					want = "others=2; others=0"
				}
				if w.Code != 200 || bodyOf(w) != want || r.whoami(held) != "ada" || r.whoami(o1) != "stranger" || r.whoami(o2) != "stranger" ||
					r.whoami(bob) != "bob" || r.live("ada") != 1 {
					t.Errorf("%v then DestroyOthers: %d %q (want %q); this %q; others %q %q; bob %q; live ada %d",
						prep, w.Code, bodyOf(w), want, r.whoami(held), r.whoami(o1), r.whoami(o2), r.whoami(bob), r.live("ada"))
				}
			})
		})
	}
}

// failLoadStore wraps a real store; Load of the id in fail fails.
type failLoadStore struct {
	sessions.Store
	fail atomic.Pointer[string]
}

func (s *failLoadStore) Load(ctx context.Context, id string) (*sessions.Record, error) {
	if f := s.fail.Load(); f != nil && *f == id {
		return nil, errors.New("store down for this load (injected)")
	}
	return s.Store.Load(ctx, id)
}

func (s *failLoadStore) ByUser(ctx context.Context, user string) ([]string, error) {
	return s.Store.(sessions.UserIndex).ByUser(ctx, user)
}

// TestAttackDestroyOthersRefusals (promise 2): DestroyOthers returns
// an error, and ends nothing, for a session without a user (anonymous
// stored, none, logged out to "" in this request), one that failed to load,
// and one destroyed earlier in the request (stored or new). Control:
// DestroyOthers then Destroy ends everything.
func TestAttackDestroyOthersRefusals(t *testing.T) {
	cases := []struct {
		name    string
		cookie  string // "ada", "anon", "none", "failload"
		op      []string
		wantErr bool
	}{
		{"anonymous stored", "anon", []string{"others"}, true},
		{"no cookie", "none", []string{"others"}, true},
		{"no cookie, Set", "none", []string{"set:k=v", "others"}, true},
		{"logged out to empty", "ada", []string{"user:", "others"}, true},
		{"failed to load", "failload", []string{"others"}, true},
		{"failed to load, SetUser", "failload", []string{"user:ada", "others"}, true},
		{"destroyed", "ada", []string{"destroy", "others"}, true},
		{"renewed then destroyed", "ada", []string{"renew", "destroy", "others"}, true},
		{"new session destroyed then SetUser", "none", []string{"destroy", "user:ada", "others"}, true},
		{"stored anon destroyed then SetUser", "anon", []string{"destroy", "user:ada", "others"}, true},
		{"control: others then destroy", "ada", []string{"others", "destroy"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				fs := &failLoadStore{Store: mk(t)}
				r := newRig(t, fs, sessions.Options{})
				othersRoute(r)
				o1, o2 := r.login("ada"), r.login("ada")
				var id string
				switch c.cookie {
				case "ada", "failload":
					id = r.login("ada")
				case "anon":
					w := send(r.app, "POST", "/do", "", ops("", "set:cart=1"))
					id, _, _ = sidOf(w, "sid")
				}
				before := r.live("ada")
				if c.cookie == "failload" {
					fs.fail.Store(&id)
				}
				w := othersSend(r, id, c.op...)
				fs.fail.Store(nil)
				body := othersResult(r)
				if c.wantErr {
					// The request's own session may end by its own Destroy or
					// logout; the two other devices must not.
					if !strings.Contains(body, "others-err:") || r.whoami(o1) != "ada" || r.whoami(o2) != "ada" || r.live("ada") < before-1 {
						t.Errorf("%v: %d, DestroyOthers said %q; others %q %q; live ada %d (was %d); want DestroyOthers to fail and end nothing",
							c.op, w.Code, body, r.whoami(o1), r.whoami(o2), r.live("ada"), before)
					}
					t.Logf("%v: answered %d, DestroyOthers said %q", c.op, w.Code, body)
					return
				}
				if !strings.HasPrefix(body, "others=2") || r.live("ada") != 0 || r.whoami(id) != "stranger" || r.whoami(o1) != "stranger" {
					t.Errorf("%v: %d %q; this %q; live ada %d; want others=2 then all gone", c.op, w.Code, body, r.whoami(id), r.live("ada"))
				}
			})
		})
	}
}

// TestAttackDestroyOthersOldIDAfterParallelRenew (promises 1, 2):
// this device's session id1 is renewed to id2 by a parallel request
// (routine Renew, RenewBoundary). (a) A request that loaded id1 before the
// renew calls DestroyOthers after it: the session the browser now holds
// (id2) must be kept, the other device ends. (b) A request sent with id1
// after the renew (the browser had not got id2 yet) holds no user: it
// gets an error and nothing ends.
func TestAttackDestroyOthersOldIDAfterParallelRenew(t *testing.T) {
	for _, renew := range []string{"renew", "renewb"} {
		for _, extra := range [][]string{{}, {"set:k=v"}, {"renewb"}} {
			t.Run(fmt.Sprintf("loaded before/%s/%v", renew, extra), func(t *testing.T) {
				forStores(t, func(t *testing.T, mk storeMaker) {
					r := newRig(t, mk(t), sessions.Options{})
					othersRoute(r)
					id1, other := r.login("ada"), r.login("ada")
					release := othersAsync(r, id1, "g", append([]string{"gate:g"}, append(extra, "others")...)...)
					w2 := send(r.app, "POST", "/do", id1, ops("", renew))
					id2, set, _ := sidOf(w2, "sid")
					if w2.Code != 200 || !set {
						t.Fatalf("parallel %s: %d", renew, w2.Code)
					}
					w := release()
					held := othersHeld(id2, w)
					// The held request's own renew or write may be refused (409:
					// renewed first, or across a boundary); its DestroyOthers
					// must still keep the browser's session, id2.
					t.Logf("held request answered %d; DestroyOthers said %q", w.Code, othersResult(r))
					if !strings.Contains(othersResult(r), "others=1") || r.whoami(held) != "ada" || r.whoami(id2) != "ada" || r.whoami(other) != "stranger" || r.live("ada") != 1 {
						t.Errorf("held DestroyOthers%v after a parallel %s: %d %q; id2 %q, browser's %q, other %q, live %d",
							extra, renew, w.Code, bodyOf(w), r.whoami(id2), r.whoami(held), r.whoami(other), r.live("ada"))
					}
				})
			})
		}
		t.Run("sent after with the old id/"+renew, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				id1, other := r.login("ada"), r.login("ada")
				id2 := ""
				if renew == "renew" {
					id2 = r.renewOnce(id1)
				} else {
					w2 := send(r.app, "POST", "/do", id1, ops("", renew))
					id2, _, _ = sidOf(w2, "sid")
				}
				w := othersSend(r, id1, "renewb", "others")
				if !strings.Contains(bodyOf(w), "others-err:") || r.whoami(id2) != "ada" || r.whoami(other) != "ada" || r.live("ada") != 2 {
					t.Errorf("DestroyOthers with the old id: %d %q; id2 %q other %q live %d (want an error, nothing ended)",
						w.Code, bodyOf(w), r.whoami(id2), r.whoami(other), r.live("ada"))
				}
				// The same request logs in as ada with the old id: the
				// browser's renewed session (id2) must not be ended.
				w = othersSend(r, id1, "user:ada", "others")
				if r.whoami(id2) != "ada" {
					t.Errorf("login+DestroyOthers with the old id ended the browser's renewed session: %d %q; id2 %q other %q",
						w.Code, bodyOf(w), r.whoami(id2), r.whoami(other))
				}
			})
		})
	}
}

// TestAttackTwoDevicesDestroyOthersAtOnce (promise 1): devices A
// and B of ada both "log out my other devices" at once (B's whole request
// placed before each store call of A's), with a third device C.
//
// Promise: C ends; a call that returned without error leaves no other
// session of ada's that existed when it started. The calls are not
// serialised: in some orders each ends the other's device, and both are
// signed out (docs/sessions.md says so); that fails safe and is allowed.
func TestAttackTwoDevicesDestroyOthersAtOnce(t *testing.T) {
	for _, prep := range [][]string{{}, {"renewb"}} {
		t.Run(fmt.Sprintf("prep %v", prep), func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				var literal []string
				for step := 0; step < 30; step++ {
					r := newRig(t, mk(t), sessions.Options{})
					othersRoute(r)
					a := &browser{r.login("ada")}
					b := &browser{r.login("ada")}
					c := r.login("ada")
					a0, b0 := a.id, b.id
					form := othersForm(append(append([]string{}, prep...), "others")...)
					var wa, wb *httptest.ResponseRecorder
					all := interleave(r, "a", func() {
						wa = sendTagged(r.app, "/x", a.id, "a", form)
						a.took(wa)
					}, []inner{{step, func() {
						wb = sendTagged(r.app, "/x", b.id, "b", form)
						b.took(wb)
					}}})
					ha, hb := a.id, b.id
					if ha == "" {
						ha = a0
					}
					if hb == "" {
						hb = b0
					}
					okA := strings.HasPrefix(bodyOf(wa), "others=")
					okB := strings.HasPrefix(bodyOf(wb), "others=")
					aLive, bLive := r.whoami(ha) == "ada", r.whoami(hb) == "ada"
					desc := fmt.Sprintf("step %d: A %d %q (signed in %v), B %d %q (signed in %v), C %q, live %d",
						step, wa.Code, bodyOf(wa), aLive, wb.Code, bodyOf(wb), bLive, r.whoami(c), r.live("ada"))
					if r.whoami(c) != "stranger" || (okA && bLive) || (okB && aLive) {
						literal = append(literal, desc)
					}
					if !all {
						break
					}
				}
				if len(literal) > 0 {
					t.Errorf("literal promise broken in %d orders:\n%s", len(literal), strings.Join(literal, "\n"))
				}
			})
		})
	}
}

// TestAttackDestroyOthersRacingOtherDevice (promises 1, 4): this
// device's DestroyOthers (with a RenewBoundary before it, as in the docs'
// password handler) while the other device renews (routine, boundary), or
// switches to bob, its whole request placed before each store call of
// this one's. Promises: this device stays ada; the other device is gone
// if it is still ada's; a switch to bob that answered 200 leaves bob's
// session alive; bob's own device is never touched.
func TestAttackDestroyOthersRacingOtherDevice(t *testing.T) {
	for _, otherOp := range []string{"renew", "renewb", "user:bob", "set:k=v"} {
		t.Run(otherOp, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				var bad []string
				for step := 0; step < 30; step++ {
					r := newRig(t, mk(t), sessions.Options{})
					othersRoute(r)
					this := &browser{r.login("ada")}
					other := &browser{r.login("ada")}
					bob := r.login("bob")
					t0, o0 := this.id, other.id
					var wt, wo *httptest.ResponseRecorder
					all := interleave(r, "t", func() {
						wt = sendTagged(r.app, "/x", this.id, "t", othersForm("renewb", "others"))
						this.took(wt)
					}, []inner{{step, func() {
						wo = sendTagged(r.app, "/do", other.id, "o", ops("", otherOp))
						other.took(wo)
					}}})
					ht, ho := this.id, other.id
					if ht == "" {
						ht = t0
					}
					if ho == "" {
						ho = o0
					}
					wantBob := 1
					if otherOp == "user:bob" && wo.Code == 200 && r.whoami(ho) == "bob" {
						wantBob = 2
					}
					otherWho := r.whoami(ho)
					ok := wt.Code == 200 && strings.HasPrefix(bodyOf(wt), "others=") && r.whoami(ht) == "ada" && r.live("ada") == 1 &&
						r.whoami(bob) == "bob" && r.live("bob") == wantBob && otherWho != "ada"
					if otherOp == "user:bob" && wo.Code == 200 && otherWho != "bob" {
						ok = false // the switch answered 200 but bob's session is gone
					}
					if !ok {
						bad = append(bad, fmt.Sprintf("step %d: this %d %q now %q; other %s answered %d %q, now %q; bob %q; live ada %d bob %d (want bob %d)",
							step, wt.Code, bodyOf(wt), r.whoami(ht), otherOp, wo.Code, strings.TrimSpace(wo.Body.String()), otherWho,
							r.whoami(bob), r.live("ada"), r.live("bob"), wantBob))
					}
					if !all {
						break
					}
				}
				if len(bad) > 0 {
					t.Errorf("%d orders break a promise:\n%s", len(bad), strings.Join(bad, "\n"))
				}
			})
		})
	}
}

// TestAttackHeldRequestsCommitAfterDestroyOthers (promise 1):
// requests of ada's other device load it and are held; this device's
// password handler (RenewBoundary, DestroyOthers) runs; then they commit:
// a write, renews, switches, remember me. None may bring a session back,
// as ada or as anyone, nor carry the other device's data. A request of
// this very device held the same way (a write) is not harmed by the
// DestroyOthers itself: with no renew in the handler, it merges.
func TestAttackHeldRequestsCommitAfterDestroyOthers(t *testing.T) {
	held := [][]string{{"set:x=1"}, {"renew"}, {"renewb"}, {"user:bob"}, {"user:"}, {"renew", "set:y=2"}, {"remember"},
		{"renew", "user:bob", "set:z=3"}, {"user:ada", "others"}, {"others"}, {"renewb", "others"}}
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		othersRoute(r)
		this, other := r.login("ada"), r.login("ada")
		send(r.app, "POST", "/do", other, ops("", "set:secret=other"))
		var release []func() *httptest.ResponseRecorder
		for i, op := range held {
			release = append(release, othersAsync(r, other, fmt.Sprintf("h%d", i), append([]string{fmt.Sprintf("gate:h%d", i)}, op...)...))
		}
		mine := othersAsync(r, this, "mine", "gate:mine", "set:mine=1")
		w := othersSend(r, this, "others")
		if w.Code != 200 || bodyOf(w) != "others=1" {
			t.Fatalf("DestroyOthers: %d %q", w.Code, bodyOf(w))
		}
		for i, f := range release {
			w := f()
			v, set, del := sidOf(w, "sid")
			if set && !del && (r.whoami(v) != "stranger" || r.value(v, "secret") != "") {
				t.Errorf("held %v after DestroyOthers: %d %q, cookie names %q with secret %q", held[i], w.Code, bodyOf(w), r.whoami(v), r.value(v, "secret"))
			}
			if strings.Contains(bodyOf(w), "others=") && w.Code == 200 {
				t.Logf("held %v after DestroyOthers answered %d %q", held[i], w.Code, bodyOf(w))
			}
		}
		if wm := mine(); wm.Code != 200 || r.value(this, "mine") != "1" {
			t.Errorf("this device's held write after DestroyOthers: %d %q, value %q", wm.Code, bodyOf(wm), r.value(this, "mine"))
		}
		if r.live("ada") != 1 || r.whoami(this) != "ada" || r.live("bob") != 0 || r.whoami(other) != "stranger" {
			t.Errorf("after the held requests: ada %d (this %q), bob %d live, other %q", r.live("ada"), r.whoami(this), r.live("bob"), r.whoami(other))
		}
	})
}

// TestAttackExceptKeepIDNamesNoSession (promise 3):
// DestroyUserExcept with a keepID that names no session: one logged out
// (deleted), one whose idle timeout passed, and the old id of a session
// that was renewed and then destroyed (its tombstone, marked ended, is
// still stored). manager.go promises ErrNotFound for "a keepID that names
// no stored record"; docs/sessions.md for "an id that names no stored
// session". Every case must end nothing under the docs' wording; under
// manager.go's, the last names a stored record (a tombstone).
func TestAttackExceptKeepIDNamesNoSession(t *testing.T) {
	for _, c := range []string{"logged out", "destroyed by DestroyUser", "renewed then destroyed (old id)", "renewed then destroyed (new id)", "switched to bob (old id)"} {
		t.Run(c, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				dead := r.login("ada")
				switch c {
				case "logged out":
					send(r.app, "POST", "/do", dead, ops("", "destroy"))
				case "destroyed by DestroyUser":
					if _, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil {
						t.Fatal(err)
					}
				case "renewed then destroyed (old id)", "renewed then destroyed (new id)":
					nid := r.renewOnce(dead)
					if _, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil {
						t.Fatal(err)
					}
					if c == "renewed then destroyed (new id)" {
						dead = nid
					}
				case "switched to bob (old id)":
					send(r.app, "POST", "/do", dead, ops("", "user:bob"))
					// then bob's session is logged out everywhere
					if _, err := r.mgr.DestroyUser(context.Background(), "bob"); err != nil {
						t.Fatal(err)
					}
				}
				if r.whoami(dead) != "stranger" {
					t.Fatalf("setup: %q still live", dead)
				}
				a1, a2 := r.login("ada"), r.login("ada")
				n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", dead)
				if !errors.Is(err, sessions.ErrNotFound) || n != 0 || r.whoami(a1) != "ada" || r.whoami(a2) != "ada" {
					t.Errorf("DestroyUserExcept(ada, keepID of a %s session): ended %d, err %v; a1 %q a2 %q "+
						"(want an error matching ErrNotFound, nothing ended)", c, n, err, r.whoami(a1), r.whoami(a2))
				}
			})
		})
	}
}

// TestAttackDestroyOthersRacingOwnTab (promises 1, 4): this device's
// DestroyOthers request runs while another tab of the same browser (the
// same cookie) renews, renews across a boundary, switches to bob or logs
// out, its whole request placed before each store call of this one's.
// Promises: if DestroyOthers returned without error, ada's other device is
// gone; the browser, if still ada's, stays signed in (its session is the
// one this request holds, renewed or not); bob's own device is never
// touched; a switch to bob that answered 200 leaves the browser bob's.
func TestAttackDestroyOthersRacingOwnTab(t *testing.T) {
	for _, tabOp := range []string{"renew", "renewb", "user:bob", "destroy", "set:k=v"} {
		for _, prep := range [][]string{{}, {"renewb"}} {
			t.Run(fmt.Sprintf("%s/prep %v", tabOp, prep), func(t *testing.T) {
				forStores(t, func(t *testing.T, mk storeMaker) {
					var bad []string
					for step := 0; step < 30; step++ {
						r := newRig(t, mk(t), sessions.Options{})
						othersRoute(r)
						br := &browser{r.login("ada")}
						other := r.login("ada")
						bob := r.login("bob")
						first := br.id
						var wt, wo *httptest.ResponseRecorder
						form := othersForm(append(append([]string{}, prep...), "others")...)
						all := interleave(r, "t", func() {
							id := br.id
							wt = sendTagged(r.app, "/x", id, "t", form)
							br.took(wt)
						}, []inner{{step, func() {
							wo = sendTagged(r.app, "/do", br.id, "o", ops("", tabOp))
							br.took(wo)
						}}})
						res := othersResult(r)
						okCall := strings.HasPrefix(res, "others=")
						held := br.id
						if held == "" {
							held = first
						}
						who := r.whoami(held)
						var why []string
						if okCall && r.whoami(other) != "stranger" {
							why = append(why, "DestroyOthers succeeded but ada's other device lives")
						}
						if r.whoami(bob) != "bob" {
							why = append(why, "bob's device was touched")
						}
						if tabOp == "user:bob" && wo.Code == 200 && who != "bob" && wt.Code != 200 {
							why = append(why, "the switch to bob answered 200 but the browser is not bob")
						}
						if tabOp != "destroy" && tabOp != "user:bob" && okCall && who != "ada" {
							if wt.Code == 200 {
								why = append(why, "the browser, whose session DestroyOthers kept, is signed out")
							} else {
								// The tab ran whole between this request's renew steps
								// and waited out renewGap (500 ms) for the new record,
								// then cancelled the renew, as designed for a renew
								// stalled that long: this request answered its error.
								t.Logf("step %d: browser signed out, but this request answered %d (DestroyOthers %q; tab %s %d)", step, wt.Code, res, tabOp, wo.Code)
							}
						}
						if len(why) > 0 {
							bad = append(bad, fmt.Sprintf("step %d: %s: this %d %q; tab %s %d; browser %q, other %q, bob %q; live ada %d bob %d",
								step, strings.Join(why, ", "), wt.Code, res, tabOp, wo.Code, who, r.whoami(other), r.whoami(bob), r.live("ada"), r.live("bob")))
						}
						if !all {
							break
						}
					}
					if len(bad) > 0 {
						t.Errorf("%d orders break a promise:\n%s", len(bad), strings.Join(bad, "\n"))
					}
				})
			})
		}
	}
}

// TestAttackStaleRequestAfterOwnSwitchDestroyOthers (promise 1,
// reading "the session's user"): a request loads the browser's session as
// ada and is held; another tab switches the session to bob; the held
// request then calls DestroyOthers. The session it holds is bob's now.
// Observed behaviour is logged; the test fails if bob's sessions are
// touched (promise 4) or if ada's other device is ended by a request whose
// session has meanwhile become bob's (a strict reading of "the session's
// user").
func TestAttackStaleRequestAfterOwnSwitchDestroyOthers(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		othersRoute(r)
		id1, other := r.login("ada"), r.login("ada")
		bobDev := r.login("bob")
		release := othersAsync(r, id1, "g", "gate:g", "others")
		w2 := send(r.app, "POST", "/do", id1, ops("", "user:bob"))
		id2, _, _ := sidOf(w2, "sid")
		w := release()
		t.Logf("held ada request after the switch: answered %d, DestroyOthers said %q; browser (id2) %q, ada's other %q, bob's device %q",
			w.Code, othersResult(r), r.whoami(id2), r.whoami(other), r.whoami(bobDev))
		if r.whoami(id2) != "bob" || r.whoami(bobDev) != "bob" {
			t.Errorf("bob's sessions touched: browser %q, bob's device %q", r.whoami(id2), r.whoami(bobDev))
		}
		if r.whoami(other) != "ada" {
			t.Errorf("a request whose session had become bob's ended ada's other device (DestroyOthers said %q, answer %d)", othersResult(r), w.Code)
		}
	})
}

// TestAttackStaleRequestOfDestroyedSessionEndsNewLogin (promise 1,
// and promise 3's refusal as DestroyOthers inherits it): a request of
// ada's session id1 is held (a slow upload, say, by someone holding a
// stolen cookie). ada then logs out everywhere, or logs this session out,
// and logs in afresh on device D. The held request now calls
// DestroyOthers. The session it holds is gone; D did not exist when the
// session ended. Control: with no renew before the logout, the call is
// refused (the kept id names no stored record) and D lives. Attack: the
// same after a routine renew of id1 moments before the logout (so id1 is
// a tombstone, still stored): must behave the same.
func TestAttackStaleRequestOfDestroyedSessionEndsNewLogin(t *testing.T) {
	for _, c := range []struct {
		name   string
		renew  bool
		logout string // "everywhere" (DestroyUser) or "this" (Destroy with the browser's id)
	}{
		{"control: no renew, DestroyUser", false, "everywhere"},
		{"control: no renew, Destroy", false, "this"},
		{"renewed, DestroyUser", true, "everywhere"},
		{"renewed, Destroy", true, "this"},
	} {
		t.Run(c.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				othersRoute(r)
				id1 := r.login("ada")
				release := othersAsync(r, id1, "g", "gate:g", "others")
				cur := id1
				if c.renew {
					cur = r.renewOnce(id1)
				}
				if c.logout == "everywhere" {
					if _, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil {
						t.Fatal(err)
					}
				} else {
					send(r.app, "POST", "/do", cur, ops("", "destroy"))
				}
				if r.live("ada") != 0 {
					t.Fatalf("setup: ada still has %d sessions", r.live("ada"))
				}
				d := r.login("ada")
				w := release()
				if r.whoami(d) != "ada" || !strings.Contains(othersResult(r), "others-ended") {
					t.Errorf("a held request of a session logged out (%s) before ada's fresh login D: answered %d, DestroyOthers said %q; D is %q "+
						"(want DestroyOthers refused with ErrSessionEnded and D signed in)",
						c.logout, w.Code, othersResult(r), r.whoami(d))
				}
			})
		})
	}
}

// TestAttackDestroyOthersCookieManager: DestroyOthers on a cookie
// store session returns ErrNotSupported, as documented.
func TestAttackDestroyOthersCookieManager(t *testing.T) {
	app := itty.New()
	mgr, err := sessions.NewCookieManager(app, newCookie(t), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	var got error
	app.Post("/x", func(req *itty.Request) *itty.Response {
		s := mgr.Get(req)
		s.SetUser("ada")
		_, got = s.DestroyOthers(req.Context())
		return app.Render(req, "ok")
	})
	send(app, "POST", "/x", "", url.Values{})
	if !errors.Is(got, sessions.ErrNotSupported) {
		t.Errorf("DestroyOthers on a cookie session: %v, want ErrNotSupported", got)
	}
}

// TestAttackLoginWithOldIDAfterHeldLogoutKeepsOthers: a login handler
// ("log in and log out my other devices") that receives the
// old id of a renew chain whose middle id was logged out by a request held
// across the second renew. The login itself is stored (200, new cookie), so
// DestroyOthers must end ada's other device, not refuse with ErrSessionEnded.
func TestAttackLoginWithOldIDAfterHeldLogoutKeepsOthers(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		othersRoute(r)
		other := r.login("ada")
		id1 := r.login("ada")
		id2 := r.renewOnce(id1)
		held := r.async(id2, "lo", "destroy") // logout loaded id2
		r.renewOnce(id2)                      // another tab renews id2 -> id3
		if w := held(); w.Code != 200 {
			t.Fatalf("held logout: %d %s", w.Code, w.Body)
		}
		// a login request the browser sent with id1 (before id2 reached it)
		w := othersSend(r, id1, "renew", "user:ada", "others")
		nid, set, del := sidOf(w, "sid")
		t.Logf("login with old id: %d %q cookie=%v del=%v whoami(new)=%q whoami(other)=%q",
			w.Code, bodyOf(w), set, del, r.whoami(nid), r.whoami(other))
		if w.Code != 200 || !set || r.whoami(nid) != "ada" {
			t.Fatalf("login not stored: %d", w.Code)
		}
		if !strings.Contains(bodyOf(w), "others=1") || r.whoami(other) != "stranger" {
			t.Errorf("login stored as ada, but DestroyOthers: %q; other device still %q (want others=1, stranger)",
				bodyOf(w), r.whoami(other))
		}
	})
}

// TestAttackLoginWithOldIDAfterGiveUpKeepsOthers: the same, with the
// giveUp path: a renew stalls, a parallel write with the old
// id gives up on it (reserves its new id, ends the old tombstone), and a
// parallel login with the old id runs DestroyOthers.
func TestAttackLoginWithOldIDAfterGiveUpKeepsOthers(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		othersRoute(r)
		other := r.login("ada")
		id1 := r.login("ada")
		resume := r.stallRenew(id1, "renew")
		if w := send(r.app, "POST", "/do", id1, ops("", "set:x=1")); w.Code != 200 {
			t.Fatalf("parallel write: %d %s", w.Code, w.Body)
		}
		w := othersSend(r, id1, "renew", "user:ada", "others")
		rw := resume()
		nid, set, _ := sidOf(w, "sid")
		t.Logf("stalled renew: %d; login with old id: %d %q cookie=%v whoami(new)=%q whoami(other)=%q",
			rw.Code, w.Code, bodyOf(w), set, r.whoami(nid), r.whoami(other))
		if w.Code != 200 || !set || r.whoami(nid) != "ada" {
			t.Fatalf("login not stored: %d", w.Code)
		}
		if !strings.Contains(bodyOf(w), "others=1") || r.whoami(other) != "stranger" {
			t.Errorf("login stored as ada, but DestroyOthers: %q; other device still %q (want others=1, stranger)",
				bodyOf(w), r.whoami(other))
		}
	})
}

// TestAttackHeldWriteAfterRenewLogoutClearsReloginCookie: a write that
// loaded id1 before a routine renew commits after the renewed
// session was logged out and the browser logged in again. Like
// TestAttackForwardedWriteClearsReloginCookie: its 409 must leave the
// re-login's cookie alone. Also after a user switch (bob) instead of a renew.
func TestAttackHeldWriteAfterRenewLogoutClearsReloginCookie(t *testing.T) {
	for _, how := range []string{"renew", "user:bob"} {
		t.Run(how, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				held := r.async(id1, "held", "set:k=v")
				rw := send(r.app, "POST", "/do", id1, ops("", how))
				id2, _, _ := sidOf(rw, "sid")
				if lo := send(r.app, "POST", "/do", id2, ops("", "destroy")); lo.Code != 200 {
					t.Fatalf("logout: %d", lo.Code)
				}
				id3 := r.login("carol")
				w := held()
				_, set, del := sidOf(w, "sid")
				t.Logf("held write: %d %q set=%v del=%v", w.Code, bodyOf(w), set, del)
				if del {
					t.Errorf("the held write (%d %q) deletes the cookie, the re-login's (whoami %q)", w.Code, bodyOf(w), r.whoami(id3))
				}
			})
		})
	}
}

// TestAttackOldIDReadAfterRenewLogoutClearsCookie: a read that brings id1
// (sent before the renew's answer) arrives after the
// logout of id2 and a re-login: within the race window the cookie used to be
// left alone.
func TestAttackOldIDReadAfterRenewLogoutClearsCookie(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		id2 := r.renewOnce(id1)
		if lo := send(r.app, "POST", "/do", id2, ops("", "destroy")); lo.Code != 200 {
			t.Fatalf("logout: %d", lo.Code)
		}
		w := send(r.app, "GET", "/whoami", id1, nil)
		_, set, del := sidOf(w, "sid")
		t.Logf("read with old id after logout: %d %q set=%v del=%v", w.Code, bodyOf(w), set, del)
		if del {
			t.Errorf("a request with the old id of a renew moments ago clears the cookie")
		}
	})
}
