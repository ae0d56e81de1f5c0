//go:build docsnippets

// The context of docs/tutorial.md. Its fragments are parts of newApp (and
// newApp itself), which the page shows in full as main.go at its end.
package snippets

import "github.com/ittygo/itty"

var (
	app   *itty.App // the App newApp makes
	todos *todoList // newApp's argument: the list kept in data.json
)

// todoList has the methods of the page's store.go (Data is the page's own):
// only their signatures matter here.
type todoList struct{}

// Load returns the list.
func (*todoList) Load() (Data, error) { return Data{}, nil }

// Add appends an item.
func (*todoList) Add(item string) error { return nil }

// Done moves the item at offset to the done list and reports whether there
// was one.
func (*todoList) Done(offset int) (bool, error) { return false, nil }
