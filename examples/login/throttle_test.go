package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

// TestThrottleLocksAfterFreeFailures: five free failures, then a lock
// that doubles with each further failure, capped; forgotten after an hour
// without failures.
func TestThrottleLocksAfterFreeFailures(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	th := newThrottle(100)
	th.now = func() time.Time { return now }
	for i := range freeFailures {
		if w := th.wait("user:ada"); w != 0 {
			t.Fatalf("locked after %d failures: %v", i, w)
		}
		th.fail("user:ada")
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		th.fail("user:ada")
		if got := th.wait("user:ada", "addr:1.2.3.4"); got != w {
			t.Fatalf("after %d failures: wait %v, want %v", freeFailures+i, got, w)
		}
	}
	for range 30 {
		th.fail("user:ada")
	}
	if got := th.wait("user:ada"); got != maxLock {
		t.Fatalf("after many failures: wait %v, want the cap %v", got, maxLock)
	}
	now = now.Add(maxLock + forgetAfter + time.Second)
	th.fail("user:ada")
	if got := th.wait("user:ada"); got != 0 {
		t.Fatalf("an hour after the last failure: wait %v, want a fresh start", got)
	}
	th.forget("user:ada")
	if th.len() != 0 {
		t.Fatal("forget kept the key")
	}
}

// TestAttackThrottleFloodOfNames: a flood of distinct user names costs
// bounded memory, and the address that sends it is still locked.
func TestAttackThrottleFloodOfNames(t *testing.T) {
	th := newThrottle(1000)
	for i := range 50_000 {
		th.fail(fmt.Sprintf("user:u%d", i), "addr:6.6.6.6")
	}
	if n := th.len(); n > 1000 {
		t.Fatalf("%d keys remembered, want at most 1000", n)
	}
	if th.wait("addr:6.6.6.6") == 0 {
		t.Fatal("the flooding address is not locked")
	}
}

// TestAttackThrottleFloodEvictsFreeKeysFirst: a flood of fresh keys, each
// failing once, pushes out only keys within their free failures, never a
// locked one; a table full of locked keys still stays within its bound,
// giving up the least recently failed lock.
func TestAttackThrottleFloodEvictsFreeKeysFirst(t *testing.T) {
	th := newThrottle(100)
	for range freeFailures + 1 {
		th.fail("user:ada")
	}
	th.fail("user:bob") // within its free failures
	for i := range 10_000 {
		th.fail(fmt.Sprintf("user:u%d", i))
	}
	if n := th.len(); n != 100 {
		t.Fatalf("%d keys remembered, want 100", n)
	}
	if th.wait("user:ada") == 0 {
		t.Fatal("the flood of fresh keys pushed out ada's lock")
	}
	if _, kept := th.keys["user:bob"]; kept {
		t.Fatal("bob's single failure outlived 10,000 newer ones")
	}
	// Now lock 100 other keys: ada's lock is the oldest, and goes.
	for i := range 100 {
		for range freeFailures + 1 {
			th.fail(fmt.Sprintf("user:l%d", i))
		}
	}
	if n := th.len(); n != 100 {
		t.Fatalf("%d keys remembered, want 100", n)
	}
	if th.wait("user:ada") != 0 || th.wait("user:l99") == 0 {
		t.Fatal("a table of locked keys did not give up its least recently failed one")
	}
}

