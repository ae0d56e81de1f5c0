// Package bench measures itty against the Go routers people reach for —
// julienschmidt/httprouter, gin, echo, chi, gorilla/mux and net/http's
// ServeMux — and against a bare handler that routes nothing, on the route
// sets of the well-known Go HTTP routing benchmark (internal/routesets of
// the core module).
//
// Every contestant is served through its own ServeHTTP, with handlers
// written the way its users write them: read every route parameter, answer
// "ok". See docs/performance.md for the results and how to reproduce them.
package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/ittygo/itty/internal/routesets"
)

// Route is one line of a route set: a method and a path with :params.
type Route struct {
	Method, Path string
}

// LoadRoutes reads the route set NAME (github, parse or static).
func LoadRoutes(name string) []Route {
	b, err := routesets.FS.ReadFile(name + ".txt")
	if err != nil {
		panic(err)
	}
	var routes []Route
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		method, path, ok := strings.Cut(line, " ")
		if !ok {
			panic(fmt.Sprintf("routesets/%s.txt: bad line %q", name, line))
		}
		routes = append(routes, Route{method, path})
	}
	return routes
}

// params returns the names of a route's :params, in order.
func params(path string) []string {
	var names []string
	for seg := range strings.SplitSeq(path, "/") {
		if strings.HasPrefix(seg, ":") {
			names = append(names, seg[1:])
		}
	}
	return names
}

// convert rewrites each :name segment with syntax(name).
func convert(path string, syntax func(name string) string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = syntax(s[1:])
		}
	}
	return strings.Join(segs, "/")
}

// RequestPath fills each :name with a concrete value, as a client would.
func RequestPath(path string) string {
	return convert(path, func(name string) string { return "v" + name })
}
