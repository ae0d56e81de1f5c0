package sessionstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// The protocol proof. Starting from one logged-in session of user "ada",
// two or three concurrent actors run their steps in every possible order,
// and after each order the invariants are checked:
//
//   - nothing destroyed comes back: after a logout of ada's session or
//     DestroyUser("ada") succeeded, ada has no live session;
//   - nothing crosses a login boundary: after the session changed hands to
//     "bob", no request that loaded it before writes into bob's session;
//   - no write is lost without an error: every writer answered 200 has its
//     value in the live session that descends from the one it loaded, and
//     a writer is refused (409) only once its session ended or changed
//     hands, never because of a routine renew (those are forwarded);
//   - nothing is ever a 500.
//
// An actor is an HTTP request (load, act, commit) or a DestroyUser call.

type actorKind byte

const (
	writer    actorKind = 'W' // load, Set(own key), commit
	renewer   actorKind = 'R' // load, Renew (same user), commit
	switcher  actorKind = 'L' // load, SetUser("bob") (a login as someone else), commit
	logout    actorKind = 'D' // load, Destroy, commit
	everyDest actorKind = 'U' // DestroyUser("ada"), one step
)

func (k actorKind) steps() int {
	if k == everyDest {
		return 1
	}
	return 3
}

// actor is one participant of a run; step and done gate its request.
type actor struct {
	kind  actorKind
	key   string // the writer's session key
	step  chan struct{}
	acked chan struct{}
	resp  chan *httptest.ResponseRecorder
	rec   *httptest.ResponseRecorder
	// noop: the request loaded after ada's session had already ended or
	// moved to a new id, so it got a fresh session and acts on nothing.
	noop bool
	// refused: the logout's Destroy was refused because the session
	// changed hands while it ran; its request is answered 409.
	refused bool
}

// act is the actor's middle step.
func (a *actor) act(sess *sessions.Session) {
	switch a.kind {
	case writer:
		sess.Set(a.key, "v")
	case renewer:
		sess.Renew()
	case switcher:
		sess.SetUser("bob")
	case logout:
		if err := sess.Destroy(); errors.Is(err, sessions.ErrSessionEnded) {
			a.refused = true
		} else if err != nil {
			panic(err)
		}
	}
}

// interleavings returns every order of the actors' steps, as the index of
// the actor that moves at each step.
func interleavings(counts []int) [][]int {
	var out [][]int
	var rec func(left []int, cur []int)
	rec = func(left []int, cur []int) {
		done := true
		for i, n := range left {
			if n == 0 {
				continue
			}
			done = false
			left[i]--
			rec(left, append(cur, i))
			left[i]++
		}
		if done {
			out = append(out, slices.Clone(cur))
		}
	}
	rec(slices.Clone(counts), nil)
	return out
}

// protocolCases are the actor sets the proof runs: every pair, and the
// triples that mix a change, a renew or change of hands, and an end.
var protocolCases = []string{
	"WW", "WR", "WL", "WD", "WU", "RR", "RL", "RD", "RU", "LD", "LU", "DD", "DU",
	"WRU", "WLU", "WDU", "RLU", "WRD", "WLD", "WRL",
}

func runInterleavings(t *testing.T, caps Caps, mk maker) {
	for _, c := range protocolCases {
		t.Run("Interleavings/"+c, func(t *testing.T) {
			kinds := []actorKind(c)
			counts := make([]int, len(kinds))
			for i, k := range kinds {
				counts[i] = k.steps()
			}
			orders := interleavings(counts)
			run := func(t *testing.T) {
				for _, order := range orders {
					if !runOrder(t, mk, kinds, order) {
						return
					}
				}
			}
			if caps.FakeTime {
				synctest.Test(t, run)
			} else {
				run(t)
			}
			t.Logf("%d orders", len(orders))
		})
	}
}

