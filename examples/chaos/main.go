// Command chaos runs ctihost's chaos checker (make chaos): several hosts
// of one cluster, simulated phones and watching apps under kills, pauses,
// restarts and driver swaps, checked against the simulators' ground truth.
// See package checker.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/ctihost/ctihost/examples/chaos/checker"
)

func main() {
	duration := flag.Duration("duration", time.Minute, "how long faults and calls go on")
	hosts := flag.Int("hosts", 3, "ctihost processes, all configured for the one site")
	phones := flag.Int("phones", 4, "simulated phones")
	pauses := flag.Bool("pauses", true, "also pause hosts with SIGSTOP")
	logs := flag.String("logs", "", "keep each host's log in this directory")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "the schedule's seed (printed, to repeat a run)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("chaos: seed %d, %d hosts, %d phones, %s\n", *seed, *hosts, *phones, *duration)
	rep, err := checker.Run(ctx, checker.Options{Root: ".", Duration: *duration, Hosts: *hosts, Phones: *phones, Pauses: *pauses, Seed: *seed, Out: os.Stdout, LogDir: *logs})
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if len(rep.Violations) > 0 {
		os.Exit(1)
	}
}
