package itty

import (
	"net/http"
	"strings"
	"testing"
)

func TestRequestCookies(t *testing.T) {
	tests := []struct {
		headers []string
		name    string
		want    string
		list    []string
		n       int
	}{
		{[]string{"a=1; b=2"}, "b", "2", []string{"2"}, 2},
		{[]string{"a=1; a=2"}, "a", "1", []string{"1", "2"}, 2}, // first wins: the most specific path
		{[]string{"a=1", "a=2; c=3"}, "a", "1", []string{"1", "2"}, 3},
		{[]string{`a="quoted"`}, "a", "quoted", []string{"quoted"}, 1},
		{[]string{"  a =  spaced  ;b=x"}, "a", "spaced", []string{"spaced"}, 2},
		{[]string{"a=caf%C3%A9"}, "a", "café", []string{"café"}, 1},
		{[]string{";;; =x; novalue; b c=1; a=ok;"}, "a", "ok", []string{"ok"}, 1},
		{[]string{"a=x=y"}, "a", "x=y", []string{"x=y"}, 1},
		{[]string{"a="}, "a", "", []string{""}, 1},
		{nil, "a", "", nil, 0},
	}
	for _, tt := range tests {
		var c Cookies
		c.reset(http.Header{"Cookie": tt.headers})
		if got := c.Get(tt.name); got != tt.want {
			t.Errorf("%q Get(%s) = %q, want %q", tt.headers, tt.name, got, tt.want)
		}
		if got := c.GetList(tt.name); strings.Join(got, "|") != strings.Join(tt.list, "|") {
			t.Errorf("%q GetList(%s) = %q, want %q", tt.headers, tt.name, got, tt.list)
		}
		if c.Len() != tt.n || len(c.All()) > tt.n {
			t.Errorf("%q Len = %d, want %d", tt.headers, c.Len(), tt.n)
		}
	}
}
