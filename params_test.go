package itty

import (
	"fmt"
	"testing"

	"github.com/ittygo/itty/ittytest"
)

func TestParamsAccessors(t *testing.T) {
	app := New()
	app.Get("/<int:n>/<float:f>/<str:s>", func(req *Request) *Response {
		v, ok := req.Params.Lookup("nope")
		return NewResponse(fmt.Sprintf("%d %g %d %d %q %v", req.Params.Int("n"), req.Params.Float("f"), req.Params.Int("s"), req.Params.Len(), v, ok), 200)
	})
	c := ittytest.NewClient(t, app)
	if got := c.Get("/12/2.5/x").Body; got != `12 2.5 0 3 "" false` {
		t.Fatalf("got %q", got)
	}
}
