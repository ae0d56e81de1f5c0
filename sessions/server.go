package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The server-side protocol. Every rule about what a record means lives
// here, once; stores only keep records atomically.
//
// A request loads its session's record and remembers the id, user and
// revision it saw. At commit it applies its changes inside Store.Update,
// merging per key (see Session.conflict). Three kinds of tombstone, left by
// other requests, decide what happens to a commit that arrives late:
//
//   - a deleted record (Destroy, DestroyUser, expiry): Update finds nothing,
//     so the request's changes die with the session (errDestroyed) and the
//     session is never recreated, because only Create creates;
//   - a renamed record with Forward (a renew that kept the user): the
//     commit follows RenamedTo and merges into the new record;
//   - a renamed record without Forward (a renew across a boundary: a change
//     of user or RenewBoundary): the commit is refused (errBoundary), so
//     nothing a request did before a login lands after it.
//
// A renew runs at commit too. In one Update it turns the old record into a
// tombstone and takes the merged state; then it Creates the new record.
// The tombstone carries the new record's user, so that DestroyUser, which
// finds records through the user index, sees a renew in progress. A
// destroy that meets a renamed record whose user is the one it destroys
// follows it; if the new record does not exist yet, it Creates an Ended
// tombstone under the new id, and the renew's Create then fails with
// ErrExists: destroyed stays destroyed in every order.

// tombstoneTTL is how long tombstones stay: longer than any request runs.
const tombstoneTTL = 2 * time.Minute

// maxHops bounds how many renames one commit or destroy follows: more
// renews of one session than its tombstones' two minutes would hold in
// any app short of one that renews on every request, many times a second.
const maxHops = 256

// renewGap bounds how long a commit that followed a routine renew waits
// for the renew's new record, polling every renewPoll: the two steps of a
// renew are one store round trip apart, unless its process died between.
const (
	renewGap  = 500 * time.Millisecond
	renewPoll = time.Millisecond
)

// errRenamed and errStop carry a decision out of an Update's fn; the fn
// stored nothing.
//
// Results of a store call are read only when the call returned without
// error: a call that timed out may still be running, and writing them.
var (
	errRenamed = errors.New("sessions: renamed")
	errStop    = errors.New("sessions: stop")
	errCrossed = errors.New("sessions: renewed into another user's session")
)

// serverBackend keeps sessions as records in a Store.
type serverBackend struct {
	m     *Manager
	store Store
}

func (b *serverBackend) load(ctx context.Context, value string) (*Record, error) {
	if !ValidID(value) {
		return nil, ErrNotFound // never show a store an id we did not make
	}
	if b.m.local {
		// The per-request path: this package's stores read without
		// waiting on a lock, so no deadline and no closure.
		return b.store.Load(ctx, value)
	}
	return b.loadRecord(ctx, value)
}

