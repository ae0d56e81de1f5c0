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
// replaces a response with an unsendable status closes its BodyReader and
// keeps the cookies the OnResponse hooks set (a session's), as a hook
// error's page does.
func TestAttackUnsendableStatusLeaksBodyAndHookCookies(t *testing.T) {
	app := itty.New()
	app.OnResponse(func(req *itty.Request, resp *itty.Response) error {
		return resp.SetCookie("sid", "new-session-id", itty.CookieOptions{})
	})
	body := &closeTrack{Reader: strings.NewReader("file")}
	app.Get("/s", func(req *itty.Request) *itty.Response {
		return &itty.Response{StatusCode: 42, BodyReader: body}
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "/s", nil))
	t.Logf("status %d Set-Cookie %q closed %v", rec.Code, rec.Header().Values("Set-Cookie"), body.closed)
	if !body.closed {
		t.Error("BodyReader (an io.Closer) never closed")
	}
	if len(rec.Header().Values("Set-Cookie")) == 0 {
		t.Error("the hook's cookie was dropped from the 500 page")
	}
	_ = http.StatusOK
}
