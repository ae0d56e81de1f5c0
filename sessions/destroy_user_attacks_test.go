package sessions_test

// Attacks on DestroyUser and DestroyUserExcept written from their
// documented promises (manager.go, docs/sessions.md "Both are final"):
//
//   - DestroyUser ends every session of the user and returns how many it
//     ended, one per session (a session cut halfway through a renew counts
//     once; a session listed under an old and a new id counts once);
//   - when it returns without error the user has no live session left that
//     existed when it started;
//   - DestroyUserExcept does the same for every session but keepID's, and
//     keeps the ids keepID was renamed to.
//
// Real stores only (memory, files); the hookStore of attacks_test.go wraps
// them to pause, observe or fail single calls.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

type actorKey struct{}

// actorCtx marks a context as the destroy's, so store hooks can tell its
// calls from a request's.
func actorCtx(name string) context.Context {
	return context.WithValue(context.Background(), actorKey{}, name)
}

func actorOf(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}

// renewOnce renews id with a routine renew and returns the new id.
func (r *rig) renewOnce(id string) string {
	r.t.Helper()
	w := send(r.app, "POST", "/do", id, ops("", "renew"))
	nid, set, _ := sidOf(w, "sid")
	if w.Code != 200 || !set {
		r.t.Fatalf("renew: %d %q", w.Code, w.Body.String())
	}
	return nid
}

// TestAttackDestroyUserCountsLoggedOutSession: a session is renewed (its
// old id is now a forwarding tombstone, listed under the user for two
// minutes) and then logged out with its new id. "Log out everywhere" must
// then not count it: the logout ended it, not the DestroyUser. Same for
// "log out my other devices" when the other device did that, and for a
// user the session was switched to.
func TestAttackDestroyUserCountsLoggedOutSession(t *testing.T) {
	for _, c := range []string{"DestroyUser", "DestroyUserExcept", "DestroyUser after a switch to bob"} {
		t.Run(c, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				user := "ada"
				this := r.login("ada")
				other := r.login("ada")
				var renewed string
				if c == "DestroyUser after a switch to bob" {
					user = "bob"
					w := send(r.app, "POST", "/do", other, ops("", "user:bob"))
					renewed, _, _ = sidOf(w, "sid")
				} else {
					renewed = r.renewOnce(other)
				}
				if lo := send(r.app, "POST", "/do", renewed, ops("", "destroy")); lo.Code != 200 {
					t.Fatalf("logout: %d %q", lo.Code, lo.Body.String())
				}
				before := r.live(user)
				var n int
				var err error
				switch c {
				case "DestroyUserExcept":
					before-- // this device is kept
					n, err = r.mgr.DestroyUserExcept(context.Background(), user, this)
				default:
					n, err = r.mgr.DestroyUser(context.Background(), user)
				}
				if err != nil || n != before {
					t.Errorf("%s(%q) after the other device renewed and logged out: ended %d, %v; "+
						"%q had %d live sessions to end, so it ended %d", c, user, n, err, user, before, before)
				}
			})
		})
	}
}

// TestAttackParallelDestroyUserCountsOneSessionTwice: one session, renewed
// moments ago, is listed under its old id (a tombstone) and its new one.
// Two "log out everywhere" calls run at once (two admins, or a password
// change and a reset). The first ends the new id; before it gets to the
// old id (to end its tombstone too), the second runs. Promise: the two
// counts add up to 1.
func TestAttackParallelDestroyUserCountsOneSessionTwice(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for range 64 {
			r := newRig(t, mk(t), sessions.Options{})
			old := r.login("ada")
			cur := r.renewOnce(old)
			var endedCur, ran atomic.Bool
			var n2 int
			var err2 error
			hook := func(ctx context.Context, op, id string) {
				if actorOf(ctx) != "first" {
					return
				}
				if op == "Update" && id == cur {
					endedCur.Store(true)
				}
				if op == "Update" && id == old && endedCur.Load() && ran.CompareAndSwap(false, true) {
					n2, err2 = r.mgr.DestroyUser(actorCtx("second"), "ada")
				}
			}
			r.store.beforeCall.Store(&hook)
			n1, err1 := r.mgr.DestroyUser(actorCtx("first"), "ada")
			r.store.beforeCall.Store(nil)
			if !ran.Load() {
				continue // the first listed the old id first: try another order
			}
			if err1 != nil || err2 != nil || n1+n2 != 1 || r.live("ada") != 0 {
				t.Fatalf("two DestroyUser at once over one session: the first ended %d (%v), the second %d (%v): "+
					"%d sessions ended in all, of one; live now %d", n1, err1, n2, err2, n1+n2, r.live("ada"))
			}
			return
		}
		t.Fatal("never got the order: the first DestroyUser always listed the old id first")
	})
}

