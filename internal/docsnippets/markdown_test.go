package docsnippets

import (
	"strings"
	"testing"
)

const samplePage = "# Page\n" + // 1
	"\n" + // 2
	"```go\n" + // 3
	"app.Get(\"/\", index)\n" + // 4
	"```\n" + // 5
	"\n" + // 6
	"- a list item:\n" + // 7
	"\n" + // 8
	"  ```go\n" + // 9
	"  if x {\n" + // 10
	"  \ty()\n" + // 11
	"  }\n" + // 12
	"  ```\n" + // 13
	"<!-- not compiled: output, not code -->\n" + // 14
	"```go\n" + // 15
	"panic: oops\n" + // 16
	"```\n" + // 17
	"<!-- file: static/a.css -->\n" + // 18
	"\n" + // 19
	"~~~~css\n" + // 20
	"```\n" + // 21
	"~~~~\n" + // 22
	"```\n" + // 23
	"plain\n" + // 24
	"```\n" // 25

func TestParseMarkdown(t *testing.T) {
	blocks, err := ParseMarkdown("p.md", []byte(samplePage))
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Page: "p.md", Line: 3, Lang: "go", Text: "app.Get(\"/\", index)\n"},
		{Page: "p.md", Line: 9, Lang: "go", Text: "if x {\n\ty()\n}\n"},
		{Page: "p.md", Line: 15, Lang: "go", Text: "panic: oops\n", NotCompiled: "output, not code"},
		{Page: "p.md", Line: 20, Lang: "css", Text: "```\n", File: "static/a.css"},
		{Page: "p.md", Line: 23, Lang: "", Text: "plain\n"},
	}
	if len(blocks) != len(want) {
		t.Fatalf("got %d blocks, want %d: %+v", len(blocks), len(want), blocks)
	}
	for i := range want {
		if blocks[i] != want[i] {
			t.Errorf("block %d:\ngot  %+v\nwant %+v", i, blocks[i], want[i])
		}
	}
	if got := blocks[1].LastLine(); got != 13 {
		t.Errorf("LastLine of the block at line 9 = %d, want 13", got)
	}
	kinds := []Kind{Statements, Statements, Skipped, PageFile, NotGo}
	for i, k := range kinds {
		if got := Classify(blocks[i]); got != k {
			t.Errorf("Classify(block at line %d) = %v, want %v", blocks[i].Line, got, k)
		}
	}
}

func TestParseMarkdownErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"```go\nx := 1\n", "p.md:1: code block never closed"},
		{"<!-- not compiled: why -->\ntext\n```go\n```\n", "p.md:1: marker not followed by a code block"},
		{"<!-- not compiled:  -->\n```go\n```\n", "p.md:1: <!-- not compiled: --> needs a reason"},
		{"<!-- file: -->\n```go\n```\n", "p.md:1: <!-- file: --> needs a path"},
		{"<!-- not compiled -->\n```go\n```\n", "p.md:1: malformed marker"},
		{"<!-- file: a.go -->\n", "p.md:1: marker not followed by a code block"},
	} {
		_, err := ParseMarkdown("p.md", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMarkdown(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Kind
	}{
		{"package main\n\nfunc main() {}\n", Program},
		{"// Command x does y.\npackage main\n", Program},
		{"func main() {\n}\n", Declarations},
		{"type Data struct{ Items []string }\n", Declarations},
		{"//go:embed static\nvar files embed.FS\n", Declarations},
		{"x := 1\n", Statements},
		{"app.Get(\"/\", h)\n", Statements},
		{"return &itty.Response{}\n", Statements},
	} {
		if got := Classify(Block{Lang: "go", Text: tc.text}); got != tc.want {
			t.Errorf("Classify(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestFragmentSource(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // in order
		not        []string
	}{{
		name: "handler body",
		text: "fh, err := req.File(\"doc\")\nif err != nil {\n\treturn nil\n}\nf := fh\n",
		want: []string{
			"import (\n\t\"github.com/ittygo/itty\"\n)",
			"func snippetL10() *itty.Response {\n//line /r/p.md:11:1\nfh, err :=",
			"f := fh\n_, _ = fh, f\nreturn nil\n}\n",
		},
	}, {
		name: "main body",
		text: "if os.Getenv(\"X\") != \"\" {\n\tlog.Fatal(http.ListenAndServe(\":0\", nil))\n\treturn\n}\n",
		want: []string{"\t\"log\"\n\t\"net/http\"\n\t\"os\"\n", "func snippetL10() {\n"},
		not:  []string{"return nil", "itty"},
	}, {
		name: "uses go before a final return",
		text: "a, b := 1, 2\nreturn itty.NewResponse(\"x\", a)\n",
		want: []string{"a, b := 1, 2\n_, _ = a, b\n//line /r/p.md:12:1\nreturn itty.NewResponse"},
		not:  []string{"return nil"},
	}, {
		name: "a local name is not an import",
		text: "http := 1\nfmt.Println(http)\n",
		want: []string{"import (\n\t\"fmt\"\n)"},
		not:  []string{"net/http"},
	}, {
		name: "declarations",
		text: "func main() {\n\tlog.Print(time.Now())\n}\n",
		want: []string{"package snippets\n\nimport (\n\t\"log\"\n\t\"time\"\n)\n\n//line /r/p.md:11:1\nfunc main() {"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := FragmentSource(Block{Page: "p.md", Line: 10, Lang: "go", Text: tc.text}, "/r/p.md")
			if err != nil {
				t.Fatal(err)
			}
			rest := string(src)
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("no %q (in order) in\n%s", w, src)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tc.not {
				if strings.Contains(string(src), n) {
					t.Errorf("%q in\n%s", n, src)
				}
			}
		})
	}
}

func TestFragmentSourceErrors(t *testing.T) {
	// A parse error is reported at its place on the page.
	_, err := FragmentSource(Block{Page: "p.md", Line: 10, Lang: "go", Text: "x := 1\nfor _, m := range ms // no body\n"}, "/r/p.md")
	if err == nil || !strings.Contains(err.Error(), "/r/p.md:12:") {
		t.Errorf("got %v, want an error at /r/p.md:12", err)
	}
	_, err = FragmentSource(Block{Page: "p.md", Line: 10, Lang: "go", Text: "if x {\n\treturn\n}\nreturn y\n"}, "/r/p.md")
	if err == nil || !strings.Contains(err.Error(), "both bare returns and returns with values") {
		t.Errorf("got %v, want the mixed returns refused", err)
	}
}
