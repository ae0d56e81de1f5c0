package itty

import (
	"fmt"
	"net/http"
	"slices"
)

// The router holds the App's routes in a tree (tree.go) of parsed patterns
// (pattern.go). It answers the two questions serving asks: which route
// takes this request (find), and, when none does, which methods would
// (allowed).

// route is one registered (method, pattern) pair.
type route struct {
	method  string
	pattern string
	names   []string     // parameter names, in path order
	fn      HandlerFunc  // an itty handler, or nil
	h       http.Handler // a net/http handler when fn is nil
}

// router is the routing tree plus the methods in use, in registration
// order, which the 405 and OPTIONS answers list.
type router struct {
	root    node
	exact   exactIndex // the nodes of parameter-free patterns, by path (exact.go)
	methods []string
}

// add registers r, panicking if a route for the same method already has the
// same shape (the same literals and converter types in the same places):
// two such routes could never be told apart.
func (rt *router) add(r *route) {
	n := &rt.root
	for _, s := range parsePattern(r.pattern) {
		switch {
		case !s.param:
			n = n.lits.add(s.literal)
		case s.typ == ptPath:
			n = n.addRest()
		default:
			n = n.addParam(s.typ)
		}
		if s.param {
			r.names = append(r.names, s.name)
		}
	}
	slot := slotOf(r.method)
	if old := n.route(r.method, slot); old != nil {
		panic(fmt.Sprintf("itty: route %s %q conflicts with %s %q: no path can tell them apart",
			r.method, r.pattern, old.method, old.pattern))
	}
	n.setRoute(r, slot)
	if len(r.names) == 0 {
		rt.exact.add(r.pattern, n)
	}
	if !slices.Contains(rt.methods, r.method) {
		rt.methods = append(rt.methods, r.method)
	}
}

// find returns the route for method and path, appending parameter values to
// ps. It allocates nothing unless ps needs to grow. The path must begin with
// a slash. A path that spells a parameter-free pattern is answered from the
// exact-path index (exact.go); otherwise find tries the greedy walk, and the
// full search only when the walk dead-ends (see tree.go).
func (rt *router) find(method, path string, ps *Params) *route {
	slot := slotOf(method)
	if rt.exact.mayHold(path) {
		if n := rt.exact.probe(path); n != nil {
			if r := n.accepts(method, slot); r != nil {
				return r
			}
		}
	}
	if r := rt.root.walk(path[1:], method, slot, ps); r != nil {
		return r
	}
	return rt.root.search(path[1:], &match{method: method, slot: slot, ps: ps})
}

// allowed lists the methods that some route accepts for path, in
// registration order, with HEAD added wherever GET is allowed and OPTIONS,
// which the App answers itself, added to any non-empty list.
func (rt *router) allowed(path string) []string {
	var allow []string
	var scratch Params
	for _, m := range rt.methods {
		scratch.values = scratch.values[:0]
		if rt.find(m, path, &scratch) != nil {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return nil
	}
	return withImplied(allow)
}

// allowedAnywhere lists every method some route accepts, for "OPTIONS *",
// in a slice of its own: the App serves requests concurrently.
func (rt *router) allowedAnywhere() []string {
	return withImplied(slices.Clone(rt.methods))
}

// withImplied adds to allow the methods the App answers without a route
// of their own: HEAD where GET is allowed, and OPTIONS.
func withImplied(allow []string) []string {
	if slices.Contains(allow, http.MethodGet) && !slices.Contains(allow, http.MethodHead) {
		allow = append(allow, http.MethodHead)
	}
	if !slices.Contains(allow, http.MethodOptions) {
		allow = append(allow, http.MethodOptions)
	}
	return allow
}
