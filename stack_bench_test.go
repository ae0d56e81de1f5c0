package itty

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGitHubStack takes the full stack apart on the GitHub route set
// (internal/routesets), one op being all 203 requests, to show where the time of
// bench's GitHubAll goes:
//
//   - find: matching alone;
//   - reused: matching, Request set-up, the handler and the write, with
//     one Request reused (not safe for concurrent use; a measurement only);
//   - pooled: the same with the Request taken from and returned to the pool;
//   - serve: App.ServeHTTP, which adds panic recovery and the checks for
//     unclean paths, cross-origin requests and request bodies.
func BenchmarkGitHubStack(b *testing.B) {
	pats, methods, paths := githubRoutes(b)
	app := New()
	app.DisableCrossOriginProtection = true
	render := func(req *Request) *Response { return app.Render(req, "ok") }
	for i := range pats {
		app.Handle(methods[i], pats[i], HandlerFunc(render))
	}
	reqs := make([]*http.Request, len(paths))
	for i := range paths {
		reqs[i] = httptest.NewRequest(methods[i], paths[i], nil)
	}
	w := &nopWriter{h: http.Header{}}
	handle := func(req *Request, r *http.Request) {
		rt := app.router.find(r.Method, r.URL.Path, &req.Params)
		req.Params.names = rt.names
		resp := rt.fn(req)
		w.Header()["Content-Type"] = contentTypeHeader(resp.ContentType)
		io.WriteString(w, resp.Body)
	}
	b.Run("find", func(b *testing.B) {
		var ps Params
		for b.Loop() {
			for _, r := range reqs {
				ps.reset()
				app.router.find(r.Method, r.URL.Path, &ps)
			}
		}
	})
	b.Run("reused", func(b *testing.B) {
		req := new(Request)
		for b.Loop() {
			for _, r := range reqs {
				req.init(app, r)
				handle(req, r)
				req.clear()
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		for b.Loop() {
			for _, r := range reqs {
				req := app.acquire(w, r)
				handle(req, r)
				app.release(req)
			}
		}
	})
	b.Run("serve", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, r := range reqs {
				app.ServeHTTP(w, r)
			}
		}
	})
}
