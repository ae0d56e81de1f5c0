// Package testservers starts real servers for the tests of the repository's
// modules: a PostgreSQL cluster of a test's own in a temporary directory
// (as the postgres user when run as root), so store tests and the
// scale-out tests drive the real thing, never a stand-in.
package testservers
