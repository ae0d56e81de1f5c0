package docsnippets

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// Kind says how a code block is compiled.
type Kind int

const (
	NotGo        Kind = iota // not a go block: not compiled
	Skipped                  // a go block marked <!-- not compiled: REASON -->
	PageFile                 // a <!-- file: PATH --> block: part of the page's program
	Program                  // a go block with a package clause: built as it is
	Declarations             // top-level declarations: a file of the page's package
	Statements               // statements: the body of a function in the page's package
)

func (k Kind) String() string {
	return [...]string{"not Go", "not compiled", "program file", "program", "declarations", "statements"}[k]
}

// Classify says how b is compiled.
func Classify(b Block) Kind {
	switch {
	case b.File != "":
		return PageFile
	case b.Lang != "go":
		return NotGo
	case b.NotCompiled != "":
		return Skipped
	}
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, "", b.Text, parser.PackageClauseOnly); err == nil {
		return Program
	}
	if _, err := parser.ParseFile(fset, "", "package p\n"+b.Text, parser.SkipObjectResolution); err == nil {
		return Declarations
	}
	return Statements
}

// PackageName is the package of a page's fragments and harness.
const PackageName = "snippets"

// knownImports are the packages a fragment may use without importing
// them: a fragment that refers to one of these names, and does not declare
// it, gets the import.
var knownImports = map[string]string{
	"bytes":      "bytes",
	"context":    "context",
	"csv":        "encoding/csv",
	"embed":      "embed",
	"errors":     "errors",
	"expvar":     "expvar",
	"filepath":   "path/filepath",
	"fmt":        "fmt",
	"fs":         "io/fs",
	"fstest":     "testing/fstest",
	"html":       "html",
	"http":       "net/http",
	"httptest":   "net/http/httptest",
	"io":         "io",
	"itty":       "github.com/ittygo/itty",
	"ittytest":   "github.com/ittygo/itty/ittytest",
	"json":       "encoding/json",
	"log":        "log",
	"multipart":  "mime/multipart",
	"net":        "net",
	"netip":      "net/netip",
	"os":         "os",
	"redis":      "github.com/redis/go-redis/v9",
	"redisstore": "github.com/ittygo/itty/sessions/redisstore",
	"sessions":   "github.com/ittygo/itty/sessions",
	"signal":     "os/signal",
	"slog":       "log/slog",
	"strconv":    "strconv",
	"strings":    "strings",
	"sync":       "sync",
	"syscall":    "syscall",
	"template":   "html/template",
	"testing":    "testing",
	"time":       "time",
	"url":        "net/url",
}

// lineDirective makes the next line line n of file, for the compiler,
// go vet and go/parser; the column (1 for the line's start) keeps columns
// in their messages.
func lineDirective(file string, n int) string {
	return "//line " + file + ":" + strconv.Itoa(n) + ":1\n"
}

// ProgramSource returns a Program or a .go PageFile block as it is, after
// a //line comment that makes positions in it positions on the page, whose
// path (absolute, so that every tool reports it the same way) is page.
func ProgramSource(b Block, page string) []byte {
	return []byte(lineDirective(page, b.FirstLine()) + b.Text)
}

