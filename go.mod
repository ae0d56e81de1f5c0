module github.com/ittygo/itty

go 1.26

require github.com/gorilla/securecookie v1.1.2

require golang.org/x/net v0.58.0
