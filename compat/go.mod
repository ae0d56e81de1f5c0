module github.com/ittygo/itty/compat

go 1.25.0

replace github.com/ittygo/itty => ../

require github.com/ittygo/itty v0.0.0-00010101000000-000000000000

require golang.org/x/net v0.58.0 // indirect

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/gorilla/securecookie v1.1.2 // indirect
)
