// Command instrcount serves one routing case (bench.Cases) through one
// contestant's router, the requests of one op over and over through one
// reused response writer, as the Go benchmarks do, and exits. It measures
// nothing itself: scripts/instrcount.sh runs it under callgrind at two
// request counts and divides the difference of the instruction counts by
// the difference of the requests served, which leaves out start-up and the
// router's build.
//
//	instrcount -router itty -case GitHubAll -requests 20000
//
// prints "requests 20097 per-op 203": the number of requests served, in
// whole ops (here 99 of 203 requests), one warm-up op included.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/ittygo/itty/bench"
)

func main() {
	router := flag.String("router", "itty", "contestant (bench.Contestants)")
	name := flag.String("case", "GitHubAll", "routing case (bench.Cases)")
	requests := flag.Int("requests", 10000, "serve at least this many requests, in whole ops")
	list := flag.Bool("list", false, "print the contestants and the cases, one a line, and exit")
	flag.Parse()
	if *list {
		for _, c := range bench.Contestants {
			fmt.Println("contestant", c.Name)
		}
		for _, c := range bench.Cases {
			fmt.Println("case", c.Name)
		}
		return
	}
	if err := run(os.Stdout, *router, *name, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "instrcount:", err)
		os.Exit(2)
	}
}

func run(out io.Writer, router, name string, requests int) error {
	ct, err := bench.LookupContestant(router)
	if err != nil {
		return err
	}
	c, err := bench.LookupCase(name)
	if err != nil {
		return err
	}
	routes, reqs := c.Load()
	h := ct.Build(routes)
	// One op answered and checked first, so that a router that fails is
	// never counted; it warms up pools and lazy set-up, and costs the same
	// at either request count.
	for _, r := range reqs {
		cw := bench.NewResponseWriter()
		h.ServeHTTP(cw, r)
		if s := cw.Status(); s != 0 && s != http.StatusOK {
			return fmt.Errorf("%s %s: %s %s answered %d", router, name, r.Method, r.URL.Path, s)
		}
	}
	w := bench.NewResponseWriter()
	ops := max(1, (requests+len(reqs)-1)/len(reqs))
	for range ops - 1 {
		bench.Serve(h, w, reqs)
	}
	_, err = fmt.Fprintf(out, "requests %d per-op %d\n", ops*len(reqs), len(reqs))
	return err
}
