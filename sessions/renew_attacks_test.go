package sessions_test

// Attacks on a renew the store cuts short or slows down: an outage, a
// crash, a create whose answer is lost, a stall past StoreTimeout, and
// requests that bring the old id meanwhile, the browser's own or an
// attacker's. The promises: nobody is locked out, nothing the store can
// still keep is lost, and an old id never acts on the session a renew
// made of it.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ittygo/itty/sessions"
)

// TestAttackRenewCutBetweenItsSteps: the store fails a login's renew
// after its first step (the old id becomes a tombstone naming the new id),
// at its second (the new record), as an outage or a crash can. The promise:
// the user is never locked out, and nothing is lost that the store can
// still keep. If the record was stored and only the answer lost, the
// renew went through (200, the new cookie). If nothing was stored and the
// store answers again at once, the renew is undone: a 500, and the old id
// is the session it was, values and all. If the store stays down, the old
// id's session is lost with the renew, but the browser's next login with
// it works (200, a new cookie) rather than answer 409 for the two minutes
// the tombstone lives. In no case does a session live under the new id of
// a renew that answered 500, nor can a late create of it succeed.
func TestAttackRenewCutBetweenItsSteps(t *testing.T) {
	for _, fault := range []struct {
		name     string
		kind     int32
		wantCode int
		oldUser  string // whoami with the old id after the cut renew
	}{
		{"answer lost", createAnswerLost, http.StatusOK, "stranger"},
		{"nothing stored, store back", createRefusedLive, http.StatusInternalServerError, "ada"},
		{"nothing stored, store down", createRefused, http.StatusInternalServerError, "stranger"},
	} {
		t.Run(fault.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				if w := send(r.app, "POST", "/do", id1, ops("", "set:cart=apple")); w.Code != 200 {
					t.Fatalf("set: %d", w.Code)
				}
				r.store.createFault.Store(fault.kind)
				cut := send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada"))
				r.store.createFault.Store(createOK)
				lost := r.store.failed.Load()
				if cut.Code != fault.wantCode || lost == nil {
					t.Fatalf("the cut renew: %d %q, want %d", cut.Code, strings.TrimSpace(cut.Body.String()), fault.wantCode)
				}
				if got := r.whoami(id1); got != fault.oldUser {
					t.Errorf("whoami with the old id after the cut renew: %q, want %q", got, fault.oldUser)
				}
				if fault.wantCode == http.StatusOK {
					id2, set, _ := sidOf(cut, "sid")
					if !set || id2 != lost.ID || r.whoami(id2) != "ada" || r.value(id2, "cart") != "apple" {
						t.Errorf("the renew whose answer was lost: cookie %q (set %v), want %q with ada's session and cart", id2, set, lost.ID)
					}
					if err := r.store.Store.Create(context.Background(), lost); !errors.Is(err, sessions.ErrExists) {
						t.Errorf("creating the renew's record again: %v, want ErrExists", err)
					}
					return
				}
				if fault.oldUser == "ada" && r.value(id1, "cart") != "apple" {
					t.Errorf("the undone renew lost the cart: %q", r.value(id1, "cart"))
				}
				if got := r.whoami(lost.ID); got != "stranger" {
					t.Errorf("the cut renew's new id is a session of %q", got)
				}
				again := send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada"))
				id3, set, deleted := sidOf(again, "sid")
				if again.Code != 200 || !set || deleted {
					t.Fatalf("login after the cut renew: %d %q, cookie set %v (want 200 and a new cookie)", again.Code, strings.TrimSpace(again.Body.String()), set)
				}
				if got := r.whoami(id3); got != "ada" {
					t.Errorf("whoami after the new login: %q", got)
				}
				if err := r.store.Store.Create(context.Background(), lost); !errors.Is(err, sessions.ErrExists) {
					t.Errorf("creating the cut renew's record later: %v, want ErrExists (its id reserved)", err)
				}
			})
		})
	}
}

// TestAttackLoginRacingStalledRenew: a renew stalls between its two steps
// for longer than a login with the old id waits for it. The login gets a
// session of its own (200, a new cookie); the stalled renew, whose new id
// the login reserved, then fails, and its 409 must not delete the cookie
// the login just set.
func TestAttackLoginRacingStalledRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		resumeRenew := r.stallRenew(id1, "renew")
		login := send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada"))
		rw := resumeRenew()
		id3, set, _ := sidOf(login, "sid")
		if login.Code != 200 || !set || r.whoami(id3) != "ada" {
			t.Fatalf("login racing a stalled renew: %d %q, cookie set %v", login.Code, strings.TrimSpace(login.Body.String()), set)
		}
		if _, _, deleted := sidOf(rw, "sid"); rw.Code != http.StatusConflict || deleted {
			t.Errorf("the stalled renew after the login: %d, deletes cookie: %v (want 409, cookie kept)", rw.Code, deleted)
		}
	})
}

