package abort

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServe(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	cases := []struct {
		name    string
		h       http.HandlerFunc
		aborted bool
	}{
		{"served", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }, false},
		{"aborted", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("o")); panic(http.ErrAbortHandler) }, true},
	}
	for _, tc := range cases {
		if got := Serve(tc.h, httptest.NewRecorder(), r); got != tc.aborted {
			t.Errorf("%s: aborted %v, want %v", tc.name, got, tc.aborted)
		}
	}
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("another panic came out as %v, want boom", v)
		}
	}()
	Serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), httptest.NewRecorder(), r)
	t.Error("another panic was swallowed")
}
