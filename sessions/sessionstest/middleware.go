package sessionstest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/ittytest"
	"github.com/ittygo/itty/sessions"
)

// plainMux is the harness's login app again, as plain net/http handlers
// behind the Manager's Middleware.
func plainMux(h *harness) http.Handler {
	mgr := h.mgr
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		u := r.PostFormValue("user")
		sess.SetUser(u)
		sess.Set("user", u)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if u := mgr.FromContext(r.Context()).GetString("user"); u != "" {
			io.WriteString(w, u)
			return
		}
		io.WriteString(w, "stranger")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := mgr.FromContext(r.Context()).Destroy(); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /set", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set(r.PostFormValue("k"), r.PostFormValue("v"))
		// No write: the middleware commits when the handler returns.
	})
	mux.HandleFunc("GET /get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, mgr.FromContext(r.Context()).GetString(r.URL.Query().Get("k")))
	})
	mux.HandleFunc("POST /slowset", func(w http.ResponseWriter, r *http.Request) {
		sess := mgr.FromContext(r.Context())
		sess.Set(r.PostFormValue("k"), r.PostFormValue("v"))
		h.mu.Lock()
		g := h.gates[r.PostFormValue("gate")]
		h.mu.Unlock()
		close(g.loaded)
		<-g.release
		io.WriteString(w, "slow set")
	})
	mux.HandleFunc("POST /panic", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("after", "panic")
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("GET /flush", func(w http.ResponseWriter, r *http.Request) {
		mgr.FromContext(r.Context()).Set("flushed", "yes")
		io.WriteString(w, "part one;")
		if err := http.NewResponseController(w).Flush(); err != nil {
			panic(err)
		}
		io.WriteString(w, "part two")
	})
	mux.HandleFunc("GET /nosession", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") })
	return mgr.Middleware(mux)
}

// runMiddleware checks sessions for plain net/http handlers: the same
// behaviour as for itty handlers, through Manager.Middleware.
func runMiddleware(t *testing.T, caps Caps, mk maker) {
	t.Run("MiddlewareLoginLogout", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, plainMux(h))
		if r := c.Get("/nosession"); r.Body != "plain" || r.Headers.Get("Set-Cookie") != "" || r.Headers.Get("Vary") != "" {
			t.Fatalf("a handler that never asks for the session: %q %v", r.Body, r.Headers)
		}
		r := c.PostForm("/login", url.Values{"user": {"ada"}})
		if ck := r.Cookie("sid"); r.StatusCode != 200 || ck == nil || !ck.HttpOnly || r.Headers.Get("Cache-Control") != "no-store" {
			t.Fatalf("login: %d %v", r.StatusCode, r.Headers)
		}
		if got := c.Get("/whoami").Body; got != "ada" {
			t.Fatalf("whoami: %q", got)
		}
		id, _ := c.Cookie("/", "sid")
		if r := c.PostForm("/logout", nil); r.StatusCode != http.StatusSeeOther || r.Cookie("sid") == nil || r.Cookie("sid").MaxAge >= 0 {
			t.Fatalf("logout: %d %v", r.StatusCode, r.Headers)
		}
		if got := c.Get("/whoami").Body; got != "stranger" {
			t.Fatalf("after logout: %q", got)
		}
		if caps.ServerSide {
			replay := ittytest.NewClient(t, plainMux(h))
			replay.SetCookie(&http.Cookie{Name: "sid", Value: id})
			if got := replay.Get("/whoami").Body; got != "stranger" {
				t.Fatalf("a copy of the cookie after logout: %q", got)
			}
		}
	})
	t.Run("MiddlewareCommitsWhenTheHandlerWritesNothing", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, plainMux(h))
		if r := c.PostForm("/set", url.Values{"k": {"theme"}, "v": {"dark"}}); r.StatusCode != 200 || r.Cookie("sid") == nil {
			t.Fatalf("set: %d %v", r.StatusCode, r.Headers)
		}
		if got := c.Get("/get?k=theme").Body; got != "dark" {
			t.Fatalf("theme = %q", got)
		}
	})
	t.Run("MiddlewarePanicSavesNothing", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		srv := httptest.NewServer(plainMux(h))
		defer srv.Close()
		c := ittytest.NewClient(t, plainMux(h))
		c.PostForm("/login", url.Values{"user": {"ada"}})
		id, _ := c.Cookie("/", "sid")
		req, _ := http.NewRequest("POST", srv.URL+"/panic", nil)
		req.AddCookie(&http.Cookie{Name: "sid", Value: id})
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("an aborted handler answered %d", resp.StatusCode)
		}
		if got := c.Get("/get?k=after").Body; got != "" {
			t.Fatalf("a panicking handler's change was saved: %q", got)
		}
	})
	t.Run("MiddlewareFlushCommitsFirst", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		srv := httptest.NewServer(plainMux(h))
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/flush")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "part one;part two" || len(resp.Cookies()) != 1 {
			t.Fatalf("flushed response: %q, cookies %v", body, resp.Header.Values("Set-Cookie"))
		}
	})
	t.Run("MiddlewareHijack", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
			h.mgr.FromContext(r.Context()).Set("x", 1)
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nhello")
			buf.Flush()
		})
		srv := httptest.NewServer(h.mgr.Middleware(mux))
		defer srv.Close()
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		line, _ := br.ReadString('\n')
		if !strings.HasPrefix(line, "HTTP/1.1 101") {
			t.Fatalf("hijacked response: %q", line)
		}
	})
	t.Run("MiddlewareAndIttyShareOneSession", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		// The App behind the middleware: itty handlers and a plain one
		// mounted with Handle see the same session, loaded and committed
		// once.
		h.app.Handle("GET", "/plain/whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "plain:"+h.mgr.FromContext(r.Context()).GetString("user"))
		}))
		h.app.Post("/both", func(req *itty.Request) *itty.Response {
			s := h.mgr.Get(req)
			if s != h.mgr.FromContext(req.Context()) {
				panic("sessionstest: Manager.Get and Manager.FromContext gave two sessions for one request")
			}
			s.Set("both", "yes")
			return h.app.Render(req, "ok")
		})
		c := ittytest.NewClient(t, h.mgr.Middleware(h.app))
		login(t, c, "ada", false)
		if got := c.Get("/plain/whoami").Body; got != "plain:ada" {
			t.Fatalf("plain handler mounted with Handle: %q", got)
		}
		var loads, writes int64
		if h.store != nil {
			loads, writes = h.store.loads.Load(), h.store.writes.Load()
		}
		r := c.PostForm("/both", nil)
		if r.StatusCode != 200 || len(r.Headers.Values("Set-Cookie")) > 1 {
			t.Fatalf("both: %d %v", r.StatusCode, r.Headers)
		}
		if h.store != nil {
			if l, w := h.store.loads.Load()-loads, h.store.writes.Load()-writes; l != 1 || w != 1 {
				t.Fatalf("one request through both: %d loads, %d writes; want 1 and 1", l, w)
			}
		}
		if got := c.Get("/get?k=both").Body; got != "yes" {
			t.Fatalf("both = %q", got)
		}
	})
	if !caps.ServerSide {
		return
	}
	t.Run("MiddlewareConflictIs409", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		handler := plainMux(h)
		c := ittytest.NewClient(t, handler)
		c.PostForm("/login", url.Values{"user": {"ada"}})
		g := h.hold("cart")
		done := make(chan *ittytest.Response, 1)
		go func() { done <- c.PostForm("/slowset", url.Values{"k": {"cart"}, "v": {"slow"}, "gate": {"cart"}}) }()
		<-g.loaded
		c.PostForm("/set", url.Values{"k": {"cart"}, "v": {"fast"}})
		close(g.release)
		if r := <-done; r.StatusCode != http.StatusConflict || strings.Contains(r.Body, "slow set") {
			t.Fatalf("conflicting write: %d %q, want 409 without the handler's body", r.StatusCode, r.Body)
		}
		if got := c.Get("/get?k=cart").Body; got != "fast" {
			t.Fatalf("cart = %q", got)
		}
	})
	t.Run("MiddlewareStoreFailureIs500", func(t *testing.T) {
		h := mk(t, sessions.Options{})
		c := ittytest.NewClient(t, plainMux(h))
		c.PostForm("/login", url.Values{"user": {"ada"}})
		h.store.fail.Store(true)
		if r := c.Get("/whoami"); r.StatusCode != 500 || r.Body == "stranger" {
			t.Fatalf("store down: %d %q", r.StatusCode, r.Body)
		}
		h.store.fail.Store(false)
		if got := c.Get("/whoami").Body; got != "ada" {
			t.Fatalf("after recovery: %q", got)
		}
	})
}