// TestAttackDestroyBetweenRenewReservationAndRestore: a routine
// renew's create of the new record fails (the store refuses it, storing
// nothing). The renew then reserves the new id and is about to turn the
// old id's tombstone back into the session, so the browser keeps it. The
// destroy runs in that gap. The session was cut halfway through a renew
// (old id a tombstone, new record never written), and it is the destroy
// that ends it: had it not run, the session would live on. The promise:
// counted once. Both DestroyUser and "log out my other devices" for the
// renewing device.
func TestAttackDestroyBetweenRenewReservationAndRestore(t *testing.T) {
	for _, except := range []bool{false, true} {
		name := map[bool]string{false: "DestroyUser", true: "DestroyUserExcept"}[except]
		t.Run(name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				this := r.login("ada")
				victim := r.login("ada")
				// The victim's next renew: its create of the live record fails.
				r.store.beforeCreate.Store(onceCreate(notTomb, func(rec *sessions.Record) {
					id := rec.ID
					r.store.failID.Store(&id)
				}))
				var (
					updates atomic.Int32
					n       = -1
					err     error
					ran     atomic.Bool
				)
				hook := func(ctx context.Context, op, id string) {
					if actorOf(ctx) != "" || op != "Update" || id != victim {
						return
					}
					// Update 1 is the renew's first step; update 2 the restore,
					// after the failed create and the reservation.
					if updates.Add(1) == 2 && ran.CompareAndSwap(false, true) {
						if except {
							n, err = r.mgr.DestroyUserExcept(actorCtx("d"), "ada", this)
						} else {
							n, err = r.mgr.DestroyUser(actorCtx("d"), "ada")
						}
					}
				}
				r.store.beforeCall.Store(&hook)
				w := send(r.app, "POST", "/do", victim, ops("", "renew"))
				r.store.beforeCall.Store(nil)
				if !ran.Load() {
					t.Fatalf("the renew made %d updates of its old id; the hook never ran (answer %d %q)", updates.Load(), w.Code, w.Body.String())
				}
				want := 1
				if !except {
					want = 2
				}
				if err != nil || n != want {
					t.Errorf("%s during a renew cut halfway (create failed, new id reserved, restore next): ended %d, %v; want %d "+
						"(the victim's session, which the destroy stopped from being restored, counts once). renew answered %d; victim now %q",
						name, n, err, want, w.Code, r.whoami(victim))
				}
				if r.whoami(victim) != "stranger" {
					t.Errorf("the victim's session is live after %s", name)
				}
				if wantThis := map[bool]string{true: "ada", false: "stranger"}[except]; r.whoami(this) != wantThis {
					t.Errorf("this device is %q, want %q", r.whoami(this), wantThis)
				}
			})
		})
	}
}

