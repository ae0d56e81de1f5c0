//go:build docsnippets

// The context of docs/deploying.md. Its fragments are parts of main.
package snippets

import (
	"net/http"

	"github.com/ittygo/itty"
)

var (
	app *itty.App      // the program's App, routes registered
	mux *http.ServeMux // another program's mux, for "mounted inside another mux"
)
