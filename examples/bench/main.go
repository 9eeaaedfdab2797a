// Command bench is ctihost's benchmark (issue 5): it builds the host, the
// drivers and a bare two-hop floor, starts them and the simulated phones on
// loopback, measures each row beside its floor in the same run, prints one
// table and writes the same figures as JSON.
//
//	go run ./examples/bench [-quick] [-rows command,events,faults,phones,sites,pbx,mirta,eventlog,cluster] [-out bin/bench/results.json]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
)

// row is one line of the table and one object of the JSON. A nil Figure
// and Met mean the row is not measured yet; a nil Ratio means it has no
// floor or target to compare with.
type row struct {
	Name   string   `json:"name"`
	Figure *float64 `json:"figure"`
	Unit   string   `json:"unit"`
	Target string   `json:"target"`
	Ratio  *float64 `json:"ratio"`
	Met    *bool    `json:"met"`
}

type machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
}

type results struct {
	Machine machine `json:"machine"`
	Commit  string  `json:"commit"`
	Rows    []row   `json:"rows"`
}

// options are the command line's choices.
type options struct {
	quick   bool
	out     string
	profile string
	rows    map[string]bool // row groups to measure; empty: all
}

// rowGroups are the -rows choices, in the order they run.
var rowGroups = []string{"command", "events", "faults", "phones", "sites", "pbx", "mirta", "eventlog", "cluster"}

// measures tells whether the run measures group.
func (o options) measures(group string) bool {
	return len(o.rows) == 0 || o.rows[group] || (group == "command" && o.rows["faults"])
}

// parseRows parses -rows: a comma-separated list of rowGroups.
func parseRows(s string) (map[string]bool, error) {
	out := map[string]bool{}
	for g := range strings.SplitSeq(s, ",") {
		g = strings.TrimSpace(g)
		if !slices.Contains(rowGroups, g) {
			return nil, fmt.Errorf("-rows: unknown group %q; want a comma-separated list of %s", g, strings.Join(rowGroups, ", "))
		}
		out[g] = true
	}
	return out, nil
}

// sizes are the loop bounds of one run.
type sizes struct {
	commands    int   // sequential commands per command path
	floodEvents int   // flood events each subscriber counts (at most 200000)
	subscribers []int // subscriber counts of the event rows
	swapLoad    int   // milliseconds of load before and after a swap
	phones      phoneSizes
	pbx         pbxSizes
	mirta       mirtaSizes
}

func (o options) sizes() sizes {
	if o.quick {
		return sizes{commands: 50, floodEvents: 2000, subscribers: []int{1, 10, 100}, swapLoad: 150, phones: phoneSizesFor(true), pbx: pbxSizesFor(true), mirta: mirtaSizesFor(true)}
	}
	return sizes{commands: 2000, floodEvents: floodTotal, subscribers: []int{1, 10, 100}, swapLoad: 500, phones: phoneSizesFor(false), pbx: pbxSizesFor(false), mirta: mirtaSizesFor(false)}
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "tiny loop counts: a smoke run, not a measurement")
	flag.StringVar(&o.out, "out", "", "also write the results as JSON to this path")
	flag.StringVar(&o.profile, "profile", "", "write each host's CPU profile to `dir`/<row>.pprof (go tool pprof)")
	flag.Func("rows", "measure only these row `groups`, comma-separated: "+strings.Join(rowGroups, ",")+" (faults implies command)", func(s string) (err error) {
		o.rows, err = parseRows(s)
		return err
	})
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

// run measures every row, prints the table to w and writes the JSON. Every
// process and server it starts is stopped before it returns.
func run(ctx context.Context, o options, w io.Writer) error {
	h, err := newHarness(ctx)
	if err != nil {
		return err
	}
	defer h.close()
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
		h.profileDir = o.profile
	}
	sz := o.sizes()
	res := results{Machine: machine{CPU: cpuModel(), Cores: runtime.NumCPU()}, Commit: gitCommit()}
	var cmdHost *runningHost
	if o.measures("command") {
		var cmdRows []row
		cmdRows, cmdHost, err = commandRows(ctx, h, sz)
		if err != nil {
			return fmt.Errorf("command rows: %w", err)
		}
		if len(o.rows) == 0 || o.rows["command"] {
			res.Rows = append(res.Rows, cmdRows...)
		}
	}
	if o.measures("events") {
		evRows, err := eventRows(ctx, h, sz)
		if err != nil {
			return fmt.Errorf("event rows: %w", err)
		}
		res.Rows = append(res.Rows, evRows...)
	}
	if o.measures("faults") {
		faults, err := faultRows(ctx, h, cmdHost, sz)
		if err != nil {
			return fmt.Errorf("fault rows: %w", err)
		}
		res.Rows = append(res.Rows, faults...)
	}
	if o.measures("phones") {
		phones, err := phoneRows(ctx, h, sz.phones)
		if err != nil {
			return fmt.Errorf("phone rows: %w", err)
		}
		res.Rows = append(res.Rows, phones...)
	}
	if o.measures("sites") {
		sites, err := siteRows(ctx, h, o.quick)
		if err != nil {
			return fmt.Errorf("site rows: %w", err)
		}
		res.Rows = append(res.Rows, sites...)
	}
	if o.measures("pbx") {
		pbx, err := pbxRows(ctx, h, sz.pbx)
		if err != nil {
			return fmt.Errorf("busy PBX rows: %w", err)
		}
		res.Rows = append(res.Rows, pbx...)
	}
	if o.measures("eventlog") {
		rows, err := eventlogRows(ctx, h, o.quick)
		if err != nil {
			return fmt.Errorf("event log rows: %w", err)
		}
		res.Rows = append(res.Rows, rows...)
	}
	if o.measures("cluster") {
		rows, err := clusterRows(ctx, h, o.quick)
		if err != nil {
			return fmt.Errorf("cluster rows: %w", err)
		}
		res.Rows = append(res.Rows, rows...)
	}
	if o.measures("mirta") {
		mirta, err := mirtaRows(ctx, h, sz.mirta)
		if err != nil {
			return fmt.Errorf("polled PBX rows: %w", err)
		}
		res.Rows = append(res.Rows, mirta...)
	}
	printTable(w, res)
	if o.out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nwritten to %s\n", o.out)
	}
	return nil
}

func printTable(w io.Writer, res results) {
	fmt.Fprintf(w, "machine: %s, %d cores; commit %s\n\n", res.Machine.CPU, res.Machine.Cores, orDash(res.Commit))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tfigure\tunit\ttarget\tratio\tmet\t")
	for _, r := range res.Rows {
		fig, ratio, met := "-", "-", "-"
		if r.Figure != nil {
			fig = fmt.Sprintf("%.1f", *r.Figure)
		}
		if r.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *r.Ratio)
		}
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, fig, orDash(r.Unit), orDash(r.Target), ratio, met)
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// gitCommit is HEAD's commit, or "" outside a git work tree.
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// measured builds a row with a figure; target and ratio are optional.
func measured(name string, figure float64, unit string) row {
	return row{Name: name, Figure: &figure, Unit: unit}
}

// against sets the row's target, ratio and whether it is met.
func (r row) against(target string, ratio float64, met bool) row {
	r.Target, r.Ratio, r.Met = target, &ratio, &met
	return r
}

// want sets a target that a ratio cannot express (a count whose target is
// 0) and whether it is met; the ratio stays null.
func (r row) want(target string, met bool) row {
	r.Target, r.Met = target, &met
	return r
}
