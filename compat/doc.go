// Package compat holds tests that prove itty works with other popular Go
// packages (a router, middleware). It is its own module, so that the core
// module's go.mod never requires them.
package compat
