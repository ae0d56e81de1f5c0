package ittytest_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
)

// exampleT stands in for the *testing.T a real test passes to NewClient:
// an Example function has none. It panics where a test would fail.
type exampleT struct{ testing.TB }

func (exampleT) Helper()                      {}
func (exampleT) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (exampleT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// A test client keeps cookies between requests, as a browser does. In a
// test, pass the test's t instead of exampleT{}.
func ExampleClient() {
	app := itty.New()
	app.Post("/login", func(req *itty.Request) *itty.Response {
		resp := app.Redirect(req, "/")
		resp.SetCookie("user", req.POST.Get("name"))
		return resp
	})
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "Hello, "+cookieOr(req, "user", "stranger")+"!")
	})

	c := ittytest.NewClient(exampleT{}, app)
	fmt.Println(c.Get("/").Body)
	r := c.PostForm("/login", url.Values{"name": {"Ada"}})
	fmt.Println(r.StatusCode, r.Location(), r.Cookie("user").Value)
	fmt.Println(c.Get("/").Body)
	// Output:
	// Hello, stranger!
	// 302 / Ada
	// Hello, Ada!
}

func cookieOr(req *itty.Request, name, fallback string) string {
	if v := req.COOKIES.Get(name); v != "" {
		return v
	}
	return fallback
}
