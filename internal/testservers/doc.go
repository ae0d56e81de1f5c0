// Package testservers starts real servers for the tests of the repository's
// modules, on loopback, in temporary directories: a redis-server, a Redis
// Cluster, and a PostgreSQL cluster (as the postgres user when run as
// root), so the store and scale-out tests drive the real thing, never a
// stand-in.
package testservers

import (
	"os"
	"testing"
)

// Need skips the test when err says a server could not be had, with err's
// message (which says how to install it), or fails it under CI=true,
// where no test may skip for want of a server.
func Need(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(err)
	}
	t.Skip(err)
}
