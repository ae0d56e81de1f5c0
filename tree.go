package itty

import (
	"math/bits"
	"net/http"
)

// This file implements the routing tree: a trie with one level per path
// segment, and the two ways it is searched.
//
// Each node stands for a path prefix. Its children are of three kinds:
// literal children, one per fixed segment ("repos"); typed children, at
// most one per converter (<int:...>, <str:...>, …); and a rest child for a
// <path:...> parameter, which takes everything that is left. A node ends
// routes for methods in slots of its own (see methodSlot).
//
// At each segment a lookup prefers a literal child, then the typed children
// from the most specific converter to the least (int, float, uuid, slug,
// str), then the rest child. Because typed routes overlap, the first choice
// can dead-end below, and the lookup must back up and try the next one.
// Take these routes:
//
//	GET /items/<int:id>/edit
//	GET /items/<str:name>/photos
//
// and the request GET /items/42/photos. At "42" the int child comes first
// and accepts it, but below it there is only "edit", so the lookup backs up
// to "42" and tries the str child, which leads to "photos": a match, with
// name=42.
//
// Backing up is rare in real route sets, so find (once the exact-path index
// of exact.go has no answer) first takes the cheap greedy walk: at each segment, the choice the full search would try first,
// never backing up. That walk is the first branch the search explores, so
// when it ends at a route, that route is the search's answer too. Only when
// it dead-ends (as above) does find run the backtracking search from the
// root. TestFindAgreesWithSearch checks the two agree.
//
// Literal children are kept in a small table (see literals): a plain list
// for a few keys, else a hash table found from the segment's first eight
// bytes read as one word, so a lookup compares the key against the front of
// the remaining path without first finding where the segment ends.

// methodSlot is where a node keeps the route for a method. The methods of
// RFC 9110 have a slot each; others share a map.
type methodSlot uint8

const (
	slotGet methodSlot = iota
	slotHead
	slotPost
	slotPut
	slotPatch
	slotDelete
	slotOptions
	slotConnect
	slotTrace
	numSlots
	slotOther = numSlots // node.other holds the route
)

// slotOf returns the slot of method m.
func slotOf(m string) methodSlot {
	switch m {
	case http.MethodGet:
		return slotGet
	case http.MethodHead:
		return slotHead
	case http.MethodPost:
		return slotPost
	case http.MethodPut:
		return slotPut
	case http.MethodPatch:
		return slotPatch
	case http.MethodDelete:
		return slotDelete
	case http.MethodOptions:
		return slotOptions
	case http.MethodConnect:
		return slotConnect
	case http.MethodTrace:
		return slotTrace
	}
	return slotOther
}

// node is one path segment in the routing tree.
type node struct {
	lits literals // literal children

	paramTypes []paramType // the typed children present, most specific first
	paramNodes []*node
	params     [numSegmentTypes]*node
	rest       *node // a <path:...> child, which consumes the rest of the path

	routes [numSlots]*route
	other  map[string]*route // routes for methods without a slot
}

func (n *node) addParam(t paramType) *node {
	if n.params[t] == nil {
		n.params[t] = new(node)
		n.paramTypes, n.paramNodes = n.paramTypes[:0], n.paramNodes[:0]
		for pt, c := range n.params {
			if c != nil {
				n.paramTypes = append(n.paramTypes, paramType(pt))
				n.paramNodes = append(n.paramNodes, c)
			}
		}
	}
	return n.params[t]
}

func (n *node) addRest() *node {
	if n.rest == nil {
		n.rest = new(node)
	}
	return n.rest
}

// route returns the route n ends for the method, or nil.
func (n *node) route(method string, slot methodSlot) *route {
	if slot < numSlots {
		return n.routes[slot]
	}
	return n.other[method]
}

func (n *node) setRoute(r *route, slot methodSlot) {
	if slot < numSlots {
		n.routes[slot] = r
		return
	}
	if n.other == nil {
		n.other = map[string]*route{}
	}
	n.other[r.method] = r
}

// accepts returns the route n ends for the method; HEAD falls back to GET.
func (n *node) accepts(method string, slot methodSlot) *route {
	if r := n.route(method, slot); r != nil {
		return r
	}
	if slot == slotHead {
		return n.routes[slotGet]
	}
	return nil
}

