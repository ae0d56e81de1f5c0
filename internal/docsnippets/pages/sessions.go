//go:build docsnippets

// The context of docs/sessions.md. Its fragments are parts of main (setting
// up the store and the Manager) and of handlers, as in examples/login.
package snippets

import (
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

var (
	app   *itty.App         // the App of "Setting up"
	store sessions.Store    // the store of "Setting up"
	mgr   *sessions.Manager // the Manager of "Setting up"
	req   *itty.Request     // the request a handler is answering
	sess  *sessions.Session // mgr.Get(req), as in "Reading and writing"

	// The login handler's form fields.
	name, password string

	// The user database: user name to password hash.
	users map[string]string

	// The failed-login throttle of examples/login/throttle.go.
	guesses *throttle
)

// Cart is an application type stored in a session.
type Cart struct {
	Items []string `json:"items"`
}

// checkPassword reports whether password is the user's, as
// examples/login/password.go does.
func checkPassword(users map[string]string, name, password string) bool { return false }

// clientAddr returns the client's address (examples/login/main.go), the
// one the App's TrustedProxies report behind a proxy.
func clientAddr(req *itty.Request) string { return req.ClientAddr().String() }

// throttle has the methods of examples/login/throttle.go's type.
type throttle struct{}

// wait returns how long the keys must wait before their next attempt.
func (*throttle) wait(keys ...string) time.Duration { return 0 }

// fail counts a failed attempt against each key.
func (*throttle) fail(keys ...string) {}

// forget clears a key's failures.
func (*throttle) forget(key string) {}
