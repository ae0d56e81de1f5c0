//go:build docsnippets

// The context of docs/cookies.md. Its fragments are parts of the app the
// page starts from (examples/cookies) and of its handlers.
package snippets

import "github.com/ittygo/itty"

var (
	app      *itty.App      // the App of "We start from this app"
	resp     *itty.Response // the response of the /set/ handler, as in "Setting cookies"
	username string         // the name read from the query string in /set/
)