// match is what every level of a lookup shares, passed as one pointer.
type match struct {
	method string
	slot   methodSlot
	ps     *Params // parameter values are appended here
}

// walk is the greedy walk: it follows rest (the path without its leading
// slash) below n, taking at each segment the first choice, and returns the
// route it ends at for the method, or nil if that branch dead-ends. It
// leaves ps as it found it when it returns nil.
func (n *node) walk(rest, method string, slot methodSlot, ps *Params) *route {
	mark := len(ps.values)
	for {
		var seg, tail string
		var more bool
		c, k := n.lits.lookup(rest)
		if c != nil {
			// The key matched rest up to a slash or the end; no scan needed.
			if more = k < len(rest); more {
				tail = rest[k+1:]
			}
		} else {
			seg, tail, more = cutSegment(rest)
			for i, pn := range n.paramNodes {
				if n.paramTypes[i].matchesSegment(seg) {
					c = pn
					ps.values = append(ps.values, seg)
					break
				}
			}
			if c == nil {
				break // a <path:...> child, or no route: the search decides
			}
		}
		if !more {
			if r := c.accepts(method, slot); r != nil {
				return r
			}
			break
		}
		n, rest = c, tail
	}
	ps.values = ps.values[:mark]
	return nil
}

// search matches rest, the path after the segments n stands for (without
// the leading slash), trying literal, typed and path children in that order
// and backing up when a branch fails.
func (n *node) search(rest string, m *match) *route {
	seg, tail, more := cutSegment(rest)
	if c, _ := n.lits.lookup(seg); c != nil {
		if r := c.next(tail, more, m); r != nil {
			return r
		}
	}
	ps := m.ps
	mark := len(ps.values)
	for i, c := range n.paramNodes {
		if !n.paramTypes[i].matchesSegment(seg) {
			continue
		}
		ps.values = append(ps.values, seg)
		if r := c.next(tail, more, m); r != nil {
			return r
		}
		ps.values = ps.values[:mark]
	}
	if n.rest != nil && ptPath.matches(rest) {
		if r := n.rest.accepts(m.method, m.slot); r != nil {
			ps.values = append(ps.values, rest)
			return r
		}
	}
	return nil
}

// next continues the search below n, or ends it at n when the path is used up.
func (n *node) next(tail string, more bool, m *match) *route {
	if more {
		return n.search(tail, m)
	}
	return n.accepts(m.method, m.slot)
}

