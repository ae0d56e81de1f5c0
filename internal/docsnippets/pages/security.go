//go:build docsnippets

// The context of docs/security.md. Its fragments configure app.
package snippets

import "github.com/ittygo/itty"

var app *itty.App // the App being configured
