//go:build docsnippets

// The context of docs/troubleshooting.md: a handler's app, request and
// response, and the value it puts in a cookie.
package snippets

import "github.com/ittygo/itty"

var (
	app   *itty.App      // the App
	req   *itty.Request  // the request the handler answers
	resp  *itty.Response // the response it is building
	value string         // a cookie's value
)
