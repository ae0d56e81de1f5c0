package main

import (
	"strings"
	"testing"
)

// TestSummarize: passes, a failure with its output, and skips grouped by
// their reason, from real test2json lines.
func TestSummarize(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:9: no chromium (apt-get install chromium)\n"}`,
		`{"Action":"output","Package":"p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:3: no chromium (apt-get install chromium)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestB"}`,
		`{"Action":"output","Package":"p","Test":"TestC","Output":"    c_test.go:5: got 2, want 3\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestC"}`,
		`{"Action":"fail","Package":"p","Elapsed":0.5}`,
		`{"Action":"pass","Package":"q","Elapsed":1.25}`,
	}, "\n")
	var out strings.Builder
	failed, skips, err := summarize(strings.NewReader(in), &out)
	printSkips(&out, skips)
	if err != nil || !failed {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
	for _, want := range []string{"c_test.go:5: got 2, want 3", "FAIL\tp\t0.500s", "ok  \tq\t1.250s",
		"2 skipped: no chromium (apt-get install chromium)", "p.TestA", "p.TestB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