// runOrder runs one order of steps on a fresh store and checks the
// invariants; it reports whether they held.
func runOrder(t *testing.T, mk maker, kinds []actorKind, order []int) bool {
	t.Helper()
	h := mk(t, sessions.Options{})
	actors := make([]*actor, len(kinds))
	for i, k := range kinds {
		actors[i] = &actor{kind: k, key: fmt.Sprintf("w%d", i), step: make(chan struct{}), acked: make(chan struct{}),
			resp: make(chan *httptest.ResponseRecorder, 1)}
	}
	app, mgr := h.app, h.mgr
	app.Post("/act/<int:i>", func(req *itty.Request) *itty.Response {
		a := actors[req.Params.Int("i")]
		<-a.step
		sess := mgr.Get(req)
		a.acked <- struct{}{}
		<-a.step
		a.noop = sess.IsNew()
		if !a.noop {
			a.act(sess)
		}
		a.acked <- struct{}{}
		<-a.step
		return app.Render(req, "ok")
	})

	c := ittytest.NewClient(t, app)
	login(t, c, "ada", false)
	sid, _ := c.Cookie("/", "sid")

	var trace []string
	taken := make([]int, len(actors))
	var history []event
	for _, i := range order {
		a := actors[i]
		taken[i]++
		trace = append(trace, fmt.Sprintf("%c%d.%d", a.kind, i, taken[i]))
		if a.kind == everyDest {
			_, err := mgr.DestroyUser(context.Background(), "ada")
			if err != nil {
				t.Errorf("%s: DestroyUser: %v", strings.Join(trace, " "), err)
				return false
			}
			history = append(history, event{actor: i, kind: everyDest, status: 200})
			continue
		}
		switch taken[i] {
		case 1:
			go func() {
				req := httptest.NewRequest("POST", fmt.Sprintf("/act/%d", i), nil)
				req.Header.Set("Cookie", "sid="+sid)
				w := httptest.NewRecorder()
				app.ServeHTTP(w, req)
				a.resp <- w
			}()
			a.step <- struct{}{}
			<-a.acked
		case 2:
			a.step <- struct{}{}
			<-a.acked
			if a.kind == logout && !a.noop && !a.refused {
				history = append(history, event{actor: i, kind: logout, status: 200})
			}
		case 3:
			a.step <- struct{}{}
			a.rec = <-a.resp
			if a.kind != logout || a.refused {
				history = append(history, event{actor: i, kind: a.kind, status: a.rec.Code, noop: a.noop})
			}
		}
	}
	return checkInvariants(t, h, strings.Join(trace, " "), actors, history)
}

// event is an effect in the order it took place: a commit (with its
// status), a Destroy call or a DestroyUser call.
type event struct {
	actor  int
	kind   actorKind
	status int
	noop   bool
}

func checkInvariants(t *testing.T, h *harness, trace string, actors []*actor, history []event) bool {
	t.Helper()
	ctx := context.Background()
	fail := func(format string, args ...any) bool {
		t.Errorf("order %s: %s", trace, fmt.Sprintf(format, args...))
		return false
	}
	// Replay the history on a model: which lineage is alive and which
	// writes it must hold.
	adaAlive, bobAlive := true, false
	var adaKeys, bobKeys []string
	ended := false   // ada's session ended or changed hands
	renewed := false // ada's session was renewed (it stays ada's)
	for _, e := range history {
		switch {
		case e.status == http.StatusInternalServerError:
			return fail("actor %d (%c) answered 500:\n%s", e.actor, e.kind, actors[e.actor].rec.Body.String())
		case e.noop && e.status != http.StatusOK:
			return fail("actor %d (%c) on a fresh session answered %d", e.actor, e.kind, e.status)
		case e.noop:
		case e.kind == logout && e.status == http.StatusConflict:
			// A logout may be refused only once the session changed
			// hands: it may not end the new user's session.
			if !ended || adaAlive {
				return fail("logout %d refused with 409 though its session did not change hands", e.actor)
			}
		case e.kind == everyDest || e.kind == logout:
			adaAlive = false
			ended = true
		case e.status == http.StatusConflict:
			// A writer may be refused only once the session ended or
			// changed hands: routine renews are forwarded. A second renew
			// loses to the first.
			if !ended && !(renewed && e.kind != writer) {
				return fail("actor %d (%c) refused with 409 though its session neither ended nor changed hands", e.actor, e.kind)
			}
		case e.status != http.StatusOK:
			return fail("actor %d (%c) answered %d", e.actor, e.kind, e.status)
		case e.kind == writer:
			if !adaAlive {
				return fail("writer %d answered 200 after its session ended or changed hands", e.actor)
			}
			adaKeys = append(adaKeys, actors[e.actor].key)
		case e.kind == switcher:
			if !adaAlive {
				return fail("login as bob (actor %d) answered 200 after ada's session ended", e.actor)
			}
			adaAlive, bobAlive, ended = false, true, true
			bobKeys = slices.Clone(adaKeys)
		case e.kind == renewer:
			if !adaAlive {
				return fail("renew (actor %d) answered 200 after the session ended or changed hands", e.actor)
			}
			renewed = true
		}
	}
	check := func(user string, alive bool, keys []string) bool {
		infos, err := h.mgr.UserSessions(ctx, user)
		if err != nil {
			return fail("UserSessions(%s): %v", user, err)
		}
		if !alive {
			if len(infos) != 0 {
				return fail("%s has %d live sessions after their session ended (resurrected)", user, len(infos))
			}
			return true
		}
		if len(infos) != 1 {
			return fail("%s has %d live sessions, want 1", user, len(infos))
		}
		rec, err := h.store.Store.Load(ctx, infos[0].ID)
		if err != nil {
			return fail("load %s's session: %v", user, err)
		}
		for _, k := range keys {
			if _, ok := rec.Values[k]; !ok {
				return fail("%s's session lost %s, whose writer was answered 200", user, k)
			}
		}
		for i, a := range actors {
			if a.kind == writer && !slices.Contains(keys, a.key) {
				if _, ok := rec.Values[a.key]; ok {
					return fail("%s's session holds %s, written by actor %d that was refused or came after a boundary", user, a.key, i)
				}
			}
		}
		return true
	}
	return check("ada", adaAlive, adaKeys) && check("bob", bobAlive, bobKeys)
}