// TestAttackStoreStallPastTimeoutDuringRenew: the store stalls for longer
// than StoreTimeout at a login's create, and the create lands after the
// Manager gave up on it (500). The browser never got the new id; the
// server cannot tell it from a browser whose parallel request raced a
// renew that worked, so a login with the old id is refused (409, cookie
// left alone) while a request could still be racing the renew, and works
// once that window has passed, instead of for the two minutes the
// tombstone lives. (The late record is a session nobody holds; it ends at
// its idle timeout, as any write whose answer is lost.)
func TestAttackStoreStallPastTimeoutDuringRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			const timeout = 100 * time.Millisecond
			r := newRig(t, mk(t), sessions.Options{StoreTimeout: timeout})
			id1 := r.login("ada")
			var slow atomic.Bool
			stall := func(rec *sessions.Record) {
				if !rec.IsTombstone() {
					slow.Store(true)
				}
				if slow.Load() {
					time.Sleep(3 * timeout)
				}
			}
			r.store.beforeCreate.Store(&stall)
			cut := send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada"))
			time.Sleep(6 * timeout) // the late writes land
			synctest.Wait()
			r.store.beforeCreate.Store(nil)
			if cut.Code != http.StatusInternalServerError {
				t.Fatalf("the stalled renew: %d, want 500", cut.Code)
			}
			loginRefusedThenAllowed(t, r, id1, 2*timeout+10*time.Second, "renew", "user:ada")
		})
	})
}

// TestAttackSlowStoreStretchesRenewWait: a write with the old id of a
// stalled renew waits for it at most about renewGap (half a second) of
// clock time, however slow each of the store's answers is.
func TestAttackSlowStoreStretchesRenewWait(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		resumeRenew := r.stallRenew(id1, "renew")
		r.store.loadDelay.Store(int64(3 * time.Millisecond))
		start := time.Now()
		w := send(r.app, "POST", "/do", id1, ops("", "set:cart=apple"))
		took := time.Since(start)
		r.store.loadDelay.Store(0)
		resumeRenew()
		if took > time.Second {
			t.Errorf("a write with the old id of a stalled renew waited %v (answer %d), want about half a second", took.Round(time.Millisecond), w.Code)
		}
	})
}

// TestAttackLogoutWithJustRenewedID: a logout that carries the id a renew
// replaced moments ago (it raced the renew, or was sent before its answer
// arrived) cannot name the session, which lives on under the new id. It
// must not answer as a logout that happened (200, cookie cleared) while
// the renewed session stays live: it is a 409 that leaves the cookie
// alone, and the client's retry with the new id logs out. If the renew
// has not finished within half a second, the logout ends it instead: 200,
// and no session is left.
func TestAttackLogoutWithJustRenewedID(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for _, op := range []string{"renew", "renewb"} {
			t.Run("after "+op, func(t *testing.T) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", op)), "sid")
				lo := send(r.app, "POST", "/do", id1, ops("", "destroy"))
				if _, _, del := sidOf(lo, "sid"); lo.Code != http.StatusConflict || del {
					t.Errorf("logout with the just-renewed id: %d %q, clears cookie %v (want 409, cookie kept)", lo.Code, strings.TrimSpace(lo.Body.String()), del)
				}
				if got := r.whoami(id2); got != "ada" {
					t.Errorf("the renewed session after the refused logout: %q", got)
				}
				if retry := send(r.app, "POST", "/do", id2, ops("", "destroy")); retry.Code != 200 || r.whoami(id2) != "stranger" {
					t.Errorf("the retried logout: %d, whoami %q", retry.Code, r.whoami(id2))
				}
			})
		}
		t.Run("during a stalled renew", func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{})
			id1 := r.login("ada")
			resumeRenew := r.stallRenew(id1, "renew")
			lo := send(r.app, "POST", "/do", id1, ops("", "destroy"))
			renew := resumeRenew()
			id2, _, _ := sidOf(renew, "sid")
			if _, _, del := sidOf(lo, "sid"); lo.Code != 200 || !del {
				t.Errorf("logout during a renew stalled past half a second: %d, clears cookie %v (want 200, cleared)", lo.Code, del)
			}
			if renew.Code != http.StatusConflict || r.live("ada") != 0 || (id2 != "" && r.whoami(id2) == "ada") {
				t.Errorf("the stalled renew after the logout: %d, live sessions of ada %d (want 409 and none)", renew.Code, r.live("ada"))
			}
		})
	})
}

