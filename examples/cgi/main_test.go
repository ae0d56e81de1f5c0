package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/cookiejar"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

// TestCGI runs the program as a CGI script under net/http/cgi's host, one
// process per request, and checks the cookie round trip across processes.
func TestCGI(t *testing.T) {
	prog := exampletest.Build(t, ".")
	srv := httptest.NewServer(&cgi.Handler{Path: prog.Path, Root: "/cgi-bin/hello.cgi"})
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for i, want := range []string{"Hello, world! Visits: 1", "Hello, world! Visits: 2", "Hello, world! Visits: 3"} {
		resp, err := client.Get(srv.URL + "/cgi-bin/hello.cgi/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
		if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
			t.Fatalf("Set-Cookie: %q", sc)
		}
	}
	resp, err := http.Get(srv.URL + "/cgi-bin/hello.cgi/greet/Ada/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "Hello, Ada!" {
		t.Fatalf("greet: %q", b)
	}
	// The App's own redirects stay under the script.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(srv.URL + "/cgi-bin/hello.cgi/greet/Ada")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || loc != "/cgi-bin/hello.cgi/greet/Ada/" {
		t.Fatalf("trailing-slash redirect under CGI: %d Location %q, want 301 to the path under the script", resp.StatusCode, loc)
	}
}

// TestFastCGI starts the program as a FastCGI server and speaks the
// protocol to it directly, as a web server would.
func TestFastCGI(t *testing.T) {
	prog := exampletest.Build(t, ".")
	cmd := exec.Command(prog.Path, "-fastcgi", "127.0.0.1:0")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`serving FastCGI on (\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("no FastCGI address")
	}
	out := fastCGIRequest(t, a, map[string]string{
		"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "REQUEST_URI": "/greet/Bob/", "PATH_INFO": "/greet/Bob/",
		"SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "example.com", "SERVER_NAME": "example.com", "SERVER_PORT": "80",
		"REMOTE_ADDR": "127.0.0.1",
	})
	if !strings.Contains(out, "Status: 200 OK\r\n") || !strings.Contains(out, "Content-Type: text/html; charset=utf-8\r\n") {
		t.Fatalf("FastCGI response headers: %q", out)
	}
	if !strings.HasSuffix(out, "\r\n\r\nHello, Bob!") {
		t.Fatalf("FastCGI response: %q", out)
	}
}

// fastCGIRequest sends one FastCGI responder request and returns the
// concatenated FCGI_STDOUT stream (CGI-style headers and body).
func fastCGIRequest(t *testing.T, addr string, params map[string]string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	const (
		beginRequest = 1
		endRequest   = 3
		typeParams   = 4
		typeStdin    = 5
		typeStdout   = 6
		responder    = 1
	)
	record := func(typ byte, content []byte) {
		h := []byte{1, typ, 0, 1, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(len(content)))
		conn.Write(append(h, content...))
	}
	record(beginRequest, []byte{0, responder, 0, 0, 0, 0, 0, 0})
	var p bytes.Buffer
	for k, v := range params {
		p.WriteByte(byte(len(k)))
		p.WriteByte(byte(len(v)))
		p.WriteString(k)
		p.WriteString(v)
	}
	record(typeParams, p.Bytes())
	record(typeParams, nil)
	record(typeStdin, nil)
	var out bytes.Buffer
	r := bufio.NewReader(conn)
	for {
		h := make([]byte, 8)
		if _, err := io.ReadFull(r, h); err != nil {
			t.Fatalf("read FastCGI record: %v (so far %q)", err, out.String())
		}
		n, pad := binary.BigEndian.Uint16(h[4:]), h[6]
		body := make([]byte, int(n)+int(pad))
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		switch h[1] {
		case typeStdout:
			out.Write(body[:n])
		case endRequest:
			return out.String()
		}
	}
}
