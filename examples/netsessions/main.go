// Command netsessions is itty's sessions in a plain net/http program: an
// http.ServeMux, no itty App, with the session Manager's Middleware and
// net/http's own cross-origin protection in front of it.
//
//	go run ./examples/netsessions
//	open http://127.0.0.1:8000/
//
// It keeps sessions in files under -data (default data/netsessions), so
// they survive a restart. There are no passwords: signing in only picks
// the name the session belongs to, which is what this example is about.
package main

import (
	"context"
	"errors"
	"flag"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ittygo/itty/sessions"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<meta charset="utf-8"><title>net/http sessions</title>
{{if .User}}<p>Hello, {{.User}}! This is visit {{.Visits}} of this session.</p>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{.CSRF}}"><button>Sign out</button></form>
{{else}}<p>Hello, stranger.</p>
<form method="post" action="/login"><label>Name <input name="name" required></label> <button>Sign in</button></form>
{{end}}`))

func main() {
	addr := flag.String("addr", "127.0.0.1:8000", "address to listen on")
	data := flag.String("data", "data/netsessions", "directory for session files")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	store, err := sessions.NewFileStore(*data)
	if err != nil {
		log.Error("netsessions: session store", "err", err)
		os.Exit(1)
	}
	defer store.Close()
	mgr, err := sessions.New(nil, store, sessions.Options{CookieName: "netsessions_sid"})
	if err != nil {
		log.Error("netsessions: sessions", "err", err)
		os.Exit(1)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		data := map[string]any{"User": sess.User()}
		if sess.User() != "" {
			sess.Set("visits", sess.GetInt("visits")+1)
			data["Visits"], data["CSRF"] = sess.GetInt("visits"), sess.CSRFToken()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, data)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		name := r.PostFormValue("name")
		if name == "" || len(name) > 64 {
			http.Error(w, "A name of 1 to 64 characters, please.", http.StatusBadRequest)
			return
		}
		mgr.FromContext(r.Context()).SetUser(name) // renews the session id
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		if !sess.CheckCSRF() {
			http.Error(w, "Invalid or missing CSRF token.", http.StatusForbidden)
			return
		}
		sess.Destroy() // if the store fails, the middleware answers 500
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})

	// Cross-origin protection first, so a forged cross-site POST never
	// reaches a session.
	handler := http.NewCrossOriginProtection().Handler(mgr.Middleware(mux))
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("netsessions: listen", "err", err)
		os.Exit(1)
	}
	log.Info("netsessions: listening", "url", "http://"+ln.Addr().String()+"/")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Error("netsessions: serve", "err", err)
		os.Exit(1)
	}
}