// TestAttackForwardedWriteClearsReloginCookie: a routine renew is cut
// short (or stalls), the browser logs in again with the old id and gets a
// new cookie; then a write that loaded the old id before the renew commits,
// follows the renew's tombstone and finds the id the re-login reserved.
// Its 409 must leave the browser's cookie, the re-login's, alone.
func TestAttackForwardedWriteClearsReloginCookie(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		for _, mode := range []string{"cut", "stalled"} {
			t.Run(mode, func(t *testing.T) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				held := r.async(id1, "held", "set:k=v")
				var stalled chan *httptest.ResponseRecorder
				resume := make(chan struct{})
				if mode == "cut" {
					r.store.createFault.Store(createRefused)
					if cut := send(r.app, "POST", "/do", id1, ops("", "renew")); cut.Code != 500 {
						t.Fatalf("cut renew: %d", cut.Code)
					}
					r.store.createFault.Store(createOK)
				} else {
					inCreate := make(chan struct{})
					r.store.beforeCreate.Store(onceCreate(notTomb, func(*sessions.Record) { close(inCreate); <-resume }))
					stalled = make(chan *httptest.ResponseRecorder, 1)
					go func() { stalled <- send(r.app, "POST", "/do", id1, ops("", "renew")) }()
					<-inCreate
				}
				login := send(r.app, "POST", "/do", id1, ops("", "renew", "user:ada"))
				id3, set, _ := sidOf(login, "sid")
				if login.Code != 200 || !set {
					t.Fatalf("re-login: %d", login.Code)
				}
				w := held()
				close(resume)
				if stalled != nil {
					<-stalled
				}
				if _, _, del := sidOf(w, "sid"); del {
					t.Errorf("the held write (%d %q) deletes the cookie, the re-login's (whoami %q)", w.Code, strings.TrimSpace(w.Body.String()), r.whoami(id3))
				}
			})
		}
	})
}

// TestAttackWriteForwardedIntoLostAnswerRenew: a routine renew's create
// lands but its answer is lost; before the renew finds out, a write that
// loaded the old id follows the tombstone into the new record. A write
// answered 200 must not be lost: the renew goes on with that record.
func TestAttackWriteForwardedIntoLostAnswerRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		held := r.async(id1, "held", "set:cart=apple")
		paused, resume := make(chan struct{}), make(chan struct{})
		var once atomic.Bool
		pause := func(rec *sessions.Record) { // at the renew's check after the lost answer
			if rec.IsTombstone() && r.store.failed.Load() != nil && once.CompareAndSwap(false, true) {
				close(paused)
				<-resume
			}
		}
		r.store.beforeCreate.Store(&pause)
		r.store.createFault.Store(createAnswerLost)
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- send(r.app, "POST", "/do", id1, ops("", "renew")) }()
		<-paused
		r.store.createFault.Store(createOK)
		w := held()
		close(resume)
		renew := <-done
		id2, _, _ := sidOf(renew, "sid")
		if w.Code == 200 && r.value(id2, "cart") != "apple" {
			t.Errorf("a write answered 200 is lost: renew %d, cart under the renew's cookie %q", renew.Code, r.value(id2, "cart"))
		}
		if renew.Code != 200 || r.whoami(id2) != "ada" {
			t.Errorf("the renew whose answer was lost: %d, whoami %q", renew.Code, r.whoami(id2))
		}
	})
}

// TestAttackLostLoginAnswerLocksOut: a login (a renew of an anonymous
// session into ada's) succeeds, but its answer never reaches the browser,
// a dropped connection. The browser, still holding the old id, logs in
// again: refused (409, cookie left alone) while it could be a request
// racing the login, then, once the window has passed, it works, every
// time; it is never refused for the two minutes the tombstone lives.
func TestAttackLostLoginAnswerLocksOut(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{StoreTimeout: time.Second})
			id1, _, _ := sidOf(send(r.app, "POST", "/do", "", ops("", "set:cart=1")), "sid")
			_ = send(r.app, "POST", "/do", id1, ops("", "user:ada")) // its answer is lost
			loginRefusedThenAllowed(t, r, id1, 2*time.Second+10*time.Second, "user:ada")
		})
	})
}

