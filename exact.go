package itty

import "math/bits"

// This file holds the exact-path index: every node that a route with no
// parameters ends at, found from the whole request path in one probe.
//
// The tree already gives such a path its answer: at each segment the walk
// prefers a literal child, so a path that spells a parameter-free pattern
// walks literal children all the way down to that pattern's node. The
// index reaches the same node without the walk's per-segment lookups,
// which on a path such as /repos/owner/name/issues/events is most of the
// routing time. When the node has no route for the method (a POST to a
// GET-only page, where a typed route might still take the POST), find goes
// on to the walk, so the index changes no answer, only its cost.
// TestFindAgreesWithSearch and TestExactIndexLeavesAnswersToTheTree check that.

// exactIndex maps whole paths to nodes, with open addressing in a table
// whose len is a power of two, at most half full; a nil node is an empty
// slot. Its zero value is an empty index.
type exactIndex struct {
	// seen has a bit set for each path's filterBit: a path whose bit is
	// clear is not in the index, which most paths with parameters learn
	// from one word, without hashing.
	seen  [4]uint64
	slots []exactSlot
	shift uint8 // 64 - log2(len(slots)): a hash's top bits pick its slot
	n     int
}

type exactSlot struct {
	first, last uint64 // ends(path)
	path        string
	node        *node
}

// ends returns the first and last eight bytes of s as words (four, or all
// of s, for a shorter one). Together with the length they are all of a path
// of up to sixteen bytes, so most paths compare without a call to memequal.
func ends(s string) (first, last uint64) {
	switch n := len(s); {
	case n >= 8:
		return load8(s), load8(s[n-8:])
	case n >= 4:
		return uint64(load4(s)), uint64(load4(s[n-4:]))
	default:
		for i := 0; i < n; i++ {
			first = first<<8 | uint64(s[i])
		}
		return first, 0
	}
}

// pathHash mixes a path's length with its ends, so that paths sharing a
// long prefix (/repos/...) still spread, and multiplies for Fibonacci
// hashing, whose top bits are used.
func pathHash(first, last uint64, n int) uint64 {
	return (first ^ bits.RotateLeft64(last, 29) ^ uint64(n)) * 0x9e3779b97f4a7c15
}

// same reports whether s holds path, whose ends are first and last.
func (s *exactSlot) same(path string, first, last uint64) bool {
	n := len(path)
	return s.first == first && s.last == last && len(s.path) == n &&
		(n <= 16 || s.path[8:n-8] == path[8:n-8])
}

// filterBit picks a path's bit in seen from its length and last byte,
// which differ between most paths that share a prefix. path is not empty.
func filterBit(path string) uint {
	return (uint(len(path))*37 + uint(path[len(path)-1])) & 255
}

// mayHold reports whether path could be in the index; false is certain.
// It is small enough to be inlined into find, so a miss costs no call.
func (x *exactIndex) mayHold(path string) bool {
	b := filterBit(path)
	return x.seen[b>>6]&(1<<(b&63)) != 0
}

// lookup returns the node for path, or nil. path is not empty.
func (x *exactIndex) lookup(path string) *node {
	if !x.mayHold(path) {
		return nil
	}
	return x.probe(path)
}

// probe is lookup for a path that mayHold let through (find checks it
// inline, so that a miss costs no call).
func (x *exactIndex) probe(path string) *node {
	first, last := ends(path)
	mask := uint(len(x.slots) - 1)
	for i := uint(pathHash(first, last, len(path)) >> x.shift); ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.node == nil {
			return nil
		}
		if s.same(path, first, last) {
			return s.node
		}
	}
}

// add records that path leads to n. Adding a path again changes nothing:
// a path has one node.
func (x *exactIndex) add(path string, n *node) {
	if x.lookup(path) != nil {
		return
	}
	if 2*(x.n+1) > len(x.slots) {
		old := x.slots
		size := 8
		for size < 2*(x.n+1) {
			size *= 2
		}
		x.slots, x.shift = make([]exactSlot, size), uint8(64-bits.TrailingZeros(uint(size)))
		for _, s := range old {
			if s.node != nil {
				x.put(s)
			}
		}
	}
	first, last := ends(path)
	x.put(exactSlot{first: first, last: last, path: path, node: n})
	x.n++
	b := filterBit(path)
	x.seen[b>>6] |= 1 << (b & 63)
}

func (x *exactIndex) put(s exactSlot) {
	mask := uint(len(x.slots) - 1)
	i := uint(pathHash(s.first, s.last, len(s.path)) >> x.shift)
	for x.slots[i].node != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}
