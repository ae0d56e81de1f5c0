package itty

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// paramType is the converter named in a route pattern: <type:name>.
type paramType uint8

// The order of the constants is the order in which a path segment is tried
// against parameter children: the most specific converter first, so that
// /items/<int:id> wins over /items/<str:name> for "42" and loses for "hat".
const (
	ptInt paramType = iota
	ptFloat
	ptUUID
	ptSlug
	ptStr
	numSegmentTypes // path is handled apart: it consumes the rest of the path
	ptPath          = numSegmentTypes
)

var paramTypeNames = map[string]paramType{
	"int": ptInt, "float": ptFloat, "uuid": ptUUID, "slug": ptSlug, "str": ptStr, "path": ptPath,
	"any": ptPath, // itty3's name for path
}

// matchesSegment is matches for a value already cut at '/'.
func (t paramType) matchesSegment(s string) bool {
	if t == ptStr {
		return s != "" && s != "." && s != ".."
	}
	return t.matches(s)
}

// matches reports whether one path segment (or, for path, the rest of the
// path) converts to the type. Empty values never match.
func (t paramType) matches(s string) bool {
	if s == "" {
		return false
	}
	switch t {
	case ptInt:
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		_, err := strconv.Atoi(s) // rejects values that overflow int
		return err == nil
	case ptFloat:
		dots := 0
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '.':
				dots++
			case c < '0' || c > '9':
				return false
			}
		}
		return dots <= 1 && s != "."
	case ptUUID:
		if len(s) != 36 {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return false
				}
			} else if !isHex(c) {
				return false
			}
		}
		return true
	case ptSlug:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
		return true
	case ptStr:
		// "." and ".." are never values: a path holding them is cleaned
		// (redirected) before it can reach a handler.
		return s != "." && s != ".." && strings.IndexByte(s, '/') < 0
	case ptPath:
		return !needsClean("/" + s)
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// route is one registered (method, pattern) pair.
type route struct {
	method  string
	pattern string
	names   []string     // parameter names, in path order
	fn      HandlerFunc  // an itty handler, or nil
	h       http.Handler // a net/http handler when fn is nil
}

// Methods with a fixed slot in every node; others go to node.other.
var knownMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// Slots of GET and HEAD in knownMethods, for the HEAD-to-GET fallback.
const (
	mGet = iota
	mHead
)

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	case http.MethodPut:
		return 3
	case http.MethodPatch:
		return 4
	case http.MethodDelete:
		return 5
	case http.MethodOptions:
		return 6
	case http.MethodConnect:
		return 7
	case http.MethodTrace:
		return 8
	}
	return -1
}

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

// segment is one parsed piece of a pattern.
type segment struct {
	literal string
	typ     paramType
	param   bool
	name    string
}

// parsePattern splits a pattern such as /greet/<str:name>/ into segments.
// It panics, naming the pattern, on anything it cannot route unambiguously.
func parsePattern(pattern string) []segment {
	if !strings.HasPrefix(pattern, "/") {
		panic(fmt.Sprintf("itty: route %q must begin with /", pattern))
	}
	parts := strings.Split(pattern[1:], "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		open := strings.IndexByte(p, '<')
		if open < 0 {
			if strings.IndexByte(p, '>') >= 0 {
				panic(fmt.Sprintf("itty: route %q: stray '>' in segment %q", pattern, p))
			}
			if p == "." || p == ".." || (p == "" && i != len(parts)-1) {
				// Request paths with these are redirected to their clean
				// form before routing, so such a route could never match.
				panic(fmt.Sprintf("itty: route %q: empty, \".\" and \"..\" segments cannot be matched", pattern))
			}
			segs = append(segs, segment{literal: p})
			continue
		}
		if open != 0 || !strings.HasSuffix(p, ">") || strings.Count(p, "<") != 1 {
			panic(fmt.Sprintf("itty: route %q: a parameter must fill a whole path segment, got %q", pattern, p))
		}
		typName, name, ok := strings.Cut(p[1:len(p)-1], ":")
		if !ok {
			panic(fmt.Sprintf("itty: route %q: parameter %q needs a type, as in <str:%s>", pattern, p, typName))
		}
		typ, known := paramTypeNames[typName]
		if !known {
			panic(fmt.Sprintf("itty: route %q: unknown parameter type %q (want int, float, uuid, slug, str or path)", pattern, typName))
		}
		if !validParamName(name) {
			panic(fmt.Sprintf("itty: route %q: invalid parameter name %q", pattern, name))
		}
		if seen[name] {
			panic(fmt.Sprintf("itty: route %q: duplicate parameter name %q", pattern, name))
		}
		seen[name] = true
		if typ == ptPath && i != len(parts)-1 {
			panic(fmt.Sprintf("itty: route %q: a <path:%s> parameter must be the last segment", pattern, name))
		}
		segs = append(segs, segment{typ: typ, param: true, name: name})
	}
	return segs
}

func validParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// router is the routing tree plus the set of methods in use, which the
// 405/OPTIONS path walks to build an Allow header.
type router struct {
	root    node
	methods []string
}

// add registers r, panicking if a route for the same method already has the
// same shape (the same literals and converter types in the same places):
// two such routes could never be told apart.
func (rt *router) add(r *route) {
	segs := parsePattern(r.pattern)
	n := &rt.root
	for _, s := range segs {
		switch {
		case !s.param:
			n = n.addLiteral(s.literal)
		case s.typ == ptPath:
			if n.rest == nil {
				n.rest = new(node)
			}
			n = n.rest
		default:
			n = n.addParam(s.typ)
		}
		if s.param {
			r.names = append(r.names, s.name)
		}
	}
	mi := methodIndex(r.method)
	if old := n.route(r.method, mi); old != nil {
		panic(fmt.Sprintf("itty: route %s %s conflicts with %s %s: no path can tell them apart",
			r.method, r.pattern, old.method, old.pattern))
	}
	if mi >= 0 {
		n.routes[mi] = r
	} else {
		if n.other == nil {
			n.other = map[string]*route{}
		}
		n.other[r.method] = r
	}
	for _, m := range rt.methods {
		if m == r.method {
			return
		}
	}
	rt.methods = append(rt.methods, r.method)
}

// find returns the route for method and path, appending parameter values to
// ps. It allocates nothing unless ps needs to grow. The path must begin with /.
//
// It first walks the tree greedily, taking at each segment the choice a
// full search would try first (the literal child, else the first converter
// that accepts the segment). That walk is the first branch the search
// explores, so when it ends at a route, that route is the search's answer;
// only when it dead-ends does find fall back to the backtracking search.
func (rt *router) find(method, path string, ps *Params) *route {
	mi := methodIndex(method)
	mark := len(ps.values)
	n, rest := &rt.root, path[1:]
	for {
		var seg, tail string
		var more bool
		c, k := n.literal(rest)
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
				break // a <path:...> child, or no route: let the search decide
			}
		}
		if !more {
			if r := c.accepts(method, mi); r != nil {
				return r
			}
			break
		}
		n, rest = c, tail
	}
	ps.values = ps.values[:mark]
	m := match{method: method, mi: mi, ps: ps}
	return rt.root.find(path[1:], &m)
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

// allowed lists the methods that some route accepts for path, in
// registration order, with HEAD added wherever GET is allowed and OPTIONS,
// which the App answers itself, added to any non-empty list.
func (rt *router) allowed(path string) []string {
	var allow []string
	var scratch Params
	hasGet, hasHead := false, false
	for _, m := range rt.methods {
		scratch.values = scratch.values[:0]
		if rt.find(m, path, &scratch) != nil {
			allow = append(allow, m)
			hasGet = hasGet || m == http.MethodGet
			hasHead = hasHead || m == http.MethodHead
		}
	}
	if hasGet && !hasHead {
		allow = append(allow, http.MethodHead)
	}
	if len(allow) > 0 && !slices.Contains(allow, http.MethodOptions) {
		allow = append(allow, http.MethodOptions)
	}
	return allow
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
