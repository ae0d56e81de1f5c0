package main

import (
	"slices"
	"strings"
	"testing"
)

// Two rounds in which the machine ran twice as slow in the second: the
// times move, the ratio within each round does not.
const tworounds = `
BenchmarkGitHubAll/itty-2        100  1000 ns/op  0 B/op  0 allocs/op
BenchmarkGitHubAll/httprouter-2  100   800 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/gin-2         100   900 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/echo-2        100  1200 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/itty-2        100  2000 ns/op  0 B/op  0 allocs/op
BenchmarkGitHubAll/httprouter-2  100  1600 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/gin-2         100  1500 ns/op  5 B/op  1 allocs/op
BenchmarkGitHubAll/echo-2        100  2400 ns/op  5 B/op  1 allocs/op
`

func TestPairedRatio(t *testing.T) {
	samples, order := parse(strings.NewReader(tworounds))
	if len(order) != 4 || len(samples["GitHubAll/itty"].ns) != 2 {
		t.Fatalf("parsed %v, %d itty samples", order, len(samples["GitHubAll/itty"].ns))
	}
	// Round 1: 1000/800 = 1.25; round 2: 2000/1500 = 1.333 (gin was
	// fastest there). The median of two is the upper one.
	r, ok := pairedRatio(samples, "GitHubAll", "itty", fastestThree)
	if !ok || r < 1.33 || r > 1.34 {
		t.Errorf("pairedRatio = %v, %v; want 1.333", r, ok)
	}
	if _, ok := pairedRatio(samples, "StaticAll", "itty", fastestThree); ok {
		t.Error("pairedRatio of a benchmark without samples reported a ratio")
	}
}

// Two rounds of the session-middleware benchmark, the second twice as slow.
const sessionRounds = `
BenchmarkSessionMiddleware/read/itty/handler-2       100  400 ns/op  300 B/op  5 allocs/op
BenchmarkSessionMiddleware/read/itty/middleware-2    100  600 ns/op  700 B/op  9 allocs/op
BenchmarkSessionMiddleware/read/scs/LoadAndSave-2    100  800 ns/op  900 B/op 20 allocs/op
BenchmarkSessionMiddleware/read/itty/handler-2       100  800 ns/op  300 B/op  5 allocs/op
BenchmarkSessionMiddleware/read/itty/middleware-2    100 1200 ns/op  700 B/op  9 allocs/op
BenchmarkSessionMiddleware/read/scs/LoadAndSave-2    100 1600 ns/op  900 B/op 20 allocs/op
`

func TestSessionTable(t *testing.T) {
	samples, _ := parse(strings.NewReader(sessionRounds))
	mw := samples["SessionMiddleware/read/itty/middleware"]
	if mw == nil || len(mw.bytes) != 2 || mw.bytes[0] != 700 || mw.allocs[1] != 9 {
		t.Fatalf("parsed %+v", mw)
	}
	if r, ok := roundRatio(mw, samples["SessionMiddleware/read/itty/handler"]); !ok || r != 1.5 {
		t.Errorf("middleware ÷ handler = %v, %v; want 1.5", r, ok)
	}
	if r, ok := roundRatio(mw, samples["SessionMiddleware/read/scs/LoadAndSave"]); !ok || r != 0.75 {
		t.Errorf("middleware ÷ scs = %v, %v; want 0.75", r, ok)
	}
	if _, ok := roundRatio(mw, samples["SessionMiddleware/write/itty/handler"]); ok {
		t.Error("a ratio against a missing benchmark")
	}
}

// A make bench run cut down to GitHubAll and Static1: go test's lines for
// two rounds, then instrcount.sh's for two rounds, as bench.sh feeds them.
const goTestRounds = `goos: linux
goarch: amd64
pkg: github.com/ittygo/itty/bench
cpu: AMD EPYC
BenchmarkStatic1/itty-2          	20000000	        60.10 ns/op	       0 B/op	       0 allocs/op
BenchmarkStatic1/itty-noxo-2     	20000000	        55.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkStatic1/httprouter-2    	60000000	        19.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/itty-2        	   57000	     21000 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/itty-noxo-2   	   57000	     20500 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/httprouter-2  	   40000	     30300 ns/op	   13792 B/op	     167 allocs/op
BenchmarkGitHubAll/gin-2         	   27000	     44400 ns/op	    9745 B/op	     203 allocs/op
BenchmarkGitHubAll/echo-2        	   29000	     40700 ns/op	    1624 B/op	     203 allocs/op
PASS
ok  	github.com/ittygo/itty/bench	31.2s
BenchmarkStatic1/itty-2          	20000000	        62.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkStatic1/itty-noxo-2     	20000000	        57.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkStatic1/httprouter-2    	60000000	        20.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/itty-2        	   57000	     22000 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/itty-noxo-2   	   57000	     21000 ns/op	       0 B/op	       0 allocs/op
BenchmarkGitHubAll/httprouter-2  	   40000	     20000 ns/op	   13792 B/op	     167 allocs/op
BenchmarkGitHubAll/gin-2         	   27000	     44000 ns/op	    9745 B/op	     203 allocs/op
BenchmarkGitHubAll/echo-2        	   29000	     40000 ns/op	    1624 B/op	     203 allocs/op
`

