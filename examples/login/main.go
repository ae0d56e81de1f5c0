// Command login is the session manager the source articles build by hand,
// done with itty's sessions package: log in with a password, stay logged in
// across restarts (sessions are files under -data), log out for real, and
// log out every other device of the user from /logout.
//
//	go run ./examples/login -demo
//	open http://127.0.0.1:8000/login     # user demo, password demo (with -demo only)
//
// The session files go under the user's cache directory (itty-login in
// $XDG_CACHE_HOME or ~/.cache on Linux) unless -data names another; the
// program logs where.
//
// On several machines, keep the sessions in Redis instead:
//
//	go run ./examples/login -store redis -redis redis://127.0.0.1:6379/0
//	go run ./examples/login -store postgres -postgres postgres://localhost/itty
//
// Behind a reverse proxy (nginx, Caddy) on this machine, name it, so that
// the password throttle sees each client's own address:
//
//	go run ./examples/login -proxy 127.0.0.1/32,::1/128
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
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	kind := flag.String("store", "files", "where sessions live: files (one machine), redis or postgres (several)")
	data := flag.String("data", "", "directory for session files (-store files; default itty-login in the user's cache directory)")
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL (-store redis)")
	dsn := flag.String("postgres", "postgres://localhost/itty", "PostgreSQL connection string (-store postgres)")
	usersFile := flag.String("users", "", "file of name:HASH lines (see -hash)")
	demo := flag.Bool("demo", false, "add the user demo with the password demo (never in production)")
	hash := flag.Bool("hash", false, "read a password on standard input, print its hash, and exit")
	proxies := flag.String("proxy", "", "comma-separated networks of the reverse proxies in front (such as 127.0.0.1/32 for an nginx on this machine), whose X-Forwarded-For and X-Forwarded-Proto are believed")
	flag.Parse()

	if *hash {
		pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && pw == "" {
			log.Fatal("no password on standard input")
		}
		fmt.Println(hashPassword(strings.TrimRight(pw, "\r\n")))
		return
	}
	users, err := loadUsers(*usersFile, *demo)
	if err != nil {
		log.Fatal(err)
	}
	switch {
	case *demo:
		log.Print("login: DEMO MODE: anyone can log in as demo with the password demo; never run it like this in production")
	case len(users) == 0:
		log.Print("login: no users: add some with -users FILE (see -hash), or try it with -demo")
	}
	if *kind == "files" && *data == "" {
		// Not the working directory: run from a source tree, the files
		// would land among the sources.
		if *data, err = defaultDataDir(); err != nil {
			log.Fatal(err)
		}
	}
	if *kind == "files" {
		log.Printf("login: session files in %s", *data)
	}
	store, closeStore, err := openStore(*kind, *data, *redisURL, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer closeStore()
	app, err := newApp(store, users)
	if err != nil {
		log.Fatal(err)
	}
	if app.TrustedProxies, err = parsePrefixes(*proxies); err != nil {
		log.Fatalf("-proxy: %v", err)
	}
	if err := app.Run(*addr); err != nil {
		log.Fatal(err)
	}
}

// defaultDataDir is where session files go when -data names no directory:
// itty-login in the user's cache directory, which is the user's own.
func defaultDataDir() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no -data directory and no cache directory to default to: %w", err)
	}
	return filepath.Join(cache, "itty-login"), nil
}

// loadUsers returns the users in path, plus the demo user in demo mode.
func loadUsers(path string, demo bool) (map[string]string, error) {
	users := map[string]string{}
	if demo {
		users["demo"] = hashPassword("demo")
	}
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
<form method="post" action="/logout">{{csrfField .CSRF}}<button>Log out {{.User}}</button></form>
<form method="post" action="/logout/others">{{csrfField .CSRF}}<button>Log out my other devices</button></form>{{end}}
`))

func newApp(store sessions.Store, users map[string]string) (*itty.App, error) {
	app := itty.New()
	guesses := newThrottle(10_000)
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
		// Throttle guessing per user name and per client address, before
		// the expensive hash: a locked key is answered at once.
		keys := []string{"user:" + name, "addr:" + clientAddr(req)}
		if wait := guesses.wait(keys...); wait > 0 {
			resp := app.RenderTemplate(req, "login", map[string]string{"Error": "Too many failed logins; try again later."})
			resp.StatusCode = http.StatusTooManyRequests
			resp.SetHeader("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			return resp
		}
		if !checkPassword(users, name, password) {
			guesses.fail(keys...)
			resp := app.RenderTemplate(req, "login", map[string]string{"Error": "Wrong user name or password."})
			resp.StatusCode = http.StatusUnauthorized
			return resp
		}
		guesses.forget(keys[0])
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil { // a new id at login: no session fixation
			return app.Error500(req, err)
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
			return app.Error500(req, err)
		}
		return app.Redirect(req, "/")
	})

	// "Log out my other devices" ends every session of the user but this
	// one, the same way: a stolen cookie on another machine stops working.
	app.Post("/logout/others", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if sess.User() == "" {
			return app.Redirect(req, "/login")
		}
		if !sess.CheckCSRF() {
			return itty.NewResponse("Invalid or missing CSRF token.", http.StatusForbidden)
		}
		n, err := sess.DestroyOthers(req.Context())
		if err != nil {
			return app.Error500(req, err)
		}
		return app.Render(req, fmt.Sprintf("Logged out %d other session(s).", n))
	})
	return app, nil
}

// clientAddr is the client's address, for throttling: an IPv4 address, or
// an IPv6 client's /64 network. One subscriber gets a whole /64 (a home
// line, a server), and would otherwise have 2^64 fresh addresses to guess
// from. Behind a reverse proxy named with -proxy it is the address the
// proxy reports, not the proxy's own, which would lock every user out once
// anyone guessed wrong.
func clientAddr(req *itty.Request) string {
	addr := req.ClientAddr()
	switch {
	case !addr.IsValid():
		return req.Raw.RemoteAddr
	case addr.Is6():
		network, _ := addr.Prefix(64)
		return network.String()
	}
	return addr.String()
}

// parsePrefixes parses a comma-separated list of networks ("127.0.0.1/32,
// ::1/128"); a lone address is a network of one.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, err
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}
