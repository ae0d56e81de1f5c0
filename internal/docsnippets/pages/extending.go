//go:build docsnippets

// The context of docs/extending.md. Its fragments register handlers,
// middleware and error pages on app.
package snippets

import "github.com/ittygo/itty"

var app *itty.App // the App being extended