const instrRounds = `# instructions per request: valgrind-3.19.0 --tool=callgrind, GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 GOGC=off, go1.26.8, BUDGET=300000000
BenchmarkStatic1/itty 282220 1058.12 instr/req 1 req/op 1000 req1 5352694 Ir1 283220 req2 303973985 Ir2
BenchmarkStatic1/itty-noxo 284090 1058.96 instr/req 1 req/op 1000 req1 5299283 Ir1 285090 req2 306139076 Ir2
BenchmarkStatic1/httprouter 1052631 285.06 instr/req 1 req/op 1000 req1 4352796 Ir1 1053631 req2 304411122 Ir2
BenchmarkGitHubAll/itty 217616 1371.19 instr/req 203 req/op 1015 req1 8583498 Ir1 218631 req2 306976544 Ir2
BenchmarkGitHubAll/itty-noxo 218428 1299.69 instr/req 203 req/op 1015 req1 8529255 Ir1 219443 req2 304650670 Ir2
BenchmarkGitHubAll/httprouter 269787 1112.62 instr/req 203 req/op 1015 req1 6967264 Ir1 270802 req2 307137880 Ir2
BenchmarkGitHubAll/gin 167881 1781.87 instr/req 203 req/op 1015 req1 8704626 Ir1 168896 req2 307847328 Ir2
BenchmarkGitHubAll/echo 130935 2290.28 instr/req 203 req/op 1015 req1 9589185 Ir1 131950 req2 309467526 Ir2
# round 1 of 2: 8 counts in 40 s with 2 parallel runs
BenchmarkStatic1/itty 280112 1059.07 instr/req 1 req/op 1000 req1 5192856 Ir1 281112 req2 301851653 Ir2
BenchmarkStatic1/itty-noxo 283286 1058.89 instr/req 1 req/op 1000 req1 5253246 Ir1 284286 req2 305222606 Ir2
BenchmarkStatic1/httprouter 1056338 285.15 instr/req 1 req/op 1000 req1 4367397 Ir1 1057338 req2 305583819 Ir2
BenchmarkGitHubAll/itty 218225 1372.67 instr/req 203 req/op 1015 req1 8641535 Ir1 219240 req2 308191418 Ir2
BenchmarkGitHubAll/itty-noxo 216195 1298.20 instr/req 203 req/op 1015 req1 8584876 Ir1 217210 req2 302004434 Ir2
BenchmarkGitHubAll/httprouter 269787 1111.76 instr/req 203 req/op 1015 req1 6966000 Ir1 270802 req2 306905288 Ir2
BenchmarkGitHubAll/gin 168287 1781.14 instr/req 203 req/op 1015 req1 8669044 Ir1 169302 req2 308411898 Ir2
BenchmarkGitHubAll/echo 131138 2289.98 instr/req 203 req/op 1015 req1 9618943 Ir1 132153 req2 309922723 Ir2
# round 2 of 2: 8 counts in 38 s with 2 parallel runs
`

func parseRun(t *testing.T) map[string]*sample {
	t.Helper()
	samples, order := parse(strings.NewReader(goTestRounds))
	merge(samples, &order, strings.NewReader(instrRounds))
	if len(order) != 8 {
		t.Fatalf("benchmarks %v, want the 8 of the input", order)
	}
	return samples
}

func TestMergeInstructions(t *testing.T) {
	samples := parseRun(t)
	for _, tc := range []struct {
		name     string
		ns       []float64
		instr    []float64
		reqPerOp float64
	}{
		{"GitHubAll/itty", []float64{21000, 22000}, []float64{1371.19, 1372.67}, 203},
		{"GitHubAll/gin", []float64{44400, 44000}, []float64{1781.87, 1781.14}, 203},
		{"Static1/itty-noxo", []float64{55, 57}, []float64{1058.96, 1058.89}, 1},
	} {
		s := samples[tc.name]
		if s == nil {
			t.Fatalf("%s: not parsed", tc.name)
		}
		if !slices.Equal(s.ns, tc.ns) || !slices.Equal(s.instr, tc.instr) || s.reqPerOp != tc.reqPerOp {
			t.Errorf("%s: ns %v instr %v req/op %v; want %v %v %v", tc.name, s.ns, s.instr, s.reqPerOp, tc.ns, tc.instr, tc.reqPerOp)
		}
	}
	// An instruction line is never taken for a time, nor a time for a count.
	if s := samples["GitHubAll/echo"]; len(s.ns) != 2 || len(s.instr) != 2 {
		t.Errorf("GitHubAll/echo: %d times, %d counts; want 2 and 2", len(s.ns), len(s.instr))
	}
}

