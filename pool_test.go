package itty_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/ittygo/itty"
)

// TestAttackStalePlainWriterAfterGoexit: a plain handler that ends its
// goroutine with runtime.Goexit (t.FailNow in a test handler) must not
// leave its writer in the pooled Request, where the next request that
// panics before writing would be aborted instead of answered 500.
func TestAttackStalePlainWriterAfterGoexit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	app := itty.New()
	app.Handle("GET", "/plain", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		runtime.Goexit()
	}))
	app.Get("/boom", func(req *itty.Request) *itty.Response { panic("bug") })
	done := make(chan struct{})
	go func() {
		defer close(done)
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/plain", nil))
	}()
	<-done
	rec := httptest.NewRecorder()
	aborted := func() (ab bool) {
		defer func() {
			if v := recover(); v == http.ErrAbortHandler {
				ab = true
			} else if v != nil {
				panic(v)
			}
		}()
		app.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
		return false
	}()
	if aborted {
		t.Fatalf("a panic before anything was written was aborted, not answered 500 (stale req.plain from a previous request)")
	}
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
}
