package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickRunReportsEveryRow runs the whole benchmark with tiny loop
// counts: every row is present, and every measured row has a figure.
// Targets are the benchmark's business, not this test's.
func TestQuickRunReportsEveryRow(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results.json")
	if err := run(context.Background(), options{quick: true, out: out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Machine struct {
			CPU   string `json:"cpu"`
			Cores int    `json:"cores"`
		} `json:"machine"`
		Commit *string `json:"commit"`
		Rows   []struct {
			Name   string   `json:"name"`
			Figure *float64 `json:"figure"`
			Met    *bool    `json:"met"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Machine.CPU == "" || res.Machine.Cores < 1 || res.Commit == nil {
		t.Errorf("machine %+v commit %v: want the CPU model, a core count and a commit field", res.Machine, res.Commit)
	}
	got := map[string]bool{}
	for _, r := range res.Rows {
		got[r.Name] = true
		switch {
		case strings.HasSuffix(r.Name, "(not yet)"):
			if r.Figure != nil || r.Met != nil {
				t.Errorf("%q: figure %v met %v, want both null", r.Name, r.Figure, r.Met)
			}
		case r.Figure == nil:
			t.Errorf("%q: no figure", r.Name)
		case mayBeZero(r.Name):
		case *r.Figure <= 0:
			t.Errorf("%q: figure %v, want > 0", r.Name, *r.Figure)
		}
	}
	for _, name := range wantRows() {
		if !got[name] {
			t.Errorf("row %q is missing", name)
		}
	}
	if len(res.Rows) != len(wantRows()) {
		t.Errorf("%d rows, want %d", len(res.Rows), len(wantRows()))
	}
}

// mayBeZero: counts whose ideal is 0, and differences that noise can
// make negative.
func mayBeZero(name string) bool {
	return strings.Contains(name, "announced loss") || strings.Contains(name, "failed commands") ||
		strings.Contains(name, "added") || strings.Contains(name, "CPU per event") || strings.Contains(name, "CPU per poll") ||
		strings.Contains(name, "poll lag") || // the ±100 ms poll jitter makes a gap shorter than 1s
		strings.Contains(name, "with no event")
}

func wantRows() []string {
	var names []string
	for _, p := range []string{"p50", "p99"} {
		names = append(names,
			"command "+p+": app→host→grandstream→gssim (SendKeys VUP)",
			"command "+p+": app→host→grandstream GetDeviceState (no device request)",
			"command "+p+": (a) gsapi→gssim direct",
			"command "+p+": (b) bare gRPC unary echo",
			"command "+p+": (c) bare two-hop forwarder→go-plugin echo",
			"command "+p+": host added (host − a), ratio to (c)",
			"command "+p+": device error (HTTP 500) app→host→grandstream→gssim",
			"command "+p+": device error, gsapi→gssim direct",
			"command "+p+": device error, host added, ratio to (c)")
	}
	for _, k := range []string{"1", "10", "100"} {
		names = append(names,
			"events "+k+" sub: into the host from one plugin",
			"events "+k+" sub: host delivered/s per subscriber (slowest)",
			"events "+k+" sub: bare gRPC stream/s per subscriber (slowest)",
			"events "+k+" sub: host p99 delivery latency",
			"events "+k+" sub: host CPU per event",
			"events "+k+" sub: announced loss (Gap) over all subscribers")
	}
	names = append(names,
		"fault: kill -9 of the plugin to first served GetDeviceState",
		"swap under load (4 clients): duration",
		"swap under load (4 clients): failed commands",
		"swap under load (4 clients): added p99 (during − before)")
	for _, n := range (options{quick: true}).sizes().phones.counts {
		names = append(names, phoneRowNames(n)...)
	}
	for _, run := range siteRunsFor(true) {
		names = append(names, siteRowNames(run)...)
	}
	names = append(names, pbxRowNames(pbxSizesFor(true))...)
	names = append(names, eventlogRowNames()...)
	names = append(names, clusterRowNames()...)
	names = append(names, mirtaRowNames(mirtaSizesFor(true))...)
	return names
}
