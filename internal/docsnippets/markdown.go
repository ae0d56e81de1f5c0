package docsnippets

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Block is one fenced code block of a Markdown page.
type Block struct {
	Page string // the page, as given to ParseMarkdown ("docs/tutorial.md")
	Line int    // line number of the opening fence, counting from 1
	Lang string // first word of the fence's info string: "go", "html", "" …
	Text string // the content, without the fence's indentation

	// File is set by a <!-- file: PATH --> comment above the fence: the
	// block is the file PATH of the program the page builds.
	File string
	// NotCompiled is set by a <!-- not compiled: REASON --> comment above
	// the fence: a go block that is deliberately not compiled.
	NotCompiled string
}

// FirstLine is the line number of the block's first line of content.
func (b Block) FirstLine() int { return b.Line + 1 }

// LastLine is the line number of the block's closing fence.
func (b Block) LastLine() int { return b.Line + 1 + strings.Count(b.Text, "\n") }

var (
	fenceRE   = regexp.MustCompile("^( {0,3}|\t*)(```+|~~~+)[ \t]*([^ \t`]*)")
	markerRE  = regexp.MustCompile(`^\s*<!--\s*(file|not compiled)\s*:\s*(.*?)\s*-->\s*$`)
	commentRE = regexp.MustCompile(`^\s*<!--`)
)

// ParseMarkdown returns the fenced code blocks of a Markdown page. page
// names the page in Blocks and errors. A marker comment applies to the
// fence on the next non-blank line; a marker followed by anything else, an
// empty reason or path, or a fence that is never closed is an error.
func ParseMarkdown(page string, src []byte) ([]Block, error) {
	var (
		blocks  []Block
		cur     *Block
		indent  string
		fence   string
		body    strings.Builder
		pending *Block // the marker waiting for its fence
		pendAt  int
	)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if cur != nil {
			if m := fenceRE.FindStringSubmatch(text); m != nil && m[2][0] == fence[0] &&
				len(m[2]) >= len(fence) && strings.TrimSpace(text[len(m[1])+len(m[2]):]) == "" {
				cur.Text = body.String()
				blocks = append(blocks, *cur)
				cur = nil
				continue
			}
			body.WriteString(strings.TrimPrefix(text, indent))
			body.WriteByte('\n')
			continue
		}
		if m := fenceRE.FindStringSubmatch(text); m != nil {
			cur = &Block{Page: page, Line: line, Lang: m[3]}
			if pending != nil {
				cur.File, cur.NotCompiled = pending.File, pending.NotCompiled
				pending = nil
			}
			indent, fence = m[1], m[2]
			body.Reset()
			continue
		}
		if m := markerRE.FindStringSubmatch(text); m != nil {
			if pending != nil {
				return nil, fmt.Errorf("%s:%d: marker not followed by a code block", page, pendAt)
			}
			if m[2] == "" {
				return nil, fmt.Errorf("%s:%d: <!-- %s: --> needs a %s", page, line, m[1],
					map[string]string{"file": "path", "not compiled": "reason"}[m[1]])
			}
			pending, pendAt = &Block{}, line
			if m[1] == "file" {
				pending.File = m[2]
			} else {
				pending.NotCompiled = m[2]
			}
			continue
		}
		if pending != nil && strings.TrimSpace(text) != "" {
			return nil, fmt.Errorf("%s:%d: marker not followed by a code block", page, pendAt)
		}
		if commentRE.MatchString(text) && strings.Contains(text, "not compiled") {
			return nil, fmt.Errorf("%s:%d: malformed marker (want <!-- not compiled: REASON -->)", page, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", page, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: code block never closed", page, cur.Line)
	}
	if pending != nil {
		return nil, fmt.Errorf("%s:%d: marker not followed by a code block", page, pendAt)
	}
	return blocks, nil
}