// cutSegment splits rest at its first slash; more reports whether there was one.
func cutSegment(rest string) (seg, tail string, more bool) {
	i := 0
	if len(rest) >= 8 {
		// Most segments end within eight bytes: look at them as one word
		// (the zero-byte test of window, on rest ^ slashes).
		x := load8(rest) ^ slashes
		if zero := (x - 0x0101010101010101) &^ x & 0x8080808080808080; zero != 0 {
			i = bits.TrailingZeros64(zero) >> 3
			return rest[:i], rest[i+1:], true
		}
		i = 8
	}
	for ; i < len(rest); i++ { // a loop beats IndexByte on short segments
		if rest[i] == '/' {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, "", false
}

// literals is a node's table of literal children. Up to smallLiterals keys
// are a list, scanned comparing first bytes. Beyond that it is a hash table
// with open addressing: a segment's slot is found from its window (its
// first eight bytes read as one word), and comparing windows rules out
// almost every other key at once; keys of eight bytes or more then check
// where the segment ends and compare the rest. (Map hashing used to
// dominate routing time.)
type literals struct {
	// slots holds up to smallLiterals keys in a plain list, scanned in
	// order; beyond that, a hash table whose len is a power of two, where a
	// nil child is an empty slot.
	slots  []literalSlot
	hashed bool
	shift  uint8 // 64 - log2(len(slots)) when hashed: a hash's top bits pick its slot
	empty  *node // the "" child, ending a pattern such as /greet/<str:name>/
}

// slashes is eight slashes as one word, for window and cutSegment.
const slashes = 0x2f2f2f2f2f2f2f2f

// smallLiterals is the most keys a table scans instead of hashing: up to
// it, comparing each key's first byte costs less than computing a window.
const smallLiterals = 4

type literalSlot struct {
	head  uint64 // window(key)
	key   string
	child *node
}

// window returns the first eight bytes of s's first segment as one
// little-endian word, with every byte from the segment's end (a slash, or
// the end of s) on read as a slash. A key and a path that begins with that
// key as a whole segment have the same window; for a key shorter than
// eight bytes, the same window means the same segment.
func window(s string) uint64 {
	var w uint64
	switch n := len(s); {
	case n >= 8:
		w = load8(s)
	case n >= 4:
		// Two overlapping four-byte loads, then slashes past the end.
		w = uint64(load4(s)) | uint64(load4(s[n-4:]))<<(8*(n-4))
		keep := uint64(1)<<(8*n) - 1
		w = w&keep | slashes&^keep
	default:
		w = slashes
		for i := n - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
	}
	// x has a zero byte wherever w has a slash; the lowest byte the
	// classic zero-byte test flags is always a true zero, and everything
	// from it up becomes slashes.
	x := w ^ slashes
	if zero := (x - 0x0101010101010101) &^ x & 0x8080808080808080; zero != 0 {
		keep := uint64(1)<<(bits.TrailingZeros64(zero)-7) - 1
		w = w&keep | slashes&^keep
	}
	return w
}

// slot is where a window's search starts: Fibonacci hashing, whose top bits
// spread keys that share most of their bytes.
func (t *literals) slot(w uint64) uint {
	return uint((w * 0x9e3779b97f4a7c15) >> t.shift)
}

// lookup returns the child whose key is the first segment of rest (rest up
// to its first slash, or all of it), and the key's length, which is where
// that segment ends in rest.
func (t *literals) lookup(rest string) (*node, int) {
	if rest == "" || rest[0] == '/' {
		return t.empty, 0
	}
	if !t.hashed {
		for i := range t.slots {
			if s := &t.slots[i]; s.key[0] == rest[0] && hasSegmentPrefix(rest, s.key) {
				return s.child, len(s.key)
			}
		}
		return nil, 0
	}
	w := window(rest)
	mask := uint(len(t.slots) - 1)
	for h := t.slot(w); ; h = (h + 1) & mask {
		s := &t.slots[h]
		if s.child == nil {
			return nil, 0
		}
		if s.head != w {
			continue
		}
		n := len(s.key)
		if n < 8 {
			return s.child, n
		}
		if n <= len(rest) && (n == len(rest) || rest[n] == '/') && rest[8:n] == s.key[8:] {
			return s.child, n
		}
	}
}

// add returns the child for key, adding it if it is new.
func (t *literals) add(key string) *node {
	if key == "" {
		if t.empty == nil {
			t.empty = new(node)
		}
		return t.empty
	}
	if c, _ := t.lookup(key); c != nil {
		return c
	}
	c := new(node)
	s := literalSlot{head: window(key), key: key, child: c}
	if !t.hashed && len(t.slots) < smallLiterals {
		t.slots = append(t.slots, s)
		return c
	}
	// Rebuild the hash table at most half full, counting the new key
	// (registration only: every key added rebuilds it).
	var kept []literalSlot
	for _, s := range t.slots {
		if s.child != nil {
			kept = append(kept, s)
		}
	}
	size := 4
	for size < 2*(len(kept)+1) {
		size *= 2
	}
	t.slots, t.hashed = make([]literalSlot, size), true
	t.shift = uint8(64 - bits.TrailingZeros(uint(size)))
	for _, s := range kept {
		t.put(s)
	}
	t.put(s)
	return c
}

func (t *literals) put(s literalSlot) {
	mask := uint(len(t.slots) - 1)
	h := t.slot(s.head)
	for t.slots[h].child != nil {
		h = (h + 1) & mask
	}
	t.slots[h] = s
}

// hasSegmentPrefix reports whether rest begins with the whole segment key:
// key followed by a slash or the end. A byte loop beats a call to the
// runtime's memequal on keys as short as path segments.
func hasSegmentPrefix(rest, key string) bool {
	if len(rest) < len(key) {
		return false
	}
	if len(rest) > len(key) && rest[len(key)] != '/' {
		return false
	}
	head := rest[:len(key)]
	for i := 0; i < len(key); i++ {
		if head[i] != key[i] {
			return false
		}
	}
	return true
}

// load8 reads the first eight bytes of s as one little-endian word (the
// compiler turns the byte loads into one load).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load4 reads the first four bytes of s as one little-endian word.
func load4(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
