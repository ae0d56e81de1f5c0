module github.com/ittygo/itty

go 1.26

require github.com/gorilla/securecookie v1.1.2