// TestAttackOldIDLoginLosesWrites: the browser's session is renewed, it
// writes to the renewed session (200), and then a login it had sent with
// the old id arrives. The login must not replace the renewed session, and
// the write answered 200 with it, by a blank one: it is refused (409) and
// the client's retry with the new id logs in with everything kept.
func TestAttackOldIDLoginLosesWrites(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1, _, _ := sidOf(send(r.app, "POST", "/do", "", ops("", "set:cart=apple")), "sid")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
		if w := send(r.app, "POST", "/do", id2, ops("", "set:k=v")); w.Code != 200 {
			t.Fatalf("write: %d", w.Code)
		}
		late := send(r.app, "POST", "/do", id1, ops("", "user:ada"))
		if _, set, _ := sidOf(late, "sid"); late.Code != http.StatusConflict || set {
			t.Errorf("the login with the old id: %d, sets a cookie %v (want 409, the cookie left alone)", late.Code, set)
		}
		retry := send(r.app, "POST", "/do", id2, ops("", "renew", "user:ada"))
		id3, _, _ := sidOf(retry, "sid")
		if retry.Code != 200 || r.whoami(id3) != "ada" || r.value(id3, "k") != "v" || r.value(id3, "cart") != "apple" {
			t.Errorf("the retried login: %d, whoami %q, k=%q cart=%q", retry.Code, r.whoami(id3), r.value(id3, "k"), r.value(id3, "cart"))
		}
	})
}

// TestAttackUserSwitchRestoreAfterDestroy: a renew that changes the user
// (ada's session becomes bob's) fails at its create, while DestroyUser(ada)
// or ada's logout runs between its two steps. ada must have no live
// session afterwards: the failed switch must not bring ada's old session
// back after a DestroyUser that answered success.
func TestAttackUserSwitchRestoreAfterDestroy(t *testing.T) {
	for _, how := range []string{"DestroyUser", "logout"} {
		t.Run(how, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				var logout func() *httptest.ResponseRecorder
				if how == "logout" {
					logout = r.async(id1, "logout", "destroy")
				}
				r.store.createFault.Store(createRefusedLive)
				resumeRenew := r.stallRenew(id1, "user:bob")
				if how == "DestroyUser" {
					if _, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil {
						t.Fatal(err)
					}
				} else if w := logout(); w.Code != 200 && w.Code != http.StatusConflict {
					// A 409 is right too: the logout met the switch's
					// tombstone, a session that is bob's now.
					t.Fatalf("logout: %d", w.Code)
				}
				switched := resumeRenew()
				r.store.createFault.Store(createOK)
				if got := r.whoami(id1); got != "stranger" || r.live("ada") != 0 {
					t.Errorf("%s succeeded, then the failed switch (%d) left ada's session live: whoami %q, live %d", how, switched.Code, got, r.live("ada"))
				}
			})
		})
	}
}

// TestAttackOldIDWithLongStoreTimeout: with a long StoreTimeout the window
// in which an old id counts as racing its renew is long too, but never
// longer than the tombstone that tells it so: within it, a read with the
// old id leaves the browser's cookie alone; past the tombstone's two
// minutes, the old id is a gone session.
func TestAttackOldIDWithLongStoreTimeout(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{StoreTimeout: time.Minute})
			id1 := r.login("ada")
			id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
			time.Sleep(110 * time.Second) // in the window: the tombstone still tells
			if _, _, del := sidOf(send(r.app, "GET", "/whoami", id1, nil), "sid"); del {
				t.Errorf("a read with an id renewed 110 s ago clears the cookie; the browser may hold %s…", id2[:6])
			}
			time.Sleep(15 * time.Second) // past the tombstone's two minutes
			wr := send(r.app, "POST", "/do", id1, ops("", "set:cart=apple"))
			if wr.Code != 200 || r.whoami(id2) != "ada" {
				t.Errorf("a write with an id renewed 125 s ago: %d (want 200, a gone session), the renewed session %q", wr.Code, r.whoami(id2))
			}
		})
	})
}