func TestRoutingTableShowsInstructions(t *testing.T) {
	var out strings.Builder
	routingTable(&out, parseRun(t))
	for _, want := range []string{
		// median of two rounds is the upper one
		"| GitHubAll | 203 | 22.0 µs (0) · 1,373 | 21.0 µs (0) · 1,300 | 30.3 µs (167) · 1,113 | 44.4 µs (203) · 1,782 | 40.7 µs (203) · 2,290 | – | – | – | – |",
		"| Static1 | 1 | 62 ns (0) · 1,059 | 57 ns (0) · 1,059 | 20 ns (0) · 285 | – |",
		"| ParseAll | – | – |",
		// GitHubAll/itty-noxo: (1299.69 - 1298.20) / 1299.69 = 0.11 %, the most
		"Instructions counted in 2 rounds; the largest difference between them: 0.11 % (GitHubAll/itty-noxo).",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("routing table lacks\n%s\nin\n%s", want, out.String())
		}
	}
	// Without counts, the table is the times alone.
	out.Reset()
	samples, _ := parse(strings.NewReader(goTestRounds))
	routingTable(&out, samples)
	if !strings.Contains(out.String(), "| GitHubAll | – | 22.0 µs (0) | 21.0 µs (0) | 30.3 µs (167) |") ||
		strings.Contains(out.String(), "Instructions counted") {
		t.Errorf("routing table without counts:\n%s", out.String())
	}
}

func TestTargets(t *testing.T) {
	samples := parseRun(t)
	for _, tc := range []struct {
		target     target
		contestant string
		cell, met  string
	}{
		// Rounds: 21000/30300 = 0.69, 22000/20000 = 1.10 (httprouter
		// fastest in both): median 1.10, over 1.
		{targets[0], "itty", "1.10× time, 0 allocs/op; 1.23× instructions", "not met"},
		// 20500/30300 = 0.68, 21000/20000 = 1.05.
		{targets[0], "itty-noxo", "1.05× time, 0 allocs/op; 1.17× instructions", "not met"},
		// The same rounds within a looser bound.
		{target{"GitHubAll", fastestThree, 1.2, true}, "itty", "1.10× time, 0 allocs/op; 1.23× instructions", "met"},
		// Fast enough, but allocating: httprouter against gin and echo.
		{target{"GitHubAll", []string{"gin", "echo"}, 1, true}, "httprouter", "0.74× time, 167 allocs/op; 0.62× instructions", "not met"},
		{target{"GitHubAll", []string{"gin", "echo"}, 1, false}, "httprouter", "0.74× time, 167 allocs/op; 0.62× instructions", "met"},
		// Static1: 60.1/19 = 3.16, 62/20 = 3.10.
		{targets[3], "itty", "3.16× time, 0 allocs/op; 3.71× instructions", "not met"},
		// No samples.
		{targets[1], "itty", "–", "not measured"},
		{target{"Static1", []string{"gin"}, 1.5, false}, "itty", "–", "not measured"},
	} {
		cell, met := tc.target.check(samples, tc.contestant)
		if cell != tc.cell || met != tc.met {
			t.Errorf("%s %v %s: %q, %q; want %q, %q", tc.target.bench, tc.target.against, tc.contestant, cell, met, tc.cell, tc.met)
		}
	}
	for _, tc := range []struct{ contestant, cell, met string }{
		{"itty", "1,373", "not met"},   // 1371.19 and 1372.67
		{"itty-noxo", "1,300", "met"},  // 1299.69 and 1298.20: the median, 1299.69, is under
		{"chi", "–", "not measured"},   // not counted
		{"httprouter", "1,113", "met"}, // any contestant can be checked
		{"gin", "1,782", "not met"},    // the lead's comparison
		{"nosuchrouter", "–", "not measured"},
	} {
		cell, met := instrCheck(samples, tc.contestant)
		if cell != tc.cell || met != tc.met {
			t.Errorf("instructions %s: %q, %q; want %q, %q", tc.contestant, cell, met, tc.cell, tc.met)
		}
	}
	var out strings.Builder
	targetTable(&out, samples)
	for _, want := range []string{
		"| GitHubAll ≤ the fastest of httprouter/gin/echo, 0 allocs/op | 1.10× time, 0 allocs/op; 1.23× instructions | not met | 1.05× time, 0 allocs/op; 1.17× instructions |",
		"| Static1 ≤ 1.5× httprouter | 3.16× time, 0 allocs/op; 3.71× instructions | not met | 2.89× time, 0 allocs/op; 3.71× instructions |", // 55/19 = 2.89, 57/20 = 2.85,
		"| ParseAll ≤ the fastest of httprouter/gin/echo, 0 allocs/op | – | not measured | – |",
		"| Instructions per GitHubAll request ≤ 1,300 | 1,373 | not met | 1,300 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("targets table lacks\n%s\nin\n%s", want, out.String())
		}
	}
}

