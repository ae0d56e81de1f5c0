// Command e2eserver serves one contestant's "GET /" on 127.0.0.1 for the
// end-to-end load test (scripts/bench-e2e.sh). Every contestant runs in the
// same plain http.Server, so only the router and its handler differ.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/ittygo/itty/bench"
)

func main() {
	name := flag.String("router", "itty", "contestant to serve, or bare-noheader")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	profile := flag.String("cpuprofile", "", "write a CPU profile here until SIGINT/SIGTERM")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		go func() {
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
			<-sig
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(0)
		}()
	}
	var h http.Handler
	if *name == "bare-noheader" {
		h = bench.BareNoHeader()
	}
	for _, c := range bench.Contestants {
		if c.Name == *name {
			h = c.Build([]bench.Route{{Method: "GET", Path: "/"}})
		}
	}
	if h == nil {
		log.Fatalf("unknown contestant %q", *name)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "listening http://%s/\n", ln.Addr())
	log.Fatal(http.Serve(ln, h))
}
