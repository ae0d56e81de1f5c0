// Package e2e holds the real-browser tests; see browser_test.go.
package e2e
