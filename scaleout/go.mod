module github.com/ittygo/itty/scaleout

go 1.26

replace (
	github.com/ittygo/itty => ../
	github.com/ittygo/itty/sessions/redisstore => ../sessions/redisstore
)

require (
	github.com/ittygo/itty v0.0.0-00010101000000-000000000000
	github.com/ittygo/itty/sessions/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