func TestFmtCount(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{0, "0"}, {223.49, "223"}, {999.5, "1,000"}, {1371.19, "1,371"},
		{125659.34, "125,659"}, {1234567, "1,234,567"}, {-1300, "-1,300"},
	} {
		if got := fmtCount(tc.n); got != tc.want {
			t.Errorf("fmtCount(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// Two rounds of instrcount.sh's lines that count loads and stores too.
const memRounds = `BenchmarkStatic1/itty 36496 821.48 instr/req 1 req/op 254.79 loads/req 171.16 stores/req 1000 req1 4960678 Ir1 37496 req2 34941321 Ir2
BenchmarkStatic1/httprouter 106007 284.27 instr/req 1 req/op 87.06 loads/req 46.07 stores/req 1000 req1 4337127 Ir1 107007 req2 34471918 Ir2
BenchmarkGitHubAll/itty 35796 1273.00 instr/req 203 req/op 346.00 loads/req 233.00 stores/req 1015 req1 7057711 Ir1 36811 req2 37163701 Ir2
BenchmarkGitHubAll/httprouter 40820 1112.00 instr/req 203 req/op 277.00 loads/req 122.00 stores/req 1015 req1 6075186 Ir1 41835 req2 36583612 Ir2
BenchmarkStatic1/itty 36496 821.50 instr/req 1 req/op 255.21 loads/req 170.84 stores/req 1000 req1 4960678 Ir1 37496 req2 34941321 Ir2
BenchmarkStatic1/httprouter 106007 284.27 instr/req 1 req/op 87.06 loads/req 46.07 stores/req 1000 req1 4337127 Ir1 107007 req2 34471918 Ir2
BenchmarkGitHubAll/itty 35796 1273.00 instr/req 203 req/op 346.00 loads/req 233.00 stores/req 1015 req1 7057711 Ir1 36811 req2 37163701 Ir2
BenchmarkGitHubAll/httprouter 40820 1112.00 instr/req 203 req/op 277.00 loads/req 122.00 stores/req 1015 req1 6075186 Ir1 41835 req2 36583612 Ir2
`

func TestMemoryOperations(t *testing.T) {
	samples, order := parse(strings.NewReader(goTestRounds))
	merge(samples, &order, strings.NewReader(memRounds))
	s := samples["Static1/itty"]
	if !slices.Equal(s.loads, []float64{254.79, 255.21}) || !slices.Equal(s.stores, []float64{171.16, 170.84}) ||
		!slices.Equal(s.instr, []float64{821.48, 821.50}) || s.reqPerOp != 1 {
		t.Fatalf("Static1/itty: loads %v stores %v instr %v req/op %v", s.loads, s.stores, s.instr, s.reqPerOp)
	}
	var out strings.Builder
	if !memTable(&out, samples) {
		t.Fatal("memTable printed nothing for counted loads and stores")
	}
	for _, want := range []string{
		// 254.79 + 171.16 = 425.95 and 255.21 + 170.84 = 426.05: the upper is the median
		"| Static1 | 426 (255 + 171) | – | 133 (87 + 46) | – |",
		"| GitHubAll | 579 (346 + 233) | – | 399 (277 + 122) | – |",
		"| ParseAll | – | – |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("memory table lacks\n%s\nin\n%s", want, out.String())
		}
	}
	// 579 / 399 = 1.45; 1273 / 1112 = 1.14; times as in TestTargets.
	cell, _ := targets[0].check(samples, "itty")
	if want := "1.10× time, 0 allocs/op; 1.14× instructions, 1.45× memory operations"; cell != want {
		t.Errorf("GitHubAll target: %q; want %q", cell, want)
	}
	// Counts without loads and stores print no memory table.
	out.Reset()
	if memTable(&out, parseRun(t)) || out.Len() > 0 {
		t.Errorf("memTable printed %q for counts without loads and stores", out.String())
	}
}
