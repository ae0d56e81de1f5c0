// Command testsummary reads `go test -json` output on standard input and
// prints what a person wants from it: one line per package, the output of
// every failed test, and a summary of the tests that skipped, grouped by
// the reason they gave, so that "5 browser tests skipped: no chromium"
// is seen without -v. It exits 1 if anything failed.
//
//	go test -json ./... | go run ./internal/cmd/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of test2json output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	skipsOnly := flag.Bool("skips", false, "print only the summary of skipped tests")
	flag.Parse()
	out := io.Writer(os.Stdout)
	if *skipsOnly {
		out = io.Discard
	}
	failed, skips, err := summarize(os.Stdin, out)
	if *skipsOnly {
		printSkips(os.Stdout, skips)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// summarize prints the results of the events read from r to w and reports
// whether any test or package failed, and the skipped tests by reason.
func summarize(r io.Reader, w io.Writer) (failed bool, skips map[string][]string, err error) {
	output := map[string][]string{} // package/test -> its output lines
	skips = map[string][]string{}   // reason -> package/test names
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil {
			fmt.Fprintln(w, string(line)) // build errors and other plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			output[key] = append(output[key], e.Output)
		case "skip":
			if e.Test != "" {
				reason := skipReason(output[key])
				skips[reason] = append(skips[reason], e.Package+"."+e.Test)
			}
			delete(output, key)
		case "pass":
			if e.Test == "" {
				fmt.Fprintf(w, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
			delete(output, key)
		case "fail":
			failed = true
			if e.Test == "" {
				fmt.Fprintf(w, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
			} else {
				fmt.Fprint(w, strings.Join(output[key], ""))
			}
			delete(output, key)
		}
	}
	return failed, skips, sc.Err()
}

// printSkips prints the skipped tests, grouped by reason.
func printSkips(w io.Writer, skips map[string][]string) {
	if len(skips) > 0 {
		reasons := make([]string, 0, len(skips))
		for r := range skips {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		fmt.Fprintln(w, "\nskipped tests:")
		for _, r := range reasons {
			names := skips[r]
			fmt.Fprintf(w, "  %d skipped: %s\n", len(names), r)
			for _, n := range names {
				fmt.Fprintf(w, "      %s\n", n)
			}
		}
	}
}

// skipReason is the message a test gave t.Skip: the last line of its
// output that is not go test's own "--- SKIP" line, without the file:line.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		if _, rest, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:len(l)-len(rest)], ".go:") {
			return rest
		}
		return l
	}
	return "(no reason given)"
}
