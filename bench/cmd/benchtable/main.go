// Command benchtable turns `go test -bench` output (several rounds of every
// benchmark) into Markdown tables of medians: routers side by side, and each
// feature benchmark on its own row. The n-th line of a benchmark belongs to
// round n; the routing ratio is the median over rounds of the ratio within
// each round, so that a machine whose speed drifts between rounds moves the
// ratio less than it moves the times.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+(\d+) B/op\s+(\d+) allocs/op)?`)

type sample struct{ ns, bytes, allocs []float64 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

var routerBenches = []string{"Static1", "Param1", "GitHubStatic", "GitHubParam", "GitHubAll", "ParseAll", "StaticAll"}
var contestants = []string{"itty", "itty-noxo", "httprouter", "gin", "echo", "chi", "gorillamux", "servemux", "bare"}

func main() {
	samples, order := parse(os.Stdin)
	fmt.Println("### Routing (ns/op, allocs/op; median of rounds)")
	fmt.Println()
	fmt.Println("| Benchmark | " + strings.Join(contestants, " | ") + " | itty ÷ fastest of httprouter/gin/echo (median of per-round ratios) |")
	fmt.Println("|---" + strings.Repeat("|---:", len(contestants)+1) + "|")
	for _, b := range routerBenches {
		row := []string{b}
		for _, c := range contestants {
			s := samples[b+"/"+c]
			if s == nil {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%s (%g)", fmtNs(median(s.ns)), median(s.allocs)))
		}
		ratio := "–"
		if r, ok := pairedRatio(samples, b); ok {
			ratio = fmt.Sprintf("%.2f×", r)
		}
		fmt.Println("| " + strings.Join(append(row, ratio), " | ") + " |")
	}
	fmt.Println()
	fmt.Println("### Cookies, signed cookies and sessions (median of rounds: ns/op, allocs/op)")
	fmt.Println()
	fmt.Println("| Benchmark | ns/op | allocs/op |")
	fmt.Println("|---|---:|---:|")
	for _, name := range order {
		if isRouter(name) || strings.HasPrefix(name, sessionMiddleware+"/") {
			continue
		}
		s := samples[name]
		fmt.Printf("| %s | %s | %g |\n", name, fmtNs(median(s.ns)), median(s.allocs))
	}
	sessionTable(samples)
}

// The SessionMiddleware benchmark's sub-benchmarks are kind/contestant.
const sessionMiddleware = "SessionMiddleware"

var (
	sessionKinds       = []string{"read", "write"}
	sessionContestants = []string{"itty/handler", "itty/middleware", "scs/LoadAndSave"}
)

// sessionTable prints the session-middleware comparison, if the input has
// it: each contestant's medians, and itty/middleware's time over
// itty/handler's and over scs's, as medians of per-round ratios.
func sessionTable(samples map[string]*sample) {
	if samples[sessionMiddleware+"/read/itty/middleware"] == nil {
		return
	}
	fmt.Println()
	fmt.Println("### Sessions through net/http middleware (median of rounds: ns/op, B/op, allocs/op)")
	fmt.Println()
	fmt.Println("| Request | " + strings.Join(sessionContestants, " | ") + " | itty/middleware ÷ itty/handler | itty/middleware ÷ scs |")
	fmt.Println("|---" + strings.Repeat("|---:", len(sessionContestants)+2) + "|")
	for _, kind := range sessionKinds {
		row := []string{kind}
		for _, c := range sessionContestants {
			s := samples[sessionMiddleware+"/"+kind+"/"+c]
			if s == nil {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%s, %g B, %g", fmtNs(median(s.ns)), median(s.bytes), median(s.allocs)))
		}
		mw := samples[sessionMiddleware+"/"+kind+"/itty/middleware"]
		for _, c := range []string{"itty/handler", "scs/LoadAndSave"} {
			ratio := "–"
			if r, ok := roundRatio(mw, samples[sessionMiddleware+"/"+kind+"/"+c]); ok {
				ratio = fmt.Sprintf("%.2f×", r)
			}
			row = append(row, ratio)
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
}

// roundRatio is the median over rounds of a's time divided by b's in the
// same round.
func roundRatio(a, b *sample) (float64, bool) {
	if a == nil || b == nil {
		return 0, false
	}
	var ratios []float64
	for i := range min(len(a.ns), len(b.ns)) {
		if b.ns[i] > 0 {
			ratios = append(ratios, a.ns[i]/b.ns[i])
		}
	}
	return median(ratios), len(ratios) > 0
}

// parse reads benchmark lines: the samples of each benchmark, in the order
// of its lines (one per round), and the benchmarks in the order first seen.
func parse(r io.Reader) (map[string]*sample, []string) {
	samples := map[string]*sample{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := samples[m[1]]
		if s == nil {
			s = &sample{}
			samples[m[1]] = s
			order = append(order, m[1])
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		s.ns = append(s.ns, ns)
		if m[4] != "" {
			by, _ := strconv.ParseFloat(m[3], 64)
			s.bytes = append(s.bytes, by)
			a, _ := strconv.ParseFloat(m[4], 64)
			s.allocs = append(s.allocs, a)
		}
	}
	return samples, order
}

// pairedRatio is, for routing benchmark b, the median over rounds of itty's
// time divided by the fastest of httprouter, gin and echo in the same round.
func pairedRatio(samples map[string]*sample, b string) (float64, bool) {
	itty := samples[b+"/itty"]
	if itty == nil {
		return 0, false
	}
	var ratios []float64
	for i, ns := range itty.ns {
		fastest := 0.0
		for _, c := range []string{"httprouter", "gin", "echo"} {
			if s := samples[b+"/"+c]; s != nil && i < len(s.ns) && (fastest == 0 || s.ns[i] < fastest) {
				fastest = s.ns[i]
			}
		}
		if fastest > 0 {
			ratios = append(ratios, ns/fastest)
		}
	}
	return median(ratios), len(ratios) > 0
}

func isRouter(name string) bool {
	b, _, _ := strings.Cut(name, "/")
	return slices.Contains(routerBenches, b)
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
