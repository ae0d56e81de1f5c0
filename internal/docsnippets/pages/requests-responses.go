//go:build docsnippets

// The context of docs/requests-responses.md. Its fragments are parts of
// handlers: they read req and answer through app.
package snippets

import "github.com/ittygo/itty"

var (
	app *itty.App     // the App the handlers are registered on
	req *itty.Request // the request the handler is answering
)
