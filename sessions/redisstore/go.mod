module github.com/ittygo/itty/sessions/redisstore

go 1.25.0


require (
	github.com/ittygo/itty v0.1.0
	github.com/redis/go-redis/v9 v9.22.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.40.0 // indirect
)
