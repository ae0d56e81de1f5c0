// Command benchtable turns `go test -bench` output (several rounds of every
// benchmark) into Markdown tables of medians: routers side by side, and each
// feature benchmark on its own row, and itty against the routing targets.
// The n-th line of a benchmark belongs to round n; a routing ratio is the
// median over rounds of the ratio within each round, so that a machine whose
// speed drifts between rounds moves the ratio less than it moves the times.
//
// With -instr FILE (the output of scripts/instrcount.sh: lines like
// "BenchmarkGitHubAll/itty 217616 1371.19 instr/req 203 req/op ..."), the
// routing table shows callgrind's instructions per request beside the times,
// and the targets table compares itty's with the 1,300 a GitHubAll request
// may cost. Where those lines also count loads and stores (loads/req,
// stores/req), a table of them follows the routing table, and each target
// gives the ratio of memory operations beside the ratio of instructions.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var (
	line      = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+(\d+) B/op\s+(\d+) allocs/op)?`)
	instrLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) instr/req(?:\s+(\d+) req/op)?`)
	memLine   = regexp.MustCompile(`\s([\d.]+) loads/req\s+([\d.]+) stores/req`)
)

// sample is one benchmark's figures, one per round: times, bytes and
// allocations from go test, instructions per request from instrcount.sh.
type sample struct {
	ns, bytes, allocs []float64
	instr             []float64
	loads, stores     []float64 // data reads and writes per request, if instrcount.sh counted them
	reqPerOp          float64   // requests an op, if instrcount.sh said
}

// memOps is, round by round, the loads and stores of one request.
func (s *sample) memOps() []float64 {
	ops := make([]float64, min(len(s.loads), len(s.stores)))
	for i := range ops {
		ops[i] = s.loads[i] + s.stores[i]
	}
	return ops
}

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
	instrFile := flag.String("instr", "", "instruction counts (scripts/instrcount.sh output) to show beside the times")
	flag.Parse()
	samples, order := parse(os.Stdin)
	if *instrFile != "" {
		f, err := os.Open(*instrFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
		merge(samples, &order, f)
		f.Close()
	}
	routingTable(os.Stdout, samples)
	fmt.Println()
	if memTable(os.Stdout, samples) {
		fmt.Println()
	}
	targetTable(os.Stdout, samples)
	fmt.Println()
	fmt.Println("### Cookies, signed cookies and sessions (median of rounds: ns/op, allocs/op)")
	fmt.Println()
	fmt.Println("| Benchmark | ns/op | allocs/op |")
	fmt.Println("|---|---:|---:|")
	for _, name := range order {
		s := samples[name]
		if isRouter(name) || strings.HasPrefix(name, sessionMiddleware+"/") || len(s.ns) == 0 {
			continue
		}
		fmt.Printf("| %s | %s | %g |\n", name, fmtNs(median(s.ns)), median(s.allocs))
	}
	sessionTable(samples)
}

