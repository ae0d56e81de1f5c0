// Command benchtable turns `go test -bench` output (several -count runs)
// into Markdown tables of medians: routers side by side, and each feature
// benchmark with its ratio to the row it is compared with.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+(\d+) B/op\s+(\d+) allocs/op)?`)

type sample struct{ ns, allocs []float64 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

var routerBenches = []string{"Static1", "Param1", "GitHubStatic", "GitHubParam", "GitHubAll", "ParseAll", "StaticAll"}
var contestants = []string{"itty", "httprouter", "gin", "echo", "chi", "gorillamux", "servemux", "bare"}

func main() {
	samples := map[string]*sample{}
	var order []string
	sc := bufio.NewScanner(os.Stdin)
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
			a, _ := strconv.ParseFloat(m[4], 64)
			s.allocs = append(s.allocs, a)
		}
	}
	fmt.Println("### Routing (ns/op, allocs/op; median of runs)")
	fmt.Println()
	fmt.Println("| Benchmark | " + strings.Join(contestants, " | ") + " | itty ÷ fastest of httprouter/gin/echo |")
	fmt.Println("|---" + strings.Repeat("|---:", len(contestants)+1) + "|")
	for _, b := range routerBenches {
		row := []string{b}
		fastest := 0.0
		for _, c := range contestants {
			s := samples[b+"/"+c]
			if s == nil {
				row = append(row, "–")
				continue
			}
			ns := median(s.ns)
			row = append(row, fmt.Sprintf("%s (%g)", fmtNs(ns), median(s.allocs)))
			if (c == "httprouter" || c == "gin" || c == "echo") && (fastest == 0 || ns < fastest) {
				fastest = ns
			}
		}
		ratio := "–"
		if s := samples[b+"/itty"]; s != nil && fastest > 0 {
			ratio = fmt.Sprintf("%.2f×", median(s.ns)/fastest)
		}
		fmt.Println("| " + strings.Join(append(row, ratio), " | ") + " |")
	}
	fmt.Println()
	fmt.Println("### Cookies, signed cookies and sessions (median ns/op, allocs/op)")
	fmt.Println()
	fmt.Println("| Benchmark | ns/op | allocs/op |")
	fmt.Println("|---|---:|---:|")
	for _, name := range order {
		if isRouter(name) {
			continue
		}
		s := samples[name]
		fmt.Printf("| %s | %s | %g |\n", name, fmtNs(median(s.ns)), median(s.allocs))
	}
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