// TestAttackDestroyUserExceptEndsKeptTombstone: "sign out my other
// devices" right after one or two routine renews of this device must leave
// this device's older ids alone: a parallel request with one must not
// clear the cookie, and a write that loaded the first must still be
// forwarded into the kept session.
func TestAttackDestroyUserExceptEndsKeptTombstone(t *testing.T) {
	for _, renews := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d renews", renews), func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				other := r.login("ada")
				held := r.async(id1, "held", "set:k=v")
				kept := id1
				for range renews {
					kept, _, _ = sidOf(send(r.app, "POST", "/do", kept, ops("", "renew")), "sid")
				}
				n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", kept)
				if err != nil || n != 1 || r.whoami(other) != "stranger" || r.whoami(kept) != "ada" {
					t.Fatalf("DestroyUserExcept: %d %v", n, err)
				}
				if _, _, del := sidOf(send(r.app, "GET", "/whoami", id1, nil), "sid"); del {
					t.Errorf("a read with this device's id of %d renews ago clears the cookie", renews)
				}
				w := held()
				if _, _, del := sidOf(w, "sid"); w.Code != 200 || del || r.value(kept, "k") != "v" {
					t.Errorf("the held write of the first id: %d, clears the cookie %v, k=%q (want 200, forwarded)", w.Code, del, r.value(kept, "k"))
				}
			})
		})
	}
}

// TestAttackStolenOldIDCancelsVictimRenew: an attacker holds an id the
// victim's session was renewed away from. When the victim's next renew
// stalls, a request with the stolen id must not cancel it: the victim's
// renew succeeds and the victim stays logged in.
func TestAttackStolenOldIDCancelsVictimRenew(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		stolen := r.login("ada")
		id2, _, _ := sidOf(send(r.app, "POST", "/do", stolen, ops("", "renew")), "sid")
		resumeRenew := r.stallRenew(id2, "renew")
		for _, op := range [][]string{{"set:x=1"}, {"destroy"}, {"renew", "user:mallory"}} {
			send(r.app, "POST", "/do", stolen, ops("", op...))
		}
		victim := resumeRenew()
		id3, _, _ := sidOf(victim, "sid")
		if victim.Code != 200 || r.whoami(id3) != "ada" || r.value(id3, "x") != "" {
			t.Errorf("requests with the stolen id reached the victim's renew: %d, whoami %q, x=%q", victim.Code, r.whoami(id3), r.value(id3, "x"))
		}
	})
}

// TestAttackLongRequestOutlivesTombstone: a write (a slow upload, say)
// loads the session, a routine renew moves it to a new id, and the write
// commits only after the renew's tombstone has expired. The write cannot
// be saved, but its 409 must not delete the cookie: the browser holds the
// renewed id, which is live.
func TestAttackLongRequestOutlivesTombstone(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, mk(t), sessions.Options{StoreTimeout: time.Second})
			id1 := r.login("ada")
			held := r.async(id1, "held", "set:k=v")
			id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", "renew")), "sid")
			time.Sleep(3 * time.Minute)
			send(r.app, "GET", "/whoami", id2, nil) // the browser goes on with id2
			w := held()
			if _, _, del := sidOf(w, "sid"); w.Code != http.StatusConflict || del {
				t.Errorf("a write that outlived the tombstone: %d, deletes the cookie %v (want 409, cookie kept; id2 is %q)", w.Code, del, r.whoami(id2))
			}
		})
	})
}

// loginRefusedThenAllowed checks that a login (ops) with the old id is
// refused at once (409, the cookie left alone) and, once window has
// passed, works every time. It runs in a synctest bubble.
func loginRefusedThenAllowed(t *testing.T, r *rig, id string, window time.Duration, op ...string) {
	t.Helper()
	early := send(r.app, "POST", "/do", id, ops("", op...))
	if _, set, _ := sidOf(early, "sid"); early.Code != http.StatusConflict || set {
		t.Errorf("login with the old id at once: %d, sets a cookie %v (want 409, the cookie left alone)", early.Code, set)
	}
	time.Sleep(window)
	for i := range 2 {
		again := send(r.app, "POST", "/do", id, ops("", op...))
		nid, set, _ := sidOf(again, "sid")
		if again.Code != 200 || !set || r.whoami(nid) != "ada" {
			t.Errorf("login %d with the old id after the window: %d %q (want 200 and ada's new cookie)", i, again.Code, strings.TrimSpace(again.Body.String()))
		}
	}
}

