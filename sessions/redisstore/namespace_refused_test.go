package redisstore_test

import (
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
	"github.com/ittygo/itty/sessions/redisstore"
	"github.com/redis/go-redis/v9"
)

// TestAttackRefusedNewBindsTheStore: a New refused for a cookie-name clash
// must leave the store unbound, so that the fix (the same store under
// another CookieName) is accepted.
func TestAttackRefusedNewBindsTheStore(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	app := itty.New()
	if _, err := sessions.New(app, redisstore.New(rdb, ""), sessions.Options{CookieName: "sid"}); err != nil {
		t.Fatal(err)
	}
	staff := redisstore.New(rdb, "")
	_, err := sessions.New(app, staff, sessions.Options{CookieName: "sid"})
	t.Logf("clash: %v", err)
	if _, err := sessions.New(app, staff, sessions.Options{CookieName: "staff_sid"}); err != nil {
		t.Fatalf("retry with its own cookie name: %v", err)
	}
}
