//go:build !unix

package testservers

import (
	"errors"
	"syscall"
)

// On systems without Unix sockets and credentials the tests do not start
// a PostgreSQL of their own; set PG_URL to run them against one.
type Postgres struct{}

var errNoServer = errors.New("the tests start a PostgreSQL of their own only on Unix systems")

func FindPostgres() (string, error)                { return "", errNoServer }
func NewPostgres(string) (*Postgres, error)        { return nil, errNoServer }
func (s *Postgres) Start() error                   { return errNoServer }
func (s *Postgres) Stop(string) error              { return errNoServer }
func (s *Postgres) Remove()                        {}
func (s *Postgres) ConnString(string) string       { return "" }
func (s *Postgres) SignalAll(syscall.Signal) error { return errNoServer }
