package sessions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ittygo/itty/sessions"
)

// FuzzSessionID: no string a client sends as a session id reaches a store
// unless it has the exact shape of an issued id, which holds no path
// separators or dots; the file store never finds anything for the rest.
func FuzzSessionID(f *testing.F) {
	f.Add(sessions.NewID())
	f.Add("../../etc/passwd")
	f.Add(strings.Repeat("A", 40) + "/..")
	f.Add("")
	dir := f.TempDir()
	store, err := sessions.NewFileStore(dir, sessions.CleanupInterval(-1))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if sessions.ValidID(id) && strings.ContainsAny(id, "/\\.\x00%") {
			t.Fatalf("ValidID accepted %q", id)
		}
		if _, err := store.Load(context.Background(), id); err != sessions.ErrNotFound {
			t.Fatalf("Load(%q) = %v, want ErrNotFound in an empty store", id, err)
		}
		if err := store.Update(context.Background(), id, func(*sessions.Record) error { return nil }); err != sessions.ErrNotFound {
			t.Fatalf("Update(%q) = %v", id, err)
		}
	})
}
