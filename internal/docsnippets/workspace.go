package docsnippets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// HarnessDir is where the harnesses live, relative to the repository root.
const HarnessDir = "internal/docsnippets/pages"

// BuildTag keeps the harnesses out of the repository's own builds.
const BuildTag = "docsnippets"

// Pages returns the pages whose code blocks are compiled: README.md and
// every .md file under docs/, slash-separated and relative to root.
func Pages(root string) ([]string, error) {
	pages := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(pages[1:])
	return pages, err
}

// HarnessFor returns the path, relative to the repository root, of the
// harness of page: HarnessDir/NAME.go for a page NAME.md.
func HarnessFor(page string) string {
	return HarnessDir + "/" + strings.TrimSuffix(path.Base(page), ".md") + ".go"
}

// Page is a page's blocks, written out as packages in a workspace.
type Page struct {
	Path   string // relative to the repository root
	Blocks []Block
	// Counts of the go blocks compiled, by kind (Program, Declarations,
	// Statements, and PageFile for .go program files).
	Counts map[Kind]int
	// Packages are the directories of the page's packages, relative to
	// the workspace's module: fragments/ first, then the programs.
	Packages []string
	// Unparsed are the errors of fragments that do not parse, which are
	// left out of the page's package.
	Unparsed []error
}

// Workspace is a scratch Go workspace: the repository's modules, and a
// module of generated packages, one directory per page.
type Workspace struct {
	Root   string // the repository, absolute
	Dir    string // the scratch directory
	Module string // Dir/snippets, the generated module
}

// ModulePath is the path of the generated module.
const ModulePath = "docsnippets.test"

