package sessions_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// exampleT stands in for a test's t, which an Example has not got.
type exampleT struct{ testing.TB }

func (exampleT) Helper()                      {}
func (exampleT) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (exampleT) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

// Log in, see who is logged in, log out. SetUser renews the session id, so
// an id planted before the login is useless after it.
func ExampleManager() {
	app := itty.New()
	store := sessions.NewMemoryStore()
	defer store.Close() // stops its cleanup goroutine
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		panic(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		// Check the password here.
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Redirect(req, "/")
	})
	app.Get("/", func(req *itty.Request) *itty.Response {
		if user := mgr.Get(req).User(); user != "" {
			return app.Render(req, "Welcome back, "+user+"!")
		}
		return app.Render(req, "Welcome, stranger!")
	})
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Destroy() // if the store fails, the request is a 500
		return app.Redirect(req, "/")
	})

	browser := ittytest.NewClient(exampleT{}, app)
	fmt.Println(browser.Get("/").Body)
	browser.PostForm("/login", url.Values{"user": {"ada"}})
	fmt.Println(browser.Get("/").Body)
	browser.PostForm("/logout", nil)
	fmt.Println(browser.Get("/").Body)
	// Output:
	// Welcome, stranger!
	// Welcome back, ada!
	// Welcome, stranger!
}

// A password change that renews the session and logs out the user's other
// devices. DestroyOthers keeps this device's session although its new id
// is stored only when the response is written.
func ExampleSession_DestroyOthers() {
	app := itty.New()
	store := sessions.NewMemoryStore()
	defer store.Close()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		panic(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		mgr.Get(req).SetUser(req.POST.Get("user"))
		return app.Redirect(req, "/")
	})
	app.Post("/password", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		// Check the old password and store the new one here.
		sess.RenewBoundary()
		n, err := sess.DestroyOthers(req.Context())
		if err != nil {
			return app.Error500(req, err)
		}
		return app.Render(req, fmt.Sprintf("password changed; %d other device(s) logged out", n))
	})
	app.Get("/", func(req *itty.Request) *itty.Response {
		return app.Render(req, fmt.Sprintf("user %q", mgr.Get(req).User()))
	})

	laptop, phone := ittytest.NewClient(exampleT{}, app), ittytest.NewClient(exampleT{}, app)
	laptop.PostForm("/login", url.Values{"user": {"ada"}})
	phone.PostForm("/login", url.Values{"user": {"ada"}})
	fmt.Println(laptop.PostForm("/password", nil).Body)
	fmt.Println("laptop", laptop.Get("/").Body)
	fmt.Println("phone", phone.Get("/").Body)
	// Output:
	// password changed; 1 other device(s) logged out
	// laptop user "ada"
	// phone user ""
}

// Sessions for plain net/http handlers: the Middleware loads the session
// when a handler asks for it and saves it before the response goes out.
func ExampleManager_Middleware() {
	store := sessions.NewMemoryStore()
	defer store.Close() // stops its cleanup goroutine
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		sess.Set("items", sess.GetInt("items")+1)
		io.WriteString(w, "added")
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d items", mgr.FromContext(r.Context()).GetInt("items"))
	})

	browser := ittytest.NewClient(exampleT{}, mgr.Middleware(mux))
	browser.PostForm("/cart", nil)
	browser.PostForm("/cart", nil)
	fmt.Println(browser.Get("/cart").Body)
	// Output: 2 items
}