// stallRenew sends a request with id and ops, holds its next create of a
// live record (a renew's second step), and returns once the request is
// there, with a function that lets it go on and returns its answer.
func (r *rig) stallRenew(id string, op ...string) func() *httptest.ResponseRecorder {
	return r.stall(false, id, op...)
}

// stallThenFailRenew is stallRenew whose held create, let go, fails,
// storing nothing.
func (r *rig) stallThenFailRenew(id string, op ...string) func() *httptest.ResponseRecorder {
	return r.stall(true, id, op...)
}

func (r *rig) stall(fail bool, id string, op ...string) func() *httptest.ResponseRecorder {
	inCreate, resume := make(chan struct{}), make(chan struct{})
	r.store.beforeCreate.Store(onceCreate(notTomb, func(rec *sessions.Record) {
		if fail {
			id := rec.ID
			r.store.failID.Store(&id)
		}
		close(inCreate)
		<-resume
	}))
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- send(r.app, "POST", "/do", id, ops("", op...)) }()
	<-inCreate
	return func() *httptest.ResponseRecorder { close(resume); return <-done }
}

// TestAttackParallelWriteTakesCutRenewsReservation: a routine renew's
// create stalls for more than half a second and then fails, while a
// request of the same browser with the old id gives up waiting for it,
// reserves its new id and goes ahead with a session of its own, whose
// cookie the browser then holds. The failed renew must not restore the old
// session behind it: that would leave a live session nobody holds, and
// after a switch of user, the old user's session live under an id the
// browser gave up. Whatever the order, the only live session is the one
// the browser's cookie names.
func TestAttackParallelWriteTakesCutRenewsReservation(t *testing.T) {
	for _, op := range []string{"set:x=1", "user:bob"} {
		t.Run(op, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				send(r.app, "POST", "/do", id1, ops("", "set:k=v1"))
				resumeRenew := r.stallThenFailRenew(id1, "renew")
				w := send(r.app, "POST", "/do", id1, ops("", op))
				renew := resumeRenew()
				browser := id1
				if v, set, _ := sidOf(w, "sid"); set {
					browser = v
				}
				if renew.Code == 200 {
					t.Fatalf("the cut renew answered 200")
				}
				want := 0
				if r.whoami(browser) == "ada" {
					want = 1
				}
				if n := r.live("ada"); n != want || (browser != id1 && r.whoami(id1) != "stranger") {
					t.Errorf("renew %d, request %d: the browser holds %q (%q), the old id is %q, ada has %d live sessions (want %d): a session nobody holds",
						renew.Code, w.Code, browser[:6], r.whoami(browser), r.whoami(id1), n, want)
				}
			})
		})
	}
}

// TestAttackWriteAfterRestoreReplacesCookie: a write loads the old id while
// it is a renew's tombstone; the renew fails and restores the old id; then
// the write commits. It must not replace the browser's cookie, which names
// the restored session, with a fresh anonymous one: it is a 409, and its
// retry lands in the restored session.
func TestAttackWriteAfterRestoreReplacesCookie(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id1 := r.login("ada")
		resumeRenew := r.stallThenFailRenew(id1, "renew")
		held := r.async(id1, "held", "set:cart=apple") // loads the tombstone
		if renew := resumeRenew(); renew.Code != http.StatusInternalServerError || r.whoami(id1) != "ada" {
			t.Fatalf("the cut renew: %d, the old id %q (want 500, restored)", renew.Code, r.whoami(id1))
		}
		w := held()
		if v, set, _ := sidOf(w, "sid"); set && v != id1 {
			t.Errorf("the held write: %d, replaces the restored session's cookie (now %q)", w.Code, r.whoami(v))
		}
		if retry := send(r.app, "POST", "/do", id1, ops("", "set:cart=apple")); retry.Code != 200 || r.value(id1, "cart") != "apple" {
			t.Errorf("the retried write: %d, cart %q", retry.Code, r.value(id1, "cart"))
		}
	})
}

