//go:build !unix

package pgstore_test

import (
	"errors"
	"syscall"
)

// On systems without Unix sockets and credentials the tests do not start
// a PostgreSQL of their own; set PG_URL to run them against one.
type pgServer struct{}

var errNoServer = errors.New("the tests start a PostgreSQL of their own only on Unix systems")

func findBinaries() (string, error)                { return "", errNoServer }
func newServer(string) (*pgServer, error)          { return nil, errNoServer }
func (s *pgServer) start() error                   { return errNoServer }
func (s *pgServer) stop(string) error              { return errNoServer }
func (s *pgServer) remove()                        {}
func (s *pgServer) connString(string) string       { return "" }
func (s *pgServer) signalAll(syscall.Signal) error { return errNoServer }
