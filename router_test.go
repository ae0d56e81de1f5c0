package itty

import (
	"net/http"
	"strings"
	"testing"
)

func TestRouterMatch(t *testing.T) {
	rt := &router{}
	for _, p := range []string{
		"/",
		"/greet/<str:name>/",
		"/items/<int:id>",
		"/items/<str:name>",
		"/items/new",
		"/price/<float:amount>",
		"/obj/<uuid:id>",
		"/posts/<slug:slug>/",
		"/files/<path:rest>",
		"/a/<int:x>/b/<str:y>",
		"/a/<str:x>/c",
	} {
		rt.add(&route{method: http.MethodGet, pattern: p})
	}
	tests := []struct {
		path    string
		pattern string // "" means no match
		values  []string
	}{
		{"/", "/", nil},
		{"/greet/bob/", "/greet/<str:name>/", []string{"bob"}},
		{"/greet/café/", "/greet/<str:name>/", []string{"café"}},
		{"/greet/bob", "", nil}, // exact trailing slash
		{"/greet//", "", nil},   // empty values never match
		{"/items/42", "/items/<int:id>", []string{"42"}},
		{"/items/hat", "/items/<str:name>", []string{"hat"}},
		{"/items/new", "/items/new", nil},                                                      // literal beats parameters
		{"/items/99999999999999999999", "/items/<str:name>", []string{"99999999999999999999"}}, // int overflow is not an int
		{"/items/-1", "/items/<str:name>", []string{"-1"}},
		{"/price/1.50", "/price/<float:amount>", []string{"1.50"}},
		{"/price/3", "/price/<float:amount>", []string{"3"}},
		{"/price/1.2.3", "", nil},
		{"/price/NaN", "", nil},
		{"/obj/123e4567-e89b-12d3-a456-426614174000", "/obj/<uuid:id>", []string{"123e4567-e89b-12d3-a456-426614174000"}},
		{"/obj/123e4567-e89b-12d3-a456-42661417400", "", nil},
		{"/obj/123e4567xe89b-12d3-a456-426614174000", "", nil},
		{"/posts/hello-world_2/", "/posts/<slug:slug>/", []string{"hello-world_2"}},
		{"/posts/héllo/", "", nil},
		{"/files/a/b/c.txt", "/files/<path:rest>", []string{"a/b/c.txt"}},
		{"/files/dir/", "/files/<path:rest>", []string{"dir/"}},
		{"/files/", "", nil},
		{"/a/1/b/x", "/a/<int:x>/b/<str:y>", []string{"1", "x"}},
		{"/a/1/c", "/a/<str:x>/c", []string{"1"}}, // backtracks from the int branch
		{"/a/z/b/x", "", nil},
		{"/nope", "", nil},
	}
	for _, tt := range tests {
		var ps Params
		ps.reset()
		r := rt.find(http.MethodGet, tt.path, &ps)
		got := ""
		if r != nil {
			got = r.pattern
		}
		if got != tt.pattern {
			t.Errorf("%s: matched %q, want %q", tt.path, got, tt.pattern)
			continue
		}
		if r != nil && strings.Join(ps.values, "|") != strings.Join(tt.values, "|") {
			t.Errorf("%s: values %q, want %q", tt.path, ps.values, tt.values)
		}
	}
}

func TestRouterRegistrationPanics(t *testing.T) {
	tests := []struct {
		first, second string
		want          string // in the panic message
	}{
		{"", "/x/<bogus:a>", `unknown parameter type "bogus"`},
		{"", "/x/<int:a>/<str:a>", `duplicate parameter name "a"`},
		{"", "/x/<a>", "needs a type"},
		{"", "/x/pre<str:a>", "must fill a whole path segment"},
		{"", "/x/<path:a>/more", "must be the last segment"},
		{"", "x", "must begin with /"},
		{"", "/x/<int:1a>", "invalid parameter name"},
		{"/u/<int:id>", "/u/<int:other>", `GET "/u/<int:other>" conflicts with GET "/u/<int:id>"`},
		{"/same", "/same", `GET "/same" conflicts with GET "/same"`},
	}
	for _, tt := range tests {
		t.Run(tt.second, func(t *testing.T) {
			app := New()
			if tt.first != "" {
				app.Get(tt.first, hello)
			}
			defer func() {
				v := recover()
				msg, _ := v.(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic %q, want it to contain %q", v, tt.want)
				}
			}()
			app.Get(tt.second, hello)
		})
	}
}

func TestDistinctShapesDoNotConflict(t *testing.T) {
	app := New()
	app.Get("/u/<int:id>", hello)
	app.Get("/u/<str:name>", hello)
	app.Post("/u/<int:id>", hello) // same shape, other method
	app.Get("/u/<int:id>/", hello) // trailing slash is another path
}

func hello(req *Request) *Response { return NewResponse("hello", 200) }