// TestAttackLogoutWithOldIDOfUnfinishedRenew: a renew failed and could not
// be undone (the store refused everything, or it changed the user); the
// browser's logout with the old id must work, as a login or a write with
// it does, not be refused for as long as the old id counts as racing.
func TestAttackLogoutWithOldIDOfUnfinishedRenew(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault int32
		op    string
	}{{"store down", createRefused, "renew"}, {"user switch", createRefusedLive, "user:bob"}} {
		t.Run(c.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				id1 := r.login("ada")
				r.store.createFault.Store(c.fault)
				if w := send(r.app, "POST", "/do", id1, ops("", c.op)); w.Code != 500 {
					t.Fatalf("the cut renew: %d", w.Code)
				}
				r.store.createFault.Store(createOK)
				lo := send(r.app, "POST", "/do", id1, ops("", "destroy"))
				if _, _, del := sidOf(lo, "sid"); lo.Code != 200 || !del {
					t.Errorf("logout with the old id of a renew that never finished: %d %q, clears cookie %v (want 200, cleared)", lo.Code, strings.TrimSpace(lo.Body.String()), del)
				}
			})
		})
	}
}

// TestAttackLongRenewChain: an app that renews on every request builds a
// long chain of tombstones. With the store working, a held write that
// loaded the first id is forwarded to the last, and "log out everywhere"
// and "sign out my other devices" both work.
func TestAttackLongRenewChain(t *testing.T) {
	forStores(t, func(t *testing.T, mk storeMaker) {
		r := newRig(t, mk(t), sessions.Options{})
		id := r.login("ada")
		held := r.async(id, "held", "set:k=v")
		for range 40 {
			id, _, _ = sidOf(send(r.app, "POST", "/do", id, ops("", "renew")), "sid")
		}
		if w := held(); w.Code != 200 || r.value(id, "k") != "v" {
			t.Errorf("a held write after 40 renews: %d %q, k=%q", w.Code, strings.TrimSpace(w.Body.String()), r.value(id, "k"))
		}
		other := r.login("ada")
		if n, err := r.mgr.DestroyUserExcept(context.Background(), "ada", id); err != nil || n != 1 || r.whoami(other) != "stranger" || r.whoami(id) != "ada" {
			t.Errorf("DestroyUserExcept after 40 renews: %d, %v; other %q, kept %q", n, err, r.whoami(other), r.whoami(id))
		}
		if n, err := r.mgr.DestroyUser(context.Background(), "ada"); err != nil || n != 1 || r.live("ada") != 0 {
			t.Errorf("DestroyUser after 40 renews: %d, %v; live %d", n, err, r.live("ada"))
		}
	})
}

// TestAttackLogoutLoadedBeforeLogin: a logout loads the session, then a
// login commits (an anonymous session becomes ada's, or ada's becomes
// bob's). The logout may not end the logged-in session, which belongs to
// whoever logged in; it must not answer 200 and clear the cookie while that
// session stays live either: a 409, cookie kept, and the client's retry
// with the new cookie logs out.
func TestAttackLogoutLoadedBeforeLogin(t *testing.T) {
	for _, c := range []struct{ name, before, login, after string }{
		{"anonymous to ada", "", "user:ada", "ada"}, {"ada to bob", "ada", "user:bob", "bob"},
	} {
		t.Run(c.name, func(t *testing.T) {
			forStores(t, func(t *testing.T, mk storeMaker) {
				r := newRig(t, mk(t), sessions.Options{})
				var id1 string
				if c.before == "" {
					id1, _, _ = sidOf(send(r.app, "POST", "/do", "", ops("", "set:cart=1")), "sid")
				} else {
					id1 = r.login(c.before)
				}
				logout := r.async(id1, "logout", "destroy")
				id2, _, _ := sidOf(send(r.app, "POST", "/do", id1, ops("", c.login)), "sid")
				lo := logout()
				if _, _, del := sidOf(lo, "sid"); lo.Code != http.StatusConflict || del {
					t.Errorf("a logout loaded before the login: %d, clears cookie %v (want 409, kept); the login's session is %q", lo.Code, del, r.whoami(id2))
				}
				if retry := send(r.app, "POST", "/do", id2, ops("", "destroy")); retry.Code != 200 || r.whoami(id2) != "stranger" {
					t.Errorf("the retried logout: %d, whoami %q", retry.Code, r.whoami(id2))
				}
			})
		})
	}
}

