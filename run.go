package itty

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/fcgi"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ittygo/itty/internal/abort"
)

// Server timeouts and limits that NewServer and Run use. They bound how long
// a slow or hostile client can hold a connection.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultShutdownTimeout   = 30 * time.Second
)

// NewServer returns an *http.Server for the App on addr with itty's default
// timeouts and header limit, an access log (one line per request on the
// App's Logger) and net/http's own errors routed to the Logger. Change its
// fields before serving to tune it.
func (a *App) NewServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           a.accessLog(a),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		// "OPTIONS *" reaches the App, which answers with every method
		// it serves, instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(a.logger().Handler(), slog.LevelWarn),
	}
}

// DefaultAddr is where Run("") listens, as itty3's run() does: port 8000 of
// the loopback interface only, so a program under development is not open
// to the network. Give ":8000" to listen on every interface.
const DefaultAddr = "127.0.0.1:8000"

// Run serves the App on addr (such as "127.0.0.1:8000"; "" means
// DefaultAddr) until the process receives SIGINT or SIGTERM, then shuts
// down gracefully: it stops accepting connections and lets in-flight
// requests finish for up to ShutdownTimeout. It returns nil after a clean
// shutdown, so a main that exits with Run's error exits 0. If Logger is
// nil, Run logs to standard error.
func (a *App) Run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.RunContext(ctx, addr)
}

// RunContext is Run with the shutdown signal given by ctx instead of
// SIGINT and SIGTERM.
func (a *App) RunContext(ctx context.Context, addr string) error {
	if a.Logger == nil {
		a.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := a.NewServer(addr)
	a.Logger.Info("itty: listening", "url", "http://"+ln.Addr().String()+"/")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	grace := a.ShutdownTimeout
	if grace <= 0 {
		grace = DefaultShutdownTimeout
	}
	a.Logger.Info("itty: shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.Logger.Info("itty: stopped")
	return nil
}

// RunCGI serves the one request of a CGI invocation (the environment and
// standard input the web server gives the program) and returns. Routes
// match the part of the path after the script (PATH_INFO), so an app whose
// script is /cgi-bin/app.cgi answers /cgi-bin/app.cgi/greet/Ada/ with its
// /greet/<str:name>/ route. The App's own redirects stay under the script;
// targets passed to Redirect are sent as given. A response aborted after
// it started is sent as far as it got, and RunCGI returns an error.
func (a *App) RunCGI() error {
	aborted := false
	err := cgi.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "" {
			// What the client asked for, the script's name included, so
			// that the App's own redirects (a trailing slash, a clean
			// path) stay under the script: see mountPrefix.
			r.RequestURI = r.URL.RequestURI()
		}
		if _, ok := os.LookupEnv("PATH_INFO"); ok || os.Getenv("SCRIPT_NAME") != "" {
			r.URL.Path = os.Getenv("PATH_INFO")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
		}
		aborted = abort.Serve(a, w, r)
	}))
	if err == nil && aborted {
		err = errors.New("itty: the response was aborted after it started (see the log); CGI cannot cut it short, so the client got it truncated")
	}
	return err
}

// RunFastCGI serves FastCGI requests from l; a nil l means the listener on
// standard input that a FastCGI process manager passes. A response aborted
// after it started (see App.ServeHTTP) ends there: FastCGI cannot tell the
// web server it failed, and net/http/fcgi would let the abort end the
// process, so it is caught.
func (a *App) RunFastCGI(l net.Listener) error {
	return fcgi.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { abort.Serve(a, w, r) }))
}

// accessLog wraps h to log one line per request: method, path, status,
// bytes written, duration, the peer's address (remote) and, with
// TrustedProxies set, the client's address the proxies report (client),
// which a client cannot forge from outside them. A response that never
// completed (the App aborted it after it started, or the client's
// connection broke under a panic) is logged at Warn with aborted=true: its
// status is what the client was sent before the cut (0 if nothing was),
// not an answer it got whole.
func (a *App) accessLog(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		completed := false
		defer func() {
			// No recover: a panic goes on to net/http with its stack.
			status := rec.status
			if !rec.wrote && !completed {
				status = 0 // aborted before anything went out
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", status, "bytes", rec.bytes,
				"duration", time.Since(start), "remote", r.RemoteAddr}
			if len(a.TrustedProxies) > 0 {
				attrs = append(attrs, "client", a.ClientAddr(r))
			}
			if completed {
				a.logger().Info("itty: request", attrs...)
				return
			}
			a.logger().Warn("itty: request", append(attrs, "aborted", true)...)
		}()
		h.ServeHTTP(rec, r)
		completed = true
	})
}

// statusRecorder remembers the status and body size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

// WriteHeader records code once the underlying writer took it (net/http
// panics on a code that is no status, and sends nothing).
func (s *statusRecorder) WriteHeader(code int) {
	s.ResponseWriter.WriteHeader(code)
	if !s.wrote && code >= 200 {
		s.status, s.wrote = code, true
	}
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// FlushError flushes the response; a flush sends the header, so the
// status recorded is what the client got.
func (s *statusRecorder) FlushError() error {
	err := http.NewResponseController(s.ResponseWriter).Flush()
	if err == nil {
		s.wrote = true
	}
	return err
}

// Flush is FlushError for a handler that asks for an http.Flusher.
func (s *statusRecorder) Flush() { s.FlushError() }

// Hijack hands the connection over, if the underlying writer can.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil {
		s.wrote = true
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