// NewWorkspace makes a workspace in dir (which should be empty) that uses
// every module of root's go.work, the generated module, and the extra
// module directories given.
func NewWorkspace(root, dir string, extra ...string) (*Workspace, error) {
	w := &Workspace{Root: root, Dir: dir, Module: filepath.Join(dir, "snippets")}
	cmd := exec.Command("go", "work", "edit", "-json", filepath.Join(root, "go.work"))
	cmd.Stderr = new(bytes.Buffer)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("reading go.work: %v\n%s", err, cmd.Stderr)
	}
	var work struct {
		Go  string
		Use []struct{ DiskPath string }
	}
	if err := json.Unmarshal(out, &work); err != nil {
		return nil, fmt.Errorf("reading go.work: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "go %s\n\nuse (\n", work.Go)
	for _, u := range work.Use {
		d := u.DiskPath
		if !filepath.IsAbs(d) {
			d = filepath.Join(root, d)
		}
		fmt.Fprintf(&b, "\t%s\n", strconv.Quote(d))
	}
	for _, d := range append([]string{w.Module}, extra...) {
		fmt.Fprintf(&b, "\t%s\n", strconv.Quote(d))
	}
	b.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(dir, "go.work"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	// go.work.sum holds the checksums no module's go.sum has.
	if sum, err := os.ReadFile(filepath.Join(root, "go.work.sum")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "go.work.sum"), sum, 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(w.Module, 0o755); err != nil {
		return nil, err
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n", ModulePath, work.Go)
	return w, os.WriteFile(filepath.Join(w.Module, "go.mod"), []byte(mod), 0o644)
}

// Go runs the go command in dir (absolute, or relative to the generated
// module) with the workspace's go.work and no network, and returns its
// combined output.
func (w *Workspace) Go(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if !filepath.IsAbs(dir) {
		cmd.Dir = filepath.Join(w.Module, dir)
	}
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(w.Dir, "go.work"), "GOPROXY=off", "GOTOOLCHAIN=local")
	return cmd.CombinedOutput()
}

// WritePage parses the page and writes its packages into the generated
// module, under the page's path without ".md":
//
//   - fragments/: the page's harness, if it has one, and a file per
//     Declarations or Statements block, plus the page's non-Go program
//     files (so that a fragment's //go:embed finds them);
//   - L<line>/: a Program block, as main.go;
//   - program/: the page's <!-- file: --> blocks, as the files they name.
func (w *Workspace) WritePage(page string) (*Page, error) {
	src, err := os.ReadFile(filepath.Join(w.Root, filepath.FromSlash(page)))
	if err != nil {
		return nil, err
	}
	return w.WritePageSource(page, src)
}

// WritePageSource is WritePage with the page's content given.
func (w *Workspace) WritePageSource(page string, src []byte) (*Page, error) {
	blocks, err := ParseMarkdown(page, src)
	if err != nil {
		return nil, err
	}
	p := &Page{Path: page, Blocks: blocks, Counts: map[Kind]int{}}
	abs := filepath.Join(w.Root, filepath.FromSlash(page))
	base := strings.TrimSuffix(page, ".md")
	write := func(name string, data []byte) error {
		name = filepath.Join(w.Module, filepath.FromSlash(base), filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		return os.WriteFile(name, data, 0o644)
	}

	fragments := false
	harness, err := os.ReadFile(filepath.Join(w.Root, filepath.FromSlash(HarnessFor(page))))
	switch {
	case err == nil:
		abs := filepath.Join(w.Root, filepath.FromSlash(HarnessFor(page)))
		if err := write("fragments/harness.go", append([]byte(lineDirective(abs, 1)), harness...)); err != nil {
			return nil, err
		}
		fragments = true
	case !os.IsNotExist(err):
		return nil, err
	}
	files := map[string]bool{}
	for _, b := range blocks {
		switch k := Classify(b); k {
		case PageFile:
			name := path.Clean(b.File)
			if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || files[name] {
				return nil, fmt.Errorf("%s:%d: bad or repeated file name %q", page, b.Line, b.File)
			}
			files[name] = true
			data := []byte(b.Text)
			if strings.HasSuffix(name, ".go") {
				data = ProgramSource(b, abs)
				p.Counts[k]++
			} else if err := write("fragments/"+name, data); err != nil {
				return nil, err
			}
			if err := write("program/"+name, data); err != nil {
				return nil, err
			}
			if strings.HasSuffix(name, ".go") && !slices.Contains(p.Packages, base+"/program") {
				p.Packages = append(p.Packages, base+"/program")
			}
		case Program:
			dir := fmt.Sprintf("L%d", b.Line)
			if err := write(dir+"/main.go", ProgramSource(b, abs)); err != nil {
				return nil, err
			}
			p.Packages = append(p.Packages, base+"/"+dir)
			p.Counts[k]++
		case Declarations, Statements:
			data, err := FragmentSource(b, abs)
			if err != nil {
				p.Unparsed = append(p.Unparsed, err)
				continue
			}
			if err := write(fmt.Sprintf("fragments/snippet_L%d.go", b.Line), data); err != nil {
				return nil, err
			}
			fragments = true
			p.Counts[k]++
		}
	}
	if fragments {
		p.Packages = append([]string{base + "/fragments"}, p.Packages...)
	} else if err := os.RemoveAll(filepath.Join(w.Module, filepath.FromSlash(base), "fragments")); err != nil {
		// Only the program files went there, for nothing to embed them.
		return nil, err
	}
	return p, nil
}

// Compiled is the number of go blocks of the page that are compiled.
func (p *Page) Compiled() int {
	return p.Counts[Program] + p.Counts[Declarations] + p.Counts[Statements] + p.Counts[PageFile]
}

// Check builds and vets every package of the page (with BuildTag, so that
// the harness is included) and returns the go command's complaints,
// explained by Explain; "" means all is well.
func (w *Workspace) Check(p *Page) string {
	var msgs []string
	for _, err := range p.Unparsed {
		msgs = append(msgs, "go/parser: "+w.Explain(p, []byte(err.Error()+"\n")))
	}
	// One go build per package: go build stops at the first package that
	// fails, and each block's failure should be seen.
	built := true
	for _, pkg := range p.Packages {
		args := []string{"build", "-tags", BuildTag, "-gcflags=-e"} // -e: every error, not the first ten
		if !strings.HasSuffix(pkg, "/fragments") {
			args = append(args, "-o", filepath.Join(w.Dir, "bin", filepath.FromSlash(pkg)))
		}
		if out, err := w.Go(".", append(args, "./"+pkg)...); err != nil {
			msgs = append(msgs, "go build: "+w.Explain(p, out))
			built = false
		}
	}
	if built && len(p.Packages) > 0 {
		args := []string{"vet", "-tags", BuildTag}
		for _, pkg := range p.Packages {
			args = append(args, "./"+pkg)
		}
		if out, err := w.Go(".", args...); err != nil {
			msgs = append(msgs, "go vet: "+w.Explain(p, out))
		}
	}
	return strings.Join(msgs, "\n")
}

var posRE = regexp.MustCompile(`(?m)^(\S+?\.md):(\d+)(:\d+)?: `)

// Explain makes the go command's output read in terms of the repository:
// paths are relative to its root, and a position on the page is prefixed
// with the block it is in, such as "docs/sessions.md:41 (statements):
// docs/sessions.md:45:3: undefined: foo".
func (w *Workspace) Explain(p *Page, out []byte) string {
	out = bytes.ReplaceAll(out, []byte(w.Root+string(filepath.Separator)), nil)
	out = bytes.ReplaceAll(out, []byte(w.Module+string(filepath.Separator)), []byte("(generated) "))
	return posRE.ReplaceAllStringFunc(string(out), func(m string) string {
		sub := posRE.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[2])
		if sub[1] == p.Path {
			for _, b := range p.Blocks {
				if b.Line <= line && line <= b.LastLine() {
					return fmt.Sprintf("%s:%d (%s block): %s", p.Path, b.Line, Classify(b), m)
				}
			}
		}
		return m
	})
}