// loadRecord loads id under StoreTimeout. The record is nil whenever the
// error is not: a call that timed out may still be writing it.
func (b *serverBackend) loadRecord(ctx context.Context, id string) (*Record, error) {
	var rec *Record
	err := b.m.call(ctx, func(ctx context.Context) (err error) {
		rec, err = b.store.Load(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func (b *serverBackend) cookieValue(rec *Record) (string, error) { return rec.ID, nil }

func (b *serverBackend) save(ctx context.Context, s *Session, now time.Time) (bool, error) {
	var err error
	switch {
	case s.isNew:
		err = b.create(ctx, s, now)
	case s.renewed:
		err = b.rotate(ctx, s, now)
	default:
		err = b.update(ctx, s, now)
	}
	return s.isNew || s.renewed || s.persistentChanged, err
}

// create stores a session the request started.
func (b *serverBackend) create(ctx context.Context, s *Session, now time.Time) error {
	if s.moved != nil {
		// The request brought the old id of a renew: a fresh session
		// would replace the browser's new cookie, and with it the
		// session and what was written to it since, unless that renew
		// never finished.
		if err := b.settle(ctx, s.moved.ID, s.moved.RenamedTo, now); err != nil {
			return err
		}
	}
	rec := s.rec.Clone()
	s.apply(rec, now)
	if err := b.m.call(ctx, func(ctx context.Context) error { return b.store.Create(ctx, rec) }); err != nil {
		return fmt.Errorf("sessions: create: %w", err)
	}
	s.rec = rec
	return nil
}

// update merges the request's changes into the session it loaded, or into
// the session a routine renew made of it.
func (b *serverBackend) update(ctx context.Context, s *Session, now time.Time) error {
	id := s.loadedID
	var waitUntil time.Time
	for hop := 0; hop < maxHops; hop++ {
		var next string
		var stored *Record
		err := b.m.call(ctx, func(ctx context.Context) error {
			return b.store.Update(ctx, id, func(cur *Record) error {
				if err := b.check(cur, now, &next); err != nil {
					return err
				}
				if k, ok := s.conflict(cur); ok {
					return &ConflictError{Key: k}
				}
				s.apply(cur, now)
				stored = cur.Clone()
				return nil
			})
		})
		switch {
		case errors.Is(err, errRenamed):
			id = next
			continue
		case errors.Is(err, ErrNotFound) && hop > 0 && waitFor(&waitUntil):
			// A routine renew has left its tombstone and is about to
			// create the new record: wait for it rather than lose the
			// write. A renew that failed left an Ended reservation.
			hop--
			continue
		case errors.Is(err, ErrNotFound) && hop > 0:
			// The renew did not finish in time; the browser may yet get
			// its new id, so leave the cookie alone.
			return errMoved
		case errors.Is(err, ErrNotFound) && now.Sub(s.opened) >= tombstoneTTL:
			// Gone, but this request ran for longer than tombstones
			// live: it may have been renewed away meanwhile, and the
			// browser may hold the new id, so leave its cookie alone.
			return errLost
		case errors.Is(err, ErrNotFound):
			return errDestroyed
		case errors.Is(err, errDestroyed) && hop > 0:
			// The renew was cancelled, or a destroy ended its session:
			// either way the browser's cookie may by now name a session
			// another request set, so leave it alone.
			return errCancelled
		case err != nil:
			return saveError(err)
		}
		s.rec = stored
		return nil
	}
	return fmt.Errorf("sessions: save: more than %d renames in flight", maxHops)
}

// check decides, inside an Update, whether cur is a session the request
// may change: errRenamed (with next set) to follow a routine renew, an
// *endedError if it ended.
func (b *serverBackend) check(cur *Record, now time.Time, next *string) error {
	switch {
	case cur.Ended && cur.RenamedTo != "":
		return errCancelled // its renew was given up on (see giveUp)
	case cur.Ended:
		return errDestroyed
	case cur.RenamedTo != "" && cur.Forward:
		*next = cur.RenamedTo
		return errRenamed
	case cur.RenamedTo != "":
		return errBoundary
	case !b.m.live(cur, now):
		return errDestroyed
	}
	return nil
}

func saveError(err error) error {
	var ended *endedError
	var conflict *ConflictError
	if errors.As(err, &ended) || errors.As(err, &conflict) {
		return err
	}
	return fmt.Errorf("sessions: save: %w", err)
}

// rotate stores the session under the request's new id and leaves a
// tombstone under the old one.
func (b *serverBackend) rotate(ctx context.Context, s *Session, now time.Time) error {
	forward := !s.crossesBoundary()
	var prev, fresh *Record
	err := b.m.call(ctx, func(ctx context.Context) error {
		return b.store.Update(ctx, s.loadedID, func(cur *Record) error {
			var next string
			if err := b.check(cur, now, &next); errors.Is(err, errRenamed) {
				return errRenewedFirst // two renews of one session: the first wins
			} else if err != nil {
				return err
			}
			if k, ok := s.conflict(cur); ok {
				return &ConflictError{Key: k}
			}
			prev = cur.Clone()
			n := cur.Clone()
			s.apply(n, now)
			n.ID = s.rec.ID
			n.RenamedFrom = cur.ID
			fresh = n
			*cur = Record{ID: cur.ID, Scope: cur.Scope, User: n.User, Created: cur.Created, LastSeen: now,
				RenamedTo: n.ID, RenamedFrom: cur.RenamedFrom, Forward: forward, TombstoneUntil: now.Add(tombstoneTTL)}
			return nil
		})
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return errDestroyed
	case err != nil:
		return saveError(err)
	}
	err = b.m.call(ctx, func(ctx context.Context) error { return b.store.Create(ctx, fresh) })
	if errors.Is(err, ErrExists) {
		// A destroy, or a request that found this renew too slow (see
		// settle), reserved the new id while it ran. The cookie is left
		// alone: the request that reserved it sets its own.
		return errCancelled
	}
	if err != nil {
		return b.createFailed(ctx, s, prev, fresh, err)
	}
	s.rec = fresh
	return nil
}

// createFailed finishes a renew whose second step, the create of the new
// record, failed with err: the old id is a tombstone naming fresh.ID, which
// the browser will not get, and the create may yet have taken effect, its
// answer lost. It finds out by reserving the new id with an Ended
// tombstone. If the reservation fails, the record exists: the renew
// happened after all, and the request goes on with it (commits that
// followed the old id's tombstone may have merged into it already). If the
// reservation succeeds, the renew never happens, and the request fails
// with err. A renew that kept the user then turns the old id's tombstone
// back into the session it was, unless a destroy ended it meanwhile, so
// the browser keeps its session and loses nothing. A renew that changed
// the user does not: its tombstone was the new user's, so a DestroyUser or
// a logout of the old user that ran meanwhile passed it by, and the old
// session must not come back after them. If the store cannot be reached,
// a request that later brings the old id settles it (see settle).
func (b *serverBackend) createFailed(ctx context.Context, s *Session, prev, fresh *Record, err error) error {
	rerr := b.m.call(ctx, func(ctx context.Context) error { return b.store.Create(ctx, b.endedRecord(fresh.ID)) })
	if errors.Is(rerr, ErrExists) {
		var cur *Record
		cur, rerr = b.loadRecord(ctx, fresh.ID)
		switch {
		case rerr == nil && !cur.IsTombstone():
			s.rec = cur
			return nil
		case rerr == nil || errors.Is(rerr, ErrNotFound):
			// Reserved by someone else: a destroy, which ends the old
			// id's tombstone first (the restore below then finds it
			// ended), or a request with the old id that found this renew
			// too slow (see settle), which leaves it as it was.
			rerr = nil
		}
	}
	if rerr != nil {
		return fmt.Errorf("sessions: renew: %w (and finding out what became of it: %v)", err, rerr)
	}
	if prev.User != fresh.User {
		return fmt.Errorf("sessions: renew: %w", err)
	}
	rerr = b.m.call(ctx, func(ctx context.Context) error {
		return b.store.Update(ctx, prev.ID, func(cur *Record) error {
			if cur.Ended || cur.RenamedTo != fresh.ID {
				return errStop // ended by a destroy: it stays ended
			}
			*cur = *prev.Clone()
			return nil
		})
	})
	switch {
	case errors.Is(rerr, errStop), errors.Is(rerr, ErrNotFound):
		return errCancelled
	case rerr != nil:
		return fmt.Errorf("sessions: renew: %w (and restoring the session: %v)", err, rerr)
	}
	return fmt.Errorf("sessions: renew: %w", err)
}

// settle decides, for a request that brought the old id of a renew, what
// became of the session the renew moved to id. If it lives, or was renewed
// again, the browser may hold its cookie, and settle returns errMoved. If
// it ended, settle returns nil. If the renew has not created it, settle
// waits up to renewGap for it, then reserves the id with an Ended
// tombstone, so that a renew still running fails rather than create it
// later, and returns nil: a renew whose second step failed (its store went
// away, its process died) does not strand the browser with 409s. Only the
// id the request's own tombstone names is reserved: a request with an
// older id cannot cancel a later renew, which another request made.
func (b *serverBackend) settle(ctx context.Context, oldID, id string, now time.Time) error {
	var waitUntil time.Time
	for tries := 0; tries < maxHops; {
		rec, err := b.loadRecord(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound) && waitFor(&waitUntil):
			continue
		case errors.Is(err, ErrNotFound):
			err = b.m.call(ctx, func(ctx context.Context) error { return b.store.Create(ctx, b.endedRecord(id)) })
			if errors.Is(err, ErrExists) {
				tries++ // it was created just now: look again
				continue
			}
			if err != nil {
				return fmt.Errorf("sessions: create: %w", err)
			}
			return b.giveUp(ctx, oldID, id)
		case err != nil:
			return fmt.Errorf("sessions: create: %w", err)
		case rec.Scope != b.m.opts.CookieName:
			return nil
		case rec.Ended:
			return b.restored(ctx, oldID, now)
		case rec.RenamedTo != "" || b.m.live(rec, now):
			return errMoved
		default:
			return nil // it expired
		}
	}
	return errMoved // it keeps appearing and vanishing: leave the cookie alone
}

// giveUp ends the tombstone oldID, which names the renew's new id that
// this request has just reserved, so that the renew, failing, does not
// restore the old session under a cookie the browser will no longer hold
// (this request sets its own). If the renew restored it first, the old id
// is a session again and giveUp returns errMoved, as restored does.
func (b *serverBackend) giveUp(ctx context.Context, oldID, id string) error {
	err := b.m.call(ctx, func(ctx context.Context) error {
		return b.store.Update(ctx, oldID, func(cur *Record) error {
			if cur.Ended || cur.RenamedTo != id {
				return errStop
			}
			// Ended, but still naming the renew: commits that follow it
			// are refused without clearing the cookie (see check).
			cur.Ended = true
			return nil
		})
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errStop):
		return b.restored(ctx, oldID, time.Now())
	case errors.Is(err, ErrNotFound):
		return nil
	}
	return fmt.Errorf("sessions: create: %w", err)
}

// restored returns errMoved if the old id a request brought is a live
// session again (the renew that had made it a tombstone failed and put it
// back, see createFailed), so that the request is retried with it rather
// than replace the browser's cookie with a fresh session.
func (b *serverBackend) restored(ctx context.Context, oldID string, now time.Time) error {
	rec, err := b.loadRecord(ctx, oldID)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("sessions: create: %w", err)
	case b.m.live(rec, now):
		return errMoved
	}
	return nil
}

// waitFor sleeps renewPoll and reports true while the renew wait that
// started at the first call (*until is zero before it) has time left.
func waitFor(until *time.Time) bool {
	now := time.Now()
	if until.IsZero() {
		*until = now.Add(renewGap)
	}
	if !now.Before(*until) {
		return false
	}
	time.Sleep(renewPoll)
	return true
}

// destroy ends the session the request loaded (or, after the commit, the
// one the commit stored) and any renew of it in progress for the same
// user.
func (b *serverBackend) destroy(ctx context.Context, s *Session) error {
	id, user := s.loadedID, s.loadedUser
	if s.saved {
		// After the commit: end what it stored (a renew's new id, a
		// login's session), following any renew made since.
		id, user = s.rec.ID, s.rec.User
	} else if s.isNew {
		// The request brought the old id of a renew that ran moments
		// ago (see Manager.open), and cannot name the session the renew
		// made, which the browser may hold: errMoved, so that the client
		// retries with it. If the renew never finished, only its
		// tombstone is left to end.
		if err := b.settle(ctx, s.moved.ID, s.moved.RenamedTo, time.Now()); err != nil {
			return err
		}
		_, err := b.end(ctx, s.moved.ID, s.moved.User, nil, nil)
		if errors.Is(err, errCrossed) {
			return nil // it renamed into a session that was never made
		}
		return err
	}
	_, err := b.end(ctx, id, user, nil, nil)
	if errors.Is(err, errCrossed) {
		// A login ran while this request did: the session is someone
		// else's now, which this request may not end. The client
		// retries with the cookie the login set.
		return errBoundary
	}
	return err
}

// end deletes the live record id and follows renames of it that stay with
// user, reserving an id a renew has not created yet; it stops at an id in
// keep, and at a tombstone renamed into one. It reports whether it ended a
// session, live or halfway through a renew, and returns errCrossed if a
// rename it met went to another user, whose session it leaves alone. done,
// if not nil, holds the ids earlier calls of one destroy deleted or
// reserved; end adds its own, so that two ids of one session, both listed
// by the user index, count as one session ended.
func (b *serverBackend) end(ctx context.Context, id, user string, keep, done map[string]bool) (bool, error) {
	ended := false
	var renewedAt time.Time // when the renew that named id ran, from its tombstone
	for hop := range maxHops {
		if keep[id] || done[id] {
			return ended, nil
		}
		var next, from string
		live, reserved := false, false
		err := b.m.call(ctx, func(ctx context.Context) error {
			return b.store.Update(ctx, id, func(cur *Record) error {
				switch {
				case cur.Ended && hop > 0 && cur.User == "" && cur.RenamedTo == "" && cur.Scope == b.m.opts.CookieName:
					// The renew's new id, reserved (its create failed,
					// and the renew would restore the old id's tombstone
					// we have just ended) or ended as we came: see cutRenew.
					reserved = true
					return errStop
				case cur.Ended, cur.Scope != b.m.opts.CookieName:
					return errStop // already ended, or another Manager's
				case keep[cur.RenamedTo]:
					return errStop // renewed into a kept session: its tombstone still forwards to it
				case cur.RenamedTo != "" && cur.User == user:
					// A renew of this user's session: end the tombstone too,
					// so commits that would follow it are refused at once,
					// and go on to the new id.
					next, renewedAt = cur.RenamedTo, cur.LastSeen
					*cur = Record{ID: cur.ID, Scope: cur.Scope, User: cur.User, Created: cur.Created, LastSeen: cur.LastSeen,
						RenamedFrom: cur.RenamedFrom, Ended: true, TombstoneUntil: cur.TombstoneUntil}
					return nil
				case cur.RenamedTo != "":
					return errCrossed // renewed into another user's session
				case cur.User != user:
					return errStop // a stale index entry: not this user's session
				}
				// Live: make it an Ended tombstone first, so a renew that
				// races this destroy fails, then delete it.
				from = cur.RenamedFrom
				*cur = Record{ID: cur.ID, Scope: cur.Scope, User: cur.User, Created: cur.Created, LastSeen: cur.LastSeen,
					Ended: true, TombstoneUntil: time.Now().Add(tombstoneTTL)}
				live = true
				return nil
			})
		})
		switch {
		case errors.Is(err, ErrNotFound) && hop > 0:
			// A renew has left its tombstone but not yet created the new
			// record: reserve the id so that it never will.
			err = b.m.call(ctx, func(ctx context.Context) error { return b.store.Create(ctx, b.endedRecord(id)) })
			if errors.Is(err, ErrExists) {
				continue // it just did: end it
			}
			if err != nil {
				return ended, err
			}
			return b.cutRenew(id, ended, renewedAt, done), nil
		case errors.Is(err, ErrNotFound):
			return ended, nil
		case errors.Is(err, errStop) && reserved:
			return b.cutRenew(id, ended, renewedAt, done), nil
		case errors.Is(err, errStop):
		case err != nil:
			return ended, err
		}
		if live {
			ended = true
			if err := b.endRenamedFrom(ctx, id, from, done); err != nil {
				return ended, err
			}
			if err := b.m.call(ctx, func(ctx context.Context) error { return b.store.Delete(ctx, id) }); err != nil {
				return ended, err
			}
			if done != nil {
				done[id] = true
			}
		}
		if next == "" {
			return ended, nil
		}
		id = next
	}
	return ended, fmt.Errorf("sessions: destroy: more than %d renames in flight", maxHops)
}

// endRenamedFrom ends the tombstones that still forward to id, the
// session end has just ended, walking back from from, the id it was
// renewed from: a request that brings an old id, a DestroyUser that lists
// one and a DestroyUserExcept that is asked to keep one then meet an
// ended session, not what looks like a renew still in progress. A
// tombstone a destroy has ended already is walked past. The tombstones it
// ends still name their renew, as giveUp's do, so that a request with an
// old id is refused without clearing a cookie the browser may have
// replaced since (a login after the logout).
func (b *serverBackend) endRenamedFrom(ctx context.Context, id, from string, done map[string]bool) error {
	for range maxHops {
		if from == "" {
			return nil
		}
		var before string
		err := b.m.call(ctx, func(ctx context.Context) error {
			return b.store.Update(ctx, from, func(cur *Record) error {
				switch {
				case cur.Scope != b.m.opts.CookieName:
					return errStop
				case cur.Ended && cur.User != "":
					before = cur.RenamedFrom // ended on a destroy's way: look further back
					return errStop
				case cur.Ended || cur.RenamedTo != id:
					return errStop // it moved on
				}
				before = cur.RenamedFrom
				cur.Ended = true
				return nil
			})
		})
		switch {
		case errors.Is(err, errStop) && before != "":
		case errors.Is(err, errStop), errors.Is(err, ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		if done != nil {
			done[from] = true
		}
		id, from = from, before
	}
	return nil
}

// cutRenew is end's answer when it has stopped a renew that ran at
// renewedAt halfway: id, the renew's new id, is reserved, by end or by the
// renew itself after its create failed, and the old id's tombstone is
// ended, so the renew neither creates id nor restores the old session. It
// records id in done and reports whether a session was ended. Within the
// race window the renew's session was still to be made or restored, and
// this destroy ended it as surely as a delete would. Past it, the renew
// finished or failed long ago, so the session had gone since (it expired,
// or was logged out), and requests with the old id take it for gone too:
// nothing is ended that was not already.
func (b *serverBackend) cutRenew(id string, ended bool, renewedAt time.Time, done map[string]bool) bool {
	if done != nil {
		done[id] = true
	}
	return ended || time.Since(renewedAt) < b.m.raceWindow()
}

// renamesOf returns id and the ids that renews of this user's session have
// renamed it to since, following its tombstones; an empty id keeps nothing.
//
// An id that names no live session of user is refused, ending nothing:
// one that names no record at all is most often the new id of a Renew the
// calling request has made and will store only at commit, and taking it
// would end this very session; one whose session has ended (a held
// request of a session logged out since) must not end the user's newer
// sessions.
func (b *serverBackend) renamesOf(ctx context.Context, user, id string) (map[string]bool, error) {
	keep := map[string]bool{}
	for hop := range maxHops {
		if id == "" {
			return keep, nil
		}
		keep[id] = true
		rec, err := b.loadRecord(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound) && hop == 0:
			return nil, errNoKeep
		case errors.Is(err, ErrNotFound):
			return keep, nil // a renew of it still in progress
		case err != nil:
			return nil, err
		case rec.Scope != b.m.opts.CookieName, hop == 0 && rec.User != user:
			return nil, errNoKeep
		case rec.Ended && rec.User == "" && hop > 0:
			return keep, nil // a renew of it that failed, and restores it
		case rec.Ended:
			return nil, errNoKeep
		case rec.User != user:
			return keep, nil // renewed into another user's session since
		}
		id = rec.RenamedTo
	}
	return nil, fmt.Errorf("sessions: destroy: more than %d renames in flight", maxHops)
}

func (b *serverBackend) endedRecord(id string) *Record {
	now := time.Now()
	return &Record{ID: id, Scope: b.m.opts.CookieName, Created: now, LastSeen: now, Ended: true, TombstoneUntil: now.Add(tombstoneTTL)}
}

func (b *serverBackend) index() (UserIndex, error) {
	ix, ok := b.store.(UserIndex)
	if !ok {
		return nil, ErrNotSupported
	}
	return ix, nil
}

func (b *serverBackend) byUser(ctx context.Context, user string) ([]string, error) {
	ix, err := b.index()
	if err != nil {
		return nil, err
	}
	var ids []string
	err = b.m.call(ctx, func(ctx context.Context) (err error) {
		ids, err = ix.ByUser(ctx, user)
		return err
	})
	if err != nil {
		return nil, err // ids may still be written by a call that timed out
	}
	return ids, nil
}

func (b *serverBackend) userSessions(ctx context.Context, user string) ([]Info, error) {
	ids, err := b.byUser(ctx, user)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []Info
	for _, id := range ids {
		rec, err := b.loadRecord(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.User == user && b.m.live(rec, now) {
			out = append(out, Info{ID: rec.ID, Created: rec.Created, LastSeen: rec.LastSeen, Expires: b.m.deadline(rec),
				Remembered: rec.Persistent, UserAgent: rec.UserAgent, IP: rec.IP})
		}
	}
	return out, nil
}

func (b *serverBackend) destroyUser(ctx context.Context, user, keepID string) (int, error) {
	ids, err := b.byUser(ctx, user)
	if err != nil {
		return 0, err
	}
	// The kept session may have been renewed since its request loaded it:
	// keep the ids it was renamed to as well. A renew that happens after
	// this created its new id after ids was listed, so it is not in ids.
	keep, err := b.renamesOf(ctx, user, keepID)
	if err != nil {
		return 0, err
	}
	leads := map[string]bool{} // ids known to rename into a kept one, or not
	done := map[string]bool{}  // ids this destroy deleted or reserved
	n := 0
	for _, id := range ids {
		if keepID != "" {
			kept, err := b.leadsTo(ctx, user, id, keep, leads)
			if err != nil {
				return n, err
			}
			if kept {
				continue // an older id of the kept session, still forwarding to it
			}
		}
		ended, err := b.end(ctx, id, user, keep, done)
		if ended {
			n++
		}
		if err != nil && !errors.Is(err, errCrossed) {
			return n, err
		}
	}
	return n, nil
}

// leadsTo reports whether the renames of user's session that start at id
// reach an id in keep, and remembers the answer in seen for every id on
// the way.
func (b *serverBackend) leadsTo(ctx context.Context, user, id string, keep, seen map[string]bool) (bool, error) {
	var path []string
	kept := false
	for range maxHops {
		if keep[id] {
			kept = true
			break
		}
		if v, ok := seen[id]; ok {
			kept = v
			break
		}
		path = append(path, id)
		rec, err := b.loadRecord(ctx, id)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return false, err
		}
		if rec.Ended || rec.User != user || rec.Scope != b.m.opts.CookieName || rec.RenamedTo == "" {
			break
		}
		id = rec.RenamedTo
	}
	for _, p := range path {
		seen[p] = kept
	}
	return kept, nil
}
