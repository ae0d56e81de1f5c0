package itty

import (
	"fmt"
	"net/http"
	"slices"
)

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
		panic(fmt.Sprintf("itty: route %s %q conflicts with %s %q: no path can tell them apart",
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
