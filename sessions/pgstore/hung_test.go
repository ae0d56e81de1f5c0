//go:build unix

package pgstore_test

import (
	"syscall"
	"testing"

	"github.com/ittygo/itty/sessions/pgstore"
	"github.com/ittygo/itty/sessions/sessionstest"
)

// TestHungPostgres stops every process of the server (SIGSTOP) under a
// logged-in client: a server that accepts connections and never answers.
// sessionstest.RunHung says what must hold meanwhile and after SIGCONT.
func TestHungPostgres(t *testing.T) {
	srv, pool := ownServer(t)
	if _, err := srv.PIDs(); err != nil {
		t.Skip(err)
	}
	store := pgstore.New(pool, "")
	defer store.Close()
	sessionstest.RunHung(t, sessionstest.Hang{
		Server: "PostgreSQL",
		Store:  store,
		Stop:   func() error { return srv.SignalAll(syscall.SIGSTOP) },
		Resume: func() error { return srv.SignalAll(syscall.SIGCONT) },
		Logged: "sessions: load: pgstore: load",
	})
}
