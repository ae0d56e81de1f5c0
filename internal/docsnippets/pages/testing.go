//go:build docsnippets

// The context of docs/testing.md. Its example tests the cookie guide's app.
package snippets

import "github.com/ittygo/itty"

// newApp returns the app under test: examples/cookies's newApp, whose /set/
// stores ?username in a cookie and redirects to /, which greets that name.
func newApp() *itty.App { return itty.New() }
