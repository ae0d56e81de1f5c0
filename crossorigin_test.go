package itty

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

// crossSitePost is the request a page on another site makes with a form.
func crossSitePost(target string) *http.Request {
	r := httptest.NewRequest("POST", target, strings.NewReader("x=1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.Header.Set("Origin", "https://evil.example")
	return r
}

// TestAttackZeroValueAppAcceptsCrossSitePost: &App{} must refuse what New
// refuses; only DisableCrossOriginProtection turns protection off.
func TestAttackZeroValueAppAcceptsCrossSitePost(t *testing.T) {
	for name, app := range map[string]*App{"New()": New(), "&App{}": {}} {
		ran := false
		app.Post("/transfer", func(req *Request) *Response { ran = true; return app.Render(req, "sent") })
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, crossSitePost("/transfer"))
		if rec.Code != http.StatusForbidden || ran || rec.Body.String() != "403 Forbidden\n" {
			t.Errorf("%s: cross-site POST answered %d %q, handler ran: %v", name, rec.Code, rec.Body.String(), ran)
		}
	}
	off := &App{DisableCrossOriginProtection: true}
	off.Post("/transfer", func(req *Request) *Response { return off.Render(req, "sent") })
	rec := httptest.NewRecorder()
	off.ServeHTTP(rec, crossSitePost("/transfer"))
	if rec.Code != 200 {
		t.Errorf("protection turned off explicitly: %d", rec.Code)
	}
}

// TestAttackStandaloneHandlerFuncUnprotected: a HandlerFunc mounted in a
// plain ServeMux gets the cross-origin check, and its panics reach
// slog.Default() instead of vanishing.
func TestAttackStandaloneHandlerFuncUnprotected(t *testing.T) {
	var logs bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(saved)

	ran := false
	mux := http.NewServeMux()
	mux.Handle("POST /transfer", HandlerFunc(func(req *Request) *Response { ran = true; return NewResponse("sent", 200) }))
	mux.Handle("GET /boom", HandlerFunc(func(req *Request) *Response { panic("boom") }))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, crossSitePost("/transfer"))
	if rec.Code != http.StatusForbidden || ran {
		t.Errorf("stand-alone HandlerFunc, cross-site POST: %d, handler ran: %v", rec.Code, ran)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "cross-origin request refused") {
		t.Errorf("stand-alone HandlerFunc panic: %d, log %q", rec.Code, logs.String())
	}
}

// TestAttackDenyHandlerIgnored: a JSON API shapes its refusals, with
// App.Forbidden or with net/http's SetDenyHandler, and is answered in JSON.
func TestAttackDenyHandlerIgnored(t *testing.T) {
	jsonDeny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"cross-origin request refused"}`))
	})
	viaDeny := New()
	viaDeny.CrossOrigin.SetDenyHandler(jsonDeny)
	viaField := New()
	viaField.Forbidden = func(req *Request) *Response {
		resp := viaField.RenderJSON(req, map[string]string{"error": "cross-origin request refused"})
		resp.StatusCode = http.StatusForbidden
		return resp
	}
	for name, app := range map[string]*App{"SetDenyHandler": viaDeny, "App.Forbidden": viaField} {
		app.Post("/api/items", func(req *Request) *Response { return app.Render(req, "created") })
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, crossSitePost("/api/items"))
		var body map[string]string
		if rec.Code != 403 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
			json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["error"] == "" {
			t.Errorf("%s: %d %q %q", name, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
}

func TestCrossOriginProtection(t *testing.T) {
	app := New()
	app.Post("/do", func(req *Request) *Response { return NewResponse("done", 200) })
	app.Get("/do", func(req *Request) *Response { return NewResponse("read", 200) })
	c := ittytest.NewClient(t, app)
	send := func(method string, headers map[string]string) int {
		req := c.NewRequest(method, "/do", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return c.Do(req).StatusCode
	}
	tests := []struct {
		method  string
		headers map[string]string
		want    int
	}{
		{"POST", nil, 200}, // no browser headers: curl, server-to-server
		{"POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		{"POST", map[string]string{"Origin": "http://example.com"}, 200}, // same host
		{"GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},  // safe method
	}
	for _, tt := range tests {
		if got := send(tt.method, tt.headers); got != tt.want {
			t.Errorf("%s %v: %d, want %d", tt.method, tt.headers, got, tt.want)
		}
	}
	if err := app.CrossOrigin.AddTrustedOrigin("https://partner.example"); err != nil {
		t.Fatal(err)
	}
	if got := send("POST", map[string]string{"Origin": "https://partner.example", "Sec-Fetch-Site": "cross-site"}); got != 200 {
		t.Errorf("trusted origin: %d", got)
	}
	app.DisableCrossOriginProtection = true
	if got := send("POST", map[string]string{"Sec-Fetch-Site": "cross-site"}); got != 200 {
		t.Errorf("protection off: %d", got)
	}
}

// TestAttackPanickingDenyHandler: a deny handler that panics neither lets
// the request through nor takes the connection down; the refusal is itty's
// 403, and the panic is logged.
func TestAttackPanickingDenyHandler(t *testing.T) {
	var logs strings.Builder
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.CrossOrigin.SetDenyHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("deny handler bug") }))
	reached := false
	app.Post("/x", func(req *Request) *Response { reached = true; return app.Render(req, "done") })
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, crossSitePost("/x"))
	if rec.Code != 403 || reached || !strings.Contains(logs.String(), "deny handler panicked") {
		t.Fatalf("%d, handler reached %v, log %q", rec.Code, reached, logs.String())
	}
}
