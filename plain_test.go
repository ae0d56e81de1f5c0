package itty

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlainHandlerWriterPassesAbilitiesOn: a plain handler can still
// flush (server-sent events), hijack (websockets) and send a file with
// sendfile through the writer the App gives it.
func TestPlainHandlerWriterPassesAbilitiesOn(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(file, []byte("file body"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := New()
	flushed := make(chan bool, 1)
	app.Handle("GET", "/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		<-flushed // the client has read the event before the handler returns
	}))
	app.Handle("GET", "/hijack", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		rw.Flush()
	}))
	app.Handle("GET", "/file", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(file)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if _, ok := w.(io.ReaderFrom); !ok {
			t.Error("the writer has no ReadFrom: sendfile is lost")
		}
		io.Copy(w, f)
	}))
	srv := httptest.NewServer(app)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	flushed <- true
	resp.Body.Close()
	if err != nil || line != "data: 1\n" {
		t.Errorf("event: %q, %v", line, err)
	}
	for path, want := range map[string]string{"/hijack": "hijacked", "/file": "file body"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", path, b, err, want)
		}
	}
}

// TestPlainHandlerPanicBeforeWriting: a plain handler that set headers
// describing its body, then panicked, gets the whole 500 page: its
// Content-Length would cut the page short, its Content-Encoding garble it.
func TestPlainHandlerPanicBeforeWriting(t *testing.T) {
	app := New()
	app.Logger = slog.New(slog.DiscardHandler)
	app.Handle("GET", "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("X-Request-Id", "kept")
		panic("database gone")
	}))
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 500 || string(b) != "500 Internal Server Error\n" {
		t.Fatalf("got %d %q (%v), want the whole 500 page", resp.StatusCode, b, err)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding %q on the 500 page", ce)
	}
	if id := resp.Header.Get("X-Request-Id"); id != "kept" {
		t.Errorf("X-Request-Id %q: headers that do not describe the body stay", id)
	}
}

// TestPlainHandlerPanicAfterWriting: once a plain handler's response has
// started, a panic aborts it; nothing is appended to what went out.
func TestPlainHandlerPanicAfterWriting(t *testing.T) {
	var logs syncBuffer
	app := New()
	app.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	app.Handle("GET", "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "balance: ")
		http.NewResponseController(w).Flush()
		panic("lost the rest")
	}))
	srv := httptest.NewServer(app)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || string(b) != "balance: " {
		t.Errorf("got %q, %v; want the part written and a failed read", b, err)
	}
	if !strings.Contains(logs.String(), "panic after the response started") {
		t.Errorf("not logged: %s", logs.String())
	}
}

// noFlushWriter is a ResponseWriter that cannot flush.
type noFlushWriter struct{ http.ResponseWriter }

// TestPlainHandlerFlushReportsItsError: through the App's writer,
// http.ResponseController.Flush still says when the server's writer
// cannot flush, as it would without the App.
func TestPlainHandlerFlushReportsItsError(t *testing.T) {
	var flushErr error
	app := New()
	app.Handle("GET", "/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
	}))
	app.ServeHTTP(noFlushWriter{httptest.NewRecorder()}, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(flushErr, http.ErrNotSupported) {
		t.Errorf("Flush on a writer that cannot: %v, want http.ErrNotSupported", flushErr)
	}
}