// TestAttackPasswordGuessing: over HTTP, wrong passwords soon get 429 with
// Retry-After, without the expensive hash; while locked even the right
// password waits; and the demo account exists only with -demo, which the
// program announces.
func TestAttackPasswordGuessing(t *testing.T) {
	prog := exampletest.Build(t, ".")
	proc := prog.Start(t, "-data", filepath.Join(t.TempDir(), "s"), "-demo")
	if !strings.Contains(proc.Logs(), "DEMO MODE") {
		t.Fatalf("demo mode not announced:\n%s", proc.Logs())
	}
	b := newBrowser(t, proc.URL)
	statuses := []int{}
	for range freeFailures + 2 {
		resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"guess"}})
		statuses = append(statuses, resp.StatusCode)
	}
	last, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}})
	retry, _ := strconv.Atoi(last.Header.Get("Retry-After"))
	if fmt.Sprint(statuses) != "[401 401 401 401 401 401 429]" || last.StatusCode != 429 || retry < 1 {
		t.Fatalf("guessing: %v, then the right password: %d Retry-After %q", statuses, last.StatusCode, last.Header.Get("Retry-After"))
	}
	time.Sleep(time.Duration(retry)*time.Second + 100*time.Millisecond)
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}}); resp.StatusCode != 302 {
		t.Fatalf("after Retry-After: %d", resp.StatusCode)
	}

	// Without -demo, demo/demo does not log in, even when -users names
	// other users.
	dir := t.TempDir()
	cmd := exec.Command(prog.Path, "-hash")
	cmd.Stdin = strings.NewReader("s3cret\n")
	hash, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.txt")
	os.WriteFile(users, []byte("alice:"+strings.TrimSpace(string(hash))+"\n"), 0o600)
	proc = prog.Start(t, "-data", filepath.Join(dir, "s"), "-users", users)
	b = newBrowser(t, proc.URL)
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}}); resp.StatusCode != 401 {
		t.Fatalf("demo/demo without -demo: %d", resp.StatusCode)
	}
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"alice"}, "password": {"s3cret"}}); resp.StatusCode != 302 {
		t.Fatalf("alice: %d", resp.StatusCode)
	}
}

// TestAttackLockoutThroughProxy: behind a reverse proxy every request comes
// from the proxy's address. An attacker who guesses wrong under many user
// names locks the address key; with -proxy naming the proxy, that is the
// attacker's own address, and another client still logs in. Without -proxy
// the headers are not believed: an attacker who forges X-Forwarded-For
// for each guess does not slip out of the address lock.
func TestAttackLockoutThroughProxy(t *testing.T) {
	prog := exampletest.Build(t, ".")
	guess := func(b *browser, name, password, xff string) int {
		t.Helper()
		resp, _ := b.doWith("POST", "/login", url.Values{"username": {name}, "password": {password}}, "X-Forwarded-For", xff)
		return resp.StatusCode
	}

	proc := prog.Start(t, "-data", filepath.Join(t.TempDir(), "s"), "-demo", "-proxy", "127.0.0.1/32,::1")
	attacker, victim := newBrowser(t, proc.URL), newBrowser(t, proc.URL)
	var statuses []int
	for i := range freeFailures + 2 {
		statuses = append(statuses, guess(attacker, fmt.Sprintf("user%d", i), "guess", "203.0.113.66"))
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 401 401 429]" {
		t.Fatalf("the attacker behind the proxy: %v, want six 401s, then 429", statuses)
	}
	if got := guess(victim, "demo", "demo", "198.51.100.7"); got != 302 {
		t.Fatalf("another client behind the proxy, right password: %d, want 302 (the attacker's lock is the attacker's)", got)
	}

	proc = prog.Start(t, "-data", filepath.Join(t.TempDir(), "s"), "-demo")
	attacker = newBrowser(t, proc.URL)
	statuses = statuses[:0]
	for i := range freeFailures + 2 {
		statuses = append(statuses, guess(attacker, fmt.Sprintf("user%d", i), "guess", fmt.Sprintf("192.0.2.%d", i)))
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 401 401 429]" {
		t.Fatalf("forged X-Forwarded-For without -proxy: %v, want the address locked after six", statuses)
	}
}

// TestProxyFlagRefusesBadNetworks: a -proxy that names no network stops the
// program with the reason, before it serves anything.
func TestProxyFlagRefusesBadNetworks(t *testing.T) {
	prog := exampletest.Build(t, ".")
	out, err := exec.Command(prog.Path, "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-proxy", "127.0.0.1/32,nginx").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-proxy") || !strings.Contains(string(out), "nginx") {
		t.Fatalf("-proxy nginx: err %v, output %s", err, out)
	}
	for _, tt := range []struct {
		in   string
		want string
	}{
		{"", "[]"},
		{"127.0.0.1/32, ::1", "[127.0.0.1/32 ::1/128]"},
		{"10.0.0.0/8,", "[10.0.0.0/8]"},
	} {
		got, err := parsePrefixes(tt.in)
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("parsePrefixes(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