// TestAttackRenewCreateFailsControl is the control for the test
// above: the same renew, whose create fails, with no destroy in its gap.
// The old id is restored: the session lives on, so in the test above it is
// the destroy that ends it.
func TestAttackRenewCreateFailsControl(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		victim := r.login("ada")
		r.store.beforeCreate.Store(onceCreate(notTomb, func(rec *sessions.Record) {
			id := rec.ID
			r.store.failID.Store(&id)
		}))
		w := send(r.app, "POST", "/do", victim, ops("", "renew"))
		if w.Code != 500 || r.whoami(victim) != "ada" || r.live("ada") != 1 {
			t.Fatalf("renew with a failing create: %d, old id %q, live %d (want 500, restored)", w.Code, r.whoami(victim), r.live("ada"))
		}
	})
}

// exceptRoute adds /except to r.app: a "log out my other devices"
// handler that first does the given ops to its session (a renew, a step-up
// RenewBoundary, a login) and then calls Session.DestroyOthers or, with
// form value call=except, DestroyUserExcept with the session's ID.
func (r *rig) exceptRoute() {
	r.app.Post("/except", func(req *itty.Request) *itty.Response {
		sess := r.mgr.Get(req)
		for _, op := range req.POST.GetList("op") {
			switch {
			case op == "renew":
				sess.Renew()
			case op == "renewb":
				sess.RenewBoundary()
			case strings.HasPrefix(op, "user:"):
				sess.SetUser(op[5:])
			}
		}
		var n int
		var err error
		if req.POST.Get("call") == "except" {
			n, err = r.mgr.DestroyUserExcept(req.Context(), sess.User(), sess.ID())
		} else {
			n, err = sess.DestroyOthers(req.Context())
		}
		if err != nil {
			return r.app.Render(req, "error "+err.Error())
		}
		for _, op := range req.POST.GetList("after") {
			switch op {
			case "renew":
				sess.Renew()
			case "renewb":
				sess.RenewBoundary()
			}
		}
		return r.app.Render(req, fmt.Sprintf("ended %d", n))
	})
}

// TestAttackSignOutOthersAfterRenewInSameHandler: a password change
// handler renews the session (Renew, or RenewBoundary for the change of
// privilege) and signs out the other devices. The renewed id reaches the
// store only at commit, so DestroyUserExcept(ctx, user, sess.ID()) would
// take this very session for another device's, end it, and answer 409:
// it must refuse, ending nothing. Session.DestroyOthers, which knows the
// id the request loaded, must keep this device and end the other.
func TestAttackSignOutOthersAfterRenewInSameHandler(t *testing.T) {
	for _, call := range []string{"others", "except"} {
		for _, op := range []string{"renew", "renewb", "after:renew", "after:renewb"} {
			t.Run(call+"/"+op, func(t *testing.T) {
				forStores(t, func(t *testing.T, mk storeMaker) {
					r := newRig(t, mk(t), sessions.Options{})
					r.exceptRoute()
					this := r.login("ada")
					other := r.login("ada")
					form := ops("", op)
					if after, ok := strings.CutPrefix(op, "after:"); ok {
						form = url.Values{"after": {after}} // the renew after the sign-out: the control
					}
					form.Set("call", call)
					w := send(r.app, "POST", "/except", this, form)
					kept, set, del := sidOf(w, "sid")
					body := strings.TrimSpace(w.Body.String())
					if !set || del {
						kept = this
					}
					wantBody, wantOther := "ended 1", "stranger"
					if call == "except" && !strings.HasPrefix(op, "after:") {
						// Refused, with the way out named, and nothing ended.
						wantBody, wantOther = "error sessions: DestroyUserExcept: no live session of the user has the id to keep", "ada"
					}
					if w.Code != 200 || !strings.HasPrefix(body, wantBody) || r.whoami(kept) != "ada" || r.whoami(other) != wantOther {
						t.Errorf("%s then %s: %d %q, cookie set %v deleted %v; this device %q, other %q (want 200, %q, this device ada, other %s)",
							op, call, w.Code, body, set, del, r.whoami(kept), r.whoami(other), wantBody, wantOther)
					}
				})
			})
		}
	}
}

// ---------------------------------------------------------------------
// Interleavings: one actor (the outer) runs; others (the inners) run whole
// just before the outer's store call number step. Every actor's store
// calls are told apart by a tag on their context.

