//go:build docsnippets

// The context of docs/routing.md. Its fragments register routes on app.
package snippets

import (
	"embed"

	"github.com/ittygo/itty"
)

var (
	app *itty.App // the App the routes are registered on

	// The handlers of the first example, as in the tutorial.
	index, create, greet itty.HandlerFunc

	// The files a program embeds, for app.Static (a //go:embed variable).
	embedded embed.FS
)