// routingTable prints every contestant's medians for every routing case:
// ns/op (allocs/op) and, when counted, instructions per request, with the
// largest difference between rounds of the counts.
func routingTable(w io.Writer, samples map[string]*sample) {
	instr := false
	for _, s := range samples {
		instr = instr || len(s.instr) > 0
	}
	if instr {
		fmt.Fprintln(w, "### Routing (median of rounds: ns/op (allocs/op) · instructions per request)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "ns/op is for one op, which serves every request of the case once; instructions are per")
		fmt.Fprintln(w, "request, counted by callgrind (scripts/instrcount.sh: GOMAXPROCS=1, GODEBUG=asyncpreemptoff=1,")
		fmt.Fprintln(w, "GOGC=off, two request counts subtracted). itty is itty.New() with its defaults, cross-origin")
		fmt.Fprintln(w, "protection on; itty-noxo has it off.")
	} else {
		fmt.Fprintln(w, "### Routing (ns/op, allocs/op; median of rounds)")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Benchmark | requests/op | "+strings.Join(contestants, " | ")+" |")
	fmt.Fprintln(w, "|---"+strings.Repeat("|---:", len(contestants)+1)+"|")
	for _, b := range routerBenches {
		row := []string{b, "–"}
		for _, c := range contestants {
			s := samples[b+"/"+c]
			if s == nil {
				row = append(row, "–")
				continue
			}
			if s.reqPerOp > 0 {
				row[1] = fmt.Sprintf("%g", s.reqPerOp)
			}
			var cell []string
			if len(s.ns) > 0 {
				cell = append(cell, fmt.Sprintf("%s (%g)", fmtNs(median(s.ns)), median(s.allocs)))
			}
			if len(s.instr) > 0 {
				cell = append(cell, fmtCount(median(s.instr)))
			}
			row = append(row, strings.Join(cell, " · "))
		}
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
	if name, spread, rounds := instrSpread(samples); rounds > 1 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Instructions counted in %d rounds; the largest difference between them: %.2f %% (%s).\n", rounds, spread*100, name)
	}
}

// instrSpread is the routing count that moved most between rounds, by how
// much ((max - min) / median), and the number of rounds.
func instrSpread(samples map[string]*sample) (name string, spread float64, rounds int) {
	for _, b := range routerBenches {
		for _, c := range contestants {
			s := samples[b+"/"+c]
			if s == nil || len(s.instr) == 0 {
				continue
			}
			rounds = max(rounds, len(s.instr))
			if d := (slices.Max(s.instr) - slices.Min(s.instr)) / median(s.instr); name == "" || d > spread {
				name, spread = b+"/"+c, d
			}
		}
	}
	return name, spread, rounds
}

// memTable prints each routing contestant's loads and stores per request,
// if instrcount.sh counted them, and reports whether it printed anything.
func memTable(w io.Writer, samples map[string]*sample) bool {
	counted := false
	for _, s := range samples {
		counted = counted || len(s.loads) > 0
	}
	if !counted {
		return false
	}
	fmt.Fprintln(w, "### Memory operations per request (median of rounds: loads + stores)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "callgrind's data reads and writes (Dr, Dw) among the instructions above, counted the same way.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Benchmark | "+strings.Join(contestants, " | ")+" |")
	fmt.Fprintln(w, "|---"+strings.Repeat("|---:", len(contestants))+"|")
	for _, b := range routerBenches {
		row := []string{b}
		for _, c := range contestants {
			s := samples[b+"/"+c]
			if s == nil || len(s.loads) == 0 {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%s (%s + %s)", fmtCount(median(s.memOps())),
				fmtCount(median(s.loads)), fmtCount(median(s.stores))))
		}
		fmt.Fprintln(w, "| "+strings.Join(row, " | ")+" |")
	}
	return true
}

// fastestThree are the routers the *All targets compare itty with.
var fastestThree = []string{"httprouter", "gin", "echo"}

// A target is the bound on one routing case: itty's time within
// limit times that of the fastest of against (in the same round), and, if
// zeroAllocs, no allocation.
type target struct {
	bench      string
	against    []string
	limit      float64
	zeroAllocs bool
}

var targets = []target{
	{"GitHubAll", fastestThree, 1, true},
	{"ParseAll", fastestThree, 1, true},
	{"StaticAll", fastestThree, 1, true},
	{"Static1", []string{"httprouter"}, 1.5, false},
	{"Param1", []string{"httprouter"}, 1.5, false},
	{"GitHubStatic", []string{"httprouter"}, 1.5, false},
	{"GitHubParam", []string{"httprouter"}, 1.5, false},
}

// instrTarget bounds the instructions of one GitHubAll request through itty.
const instrTarget = 1300

// targetTable prints itty against each target, itty-noxo beside it.
func targetTable(w io.Writer, samples map[string]*sample) {
	fmt.Fprintln(w, "### Targets (itty = itty.New(), cross-origin protection on)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Time ratios are medians of per-round ratios; the instruction ratio and the ratio of memory")
	fmt.Fprintln(w, "operations (loads and stores), beside them, are the same comparison in callgrind's counts,")
	fmt.Fprintln(w, "which the machine's load does not move.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Target | itty | Met? | itty-noxo |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, t := range targets {
		what := fmt.Sprintf("%s ≤ %g× %s", t.bench, t.limit, strings.Join(t.against, "/"))
		if len(t.against) > 1 {
			what = fmt.Sprintf("%s ≤ the fastest of %s", t.bench, strings.Join(t.against, "/"))
			if t.limit != 1 {
				what = fmt.Sprintf("%s ≤ %g× the fastest of %s", t.bench, t.limit, strings.Join(t.against, "/"))
			}
		}
		if t.zeroAllocs {
			what += ", 0 allocs/op"
		}
		cell, met := t.check(samples, "itty")
		noxo, _ := t.check(samples, "itty-noxo")
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", what, cell, met, noxo)
	}
	cell, met := instrCheck(samples, "itty")
	noxo, _ := instrCheck(samples, "itty-noxo")
	fmt.Fprintf(w, "| Instructions per GitHubAll request ≤ %s | %s | %s | %s |\n", fmtCount(instrTarget), cell, met, noxo)
}

// check describes contestant c against t and says whether it is met.
func (t target) check(samples map[string]*sample, c string) (cell, met string) {
	r, ok := pairedRatio(samples, t.bench, c, t.against)
	if !ok {
		return "–", "not measured"
	}
	allocs := median(samples[t.bench+"/"+c].allocs)
	cell = fmt.Sprintf("%.2f× time, %g allocs/op", r, allocs)
	if ir, ok := countRatio(samples, t.bench, c, t.against, (*sample).instrs); ok {
		cell += fmt.Sprintf("; %.2f× instructions", ir)
	}
	if mr, ok := countRatio(samples, t.bench, c, t.against, (*sample).memOps); ok {
		cell += fmt.Sprintf(", %.2f× memory operations", mr)
	}
	met = "not met"
	if r <= t.limit && (!t.zeroAllocs || allocs == 0) {
		met = "met"
	}
	return cell, met
}

// instrCheck describes contestant c's instructions per GitHubAll request
// against instrTarget.
func instrCheck(samples map[string]*sample, c string) (cell, met string) {
	s := samples["GitHubAll/"+c]
	if s == nil || len(s.instr) == 0 {
		return "–", "not measured"
	}
	n := median(s.instr)
	if n <= instrTarget {
		return fmtCount(n), "met"
	}
	return fmtCount(n), "not met"
}

// fastest is, round by round, the fastest of the contestants of benchmark
// b: a sample of the lowest time in each round, or nil if none ran.
func fastest(samples map[string]*sample, b string, of []string) *sample {
	var f *sample
	for _, c := range of {
		s := samples[b+"/"+c]
		if s == nil {
			continue
		}
		if f == nil {
			f = &sample{ns: slices.Clone(s.ns)}
			continue
		}
		for i := range min(len(f.ns), len(s.ns)) {
			f.ns[i] = min(f.ns[i], s.ns[i])
		}
	}
	return f
}

// instrs is, round by round, the instructions of one request.
func (s *sample) instrs() []float64 { return s.instr }

// countRatio is contestant c's median count per request (instructions or
// memory operations, as count picks them) divided by the fewest of the
// contestants of, for routing case b.
func countRatio(samples map[string]*sample, b, c string, of []string, count func(*sample) []float64) (float64, bool) {
	s := samples[b+"/"+c]
	if s == nil || len(count(s)) == 0 {
		return 0, false
	}
	fewest := 0.0
	for _, o := range of {
		if t := samples[b+"/"+o]; t != nil && len(count(t)) > 0 && (fewest == 0 || median(count(t)) < fewest) {
			fewest = median(count(t))
		}
	}
	return median(count(s)) / fewest, fewest > 0
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
	merge(samples, &order, r)
	return samples, order
}

// merge adds the benchmark lines of r to samples: go test's (ns/op, and
// B/op and allocs/op if reported) and instrcount.sh's (instr/req, and
// loads/req and stores/req if counted).
func merge(samples map[string]*sample, order *[]string, r io.Reader) {
	get := func(name string) *sample {
		s := samples[name]
		if s == nil {
			s = &sample{}
			samples[name] = s
			*order = append(*order, name)
		}
		return s
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := instrLine.FindStringSubmatch(sc.Text()); m != nil {
			s := get(m[1])
			n, _ := strconv.ParseFloat(m[2], 64)
			s.instr = append(s.instr, n)
			if m[3] != "" {
				s.reqPerOp, _ = strconv.ParseFloat(m[3], 64)
			}
			if mm := memLine.FindStringSubmatch(sc.Text()); mm != nil {
				l, _ := strconv.ParseFloat(mm[1], 64)
				st, _ := strconv.ParseFloat(mm[2], 64)
				s.loads, s.stores = append(s.loads, l), append(s.stores, st)
			}
			continue
		}
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := get(m[1])
		ns, _ := strconv.ParseFloat(m[2], 64)
		s.ns = append(s.ns, ns)
		if m[4] != "" {
			by, _ := strconv.ParseFloat(m[3], 64)
			s.bytes = append(s.bytes, by)
			a, _ := strconv.ParseFloat(m[4], 64)
			s.allocs = append(s.allocs, a)
		}
	}
}

// pairedRatio is, for routing benchmark b, the median over rounds of
// contestant c's time divided by the fastest of against in the same round.
func pairedRatio(samples map[string]*sample, b, c string, against []string) (float64, bool) {
	return roundRatio(samples[b+"/"+c], fastest(samples, b, against))
}

func isRouter(name string) bool {
	b, _, _ := strings.Cut(name, "/")
	return slices.Contains(routerBenches, b)
}

// fmtCount rounds n to a whole number with thousands separators: 1,372.
func fmtCount(n float64) string {
	d := strconv.FormatFloat(n, 'f', 0, 64)
	for i := len(d) - 3; i > 0 && d[i-1] != '-'; i -= 3 {
		d = d[:i] + "," + d[i:]
	}
	return d
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