// sendTagged is send with tag on the request's context.
func sendTagged(h http.Handler, path, id, tag string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "http://example.com"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.Header.Set("Cookie", "sid="+id)
	}
	req = req.WithContext(context.WithValue(req.Context(), actorKey{}, tag))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// browser is one device: the id it holds, updated by the answers it gets.
type browser struct{ id string }

func (b *browser) took(w *httptest.ResponseRecorder) {
	if v, set, del := sidOf(w, "sid"); set && !del {
		b.id = v
	} else if set && del {
		b.id = ""
	}
}

type inner struct {
	at  int // the outer's store call before which it runs
	run func()
}

// interleave runs outer (whose calls carry tag outerTag) with the inners
// placed at their steps; inners whose step never came run after it, in
// order. It reports whether every inner ran inside the outer.
func interleave(r *rig, outerTag string, outer func(), inners []inner) bool {
	var mu sync.Mutex
	calls := 0
	next := 0
	inside := true
	hook := func(ctx context.Context, op, id string) {
		if actorOf(ctx) != outerTag {
			return
		}
		mu.Lock()
		c := calls
		calls++
		var todo []func()
		for next < len(inners) && inners[next].at <= c {
			todo = append(todo, inners[next].run)
			next++
		}
		mu.Unlock()
		for _, f := range todo {
			f()
		}
	}
	r.store.beforeCall.Store(&hook)
	outer()
	r.store.beforeCall.Store(nil)
	mu.Lock()
	rest := inners[next:]
	if len(rest) > 0 {
		inside = false
	}
	mu.Unlock()
	for _, in := range rest {
		in.run()
	}
	return inside
}

// TestAttackExceptDuringRenewChainOfKept: "log out my other
// devices" for this device while this device's session is renewed twice in
// a row (a chain: the second renew uses the id the first one's answer
// gave), the renews placed at every pair of the destroy's store calls.
// Promise: this device stays signed in under whatever id it holds, the
// other ends, and the count is 1.
func TestAttackExceptDuringRenewChainOfKept(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for i := 0; i < 24; i++ {
			for j := i; j < 24; j++ {
				r := newRig(t, mk(t), sessions.Options{})
				this := &browser{r.login("ada")}
				keep := this.id
				other := r.login("ada")
				var n int
				var err error
				renew := func(tag string) func() {
					return func() { this.took(sendTagged(r.app, "/do", this.id, tag, ops("", "renew"))) }
				}
				all := interleave(r, "d", func() {
					n, err = r.mgr.DestroyUserExcept(actorCtx("d"), "ada", keep)
				}, []inner{{i, renew("r1")}, {j, renew("r2")}})
				if err != nil || n != 1 || r.whoami(this.id) != "ada" || r.whoami(other) != "stranger" || r.live("ada") != 1 {
					t.Fatalf("renews at steps %d,%d: ended %d, %v; this device (%s) %q, other %q, live %d",
						i, j, n, err, this.id[:6], r.whoami(this.id), r.whoami(other), r.live("ada"))
				}
				if !all {
					break
				}
			}
		}
	})
}

