package itty_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty"
)

type closeTrack struct {
	*strings.Reader
	closed bool
}

func (c *closeTrack) Close() error { c.closed = true; return nil }

// TestAttackUnsendableStatusLeaksBodyAndHookCookies: the 500 page that
// replaces a response with an unsendable status closes its BodyReader.
// A handler that returns one has failed, so no hook runs to store what it
// half did; when a hook sets it, the hooks have run and the page keeps the
// cookies they set (a session's), as a hook error's page does.
func TestAttackUnsendableStatusLeaksBodyAndHookCookies(t *testing.T) {
	for _, byHook := range []bool{false, true} {
		app := itty.New()
		hookRan := false
		app.OnResponse(func(req *itty.Request, resp *itty.Response) error {
			hookRan = true
			if byHook {
				resp.StatusCode = 42
			}
			return resp.SetCookie("sid", "new-session-id", itty.CookieOptions{})
		})
		body := &closeTrack{Reader: strings.NewReader("file")}
		app.Get("/s", func(req *itty.Request) *itty.Response {
			status := 42
			if byHook {
				status = http.StatusOK
			}
			return &itty.Response{StatusCode: status, BodyReader: body}
		})
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("GET", "/s", nil))
		cookies := rec.Header().Values("Set-Cookie")
		if rec.Code != http.StatusInternalServerError || !body.closed {
			t.Errorf("status set by a hook %v: %d, BodyReader closed %v; want 500, closed", byHook, rec.Code, body.closed)
		}
		if hookRan != byHook {
			t.Errorf("status set by a hook %v: the hook ran %v", byHook, hookRan)
		}
		if byHook && len(cookies) == 0 {
			t.Error("the hook's cookie was dropped from the 500 page")
		}
		if !byHook && len(cookies) != 0 {
			t.Errorf("the failed handler's page sets %q", cookies)
		}
	}
}

// TestAttackInvalidCookieLeaksBody: a response whose cookie cannot be set
// is replaced by the 500 page; its BodyReader (an open file, say) must be
// closed, with OnResponse hooks or without.
func TestAttackInvalidCookieLeaksBody(t *testing.T) {
	for _, hooks := range []bool{false, true} {
		app := itty.New()
		if hooks {
			app.OnResponse(func(*itty.Request, *itty.Response) error { return nil })
		}
		body := &closeTrack{Reader: strings.NewReader("file")}
		app.Get("/f", func(req *itty.Request) *itty.Response {
			resp := &itty.Response{BodyReader: body}
			resp.SetCookie("bad name", "v")
			return resp
		})
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest("GET", "/f", nil))
		if rec.Code != http.StatusInternalServerError || !body.closed {
			t.Errorf("with hooks %v: %d, BodyReader closed %v; want 500, closed", hooks, rec.Code, body.closed)
		}
	}
}