// FragmentSource returns the Go file that compiles a Declarations or
// Statements block in package PackageName, beside the page's harness:
//
//   - declarations go at file scope as they are;
//   - statements become the body of a function "snippetLLINE" (LINE: the fence's), which
//     returns *itty.Response if the statements return a value (they are a
//     handler's body) and nothing otherwise (they are main's body, say);
//     variables they declare at their top level count as used, as the
//     page's code around the fragment would use them; all but err: an
//     error a fragment never checks is a mistake a reader would copy.
//
// Either way the file imports the knownImports the fragment refers to, and
// //line comments make positions in it positions on the page (see
// ProgramSource). A fragment that does not parse is an error, with those
// positions.
func FragmentSource(b Block, page string) ([]byte, error) {
	first := b.FirstLine()
	switch Classify(b) {
	case Declarations:
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", "package p\n"+lineDirective(page, first)+b.Text, 0)
		if err != nil {
			return nil, err
		}
		return []byte(header(f, false) + lineDirective(page, first) + b.Text), nil
	case Statements:
	default:
		return nil, fmt.Errorf("%s:%d: a %s block is not a fragment", b.Page, b.Line, Classify(b))
	}

	const pre = "package p\n\nfunc _() {\n" // then the directive, then the text
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", pre+lineDirective(page, first)+b.Text+"}\n", 0)
	if err != nil {
		return nil, err
	}
	body := f.Decls[0].(*ast.FuncDecl).Body

	values, bare := false, false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(n.Results) > 0 {
				values = true
			} else {
				bare = true
			}
		}
		return true
	})
	if values && bare {
		return nil, fmt.Errorf("%s:%d: the fragment has both bare returns and returns with values", b.Page, b.Line)
	}

	var declared []string
	for _, s := range body.List {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, e := range s.Lhs {
					if id, ok := e.(*ast.Ident); ok && id.Name != "_" && id.Name != "err" {
						declared = append(declared, id.Name)
					}
				}
			}
		case *ast.DeclStmt:
			if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, spec := range g.Specs {
					for _, id := range spec.(*ast.ValueSpec).Names {
						if id.Name != "_" && id.Name != "err" {
							declared = append(declared, id.Name)
						}
					}
				}
			}
		}
	}
	uses := ""
	if len(declared) > 0 {
		uses = strings.Repeat("_, ", len(declared)-1) + "_ = " + strings.Join(declared, ", ") + "\n"
	}

	text := b.Text
	terminated := false
	if n := len(body.List); n > 0 && isTerminating(body.List[n-1]) {
		terminated = true
		// The uses go before the last statement, if it starts its line.
		last := body.List[n-1]
		p := fset.PositionFor(last.Pos(), false)
		lines := strings.SplitAfter(text, "\n")
		i := p.Line - strings.Count(pre, "\n") - 2 // index of its line in lines
		if uses != "" && i >= 0 && i < len(lines) && strings.TrimSpace(lines[i][:p.Column-1]) == "" {
			text = strings.Join(lines[:i], "") + uses + lineDirective(page, first+i) + strings.Join(lines[i:], "")
		}
		uses = ""
	}

	var src strings.Builder
	src.WriteString(header(f, values))
	fmt.Fprintf(&src, "func snippetL%d()", b.Line)
	if values {
		src.WriteString(" *itty.Response")
	}
	src.WriteString(" {\n")
	src.WriteString(lineDirective(page, first))
	src.WriteString(text)
	src.WriteString(uses)
	if values && !terminated {
		src.WriteString("return nil\n")
	}
	src.WriteString("}\n")
	return []byte(src.String()), nil
}

// header returns the package clause and the imports of the knownImports f
// refers to without declaring them (plus itty, if needItty).
func header(f *ast.File, needItty bool) string {
	imported := map[string]bool{}
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if spec.Name != nil {
			name = spec.Name.Name
		}
		imported[name] = true
	}
	need := map[string]bool{}
	if needItty {
		need["itty"] = true
	}
	for _, id := range f.Unresolved {
		if _, ok := knownImports[id.Name]; ok {
			need[id.Name] = true
		}
	}
	var paths []string
	for name := range need {
		if !imported[name] {
			paths = append(paths, strconv.Quote(knownImports[name]))
		}
	}
	sort.Strings(paths)
	h := "package " + PackageName + "\n\n"
	if len(paths) > 0 {
		h += "import (\n\t" + strings.Join(paths, "\n\t") + "\n)\n\n"
	}
	return h
}

// isTerminating approximates the Go specification's terminating
// statements, enough to know whether a function body needs a final return.
func isTerminating(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return s.Tok == token.GOTO
	case *ast.ExprStmt:
		if c, ok := s.X.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
				return true
			}
		}
	case *ast.BlockStmt:
		return len(s.List) > 0 && isTerminating(s.List[len(s.List)-1])
	case *ast.IfStmt:
		return s.Else != nil && isTerminating(s.Body) && isTerminating(s.Else)
	case *ast.ForStmt:
		return s.Cond == nil && !hasBreak(s.Body)
	}
	return false
}

func hasBreak(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			return false
		case *ast.BranchStmt:
			if n.Tok == token.BREAK {
				found = true
			}
		}
		return !found
	})
	return found
}
