module github.com/ittygo/itty

go 1.25.0

require github.com/gorilla/securecookie v1.1.2

require golang.org/x/net v0.58.0
