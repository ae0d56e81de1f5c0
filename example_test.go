package itty_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/ittygo/itty"
)

// show sends one request to app and prints the status and body.
func show(app http.Handler, method, target string) {
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
}

func Example() {
	app := itty.New()
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "Hello, world!")
	})
	show(app, "GET", "/")
	// Output: 200 Hello, world!
}

func ExampleApp_Get() {
	app := itty.New()
	app.Get("/greet/<str:name>/", func(req *itty.Request) *itty.Response {
		return app.Render(req, "Hello, "+req.Params.Get("name")+"!")
	})
	app.Get("/items/<int:id>/", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprint("item ", req.Params.Int("id")*10))
	})
	show(app, "GET", "/greet/caf%C3%A9/")
	show(app, "GET", "/items/4/")
	show(app, "GET", "/items/four/") // does not convert: no match
	show(app, "POST", "/items/4/")   // another method
	// Output:
	// 200 Hello, café!
	// 200 item 40
	// 404 404 Not Found
	// 405 405 Method Not Allowed
}

func ExampleRequest_GET() {
	app := itty.New()
	app.Get("/search", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprintf("q=%q tags=%q page=%q",
			req.GET.Get("q"), req.GET.GetList("tag"), req.GET.Get("page")))
	})
	show(app, "GET", "/search?q=go&tag=web&tag=&page")
	// Output: 200 q="go" tags=["web" ""] page=""
}

func ExampleResponse_SetCookie() {
	resp := itty.NewResponse("", 200)
	resp.SetCookie("username", "Ada Lovelace", itty.CookieOptions{
		MaxAge: 14 * 24 * time.Hour, HttpOnly: true, SameSite: itty.SameSiteLax,
	})
	err := resp.SetCookie("__Host-token", "x") // the prefix needs Secure
	fmt.Println(resp.CookieLines()[0])
	fmt.Println(err)
	// Output:
	// username=Ada%20Lovelace; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax
	// itty: cookie "__Host-token" not set: a __Host- name requires Secure, Path=/ and no Domain
}

func ExampleResponse_DeleteCookie() {
	resp := itty.NewResponse("", 200)
	resp.DeleteCookie("username")
	fmt.Println(resp.CookieLines()[0])
	// Output: username=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0
}

func ExampleApp_Redirect() {
	app := itty.New()
	app.Post("/create/", func(req *itty.Request) *itty.Response {
		return app.Redirect(req, "/")
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("POST", "/create/", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output: 302 /
}

func ExampleResponse() {
	app := itty.New()
	app.Get("/old", func(req *itty.Request) *itty.Response {
		return &itty.Response{StatusCode: 302, Headers: http.Header{"Location": {"/new"}}}
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/old", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	// Output: 302 /new
}

func ExampleApp_Use() {
	app := itty.New()
	app.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Frame-Options", "DENY")
			next.ServeHTTP(w, r)
		})
	})
	app.Get("/", func(req *itty.Request) *itty.Response { return app.Render(req, "framed?") })
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	fmt.Println(rec.Header().Get("X-Frame-Options"))
	// Output: DENY
}

// A signed cookie comes back as it was set; one the client changed is
// simply absent.
func ExampleApp_SetSignedCookie() {
	app := itty.New()
	if err := app.SetCookieKeys(itty.NewCookieKey()); err != nil { // from config in a real app
		panic(err)
	}
	app.Post("/prefs", func(req *itty.Request) *itty.Response {
		resp := app.Render(req, "saved")
		app.SetSignedCookie(resp, "prefs", map[string]string{"theme": "dark"})
		return resp
	})
	app.Get("/prefs", func(req *itty.Request) *itty.Response {
		var prefs map[string]string
		if !app.SignedCookie(req, "prefs", &prefs) {
			return app.Render(req, "no valid prefs")
		}
		return app.Render(req, "theme: "+prefs["theme"])
	})

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("POST", "/prefs", nil))
	cookie := rec.Result().Cookies()[0]
	for _, value := range []string{cookie.Value, cookie.Value[:len(cookie.Value)-2] + "xx"} {
		req := httptest.NewRequest("GET", "/prefs", nil)
		req.AddCookie(&http.Cookie{Name: "prefs", Value: value})
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(rec.Body.String())
	}
	// Output:
	// theme: dark
	// no valid prefs
}

// A package that is handed a request, rather than built into the App,
// finishes its work with Request.OnResponse: the hook runs only if the
// handler returned a response, so a panic saves nothing.
func ExampleRequest_OnResponse() {
	audit := func(req *itty.Request, what string) {
		req.OnResponse(func(req *itty.Request, resp *itty.Response) error {
			fmt.Println("audit:", what, "answered", resp.StatusCode)
			return nil
		})
	}
	app := itty.New()
	app.Post("/transfer", func(req *itty.Request) *itty.Response {
		audit(req, "transfer")
		if req.GET.Get("fail") != "" {
			panic("ledger unreachable")
		}
		return itty.NewResponse("done", http.StatusCreated)
	})
	app.Logger = slog.New(slog.DiscardHandler) // the panic's log line
	show(app, "POST", "/transfer")
	show(app, "POST", "/transfer?fail=1")
	// Output:
	// audit: transfer answered 201
	// 201 done
	// 500 500 Internal Server Error
}

// An app behind nginx on the same machine: the request reaches it from
// 127.0.0.1, and nginx tells where it came from. The client itself sent
// "X-Forwarded-For: 10.9.9.9" to pass for an internal address; nginx
// appended the address it saw.
func ExampleRequest_ClientAddr() {
	app := itty.New()
	app.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprintf("%v https=%v", req.ClientAddr(), req.IsSecure()))
	})

	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:41000"
	r.Header.Set("X-Forwarded-For", "10.9.9.9, 198.51.100.7")
	r.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	fmt.Println(rec.Body.String())
	// Output: 198.51.100.7 https=true
}
