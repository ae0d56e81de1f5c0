package itty_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ittygo/itty"
)

type countReader struct {
	done func() string
	sent bool
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.sent {
		return 0, io.EOF
	}
	c.sent = true
	return copy(p, c.done()), nil
}

// TestAttackRawBodyUnboundedWhileWriting: a streaming response that reads
// req.Raw.Body as it goes (an upload transformed on the fly) is still
// bounded by MaxBodyBytes once the response is being written.
func TestAttackRawBodyUnboundedWhileWriting(t *testing.T) {
	app := itty.New()
	app.MaxBodyBytes = 1 << 10
	app.Post("/up", func(req *itty.Request) *itty.Response {
		return &itty.Response{BodyReader: &countReader{done: func() string {
			n, err := io.Copy(io.Discard, req.Raw.Body)
			return fmt.Sprintf("read %d err %v", n, err)
		}}}
	})
	srv := httptest.NewServer(app)
	defer srv.Close()
	body := io.MultiReader(strings.NewReader(strings.Repeat("x", 1<<20))) // chunked: no Content-Length
	resp, err := http.Post(srv.URL+"/up", "text/plain", body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("%d %q", resp.StatusCode, b)
	if strings.HasPrefix(string(b), "read 1048576") {
		t.Fatalf("req.Raw.Body read past MaxBodyBytes (1 KiB): %s", b)
	}
}
