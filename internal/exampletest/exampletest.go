// Package exampletest builds an example program, starts it on a free
// loopback port and hands its URL to a test, so that examples are tested
// the way a reader runs them: as a process, over HTTP.
package exampletest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Program is a built example binary.
type Program struct {
	Path string
	// Env is added to the environment the program starts with.
	Env []string
}

// Build compiles the main package in dir (usually ".") into a temporary
// directory.
func Build(t testing.TB, dir string) *Program {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(mustAbs(t, dir)))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	return &Program{Path: bin}
}

func mustAbs(t testing.TB, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Process is a running example.
type Process struct {
	// URL is the base URL the program said it listens on, without the
	// trailing slash, such as "http://127.0.0.1:41234".
	URL string

	t    testing.TB
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
	err  error
}

var listening = regexp.MustCompile(`url=(http://\S+?)/?(\s|$)`)

// Start runs the program with -addr 127.0.0.1:0 and args, and waits until
// it logs the address it listens on. The process is killed when the test
// ends if it is still running.
func (p *Program) Start(t testing.TB, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(p.Path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if p.Env != nil {
		cmd.Env = append(os.Environ(), p.Env...)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc := &Process{t: t, cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			proc.mu.Lock()
			proc.logs.WriteString(line + "\n")
			proc.mu.Unlock()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		proc.err = cmd.Wait()
		close(proc.done)
	}()
	t.Cleanup(func() {
		select {
		case <-proc.done:
		default:
			cmd.Process.Kill()
			<-proc.done
		}
	})
	select {
	case proc.URL = <-found:
	case <-proc.done:
		t.Fatalf("%s exited before listening: %v\n%s", p.Path, proc.err, proc.Logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not report its address in 20s\n%s", p.Path, proc.Logs())
	}
	return proc
}

// Logs returns what the program has written to standard error so far.
func (proc *Process) Logs() string {
	proc.mu.Lock()
	defer proc.mu.Unlock()
	return proc.logs.String()
}

// Stop sends SIGTERM and waits up to timeout for the program to exit. It
// returns the exit error (nil for exit status 0).
func (proc *Process) Stop(timeout time.Duration) error {
	proc.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case <-proc.done:
		return proc.err
	case <-ctx.Done():
		proc.cmd.Process.Kill()
		<-proc.done
		return errors.New("exampletest: program did not exit after SIGTERM within " + timeout.String())
	}
}

// Kill ends the program at once with SIGKILL, as a crash or an OOM kill
// would, and waits for it to be gone.
func (proc *Process) Kill() {
	proc.cmd.Process.Kill()
	<-proc.done
}
