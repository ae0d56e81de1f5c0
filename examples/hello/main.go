// Command hello is itty's first program: the itty3 quick-start in Go.
//
//	go run ./examples/hello
//	curl http://127.0.0.1:8000/            # Hello, world!
//	curl http://127.0.0.1:8000/greet/Ada/  # Hello, Ada!
package main

import (
	"flag"
	"html"
	"log"

	"github.com/ittygo/itty"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()

	app := itty.New()

	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "Hello, world!")
	})

	app.Get("/greet/<str:name>/", func(req *itty.Request) *itty.Response {
		// Render sends HTML, so escape what the visitor typed.
		return app.Render(req, "Hello, "+html.EscapeString(req.Params.Get("name"))+"!")
	})

	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}
