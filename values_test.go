package itty

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

// TestItty3Conveniences: <any:…> is itty3's <path:…>, and Default gives
// itty3's get(key, default) for query values and cookies.
func TestItty3Conveniences(t *testing.T) {
	app := New()
	app.Get("/files/<any:rest>", func(req *Request) *Response { return app.Render(req, req.Params.Get("rest")) })
	app.Get("/hello", func(req *Request) *Response {
		return app.Render(req, req.GET.Default("name", "unknown")+"|"+req.COOKIES.Default("theme", "light"))
	})
	c := ittytest.NewClient(t, app)
	if got := c.Get("/files/a/b/c.txt").Body; got != "a/b/c.txt" {
		t.Errorf("<any:rest>: %q", got)
	}
	if got := c.Get("/hello").Body; got != "unknown|light" {
		t.Errorf("defaults: %q", got)
	}
	c.SetCookie(&http.Cookie{Name: "theme", Value: "dark"})
	if got := c.Get("/hello?name=").Body; got != "|dark" {
		t.Errorf("present but empty, and a cookie: %q", got)
	}
}

func TestQueryValues(t *testing.T) {
	app := New()
	app.Get("/", func(req *Request) *Response {
		_, hasBlank := req.GET.Lookup("blank")
		return NewResponse(fmt.Sprintf("first=%q all=%q blank=%v flag=%v missing=%q",
			req.GET.Get("a"), req.GET.GetList("a"), hasBlank, req.GET.Has("flag"), req.GET.Get("zzz")), 200)
	})
	c := ittytest.NewClient(t, app)
	got := c.Get("/?a=1&a=2&blank=&flag").Body
	want := `first="1" all=["1" "2"] blank=true flag=true missing=""`
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestFormValues(t *testing.T) {
	app := New()
	app.Post("/", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("%q %q %v", req.POST.Get("todo"), req.POST.GetList("tag"), req.POST.Err()), 200)
	})
	c := ittytest.NewClient(t, app)
	got := c.PostForm("/", url.Values{"todo": {"buy milk & eggs"}, "tag": {"a", ""}}).Body
	if want := `"buy milk & eggs" ["a" ""] <nil>`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// A JSON body has no form values; nothing is read.
	if got := c.PostJSON("/", map[string]int{"a": 1}).Body; got != `"" [] <nil>` {
		t.Fatalf("JSON body as form: %s", got)
	}
}

// TestFormContentTypes: a form's Content-Type with malformed parameters
// still names the form, as net/http reads it; one that cannot be read at
// all is an error for a request with a body, never an empty form.
func TestFormContentTypes(t *testing.T) {
	app := New()
	app.Post("/", func(req *Request) *Response {
		return NewResponse(fmt.Sprintf("%s|%q|%v", req.ContentType(), req.POST.Get("a"), req.POST.Err()), 200)
	})
	tests := []struct {
		ct, body, want string
	}{
		{"application/x-www-form-urlencoded", "a=1", `application/x-www-form-urlencoded|"1"|<nil>`},
		{"Application/X-WWW-Form-Urlencoded; charset=UTF-8", "a=1", `application/x-www-form-urlencoded|"1"|<nil>`},
		{"application/x-www-form-urlencoded; charset", "a=1", `application/x-www-form-urlencoded|"1"|<nil>`},
		{"@@@", "a=1", `|""|itty: form not read: malformed Content-Type "@@@"`},
		{"application/", "a=1", `|""|itty: form not read: malformed Content-Type "application/"`},
		{"@@@", "", `|""|<nil>`}, // no body, nothing lost
		{"text/plain", "a=1", `text/plain|""|<nil>`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		if tt.body == "" {
			r.Body = http.NoBody
		}
		r.Header.Set("Content-Type", tt.ct)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, r)
		if got := rec.Body.String(); got != tt.want {
			t.Errorf("Content-Type %q: %s, want %s", tt.ct, got, tt.want)
		}
	}
}

// TestQueryOverParameterCap: past net/http's cap of 10,000 parameters no
// value of the query is read, and GET.Err says so rather than leaving the
// handler to think the query was empty.
func TestQueryOverParameterCap(t *testing.T) {
	app := New()
	var n int
	var err error
	app.Get("/", func(req *Request) *Response {
		n, err = len(req.GET.GetList("k")), req.GET.Err()
		return app.Render(req, "ok")
	})
	q := strings.Repeat("k=v&", 10_001)
	app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/?"+q, nil))
	if err == nil {
		t.Fatalf("10,001 parameters: %d read and no error", n)
	}
	t.Logf("10,001 parameters: %d read, Err: %v", n, err)
}
