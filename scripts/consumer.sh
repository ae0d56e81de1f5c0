#!/usr/bin/env bash
# Builds the released modules as a consumer meets them: zips of the working
# tree at the next release's version (docs/releasing.md), served from a
# file-system proxy, required by a scratch module outside the workspace that
# imports sessions, ittytest and the store modules, then built and tested.
# Nothing of these modules is fetched from the internet; their dependencies
# come through the machine's own Go proxy settings.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=$(sed -n 's/^Next release: \(v[0-9][0-9.]*\)$/\1/p' docs/releasing.md)
if [ -z "$version" ]; then
	echo "consumer: docs/releasing.md names no \"Next release: vX.Y.Z\"" >&2; exit 1
fi
stores="sessions/redisstore sessions/pgstore"
for m in $stores; do
	if ! grep -q "github.com/ittygo/itty $version\$" "$m/go.mod"; then
		echo "consumer: $m/go.mod does not require github.com/ittygo/itty $version (docs/releasing.md)" >&2; exit 1
	fi
	if grep -q '^replace' "$m/go.mod"; then
		echo "consumer: $m/go.mod has a replace directive, which only works inside this repository" >&2; exit 1
	fi
done
# The login example is not released, but readers copy it out: it names the
# same version, so that dropping its replace block is all a copy needs.
for dep in github.com/ittygo/itty github.com/ittygo/itty/sessions/pgstore github.com/ittygo/itty/sessions/redisstore; do
	if ! grep -q "	$dep $version\$" examples/login/go.mod; then
		echo "consumer: examples/login/go.mod does not require $dep $version (docs/releasing.md)" >&2; exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd internal/tools && GOWORK=off go run ./modproxy -out "$tmp/proxy" -version "$version" "$root" $(for m in $stores; do echo "$root/$m"; done))

mkdir "$tmp/consumer"
cat >"$tmp/consumer/go.mod" <<MOD
module example.com/consumer

go 1.25.0

require (
	github.com/ittygo/itty $version
	github.com/ittygo/itty/sessions/pgstore $version
	github.com/ittygo/itty/sessions/redisstore $version
)
MOD
cat >"$tmp/consumer/consumer_test.go" <<'GO'
package consumer

import (
	"net/url"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestConsumer logs in and out of an itty app with sessions, through
// ittytest, and builds both store modules' stores.
func TestConsumer(t *testing.T) {
	app := itty.New()
	mgr, err := sessions.New(app, sessions.NewMemoryStore(sessions.CleanupInterval(-1)), sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Render(req, "ok")
	})
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "user="+mgr.Get(req).User())
	})
	c := ittytest.NewClient(t, app)
	c.PostForm("/login", url.Values{"user": {"ada"}})
	if got := c.Get("/").Body; got != "user=ada" {
		t.Fatalf("after login: %q", got)
	}
	var _ sessions.Store = redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), "")
	var _ sessions.Store = (*pgstore.Store)(nil)
}
GO
cd "$tmp/consumer"
# A module cache of its own: the machine's holds any v0.1.0 zipped before,
# and a module version, once downloaded, is never fetched again.
export GOWORK=off GOFLAGS="-mod=mod -modcacherw" GONOSUMDB=github.com/ittygo/itty GOMODCACHE="$tmp/modcache"
GOPROXY="file://$tmp/proxy,$(go env GOPROXY)"
export GOPROXY
go mod tidy
# The consumer asked for Go 1.25.0; tidy raises that if a released module or
# one of its dependencies needs more, which would make 1.25 a false minimum.
if ! grep -q '^go 1.25.0$' go.mod; then
	echo "consumer: the released modules need a newer Go than their go.mod says: $(grep '^go ' go.mod)" >&2; exit 1
fi
go vet ./...
go test -count=1 ./...
echo "consumer: built and tested against github.com/ittygo/itty $version and its store modules, zipped from the working tree"
