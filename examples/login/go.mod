module github.com/ittygo/itty/examples/login

go 1.26.0

replace (
	github.com/ittygo/itty => ../../
	github.com/ittygo/itty/sessions/pgstore => ../../sessions/pgstore
	github.com/ittygo/itty/sessions/redisstore => ../../sessions/redisstore
)

require (
	github.com/ittygo/itty v0.1.0
	github.com/ittygo/itty/sessions/pgstore v0.1.0
	github.com/ittygo/itty/sessions/redisstore v0.1.0
	github.com/jackc/pgx/v5 v5.12.0
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/gorilla/securecookie v1.1.2 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