// TestAttackDestroyDuringRenewChainOfOther: DestroyUser and
// DestroyUserExcept while the other device's session is renewed twice in a
// row, at every pair of the destroy's store calls. Promise: the other
// device is signed out under whatever id it holds, nothing of ada's
// survives but the kept, and each session counts once.
func TestAttackDestroyDuringRenewChainOfOther(t *testing.T) {
	for _, except := range []bool{false, true} {
		t.Run(map[bool]string{false: "DestroyUser", true: "DestroyUserExcept"}[except], func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				for i := 0; i < 24; i++ {
					for j := i; j < 24; j++ {
						r := newRig(t, mk(t), sessions.Options{})
						this := r.login("ada")
						other := &browser{r.login("ada")}
						first := other.id
						var n int
						var err error
						renew := func(tag string) func() {
							return func() {
								if other.id != "" {
									other.took(sendTagged(r.app, "/do", other.id, tag, ops("", "renew")))
								}
							}
						}
						all := interleave(r, "d", func() {
							if except {
								n, err = r.mgr.DestroyUserExcept(actorCtx("d"), "ada", this)
							} else {
								n, err = r.mgr.DestroyUser(actorCtx("d"), "ada")
							}
						}, []inner{{i, renew("r1")}, {j, renew("r2")}})
						want := map[bool]int{false: 2, true: 1}[except]
						wantThis := map[bool]string{false: "stranger", true: "ada"}[except]
						held := other.id
						if held == "" {
							held = first
						}
						if err != nil || n != want || r.whoami(this) != wantThis || r.whoami(held) != "stranger" || r.live("ada") != 2-want {
							t.Fatalf("renews at steps %d,%d: ended %d, %v (want %d); this %q, other (%s) %q, live %d",
								i, j, n, err, want, r.whoami(this), held[:6], r.whoami(held), r.live("ada"))
						}
						if !all {
							break
						}
					}
				}
			})
		})
	}
}

// failNextLiveCreate makes the next Create of a live record (a renew's
// second step) fail, storing nothing, once.
func (r *rig) failNextLiveCreate() {
	r.store.beforeCreate.Store(onceCreate(notTomb, func(rec *sessions.Record) {
		id := rec.ID
		r.store.failID.Store(&id)
	}))
}

