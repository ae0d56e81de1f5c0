// Package routesets holds the route sets of the well-known Go HTTP routing
// benchmark (GitHub API, Parse API, static files), one "METHOD /path/:param"
// per line, for the core module's own routing tests and benchmarks and for
// the bench module's comparison with other routers.
package routesets

import "embed"

// FS holds github.txt, parse.txt and static.txt.
//
//go:embed *.txt
var FS embed.FS
