package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

func TestCookieGuide(t *testing.T) {
	proc := exampletest.Build(t, ".").Start(t)
	jar, _ := cookiejar.New(nil)
	stop := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := stop.Get(proc.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if _, body := get("/"); body != "Hello, unknown!" {
		t.Fatalf("no cookie: %q", body)
	}
	resp, _ := get("/set/?username=" + url.QueryEscape("Ada <Lovelace>; café"))
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/" {
		t.Fatalf("set: %d %v", resp.StatusCode, resp.Header)
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{"username=Ada%20<Lovelace>%3B%20caf%C3%A9", "Path=/", "Max-Age=1209600", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(sc, attr) {
			t.Errorf("Set-Cookie %q lacks %q", sc, attr)
		}
	}
	c := resp.Cookies()[0]
	if d := time.Duration(c.MaxAge) * time.Second; d != 14*24*time.Hour {
		t.Errorf("max age %v", d)
	}
	if _, body := get("/"); body != "Hello, Ada &lt;Lovelace&gt;; café!" {
		t.Fatalf("greeting: %q", body)
	}
	resp, _ = get("/logout/")
	if resp.StatusCode != 302 || !strings.Contains(resp.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", resp.StatusCode, resp.Header)
	}
	if _, body := get("/"); body != "Hello, unknown!" {
		t.Fatalf("after logout: %q", body)
	}
	if resp, body := get("/set/?username=a;b"); resp.StatusCode != 400 || !strings.Contains(body, "semicolon") {
		t.Fatalf("malformed query: %d %q", resp.StatusCode, body)
	}
	get("/set/")
	if _, body := get("/"); body != "Hello, unknown!" {
		t.Fatalf("no username given: %q", body)
	}
}
