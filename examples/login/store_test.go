package main

import (
	"net/url"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
	"github.com/ittygo/itty/internal/testservers"
)

// TestStores: -store redis and -store postgres keep the session on the
// server given, so a login survives a restart of the program with no
// files of its own.
func TestStores(t *testing.T) {
	prog := exampletest.Build(t, ".")
	t.Run("redis", func(t *testing.T) {
		r, err := testservers.StartRedis()
		testservers.Need(t, err)
		t.Cleanup(r.Stop)
		loginSurvivesRestart(t, prog, "-store", "redis", "-redis", r.URL(), "-demo")
	})
	t.Run("postgres", func(t *testing.T) {
		bin, err := testservers.FindPostgres()
		testservers.Need(t, err)
		pg, err := testservers.NewPostgres(bin)
		testservers.Need(t, err)
		t.Cleanup(pg.Remove)
		testservers.Need(t, pg.Start())
		loginSurvivesRestart(t, prog, "-store", "postgres", "-postgres", pg.ConnString("postgres"), "-demo")
	})
}

func loginSurvivesRestart(t *testing.T, prog *exampletest.Program, args ...string) {
	proc := prog.Start(t, args...)
	b := newBrowser(t, proc.URL)
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}}); resp.StatusCode != 302 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	proc = prog.Start(t, args...)
	b.base = proc.URL
	if got := b.home(); got != "Welcome demo!" {
		t.Fatalf("after a restart: %q", got)
	}
}
