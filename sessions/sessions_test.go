package sessions_test

import (
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/sessionstest"
)

func newMemory(t *testing.T) sessions.Store {
	s := sessions.NewMemoryStore(time.Minute)
	t.Cleanup(func() { s.Close() })
	return s
}

func newFiles(t *testing.T) sessions.Store {
	s, err := sessions.NewFileStore(t.TempDir(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCookie(t *testing.T) sessions.Store {
	s, err := sessions.NewCookieStore(itty.NewCookieKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMemoryStore(t *testing.T) { sessionstest.RunStore(t, newMemory) }
func TestFileStore(t *testing.T)   { sessionstest.RunStore(t, newFiles) }

func TestManagerMemory(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true, FakeTime: true}, newMemory)
}

func TestManagerFiles(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{ServerSide: true, FakeTime: true}, newFiles)
}

func TestManagerCookie(t *testing.T) {
	sessionstest.RunManager(t, sessionstest.Caps{FakeTime: true}, newCookie)
}
