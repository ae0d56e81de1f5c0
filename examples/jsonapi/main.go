// Command jsonapi is itty3's JSON API example in Go: a small, versioned API
// of quotes with an OpenAPI description.
//
//	go run ./examples/jsonapi
//	curl http://127.0.0.1:8000/api/2019-11-18/quotes
//	curl -X POST -d '{"newQuote": "Uh, hi?"}' \
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

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	flag.Parse()
	if err := newApp().Run(*addr); err != nil {
		log.Fatal(err)
	}
}

// quotes is an in-memory list, safe for concurrent requests. Like itty3's
// example it is gone when the program stops: the point is JSON and HTTP.
type quotes struct {
	mu   sync.Mutex
	list []string
}

func (q *quotes) all() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string{}, q.list...)
}

func (q *quotes) add(quote string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = append(q.list, quote)
}

func (q *quotes) random() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.list[rand.IntN(len(q.list))]
}

const api = "/api/2019-11-18"

func newApp() *itty.App {
	app := itty.New()
	store := &quotes{list: []string{
		"A rose, by any other name, would smell as sweet.",
		"But soft, what light through yonder window breaks?",
		"Let them eat cake.",
	}}

	// Errors are JSON too, so API clients never have to parse HTML.
	jsonError := func(req *itty.Request, status int, msg string) *itty.Response {
		resp := app.RenderJSON(req, map[string]any{"success": false, "error": msg})
		resp.StatusCode = status
		return resp
	}
	app.NotFound = func(req *itty.Request) *itty.Response {
		return jsonError(req, http.StatusNotFound, "not found")
	}
	app.MethodNotAllowed = func(req *itty.Request) *itty.Response {
		return jsonError(req, http.StatusMethodNotAllowed, "method not allowed")
	}

	app.Get(api+"/", func(req *itty.Request) *itty.Response {
		return app.RenderJSON(req, schema)
	})

	app.Get(api+"/quotes", func(req *itty.Request) *itty.Response {
		return app.RenderJSON(req, store.all())
	})

	app.Post(api+"/quotes", func(req *itty.Request) *itty.Response {
		var body struct {
			NewQuote string `json:"newQuote"`
		}
		if err := req.JSON(&body); err != nil {
			return jsonError(req, http.StatusBadRequest, err.Error())
		}
		if strings.TrimSpace(body.NewQuote) == "" {
			return jsonError(req, http.StatusBadRequest, "newQuote is required")
		}
		store.add(body.NewQuote)
		return app.RenderJSON(req, map[string]bool{"success": true})
	})

	app.Get(api+"/quotes/random", func(req *itty.Request) *itty.Response {
		return app.RenderJSON(req, map[string]string{"quote": store.random()})
	})
	return app
}

// schema is the API's OpenAPI description, inlined as in itty3's example.
var schema = map[string]any{
	"openapi": "3.0.0",
	"info": map[string]any{
		"title":       "A JSON API in itty",
		"description": "Just a simple demonstration.",
		"version":     "2019-11-18",
	},
	"servers": []any{map[string]any{"url": "http://127.0.0.1:8000" + api + "/", "description": "Local development"}},
	"paths": map[string]any{
		"/quotes": map[string]any{
			"get": map[string]any{
				"summary":   "Lists the quotes",
				"responses": map[string]any{"200": jsonSchema("The quotes", map[string]any{"type": "array", "items": map[string]any{"type": "string"}})},
			},
			"post": map[string]any{
				"summary": "Adds a new quote",
				"requestBody": map[string]any{
					"required": true,
					"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
						"type": "object", "properties": map[string]any{"newQuote": map[string]any{"type": "string"}},
					}}},
				},
				"responses": map[string]any{
					"200": jsonSchema("Added", map[string]any{"type": "object", "properties": map[string]any{"success": map[string]any{"type": "boolean"}}}),
					"400": jsonSchema("Bad JSON or no newQuote", map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "string"}}}),
				},
			},
		},
		"/quotes/random": map[string]any{
			"get": map[string]any{
				"summary":   "Fetches a random quote",
				"responses": map[string]any{"200": jsonSchema("The randomly-selected quote", map[string]any{"type": "object", "properties": map[string]any{"quote": map[string]any{"type": "string"}}})},
			},
		},
	},
}

func jsonSchema(description string, s map[string]any) map[string]any {
	return map[string]any{"description": description, "content": map[string]any{"application/json": map[string]any{"schema": s}}}
}
