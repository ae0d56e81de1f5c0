// Command cgi is the hello app, plus a visit counter kept in a cookie, served
// the old way: as a CGI program that a web server runs once per request, or
// as a FastCGI server. The App is the same http.Handler in every case.
//
// As CGI, point a CGI-capable server at the built binary (the test runs it
// under net/http/cgi's host); it notices the CGI environment by itself:
//
//	go build -o hello.cgi ./examples/cgi
//
// As FastCGI, listen on a socket for a web server such as nginx:
//
//	go run ./examples/cgi -fastcgi 127.0.0.1:9000
//
// Without either, it serves HTTP like the other examples.
package main

import (
	"flag"
	"html"
	"log"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/ittygo/itty"
)

func newApp() *itty.App {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		visits, _ := strconv.Atoi(req.COOKIES.Get("visits"))
		visits++
		resp := app.Render(req, "Hello, world! Visits: "+strconv.Itoa(visits))
		resp.SetCookie("visits", strconv.Itoa(visits), itty.CookieOptions{
			MaxAge: 24 * time.Hour, HttpOnly: true, SameSite: itty.SameSiteLax,
		})
		return resp
	})
	app.Get("/greet/<str:name>/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "Hello, "+html.EscapeString(req.Params.Get("name"))+"!")
	})
	return app
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to serve HTTP on")
	fastcgi := flag.String("fastcgi", "", "serve FastCGI on this address instead of HTTP")
	flag.Parse()
	app := newApp()
	var err error
	switch {
	case os.Getenv("GATEWAY_INTERFACE") != "":
		err = app.RunCGI()
	case *fastcgi != "":
		var ln net.Listener
		if ln, err = net.Listen("tcp", *fastcgi); err == nil {
			log.Printf("serving FastCGI on %s", ln.Addr())
			err = app.RunFastCGI(ln)
		}
	default:
		err = app.Run(*addr)
	}
	if err != nil {
		log.Fatal(err)
	}
}
