//go:build docsnippets

// The context of docs/static-files.md. Its fragments register static files
// on app.
package snippets

import "github.com/ittygo/itty"

var app *itty.App // the App the files are served by
