package itty_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty"
)

// The child process: a FastCGI server whose /stream route's BodyReader
// fails after some bytes (as a client that went away would make the copy fail).
func TestFastCGIChild(t *testing.T) {
	if os.Getenv("REVIEW_FCGI_CHILD") == "" {
		t.Skip("the child process of TestAttackFastCGIStreamFailureKillsServer; it runs only as that")
	}
	app := itty.New()
	app.Get("/stream", func(req *itty.Request) *itty.Response {
		return &itty.Response{BodyReader: io.MultiReader(strings.NewReader(strings.Repeat("x", 100)),
			iotestErr{})}
	})
	app.Get("/ok", func(req *itty.Request) *itty.Response { return itty.NewResponse("ok", 200) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ADDR", l.Addr())
	app.RunFastCGI(l)
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("backend went away") }

// TestAttackFastCGIStreamFailureKillsServer: a response aborted after it
// started (here a BodyReader that fails) must not end the FastCGI process,
// which net/http/fcgi would let the abort do: the next request is served.
func TestAttackFastCGIStreamFailureKillsServer(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFastCGIChild$", "-test.v")
	cmd.Env = append(os.Environ(), "REVIEW_FCGI_CHILD=1")
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var addr string
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	go io.Copy(io.Discard, out)
	fcgi(addr, "/stream")
	time.Sleep(200 * time.Millisecond)
	got, err := fcgi(addr, "/ok")
	if err != nil || !strings.Contains(got, "ok") {
		cmd.Process.Kill()
		cmd.Wait()
		s := stderr.String() + "\n(stdout drained)"
		if i := strings.Index(s, "panic"); i >= 0 {
			s = s[i:min(len(s), i+300)]
		}
		t.Fatalf("FastCGI server dead after one failed stream: /ok -> %q, %v\nchild: %s", got, err, s)
	}
}

func fcgi(addr, path string) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	record := func(typ byte, content []byte) {
		h := []byte{1, typ, 0, 1, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(h[4:], uint16(len(content)))
		conn.Write(append(h, content...))
	}
	record(1, []byte{0, 1, 0, 0, 0, 0, 0, 0})
	var p bytes.Buffer
	for k, v := range map[string]string{"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "REQUEST_URI": path,
		"SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "example.com", "SERVER_NAME": "example.com", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1"} {
		p.WriteByte(byte(len(k)))
		p.WriteByte(byte(len(v)))
		p.WriteString(k)
		p.WriteString(v)
	}
	record(4, p.Bytes())
	record(4, nil)
	record(5, nil)
	var o bytes.Buffer
	r := bufio.NewReader(conn)
	for {
		h := make([]byte, 8)
		if _, err := io.ReadFull(r, h); err != nil {
			return o.String(), err
		}
		n, pad := binary.BigEndian.Uint16(h[4:]), h[6]
		body := make([]byte, int(n)+int(pad))
		if _, err := io.ReadFull(r, body); err != nil {
			return o.String(), err
		}
		switch h[1] {
		case 6:
			o.Write(body[:n])
		case 3:
			return o.String(), nil
		}
	}
}
