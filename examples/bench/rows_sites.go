package main

import (
	"context"
	"fmt"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The site rows (issue 5, item 6): many sites of a few Grandstream phones
// each, with one plugin process per (site, driver) (isolation = "site", the
// default) and with one process for every site (isolation = "driver").
// They report what each choice costs in memory and processes; there is no
// target, the README says which to choose when.
//
// 1,000 sites with one process each are not in the run: on 2 cores the
// thousand processes take minutes to start and saturate the machine (the
// README quotes the one measurement made by hand).

// phonesPerSite is "a few phones" of every site.
const phonesPerSite = 3

// siteRun is one measured configuration.
type siteRun struct {
	sites     int
	isolation string
}

func siteRunsFor(quick bool) []siteRun {
	if quick {
		return []siteRun{{5, "site"}, {5, "driver"}}
	}
	return []siteRun{{100, "site"}, {100, "driver"}, {1000, "driver"}}
}

// siteRows measures every run, one after the other, each with its own
// phones and host.
func siteRows(ctx context.Context, h *harness, quick bool) ([]row, error) {
	var rows []row
	for _, run := range siteRunsFor(quick) {
		r, err := measureSites(ctx, h, run)
		if err != nil {
			return nil, fmt.Errorf("%d sites, isolation %s: %w", run.sites, run.isolation, err)
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// settleFor lets every phone be polled a couple of times (1 s interval)
// before memory is read, so the figures are the steady state.
const settleFor = 3 * time.Second

func measureSites(ctx context.Context, h *harness, run siteRun) ([]row, error) {
	s := h.scope()
	defer s.close()
	fleet, err := s.startFleet(ctx, run.sites*phonesPerSite)
	if err != nil {
		return nil, err
	}
	devices := make([]device, 0, run.sites*phonesPerSite)
	for k, addr := range fleet.addrs {
		devices = append(devices, device{site: fmt.Sprintf("s%04d", k/phonesPerSite), name: fmt.Sprintf("p%d", k%phonesPerSite+1),
			driver: "grandstream", model: "GXP2135", addr: addr})
	}
	began := time.Now()
	host, err := s.startHostWith(ctx, fmt.Sprintf("sites-%d-%s", run.sites, run.isolation), devices, hostConfig{isolation: run.isolation})
	if err != nil {
		return nil, err
	}
	started := time.Since(began)
	if err := sleepCtx(ctx, settleFor); err != nil {
		return nil, err
	}
	resp, err := host.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		return nil, err
	}
	pids := []int{host.proc.pid()}
	seen := map[int64]bool{}
	for _, p := range resp.GetPlugins() {
		if p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING {
			return nil, fmt.Errorf("site %s: driver %s is %s after %s", p.GetSite(), p.GetDriver(), p.GetState(), settleFor)
		}
		if !seen[p.GetPid()] {
			seen[p.GetPid()] = true
			pids = append(pids, int(p.GetPid()))
		}
	}
	var rss, pss int64
	for _, pid := range pids {
		r, err := vmRSS(pid)
		if err != nil {
			return nil, err
		}
		p, err := pssOf(pid)
		if err != nil {
			return nil, err
		}
		rss, pss = rss+r, pss+p
	}
	names := siteRowNames(run)
	return []row{
		measured(names[0], float64(len(pids)), "processes"),
		measured(names[1], mib(rss), "MiB"),
		measured(names[2], mib(pss), "MiB"),
		measured(names[3], millis(started), "ms"),
	}, nil
}

// siteRowNames are the names of one run's rows, in order.
func siteRowNames(run siteRun) []string {
	label := fmt.Sprintf("sites %s × %d phones, isolation=%s", thousands(run.sites), phonesPerSite, run.isolation)
	return []string{
		label + ": processes (host + plugins)",
		label + ": host + plugins resident memory (RSS, shared pages counted per process)",
		label + ": host + plugins proportional memory (PSS, shared pages split)",
		label + ": start until every plugin runs",
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// pssOf is a process's proportional set size in bytes, from
// /proc/<pid>/smaps_rollup: its private memory plus its share of pages it
// shares with others (the same plugin binary's code, mapped by every
// process of it). Summed over processes it is the memory they really take.
func pssOf(pid int) (int64, error) { return procKB(pid, "smaps_rollup", "Pss") }
