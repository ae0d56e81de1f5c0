package sessions_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ittygo/itty"
	"github.com/ittygo/itty/sessions"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// loadApp is examples/login's traffic without the password hashing: log
// in, read, write, renew, log out.
func loadApp(t *testing.T, store sessions.Store) *itty.App {
	app := itty.New()
	mgr, err := sessions.New(app, store, sessions.Options{CookieName: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	app.Post("/login", func(req *itty.Request) *itty.Response {
		sess := mgr.Get(req)
		if err := sess.Renew(); err != nil {
			panic(err)
		}
		sess.SetUser(req.POST.Get("user"))
		return app.Redirect(req, "/")
	})
	app.Get("/whoami", func(req *itty.Request) *itty.Response {
		if u := mgr.Get(req).User(); u != "" {
			return app.Render(req, u)
		}
		return app.Render(req, "stranger")
	})
	app.Post("/set", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Set(req.POST.Get("k"), req.POST.Get("v"))
		return app.Render(req, "ok")
	})
	app.Get("/get", func(req *itty.Request) *itty.Response {
		return app.Render(req, mgr.Get(req).GetString(req.GET.Get("k")))
	})
	app.Post("/logout", func(req *itty.Request) *itty.Response {
		mgr.Get(req).Destroy()
		return app.Redirect(req, "/")
	})
	return app
}

// TestLoad drives the file store with LOAD_CLIENTS clients (default 8) for
// LOAD_DURATION (default 3s; make hardening: 32 clients, 30s), under the
// race detector in make test: every status must be the expected one, no
// session may be lost or come back after logout, and goroutines and heap
// must return to their baseline afterwards.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	clients := envInt("LOAD_CLIENTS", 8)
	duration := envDuration("LOAD_DURATION", 3*time.Second)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	baseGoroutines := runtime.NumGoroutine()

	store, err := sessions.NewFileStore(t.TempDir(), sessions.CleanupInterval(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(loadApp(t, store))
	transport := &http.Transport{MaxIdleConnsPerHost: clients}

	var requests, unexpected, lost, resurrected atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(counter *atomic.Int64, format string, args ...any) {
		counter.Add(1)
		mu.Lock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: transport, Jar: jar,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			do := func(method, path string, form url.Values, want int) string {
				requests.Add(1)
				var resp *http.Response
				var err error
				if method == "POST" {
					resp, err = c.PostForm(srv.URL+path, form)
				} else {
					resp, err = c.Get(srv.URL + path)
				}
				if err != nil {
					fail(&unexpected, "%s %s: %v", method, path, err)
					return ""
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					fail(&unexpected, "%s %s: %d %s", method, path, resp.StatusCode, b)
				}
				return string(b)
			}
			user := fmt.Sprintf("user-%d", i)
			u, _ := url.Parse(srv.URL)
			for round := 0; time.Now().Before(deadline); round++ {
				do("POST", "/login", url.Values{"user": {user}}, 302)
				if got := do("GET", "/whoami", nil, 200); got != user {
					fail(&lost, "%s round %d: whoami %q after login", user, round, got)
				}
				for j := range 5 {
					v := strconv.Itoa(round*10 + j)
					do("POST", "/set", url.Values{"k": {"n"}, "v": {v}}, 200)
					if got := do("GET", "/get?k=n", nil, 200); got != v {
						fail(&lost, "%s: wrote %s, read %q", user, v, got)
					}
				}
				do("POST", "/login", url.Values{"user": {user}}, 302) // renew
				if got := do("GET", "/get?k=n", nil, 200); got != strconv.Itoa(round*10+4) {
					fail(&lost, "%s: value lost on renew: %q", user, got)
				}
				old := jar.Cookies(u)
				do("POST", "/logout", nil, 302)
				replay, _ := cookiejar.New(nil)
				replay.SetCookies(u, old)
				rc := &http.Client{Transport: transport, Jar: replay}
				requests.Add(1)
				if resp, err := rc.Get(srv.URL + "/whoami"); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if string(b) != "stranger" {
						fail(&resurrected, "%s: old cookie after logout gives %q", user, b)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := duration
	srv.Close()
	transport.CloseIdleConnections()
	store.Close()

	t.Logf("load: %d clients, %v, %d requests (%.0f req/s); unexpected statuses %d, lost %d, resurrected %d",
		clients, elapsed, requests.Load(), float64(requests.Load())/elapsed.Seconds(), unexpected.Load(), lost.Load(), resurrected.Load())
	for _, f := range failures {
		t.Error(f)
	}

	// Leak check: goroutines and heap back to where they started.
	var goroutines int
	for wait := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if goroutines = runtime.NumGoroutine(); goroutines <= baseGoroutines+2 || time.Now().After(wait) {
			break
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("leaks: goroutines %d -> %d, heap %d KiB -> %d KiB", baseGoroutines, goroutines, before.HeapAlloc>>10, after.HeapAlloc>>10)
	if goroutines > baseGoroutines+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines leaked: %d -> %d\n%s", baseGoroutines, goroutines, buf[:runtime.Stack(buf, true)])
	}
	if growth > 16<<20 {
		t.Errorf("heap grew by %d MiB", growth>>20)
	}
}
