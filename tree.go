package itty

// node is one path segment in the routing tree. Literal children live in a
// small open-addressing table keyed by the first two bytes of the segment,
// each slot holding the key and the child, so a lookup is usually one probe
// and one compare of the key against the front of the remaining path: the
// segment's end need not be found first. (Map hashing used to dominate
// routing time.) A literal empty segment, the end of a pattern such as
// /greet/<str:name>/, has a field of its own.
type node struct {
	lits  []literalSlot // len is zero or a power of two; a nil child is an empty slot
	empty *node         // the "" literal child

	paramTypes []paramType // the typed children present, most specific first
	paramNodes []*node
	params     [numSegmentTypes]*node
	rest       *node // a <path:...> child, which consumes the rest of the path

	routes [len(knownMethods)]*route
	other  map[string]*route
}

// literalSlot is one slot of a node's literal table.
type literalSlot struct {
	key   string
	child *node
}

// litHash hashes the first two bytes of s, reading the end of s as '/', so
// that a key and any path that begins with that key as a whole segment
// hash alike.
func litHash(s string) uint {
	b0, b1 := byte('/'), byte('/')
	if len(s) > 0 {
		b0 = s[0]
	}
	if len(s) > 1 {
		b1 = s[1]
	}
	return uint(b0)*31 + uint(b1)
}

// literal finds the literal child whose key is the first segment of rest
// (rest up to its first slash, or all of it). It returns the child and the
// key's length, which is where that segment ends in rest.
func (n *node) literal(rest string) (*node, int) {
	if rest == "" || rest[0] == '/' {
		return n.empty, 0
	}
	if len(n.lits) == 0 {
		return nil, 0
	}
	mask := uint(len(n.lits) - 1)
	for h := litHash(rest) & mask; ; h = (h + 1) & mask {
		s := &n.lits[h]
		if s.child == nil {
			return nil, 0
		}
		if k := len(s.key); hasSegmentPrefix(rest, s.key) {
			return s.child, k
		}
	}
}

func (n *node) addLiteral(seg string) *node {
	if seg == "" {
		if n.empty == nil {
			n.empty = new(node)
		}
		return n.empty
	}
	if c, _ := n.literal(seg); c != nil {
		return c
	}
	// Rebuild the table at most half full, counting the new key.
	var kept []literalSlot
	for _, s := range n.lits {
		if s.child != nil {
			kept = append(kept, s)
		}
	}
	size := 4
	for size < 2*(len(kept)+1) {
		size *= 2
	}
	n.lits = make([]literalSlot, size)
	for _, s := range kept {
		n.putLiteral(s)
	}
	c := new(node)
	n.putLiteral(literalSlot{seg, c})
	return c
}

func (n *node) putLiteral(s literalSlot) {
	mask := uint(len(n.lits) - 1)
	h := litHash(s.key) & mask
	for n.lits[h].child != nil {
		h = (h + 1) & mask
	}
	n.lits[h] = s
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

func (n *node) route(method string, mi int) *route {
	if mi >= 0 {
		return n.routes[mi]
	}
	return n.other[method]
}

// accepts reports whether n ends a route for the method; HEAD falls back to GET.
func (n *node) accepts(method string, mi int) *route {
	if r := n.route(method, mi); r != nil {
		return r
	}
	if mi == mHead {
		return n.routes[mGet]
	}
	return nil
}

func (n *node) hasRoutes() bool {
	for _, r := range n.routes {
		if r != nil {
			return true
		}
	}
	return len(n.other) > 0
}

// cutSegment splits rest at its first slash; more reports whether there was one.
func cutSegment(rest string) (seg, tail string, more bool) {
	for i := 0; i < len(rest); i++ { // a loop beats IndexByte on short segments
		if rest[i] == '/' {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, "", false
}

// match is what every level of a lookup shares, passed as one pointer.
type match struct {
	method string
	mi     int
	ps     *Params
}

// find matches rest, the path after the segments n stands for (without the
// leading slash), trying literal, typed and path children in that order and
// backtracking when a branch fails.
func (n *node) find(rest string, m *match) *route {
	seg, tail, more := cutSegment(rest)
	if c, _ := n.literal(seg); c != nil {
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
		if r := n.rest.accepts(m.method, m.mi); r != nil {
			ps.values = append(ps.values, rest)
			return r
		}
	}
	return nil
}

// next continues the lookup below n, or ends it at n when the path is used up.
func (n *node) next(tail string, more bool, m *match) *route {
	if more {
		return n.find(tail, m)
	}
	return n.accepts(m.method, m.mi)
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
