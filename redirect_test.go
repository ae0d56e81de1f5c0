package itty

import (
	"testing"

	"github.com/ittygo/itty/ittytest"
)

func TestIsLocalURL(t *testing.T) {
	for _, tt := range []struct {
		target string
		local  bool
	}{
		{"/", true},
		{"/account", true},
		{"/a/b?next=%2F%2Fevil#top", true},
		{"/caf%C3%A9/", true},
		{"", false},
		{"account", false},
		{"//evil.example", false},
		{"///evil.example", false},
		{"/\\evil.example", false},
		{"\\\\evil.example", false},
		{"/\t/evil.example", false},
		{"/\n/evil.example", false},
		{"https:evil.example", false},
		{"https://evil.example", false},
		{"http://evil.example/", false},
		{"javascript:alert(1)", false},
		{"data:text/html,hi", false},
		{" //evil.example", false},
		{"/a\\b", false},
		{"/%0d%0aSet-Cookie:x", true}, // encoded: stays a path on this site
	} {
		if got := IsLocalURL(tt.target); got != tt.local {
			t.Errorf("IsLocalURL(%q) = %v, want %v", tt.target, got, tt.local)
		}
	}
}

func TestRedirectLocal(t *testing.T) {
	app := New()
	app.Get("/login", func(req *Request) *Response { return app.RedirectLocal(req, req.GET.Get("next"), "/") })
	c := ittytest.NewClient(t, app)
	for next, want := range map[string]string{
		"%2Faccount":           "/account",
		"%2F%2Fevil.example":   "/",
		"%2F%5Cevil.example":   "/",
		"https%3Aevil.example": "/",
		"":                     "/",
	} {
		if r := c.Get("/login?next=" + next); r.StatusCode != 302 || r.Location() != want {
			t.Errorf("next=%s: %d %q, want %q", next, r.StatusCode, r.Location(), want)
		}
	}
}
