// Command jsonapi is itty3's JSON API example in Go: a small, versioned API
// of quotes.
//
//	go run ./examples/jsonapi
//	curl http://127.0.0.1:8000/api/2019-11-18/quotes
//	curl -d '{"text":"Simple is better.","author":"Ada"}' \
//	     -H 'Content-Type: application/json' http://127.0.0.1:8000/api/2019-11-18/quotes
//	curl http://127.0.0.1:8000/api/2019-11-18/quotes/random
package main

import (
	"flag"
	"log"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"

	"github.com/ittygo/itty"
)

// Quote is one quote in the API.
type Quote struct {
	ID     int    `json:"id"`
	Text   string `json:"text"`
	Author string `json:"author"`
}

// quotes is the in-memory store.
type quotes struct {
	mu   sync.Mutex
	list []Quote
}

func (q *quotes) all() []Quote {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Quote{}, q.list...)
}

func (q *quotes) add(text, author string) Quote {
	q.mu.Lock()
	defer q.mu.Unlock()
	quote := Quote{ID: len(q.list) + 1, Text: text, Author: author}
	q.list = append(q.list, quote)
	return quote
}

func (q *quotes) random() (Quote, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.list) == 0 {
		return Quote{}, false
	}
	return q.list[rand.IntN(len(q.list))], true
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()
	if err := newApp().Run(*addr); err != nil {
		log.Fatal(err)
	}
}

const prefix = "/api/2019-11-18"

func newApp() *itty.App {
	app := itty.New()
	store := &quotes{}
	store.add("Explicit is better than implicit.", "Tim Peters")
	store.add("A little copying is better than a little dependency.", "Rob Pike")

	// jsonError answers in JSON, so API clients never have to parse HTML.
	jsonError := func(req *itty.Request, status int, msg string) *itty.Response {
		resp := app.RenderJSON(req, map[string]string{"error": msg})
		resp.StatusCode = status
		return resp
	}
	app.NotFound = func(req *itty.Request) *itty.Response {
		return jsonError(req, http.StatusNotFound, "not found")
	}
	app.MethodNotAllowed = func(req *itty.Request) *itty.Response {
		return jsonError(req, http.StatusMethodNotAllowed, "method not allowed")
	}

	app.Get(prefix+"/", func(req *itty.Request) *itty.Response {
		return app.RenderJSON(req, openAPI)
	})

	app.Get(prefix+"/quotes", func(req *itty.Request) *itty.Response {
		return app.RenderJSON(req, map[string]any{"quotes": store.all()})
	})

	app.Post(prefix+"/quotes", func(req *itty.Request) *itty.Response {
		var in struct {
			Text   string `json:"text"`
			Author string `json:"author"`
		}
		if err := req.JSON(&in); err != nil {
			return jsonError(req, http.StatusBadRequest, err.Error())
		}
		in.Text, in.Author = strings.TrimSpace(in.Text), strings.TrimSpace(in.Author)
		if in.Text == "" || in.Author == "" {
			return jsonError(req, http.StatusBadRequest, "text and author are required")
		}
		resp := app.RenderJSON(req, map[string]Quote{"quote": store.add(in.Text, in.Author)})
		resp.StatusCode = http.StatusCreated
		return resp
	})

	app.Get(prefix+"/quotes/random", func(req *itty.Request) *itty.Response {
		quote, ok := store.random()
		if !ok {
			return jsonError(req, http.StatusNotFound, "no quotes yet")
		}
		return app.RenderJSON(req, map[string]Quote{"quote": quote})
	})
	return app
}

// openAPI describes the API, so clients and tools can discover it.
var openAPI = map[string]any{
	"openapi": "3.0.3",
	"info":    map[string]any{"title": "Quotes", "version": "2019-11-18"},
	"paths": map[string]any{
		prefix + "/quotes": map[string]any{
			"get":  map[string]any{"summary": "List all quotes", "responses": map[string]any{"200": map[string]any{"description": "The quotes"}}},
			"post": map[string]any{"summary": "Add a quote (JSON body with text and author)", "responses": map[string]any{"201": map[string]any{"description": "The new quote"}, "400": map[string]any{"description": "Bad JSON or missing fields"}}},
		},
		prefix + "/quotes/random": map[string]any{
			"get": map[string]any{"summary": "One quote at random", "responses": map[string]any{"200": map[string]any{"description": "A quote"}, "404": map[string]any{"description": "No quotes yet"}}},
		},
	},
}
