package bench

import (
	"fmt"
	"net/http"
)

// Case is one routing benchmark: the route set a router is built with and
// the requests one op serves. The Go benchmarks (router_test.go) and the
// instruction counter (cmd/instrcount) both take their cases from Cases.
type Case struct {
	Name string
	// set is the route set to load (see LoadRoutes), or "" for the routes
	// in one; pick chooses, from the routes built, those one op requests.
	set  string
	one  []Route
	pick func([]Route) []Route
}

// Cases are the routing benchmarks, in the order the tables show them.
var Cases = []Case{
	// One static route among one: the cost of the stack itself.
	{Name: "Static1", one: []Route{{"GET", "/user/repos"}}},
	{Name: "Param1", one: []Route{{"GET", "/user/:name"}}},
	{Name: "GitHubStatic", set: "github", pick: find("GET", "/user/repos")},
	{Name: "GitHubParam", set: "github", pick: find("GET", "/repos/:owner/:repo/issues/:number")},
	{Name: "GitHubAll", set: "github"},
	{Name: "ParseAll", set: "parse"},
	{Name: "StaticAll", set: "static"},
}

// Load returns the routes to build a router with and the requests of one
// op, one per route picked, with concrete parameter values.
func (c Case) Load() (routes []Route, reqs []*http.Request) {
	routes, picked := c.one, c.one
	if c.set != "" {
		routes = LoadRoutes(c.set)
		picked = routes
	}
	if c.pick != nil {
		picked = c.pick(routes)
	}
	return routes, requests(picked)
}

// LookupCase returns the case called name.
func LookupCase(name string) (Case, error) {
	for _, c := range Cases {
		if c.Name == name {
			return c, nil
		}
	}
	return Case{}, fmt.Errorf("no routing case %q", name)
}

// LookupContestant returns the contestant called name.
func LookupContestant(name string) (Contestant, error) {
	for _, c := range Contestants {
		if c.Name == name {
			return c, nil
		}
	}
	return Contestant{}, fmt.Errorf("no contestant %q", name)
}

// Serve serves one op: every request of reqs once, through the one
// response writer w, as the benchmarks do.
func Serve(h http.Handler, w http.ResponseWriter, reqs []*http.Request) {
	for _, r := range reqs {
		h.ServeHTTP(w, r)
	}
}

// find picks the one route with this method and path.
func find(method, path string) func([]Route) []Route {
	return func(rs []Route) []Route {
		for _, r := range rs {
			if r.Method == method && r.Path == path {
				return []Route{r}
			}
		}
		panic("no route " + path)
	}
}
