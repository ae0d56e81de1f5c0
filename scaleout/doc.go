// Package scaleout is a test-only module: it starts several instances of
// a session app (sessionapp) as separate processes sharing one session
// store, and checks that they behave as one app, under load and when an
// instance is killed. It is its own module so that store drivers never
// enter the core module's go.mod.
package scaleout
