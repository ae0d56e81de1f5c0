// Command login is the session manager the source articles build by hand,
// done with itty's sessions package: log in with a password, stay logged in
// across restarts (sessions are files under -data), log out for real.
//
//	go run ./examples/login -data ./sessions
//	open http://127.0.0.1:8000/login     # user demo, password demo
//
// On several machines, keep the sessions in Redis instead:
//
//	go run ./examples/login -store redis -redis redis://127.0.0.1:6379/0
//
// Add users with -users FILE, a file of lines "name:HASH", where HASH is
// printed by: echo -n 'secret' | go run ./examples/login -hash
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"html/template"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	kind := flag.String("store", "files", "where sessions live: files (one machine) or redis (several)")
	data := flag.String("data", "sessions", "directory for session files (-store files)")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL (-store redis)")
	usersFile := flag.String("users", "", "file of name:HASH lines (see -hash)")
	hash := flag.Bool("hash", false, "read a password on standard input, print its hash, and exit")
	flag.Parse()

	if *hash {
		pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && pw == "" {
			log.Fatal("no password on standard input")
		}
		fmt.Println(hashPassword(strings.TrimRight(pw, "\r\n")))
		return
	}
	users, err := loadUsers(*usersFile)
	if err != nil {
		log.Fatal(err)
	}
	store, closeStore, err := openStore(*kind, *data, *redisURL)
	if err != nil {
		log.Fatal(err)
	}
	defer closeStore()
	app, err := newApp(store, users)
	if err != nil {
		log.Fatal(err)
	}
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}

// loadUsers returns the demo user plus those in path.
func loadUsers(path string) (map[string]string, error) {
	users := map[string]string{"demo": hashPassword("demo")}
	if path == "" {
		return users, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, h, ok := strings.Cut(line, ":")
		if !ok || name == "" || !validHash(h) {
			return nil, fmt.Errorf("%s:%d: want name:HASH", path, n+1)
		}
		users[name] = h
	}
	return users, nil
}

var pages = template.Must(template.New("").Funcs(template.FuncMap{"csrfField": sessions.CSRFField}).Parse(`
{{define "login"}}<!DOCTYPE html>
<title>Log in</title>
<h1>Log in</h1>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
  <label>User <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <label><input type="checkbox" name="remember" value="1"> Remember me</label>
  <button>Log in</button>
</form>{{end}}
{{define "logout"}}<!DOCTYPE html>
<title>Log out</title>
<form method="post" action="/logout">{{csrfField .CSRF}}<button>Log out {{.User}}</button></form>{{end}}
`))

func newApp(store sessions.Store, users map[string]string) (*itty.App, error) {
	app := itty.New()
	app.Templates = pages
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "login_sid"})
	if err != nil {
		return nil, err
	}

	app.Get("/", func(req *itty.Request) *itty.Response {
		if user := mgr.Get(req).User(); user != "" {
			return app.Render(req, "Welcome "+html.EscapeString(user)+"!")
		}
		return app.Render(req, "Welcome Stranger!")
	})

	app.Get("/login", func(req *itty.Request) *itty.Response {
		return app.RenderTemplate(req, "login", nil)
	})

	// Cross-site form posts are refused by the App's cross-origin
	// protection, so the login form needs no token (and a failed login
	// leaves no session behind).
	app.Post("/login", func(req *itty.Request) *itty.Response {
		name, password := req.POST.Get("username"), req.POST.Get("password")
		if !checkPassword(users, name, password) {
			resp := app.RenderTemplate(req, "login", map[string]string{"Error": "Wrong user name or password."})
			resp.StatusCode = http.StatusUnauthorized
			return resp
		}
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil { // a new id at login: no session fixation
			panic(err)
		}
		sess.SetUser(name)
		sess.RememberMe(req.POST.Get("remember") == "1")
		return app.Redirect(req, "/")
	})

	app.Get("/logout", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if sess.User() == "" {
			return app.Redirect(req, "/")
		}
		return app.RenderTemplate(req, "logout", map[string]string{"User": sess.User(), "CSRF": sess.CSRFToken()})
	})

	// Logging out takes the session's CSRF token, so no other page can end
	// a user's session for them.
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if sess.User() != "" && !sess.CheckCSRF() {
			return itty.NewResponse("Invalid or missing CSRF token.", http.StatusForbidden)
		}
		if err := sess.Destroy(); err != nil {
			panic(err)
		}
		return app.Redirect(req, "/")
	})
	return app, nil
}
