package docsnippets

import (
	"fmt"
	"go/version"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository root: this package is internal/docsnippets.
// The snippets are built in the repository's workspace, so a Go older than
// go.work's go line (make test-min-go runs the core module's tests on the
// core's minimum, for which the workspace's other modules are too new)
// skips them; make test runs them.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b); m != nil {
		if need := "go" + string(m[1]); version.Compare(runtime.Version(), need) < 0 {
			t.Skipf("the docs are built in the repository's workspace, which needs %s; this is %s (make test runs them)", need, runtime.Version())
		}
	}
	return root
}

// scratchDir returns the directory for a generated workspace: a temporary
// one, or $DOCSNIPPETS_DIR/NAME-OF-TEST if set, kept for inspection.
func scratchDir(t *testing.T) string {
	keep := os.Getenv("DOCSNIPPETS_DIR")
	if keep == "" {
		return t.TempDir()
	}
	dir := filepath.Join(keep, t.Name())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated workspace kept in %s", dir)
	return dir
}

// TestSnippets compiles and vets every go block of README.md and docs/:
// complete programs as they are, fragments inside their page's harness,
// and the program a page assembles from its <!-- file: --> blocks.
func TestSnippets(t *testing.T) {
	start := time.Now()
	root := repoRoot(t)
	w, err := NewWorkspace(root, scratchDir(t))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := Pages(root)
	if err != nil {
		t.Fatal(err)
	}

	// Every harness belongs to a page.
	harnesses, _ := filepath.Glob(filepath.Join(root, HarnessDir, "*.go"))
	owned := map[string]bool{}
	for _, p := range pages {
		owned[HarnessFor(p)] = true
	}
	for _, h := range harnesses {
		rel, _ := filepath.Rel(root, h)
		if !owned[filepath.ToSlash(rel)] {
			t.Errorf("%s is the harness of no page (pages: README.md, docs/*.md)", rel)
		}
	}

	var mu sync.Mutex
	summary := map[string]*Page{}
	t.Run("pages", func(t *testing.T) {
		for _, page := range pages {
			t.Run(page, func(t *testing.T) {
				p, err := w.WritePage(page)
				if err != nil {
					t.Fatal(err)
				}
				t.Parallel()
				if msg := w.Check(p); msg != "" {
					if strings.Contains(msg, "GOPROXY=off") {
						msg += "\n(the snippets build offline: a module they need is not in the module cache; run `go mod download` at the repository's root, as scripts/test.sh does)"
					}
					t.Errorf("%s: go blocks fail to build or vet:\n%s", page, msg)
				}
				mu.Lock()
				summary[page] = p
				mu.Unlock()
			})
		}
	})

	total := 0
	var lines []string
	for page, p := range summary {
		total += p.Compiled()
		line := fmt.Sprintf("%s: %d compiled (%d programs, %d declaration and %d statement fragments, %d program files)",
			page, p.Compiled(), p.Counts[Program], p.Counts[Declarations], p.Counts[Statements], p.Counts[PageFile])
		for _, b := range p.Blocks {
			if Classify(b) == Skipped {
				line += fmt.Sprintf("; not compiled: line %d (%s)", b.Line, b.NotCompiled)
			}
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	t.Logf("%d go blocks compiled in %v:\n%s", total, time.Since(start).Round(time.Millisecond), strings.Join(lines, "\n"))
	if !t.Failed() && total == 0 {
		t.Fatal("no go blocks found: is the page list right?")
	}
}

// TestCheckReportsPageLines checks that a failure names the page, the
// block's line and the compiler's (or vet's) message at its place on the page.
func TestCheckReportsPageLines(t *testing.T) {
	w, err := NewWorkspace(repoRoot(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		page, src string
		want      []string
	}{{
		page: "docs/zz-broken.md",
		src: "# Broken\n\n```go\napp := itty.New()\napp.Gett(\"/\", nil)\n```\n\n" +
			"```go\npackage main\n\nfunc main() { undefinedThing() }\n```\n\n" +
			"```go\nfor x := range xs // no body\n```\n",
		want: []string{
			"go/parser: docs/zz-broken.md:14 (statements block): docs/zz-broken.md:15:",
			"go build: ",
			"docs/zz-broken.md:3 (statements block): docs/zz-broken.md:5:",
			"Gett undefined",
			"docs/zz-broken.md:8 (program block): docs/zz-broken.md:11:",
			"undefined: undefinedThing",
		},
	}, {
		page: "docs/zz-vet.md",
		src:  "# Vet\n\n```go\nfmt.Printf(\"%d\\n\", \"x\")\n```\n",
		want: []string{"go vet: ", "docs/zz-vet.md:3 (statements block): docs/zz-vet.md:4:", "%d"},
	}} {
		p, err := w.WritePageSource(tc.page, []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		msg := w.Check(p)
		for _, want := range tc.want {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: no %q in the report:\n%s", tc.page, want, msg)
			}
		}
	}
}
