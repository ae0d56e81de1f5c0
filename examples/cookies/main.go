// Command cookies is the app from itty3's cookie guide, in Go: it greets you
// by the name in a cookie, sets the cookie from a query parameter, and
// deletes it on logout.
//
//	go run ./examples/cookies
//	open http://127.0.0.1:8000/set/?username=Ada   # then you are greeted as Ada
//	open http://127.0.0.1:8000/logout/             # and you are unknown again
package main

import (
	"flag"
	"html"
	"log"
	"net/http"
	"time"

	"github.com/ittygo/itty"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()
	if err := newApp().Run(*addr); err != nil {
		log.Fatal(err)
	}
}

func newApp() *itty.App {
	app := itty.New()

	// Reading: the cookie's value, or "unknown" when there is none.
	app.Get("/", func(req *itty.Request) *itty.Response {
		username := req.COOKIES.Default("username", "unknown")
		return app.Render(req, "Hello, "+html.EscapeString(username)+"!")
	})

	// Setting: remember the name for two weeks, out of reach of JavaScript,
	// and not sent along with cross-site POSTs.
	app.Get("/set/", func(req *itty.Request) *itty.Response {
		if err := req.GET.Err(); err != nil {
			// A malformed query (say, a raw ';') is an error, not a silent blank.
			return itty.NewResponse("Bad query string: "+err.Error(), http.StatusBadRequest)
		}
		username, ok := req.GET.Lookup("username")
		if !ok {
			username = "unknown"
		}
		resp := app.Redirect(req, "/")
		err := resp.SetCookie("username", username, itty.CookieOptions{
			MaxAge:   14 * 24 * time.Hour,
			HttpOnly: true,
			SameSite: itty.SameSiteLax,
		})
		if err != nil {
			// Cannot happen with these options; if it did, the response
			// would be a 500 with the reason in the log.
			log.Print(err)
		}
		return resp
	})

	// Deleting: an empty, already-expired cookie with the same Path.
	app.Get("/logout/", func(req *itty.Request) *itty.Response {
		resp := app.Redirect(req, "/")
		resp.DeleteCookie("username")
		return resp
	})
	return app
}
