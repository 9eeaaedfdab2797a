// Command ctihost is the CTI host: it loads config.hcl, starts one driver
// plugin process per (site, driver) pair (or, for a plugin block with
// isolation = "driver", one per driver), and serves the Host and Admin gRPC
// APIs. See README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	flags := flag.NewFlagSet("ctihost", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "config.hcl", "path to the HCL configuration")
	checkOnly := flags.Bool("check", false, "validate the configuration (starting each driver once to read its schema) and exit")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile of the host (not its plugins) to this `file` until it stops (see make bench)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "ctihost: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	h, diags := load(ctx, *configPath, stderr)
	diags.Format(stderr)
	if diags.HasErrors() {
		fmt.Fprintf(stderr, "ctihost: %s has errors; nothing was started\n", *configPath)
		return 1
	}
	if *checkOnly {
		fmt.Fprintf(stderr, "ctihost: %s is valid\n", *configPath)
		return 0
	}
	if err := h.serve(ctx); err != nil {
		h.logger.Error("host stopped", "error", err)
		return 1
	}
	return 0
}

// startCPUProfile profiles the host until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// newLogger builds the host logger from the host block.
func newLogger(level, format string, out io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "ctihost",
		Level:      hclog.LevelFromString(level),
		Output:     out,
		JSONFormat: format == "json",
	})
}