// TestAttackDestroyUserInterleavedWithRenew: "sign out my other devices"
// (DestroyUserExcept for this device's id) or "sign out everywhere"
// (DestroyUser) runs while a routine renew commits, of this device's
// session or of the other device's. The renew is placed before each of the
// destroy's store calls in turn, and the destroy before each of the
// renew's. Whatever the order, each browser ends up signed in or out under
// whichever id it holds (the renewed one if the renew's answer gave it, the
// old one if the renew was refused) as the call promised, and the count
// the call returns is the number of sessions it ended, however many ids
// the user index listed for them.
func TestAttackDestroyUserInterleavedWithRenew(t *testing.T) {
	for _, call := range []string{"DestroyUserExcept", "DestroyUser"} {
		for _, renewed := range []string{"this device", "other device"} {
			for _, placed := range []string{"renew inside destroy", "destroy inside renew"} {
				o := interleaving{except: call == "DestroyUserExcept", renewThis: renewed == "this device", renewInside: placed == "renew inside destroy"}
				t.Run(call+"/"+renewed+"/"+placed, func(t *testing.T) {
					forStores(t, func(t *testing.T, mk storeMaker) {
						for o.step = 0; o.run(t, mk); o.step++ {
						}
						if o.step < 3 {
							t.Fatalf("the outer actor made %d store calls: the hook does not see them", o.step)
						}
					})
				})
			}
		}
	}
}

// destroyerKey marks the context of the destroy, so that the store hook can
// tell its calls from the renew's.
type destroyerKey struct{}

// interleaving is one order of TestAttackDestroyUserInterleavedWithRenew:
// the inner actor runs whole just before the outer one's store call number
// step.
type interleaving struct {
	except      bool // DestroyUserExcept(this device's id), not DestroyUser
	renewThis   bool // the renew is of this device's session, not the other's
	renewInside bool // the renew is the inner actor
	step        int
}

// run runs the order and checks the promises. It reports whether the outer
// actor made store call number step; if it did not, the inner actor ran
// after it, and later steps would repeat this order.
func (o interleaving) run(t *testing.T, mk storeMaker) bool {
	t.Helper()
	r := newRig(t, mk(t), sessions.Options{})
	this, other := r.login("ada"), r.login("ada")
	renewing := other
	if o.renewThis {
		renewing = this
	}
	var (
		renew              *httptest.ResponseRecorder
		n                  int
		err                error
		calls              atomic.Int32
		innerRan, outerRun atomic.Bool
		destroyCtx         = context.WithValue(context.Background(), destroyerKey{}, true)
	)
	runRenew := func() { renew = send(r.app, "POST", "/do", renewing, ops("", "renew")) }
	runDestroy := func() {
		if o.except {
			n, err = r.mgr.DestroyUserExcept(destroyCtx, "ada", this)
		} else {
			n, err = r.mgr.DestroyUser(destroyCtx, "ada")
		}
	}
	outer, inner := runDestroy, runRenew
	if !o.renewInside {
		outer, inner = runRenew, runDestroy
	}
	hook := func(ctx context.Context, op, id string) {
		fromDestroy := ctx.Value(destroyerKey{}) != nil
		if outerRun.Load() && fromDestroy == o.renewInside &&
			int(calls.Add(1))-1 == o.step && innerRan.CompareAndSwap(false, true) {
			inner()
		}
	}
	r.store.beforeCall.Store(&hook)
	outerRun.Store(true)
	outer()
	outerRun.Store(false)
	r.store.beforeCall.Store(nil)
	madeCall := innerRan.Load()
	if !madeCall {
		inner()
	}

	order := fmt.Sprintf("step %d", o.step)
	want := map[bool]int{true: 1, false: 2}[o.except]
	if err != nil || n != want {
		t.Errorf("%s: the destroy ended %d, %v; want %d", order, n, err, want)
	}
	held := renewing // the id the renewing browser holds now
	switch id, set, _ := sidOf(renew, "sid"); {
	case renew.Code == http.StatusOK && set:
		held = id
	case renew.Code == http.StatusOK, renew.Code == http.StatusConflict:
	default:
		t.Errorf("%s: the renew answered %d %q", order, renew.Code, strings.TrimSpace(renew.Body.String()))
	}
	thisHeld, otherHeld := this, other
	if o.renewThis {
		thisHeld = held
	} else {
		otherHeld = held
	}
	wantThis := map[bool]string{true: "ada", false: "stranger"}[o.except]
	if got := r.whoami(thisHeld); got != wantThis {
		t.Errorf("%s: this device (renew %d) is %q, want %q", order, renew.Code, got, wantThis)
	}
	if got := r.whoami(otherHeld); got != "stranger" {
		t.Errorf("%s: the other device (renew %d) is %q, want signed out", order, renew.Code, got)
	}
	if live := r.live("ada"); live != 2-want {
		t.Errorf("%s: ada has %d live sessions, want %d", order, live, 2-want)
	}
	return madeCall
}
