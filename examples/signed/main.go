// Command signed counts your visits in a signed cookie. The browser holds
// the count, but cannot change it: edit the cookie and the count starts over.
//
//	export ITTY_SECRET_KEY=$(go run ./examples/signed -newkey)
//	go run ./examples/signed
//	open http://127.0.0.1:8000/
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/ittygo/itty"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	newKey := flag.Bool("newkey", false, "print a new random key for ITTY_SECRET_KEY and exit")
	flag.Parse()
	if *newKey {
		fmt.Println(itty.NewCookieKey())
		return
	}

	keys, err := itty.CookieKeysFromEnv("ITTY_SECRET_KEY")
	if err != nil {
		// A demo may run without a key, but says so: with a random key every
		// restart makes all existing cookies invalid.
		slog.Warn("no ITTY_SECRET_KEY; using a random key, so counts reset when the program restarts", "err", err)
		keys = []itty.CookieKey{itty.NewCookieKey()}
	}
	app, err := newApp(keys)
	if err != nil {
		log.Fatal(err)
	}
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}

func newApp(keys []itty.CookieKey) (*itty.App, error) {
	app := itty.New()
	if err := app.SetCookieKeys(keys...); err != nil {
		return nil, err
	}
	app.Get("/", func(req *itty.Request) *itty.Response {
		var visits int
		if !app.SignedCookie(req, "visits", &visits) {
			visits = 0 // no cookie, or one that was tampered with: start over
		}
		visits++
		resp := app.Render(req, fmt.Sprintf("Visits: %d", visits))
		app.SetSignedCookie(resp, "visits", visits, itty.CookieOptions{
			MaxAge: 365 * 24 * time.Hour, HttpOnly: true, SameSite: itty.SameSiteLax,
		})
		return resp
	})
	return app, nil
}
