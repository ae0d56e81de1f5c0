package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

type browser struct {
	t      *testing.T
	client *http.Client
	base   string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	return b.doWith(method, path, form)
}

// doWith is do with the request header pairs given.
func (b *browser) doWith(method, path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *browser) home() string {
	b.t.Helper()
	_, body := b.do("GET", "/", nil)
	return body
}

var tokenRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func TestLoginApp(t *testing.T) {
	dir := t.TempDir()
	prog := exampletest.Build(t, ".")
	// A second user, hashed by the program itself.
	cmd := exec.Command(prog.Path, "-hash")
	cmd.Stdin = strings.NewReader("s3cret\n")
	hash, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.txt")
	os.WriteFile(users, []byte("# users\nalice:"+strings.TrimSpace(string(hash))+"\n"), 0o600)
	args := []string{"-data", filepath.Join(dir, "sessions"), "-users", users, "-demo"}
	proc := prog.Start(t, args...)
	b := newBrowser(t, proc.URL)

	if got := b.home(); got != "Welcome Stranger!" {
		t.Fatalf("before login: %q", got)
	}
	if resp, body := b.do("GET", "/login", nil); resp.StatusCode != 200 || !strings.Contains(body, `name="password"`) {
		t.Fatalf("login form: %d %s", resp.StatusCode, body)
	}
	resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"wrong"}})
	if resp.StatusCode != 401 || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("wrong password: %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"nobody"}, "password": {"demo"}}); resp.StatusCode != 401 {
		t.Fatalf("unknown user: %d", resp.StatusCode)
	}
	resp, _ = b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}})
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "/" || !strings.Contains(resp.Header.Get("Set-Cookie"), "HttpOnly") {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Header)
	}
	if got := b.home(); got != "Welcome demo!" {
		t.Fatalf("after login: %q", got)
	}

	// Restart the program: the session is in files, so demo stays logged in.
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	proc = prog.Start(t, args...)
	b.base = proc.URL
	if got := b.home(); got != "Welcome demo!" {
		t.Fatalf("after restart: %q", got)
	}

	// Logging out needs the session's CSRF token.
	if resp, _ := b.do("POST", "/logout", url.Values{}); resp.StatusCode != 403 {
		t.Fatalf("logout without token: %d", resp.StatusCode)
	}
	_, page := b.do("GET", "/logout", nil)
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no token in %s", page)
	}
	u, _ := url.Parse(proc.URL)
	stolen := b.client.Jar.Cookies(u)
	if resp, _ := b.do("POST", "/logout", url.Values{"csrf_token": {m[1]}}); resp.StatusCode != 302 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if got := b.home(); got != "Welcome Stranger!" {
		t.Fatalf("after logout: %q", got)
	}
	// A copy of the old cookie is worthless: the server forgot the session.
	replay := newBrowser(t, proc.URL)
	replay.client.Jar.SetCookies(u, stolen)
	if got := replay.home(); got != "Welcome Stranger!" {
		t.Fatalf("replayed cookie after logout: %q", got)
	}

	// The second user from -users.
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"alice"}, "password": {"s3cret"}}); resp.StatusCode != 302 {
		t.Fatalf("alice: %d", resp.StatusCode)
	}
	if got := b.home(); got != "Welcome alice!" {
		t.Fatalf("alice: %q", got)
	}
}

// TestLogOutMyOtherDevices logs demo in from a laptop and a phone, and
// from a third browser that holds a stolen copy of the phone's cookie, then
// has the laptop log out its other devices: the laptop stays in, the phone
// and the copy of its cookie are out.
func TestLogOutMyOtherDevices(t *testing.T) {
	prog := exampletest.Build(t, ".")
	proc := prog.Start(t, "-data", filepath.Join(t.TempDir(), "sessions"), "-demo")
	laptop, phone, thief := newBrowser(t, proc.URL), newBrowser(t, proc.URL), newBrowser(t, proc.URL)
	for _, b := range []*browser{laptop, phone} {
		if resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}}); resp.StatusCode != 302 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
	}
	u, _ := url.Parse(proc.URL)
	thief.client.Jar.SetCookies(u, phone.client.Jar.Cookies(u))
	if got := thief.home(); got != "Welcome demo!" {
		t.Fatalf("the copied cookie before: %q", got)
	}

	if resp, _ := laptop.do("POST", "/logout/others", url.Values{}); resp.StatusCode != 403 {
		t.Fatalf("without the CSRF token: %d, want 403", resp.StatusCode)
	}
	if got := phone.home(); got != "Welcome demo!" {
		t.Fatalf("a refused request logged the phone out: %q", got)
	}
	_, page := laptop.do("GET", "/logout", nil)
	m := tokenRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `action="/logout/others"`) {
		t.Fatalf("no token or no form in %s", page)
	}
	resp, body := laptop.do("POST", "/logout/others", url.Values{"csrf_token": {m[1]}})
	if resp.StatusCode != 200 || body != "Logged out 1 other session(s)." {
		t.Fatalf("log out my other devices: %d %q", resp.StatusCode, body)
	}
	for name, want := range map[*browser]string{laptop: "Welcome demo!", phone: "Welcome Stranger!", thief: "Welcome Stranger!"} {
		if got := name.home(); got != want {
			t.Errorf("after: %q, want %q", got, want)
		}
	}
}

// TestSessionFilesDefaultToCacheDir runs the program as its doc comment
// does, without -data: the session files must land in the user's cache
// directory, never in the working directory (a source tree, when run with
// go run from the repository).
func TestSessionFilesDefaultToCacheDir(t *testing.T) {
	home := t.TempDir()
	prog := exampletest.Build(t, ".")
	// HOME covers systems whose cache directory is under it (macOS);
	// XDG_CACHE_HOME is the cache directory on Linux and the BSDs.
	prog.Env = []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "cache")}
	work, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(work)
	proc := prog.Start(t, "-demo")
	b := newBrowser(t, proc.URL)
	if resp, _ := b.do("POST", "/login", url.Values{"username": {"demo"}, "password": {"demo"}}); resp.StatusCode != 302 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`session files in (\S+)`).FindStringSubmatch(proc.Logs())
	if m == nil {
		t.Fatalf("the program does not say where the session files are:\n%s", proc.Logs())
	}
	if rel, err := filepath.Rel(home, m[1]); err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("session files in %s, outside the user's directories (%s)", m[1], home)
	}
	files, err := filepath.Glob(filepath.Join(m[1], "sessions", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no session file under %s after a login (%v)", m[1], err)
	}
	if after, _ := os.ReadDir(work); len(after) != len(before) {
		t.Fatalf("the working directory gained entries: %d before, %d after", len(before), len(after))
	}
}
