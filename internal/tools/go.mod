module github.com/ittygo/itty/internal/tools

go 1.25.0

require golang.org/x/mod v0.30.0