// TestAttackDestroyInterleavedWithFailingRenew: a routine renew
// whose create fails (the store refuses it once) runs against DestroyUser
// or DestroyUserExcept: the renew at every store call of the destroy, and
// the destroy at every store call of the renew; the renew is of this
// device's session (kept by DestroyUserExcept) or of the other device's.
// Promises: the kept session lives on, under whatever id the browser holds;
// every other session of ada's is gone; the count is one per session
// ended.
func TestAttackDestroyInterleavedWithFailingRenew(t *testing.T) {
	for _, call := range []string{"DestroyUser", "DestroyUserExcept"} {
		for _, who := range []string{"this device", "other device"} {
			for _, placed := range []string{"renew inside destroy", "destroy inside renew"} {
				if call == "DestroyUser" && who == "this device" {
					continue // the same as the other device
				}
				t.Run(call+"/"+who+"/"+placed, func(t *testing.T) {
					forStores(t, func(t *testing.T, mk storeMaker) {
						var bad []string
						for step := 0; step < 40; step++ {
							r := newRig(t, mk(t), sessions.Options{})
							this := &browser{r.login("ada")}
							other := &browser{r.login("ada")}
							keep := this.id
							renewing := other
							if who == "this device" {
								renewing = this
							}
							r.failNextLiveCreate()
							var n int
							var err error
							var renewAnswer int
							renew := func() {
								w := sendTagged(r.app, "/do", renewing.id, "r", ops("", "renew"))
								renewAnswer = w.Code
								renewing.took(w)
							}
							destroy := func() {
								if call == "DestroyUserExcept" {
									n, err = r.mgr.DestroyUserExcept(actorCtx("d"), "ada", keep)
								} else {
									n, err = r.mgr.DestroyUser(actorCtx("d"), "ada")
								}
							}
							var all bool
							if placed == "renew inside destroy" {
								all = interleave(r, "d", destroy, []inner{{step, renew}})
							} else {
								all = interleave(r, "r", renew, []inner{{step, destroy}})
							}
							want := map[string]int{"DestroyUser": 2, "DestroyUserExcept": 1}[call]
							wantThis := map[string]string{"DestroyUser": "stranger", "DestroyUserExcept": "ada"}[call]
							thisID, otherID := this.id, other.id
							if thisID == "" {
								thisID = keep
							}
							if err != nil || n != want || r.whoami(thisID) != wantThis || r.whoami(otherID) != "stranger" || r.live("ada") != 2-want {
								bad = append(bad, fmt.Sprintf("step %d: ended %d, %v (want %d); renew %d; this %q, other %q, live %d",
									step, n, err, want, renewAnswer, r.whoami(thisID), r.whoami(otherID), r.live("ada")))
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
}

// TestAttackUserSwitchRacesDestroyUser: ada's session logs in as
// bob (SetUser("bob"), a renew across a boundary) while DestroyUser("ada")
// runs, the switch at every store call of the destroy and the destroy at
// every store call of the switch, with the switch's create working or
// failing once. Promises: ada has no live session afterwards; bob has one
// if and only if the switch answered 200; the destroy counts ada's session
// at most once, and not at all if the switch won (the session is bob's).
func TestAttackUserSwitchRacesDestroyUser(t *testing.T) {
	for _, failing := range []bool{false, true} {
		for _, placed := range []string{"switch inside destroy", "destroy inside switch"} {
			t.Run(fmt.Sprintf("%s/create fails %v", placed, failing), func(t *testing.T) {
				forStores(t, func(t *testing.T, mk storeMaker) {
					var bad []string
					for step := 0; step < 40; step++ {
						r := newRig(t, mk(t), sessions.Options{})
						dev := &browser{r.login("ada")}
						send(r.app, "POST", "/do", dev.id, ops("", "set:k=ada-data"))
						if failing {
							r.failNextLiveCreate()
						}
						var n int
						var err error
						var sw *httptest.ResponseRecorder
						doSwitch := func() {
							sw = sendTagged(r.app, "/do", dev.id, "s", ops("", "user:bob"))
							dev.took(sw)
						}
						destroy := func() { n, err = r.mgr.DestroyUser(actorCtx("d"), "ada") }
						var all bool
						if placed == "switch inside destroy" {
							all = interleave(r, "d", destroy, []inner{{step, doSwitch}})
						} else {
							all = interleave(r, "s", doSwitch, []inner{{step, destroy}})
						}
						wantBob := 0
						if sw.Code == 200 {
							wantBob = 1
						}
						// A switch that carried ada's session over (its data) won: the
						// session is bob's, and the destroy ended nothing. A switch
						// that found ada's session gone logged in afresh.
						carried := sw.Code == 200 && r.value(dev.id, "k") == "ada-data"
						ok := err == nil && r.live("ada") == 0 && r.live("bob") == wantBob && n <= 1 && !(carried && n != 0)
						if !failing && !carried && n != 1 {
							ok = false // the switch lost: the destroy ended ada's session
						}
						if !ok {
							bad = append(bad, fmt.Sprintf("step %d: ended %d, %v; switch %d %q; live ada %d, bob %d",
								step, n, err, sw.Code, strings.TrimSpace(sw.Body.String()), r.live("ada"), r.live("bob")))
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

// TestAttackDestroyUserCountsExpiredSession: a session is renewed (its
// old id is now a forwarding tombstone, listed under the user for two
// minutes), and the renewed session then ends by its idle timeout (30 s
// here) while the tombstone is still listed. The user has no
// live session; DestroyUser must say it ended none.
func TestAttackDestroyUserCountsExpiredSession(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{IdleTimeout: 30 * time.Second, StoreTimeout: time.Second})
			id := r.login("ada")
			r.renewOnce(id)
			time.Sleep(45 * time.Second)
			if l := r.live("ada"); l != 0 {
				t.Fatalf("live after the idle timeout: %d", l)
			}
			if n, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil || n != 0 {
				t.Errorf("DestroyUser of a user whose only session expired: ended %d, %v; want 0", n, err)
			}
		})
	})
}

// TestAttackTwoDestroyUserEveryOrder: two DestroyUser("ada") at once,
// the second at every store call of the first, over two plain sessions, or
// over one plain and one renewed moments ago (listed under its old and its
// new id). Promise: none is left, and, over plain sessions, each counts
// the sessions it ended, so the two counts add up to the sessions there
// were. Over the renewed one, an order remains in which the two count it
// once each (docs/sessions.md says so): the second ends it while the first
// is between its tombstone and its new id, and the first then takes the
// missing new id for a renew still to come.
func TestAttackTwoDestroyUserEveryOrder(t *testing.T) {
	for _, renewed := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "one renewed"}[renewed], func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				var bad []string
				for step := 0; step < 40; step++ {
					r := newRig(t, mk(t), sessions.Options{})
					r.login("ada")
					b := r.login("ada")
					if renewed {
						r.renewOnce(b)
					}
					var n1, n2 int
					var e1, e2 error
					all := interleave(r, "d1", func() { n1, e1 = r.mgr.DestroyUser(actorCtx("d1"), "ada") },
						[]inner{{step, func() { n2, e2 = r.mgr.DestroyUser(actorCtx("d2"), "ada") }}})
					if e1 != nil || e2 != nil || (n1+n2 != 2 && !(renewed && n1+n2 == 3)) || r.live("ada") != 0 {
						bad = append(bad, fmt.Sprintf("step %d: the first ended %d (%v), the second %d (%v): %d of 2; live %d",
							step, n1, e1, n2, e2, n1+n2, r.live("ada")))
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

// TestAttackHeldRequestsAfterDestroyUser: requests of ada's
// session load it, DestroyUser("ada") runs, then they commit: a write, a
// routine renew, a boundary renew, a switch to bob, a switch to nobody, a
// renew with a write. Promise: none brings a session back, under ada or
// under anyone, and none carries ada's data into a new session.
func TestAttackHeldRequestsAfterDestroyUser(t *testing.T) {
	held := [][]string{{"set:x=1"}, {"renew"}, {"renewb"}, {"user:bob"}, {"user:"}, {"renew", "set:y=2"}, {"remember"}, {"renew", "user:bob", "set:z=3"}}
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id := r.login("ada")
		send(r.app, "POST", "/do", id, ops("", "set:secret=ada"))
		var release []func() *httptest.ResponseRecorder
		for i, op := range held {
			release = append(release, r.async(id, fmt.Sprintf("h%d", i), op...))
		}
		n, err := r.mgr.DestroyUser(context.Background(), "ada")
		if err != nil || n != 1 {
			t.Fatalf("DestroyUser: %d %v", n, err)
		}
		for i, f := range release {
			w := f()
			v, set, del := sidOf(w, "sid")
			if set && !del && (r.whoami(v) != "stranger" || r.value(v, "secret") != "") {
				t.Errorf("held %v after DestroyUser: %d, cookie names %q with secret %q", held[i], w.Code, r.whoami(v), r.value(v, "secret"))
			}
		}
		if r.live("ada") != 0 || r.live("bob") != 0 || r.whoami(id) != "stranger" {
			t.Errorf("after the held requests: ada %d, bob %d live, old id %q", r.live("ada"), r.live("bob"), r.whoami(id))
		}
	})
}

// TestAttackExceptWithOddKeepIDs: DestroyUserExcept with a keepID that is
// forged, bob's, an ada id that was switched to bob, a tombstone of ada's
// other device, not an id at all, a path, or empty. Promises: a keepID
// that names no live session of ada's (forged, not an id, a path, bob's,
// one switched to bob) or none at all is refused, ending nothing;
// otherwise every session of ada's but
// keepID's (and its renames) ends; another user's session is never
// touched; the count is one per session ended.
func TestAttackExceptWithOddKeepIDs(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for _, c := range []string{"forged", "bob's", "switched to bob", "not an id", "path", "empty", "other's old id"} {
			r := newRig(t, mk(t), sessions.Options{})
			a1, a2 := r.login("ada"), r.login("ada")
			bob := r.login("bob")
			switched := r.login("ada")
			w := send(r.app, "POST", "/do", switched, ops("", "user:bob"))
			bob2, _, _ := sidOf(w, "sid")
			var keep string
			wantN, wantA1 := 2, "stranger"
			switch c {
			case "forged":
				keep = sessions.NewID()
			case "bob's":
				keep = bob
			case "switched to bob":
				keep = switched
			case "not an id":
				keep = "x"
			case "path":
				keep = "../../sessions/" + strings.Repeat("a", 40)
			case "empty":
				keep = ""
			case "other's old id":
				a1new := r.renewOnce(a1)
				keep = a1
				wantN, wantA1 = 1, "ada"
				a1 = a1new
			}
			n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", keep)
			switch c {
			case "empty", "forged", "not an id", "path", "bob's", "switched to bob":
				if err == nil || n != 0 || r.live("ada") != 2 || (c != "empty" && !errors.Is(err, sessions.ErrNotFound)) {
					t.Errorf("keepID %s: ended %d, %v, live %d; want it refused (ErrNotFound but for empty), ending nothing", c, n, err, r.live("ada"))
				}
				continue
			}
			if err != nil || n != wantN || r.whoami(a1) != wantA1 || r.whoami(a2) != "stranger" || r.whoami(bob) != "bob" || r.whoami(bob2) != "bob" {
				t.Errorf("keepID %s: ended %d, %v (want %d); a1 %q, a2 %q, bob %q, bob2 %q", c, n, err, wantN,
					r.whoami(a1), r.whoami(a2), r.whoami(bob), r.whoami(bob2))
			}
		}
	})
}

// TestAttackExceptWithStalledRenews: DestroyUserExcept(this
// device's id) while a renew is stalled between its two steps (the old id a
// tombstone, the new record not yet created): of this device (its new id
// must be kept: the browser gets it) or of the other device (it must never
// be created).
func TestAttackExceptWithStalledRenews(t *testing.T) {
	for _, who := range []string{"this device", "other device"} {
		t.Run(who, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				this, other := r.login("ada"), r.login("ada")
				renewing := map[string]string{"this device": this, "other device": other}[who]
				resume := r.stallRenew(renewing, "renew")
				n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", this)
				w := resume()
				holds := renewing
				if v, set, del := sidOf(w, "sid"); set && !del {
					holds = v
				}
				thisHeld, otherHeld := this, other
				if who == "this device" {
					thisHeld = holds
				} else {
					otherHeld = holds
				}
				if err != nil || n != 1 || r.whoami(thisHeld) != "ada" || r.whoami(otherHeld) != "stranger" || r.live("ada") != 1 {
					t.Errorf("ended %d, %v; renew %d; this %q, other %q, live %d", n, err, w.Code, r.whoami(thisHeld), r.whoami(otherHeld), r.live("ada"))
				}
			})
		})
	}
}

// TestAttackExceptWithKeepIDOlderThanTombstone: a "log out my other
// devices" request loaded this device's session as id1; another tab
// renewed it to id2 meanwhile, and the request calls DestroyUserExcept with
// id1 only after id1's tombstone (two minutes) is gone, as a slow request
// (or a handler that waits on something) might. The Manager can no longer
// tell that id2 is id1 renewed; taking id2 for another device's would sign
// this device out. Promise: the call is refused with ErrNotFound, and
// nothing ends.
func TestAttackExceptWithKeepIDOlderThanTombstone(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{StoreTimeout: time.Second})
			id1 := r.login("ada")
			other := r.login("ada")
			id2 := r.renewOnce(id1)
			time.Sleep(3 * time.Minute)
			send(r.app, "GET", "/whoami", id2, nil)
			send(r.app, "GET", "/whoami", other, nil)
			n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", id1)
			if !errors.Is(err, sessions.ErrNotFound) || n != 0 || r.whoami(id2) != "ada" || r.whoami(other) != "ada" {
				t.Errorf("DestroyUserExcept(an id whose tombstone expired): ended %d, %v; this device (id2) %q, other %q "+
					"(want refused with ErrNotFound, both still ada)", n, err, r.whoami(id2), r.whoami(other))
			}
		})
	})
}
