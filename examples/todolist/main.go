// Command todolist is the app itty3's tutorial builds, in Go: a to-do list
// kept in a JSON file, with a form to add items and a button to finish them.
//
//	go run ./examples/todolist -data data.json
//
// Then open http://127.0.0.1:8000/ in a browser. docs/tutorial.md builds it
// step by step.
package main

import (
	"embed"
	"flag"
	"io/fs"
	"log"
	"strings"

	"github.com/ittygo/itty"
)

//go:embed templates static
var files embed.FS

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	data := flag.String("data", "data.json", "JSON file that holds the list")
	flag.Parse()

	app, err := newApp(&todoList{path: *data})
	if err != nil {
		log.Fatal(err)
	}
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}

func newApp(todos *todoList) (*itty.App, error) {
	app := itty.New()
	if err := app.LoadTemplates(files, "templates/*.html"); err != nil {
		return nil, err
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	app.Static("/static/", static)

	// GET / shows the list and the form.
	app.Get("/", func(req *itty.Request) *itty.Response {
		data, err := todos.Load()
		if err != nil {
			return app.Error500(req, err) // logged; the visitor sees a plain 500
		}
		return app.RenderTemplate(req, "index.html", data)
	})

	// POST /create/ adds the "todo" form field to the list.
	app.Post("/create/", func(req *itty.Request) *itty.Response {
		todo := strings.TrimSpace(req.POST.Get("todo"))
		if todo == "" {
			todo = "---" // as in itty3's tutorial
		}
		if err := todos.Add(todo); err != nil {
			return app.Error500(req, err)
		}
		return app.Redirect(req, "/")
	})

	// POST /done/<offset>/ moves the item at that position to "done".
	app.Post("/done/<int:offset>/", func(req *itty.Request) *itty.Response {
		found, err := todos.Done(req.Params.Int("offset"))
		if err != nil {
			return app.Error500(req, err)
		}
		if !found {
			return app.Error404(req, "Not Found")
		}
		return app.Redirect(req, "/")
	})
	return app, nil
}
