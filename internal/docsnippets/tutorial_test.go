package docsnippets

import (
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ittygo/itty/internal/exampletest"
)

// TestTutorial builds the program of docs/tutorial.md from the page alone:
// its <!-- file: --> blocks, in a module of its own named as the page's
// "go mod init" names it, with this repository's itty standing in for
// "go get". Then it runs the program and uses it as the page does. The
// page's files must also be examples/todolist's, which it says it builds.
func TestTutorial(t *testing.T) {
	const page = "docs/tutorial.md"
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(page)))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseMarkdown(page, src)
	if err != nil {
		t.Fatal(err)
	}
	dir := scratchDir(t)
	todo := filepath.Join(dir, "todo")
	files := map[string]Block{}
	for _, b := range blocks {
		if b.File == "" {
			continue
		}
		files[b.File] = b
		name := filepath.Join(todo, filepath.FromSlash(b.File))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(b.Text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := files["main.go"]; !ok {
		t.Fatalf("%s has no <!-- file: main.go --> block", page)
	}

	// The page shows examples/todolist, every file of it but its tests.
	example := filepath.Join(root, "examples", "todolist")
	onPage := map[string]bool{}
	err = filepath.WalkDir(example, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(example, p)
		rel = filepath.ToSlash(rel)
		onPage[rel] = true
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		switch b, ok := files[rel]; {
		case !ok:
			t.Errorf("examples/todolist/%s is not on %s (add it under <!-- file: %s -->)", rel, page, rel)
		case b.Text != string(want):
			t.Errorf("%s:%d: the block for %s differs from examples/todolist/%s", page, b.Line, rel, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !onPage[name] {
			t.Errorf("%s:%d: %s is not in examples/todolist", page, b.Line, name)
		}
	}

	if err := os.WriteFile(filepath.Join(todo, "go.mod"), []byte("module example.com/todo\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := NewWorkspace(root, dir, todo)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "todo-bin")
	if out, err := w.Go(todo, "build", "-o", bin, "."); err != nil {
		t.Fatalf("go build of %s's files: %v\n%s", page, err, out)
	}
	if out, err := w.Go(todo, "vet", "."); err != nil {
		t.Fatalf("go vet of %s's files: %v\n%s", page, err, out)
	}

	proc := (&exampletest.Program{Path: bin}).Start(t, "-data", filepath.Join(dir, "data.json"))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) (int, string, http.Header) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "POST" {
			resp, err = client.PostForm(proc.URL+path, form)
		} else {
			resp, err = client.Get(proc.URL + path)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body), resp.Header
	}

	if status, body, _ := do("GET", "/", nil); status != 200 || !strings.Contains(body, "Nothing to do!") {
		t.Fatalf("GET / on an empty list: %d %s", status, body)
	}
	if status, _, h := do("POST", "/create/", url.Values{"todo": {"Read the <tutorial>"}}); status != 302 || h.Get("Location") != "/" {
		t.Fatalf("POST /create/: %d, Location %q", status, h.Get("Location"))
	}
	if status, body, _ := do("GET", "/", nil); status != 200 || !strings.Contains(body, "Read the &lt;tutorial&gt;") {
		t.Fatalf("GET / after adding an item: %d %s", status, body)
	}
	if status, _, _ := do("POST", "/done/0/", url.Values{}); status != 302 {
		t.Fatalf("POST /done/0/: %d", status)
	}
	if status, _, _ := do("POST", "/done/0/", url.Values{}); status != 404 {
		t.Fatalf("POST /done/0/ on an empty list: %d, want 404", status)
	}
	if status, body, _ := do("GET", "/", nil); !strings.Contains(body, "Nothing to do!") {
		t.Fatalf("GET / after finishing the item: %d %s", status, body)
	}
	if status, _, h := do("GET", "/static/style.css", nil); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /static/style.css: %d %q", status, h.Get("Content-Type"))
	}
	if err := proc.Stop(10 * time.Second); err != nil {
		t.Fatalf("stopping the program: %v\n%s", err, proc.Logs())
	}
}
