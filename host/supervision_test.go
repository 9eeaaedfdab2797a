package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// pidOf returns the plugin pid serving site (a shared instance serves
// several).
func pidOf(t *testing.T, h *runningHost, site string) int {
	t.Helper()
	resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPlugins() {
		if p.GetSite() == site || slices.Contains(p.GetSites(), site) {
			return int(p.GetPid())
		}
	}
	t.Fatalf("no plugin for site %s", site)
	return 0
}

func TestKilledPluginIsRestartedAndCallsConverge(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {reception}})
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{})
	time.Sleep(100 * time.Millisecond)

	line, err := reception.sim.RingIn("5557000", "Carol")
	if err != nil {
		t.Fatal(err)
	}
	ring := ev.waitEvent(t, "ringing", callIn("hq/reception", ctiv1.CallState_CALL_STATE_RINGING))
	oldCall := ring.GetCallChanged().GetCall().GetCallId()

	pid := pidOf(t, h, "hq")
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// The caller gives up while the driver is down.
	if err := reception.sim.RemoteHangup(line); err != nil {
		t.Fatal(err)
	}
	// The first command after the kill waits out the restart (command grace)
	// and is served.
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil {
		t.Fatalf("first command after the kill: %v", err)
	}
	recovery := time.Since(killed)
	t.Logf("kill -9 to first served command: %s", recovery)

	ev.waitEvent(t, "driver restarted", func(e *ctiv1.Event) bool {
		return e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_RESTARTED
	})
	ended := ev.waitEvent(t, "the call that vanished while down is ended", func(e *ctiv1.Event) bool {
		return e.GetCallEnded().GetCall().GetCallId() == oldCall
	})
	if ended.GetCallEnded().GetReason() != ctiv1.EndReason_END_REASON_LOST {
		t.Errorf("converged end reason = %v, want LOST", ended.GetCallEnded().GetReason())
	}
	if newPid := pidOf(t, h, "hq"); newPid == pid || newPid == 0 {
		t.Errorf("pid after restart = %d, want a new process (old %d)", newPid, pid)
	}
	resp, _ := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if p := resp.GetPlugins()[0]; p.GetRestarts() != 1 || p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING {
		t.Errorf("admin shows restarts=%d state=%v, want 1 and running", p.GetRestarts(), p.GetState())
	}
}

func TestCrashLoopIsDetectedAndAnOperatorRestartRecovers(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {reception}}, `crash_loop_restarts = 3`, `restart_backoff = "20ms"`, `command_grace = "100ms"`)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})

	for i := 0; i < 3; i++ {
		waitFor(t, 10*time.Second, "the instance to run again", func() bool {
			resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
			return err == nil && resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING
		})
		if err := syscall.Kill(pidOf(t, h, "hq"), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ev.waitEvent(t, "crash loop event", func(e *ctiv1.Event) bool {
		return e.GetDriverChanged().GetState() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP
	})
	start := time.Now()
	_, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"})
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("command to a crash-looping driver: %v after %s, want Unavailable at once", err, time.Since(start))
	}
	p, err := h.admin.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "hq", Driver: "grandstream"})
	if err != nil || p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING || p.GetRecentCrashes() != 0 {
		t.Fatalf("operator restart: %v %v", p, err)
	}
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil {
		t.Errorf("after the operator restart: %v", err)
	}
}

func TestPluginsNeverOutliveAHostKilledWithSIGKILL(t *testing.T) {
	h := startHost(t, map[string][]*testPhone{
		"hq":     {newPhone(t, "reception", "GXP2135")},
		"branch": {newPhone(t, "desk1", "GXP2135")},
	})
	pids := []int{pidOf(t, h, "hq"), pidOf(t, h, "branch")}
	killed := time.Now()
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-h.done
	for _, pid := range pids {
		waitFor(t, 3*time.Second, "the orphaned plugin to exit", func() bool { return !alive(pid) })
	}
	t.Logf("plugins gone %s after the host was killed", time.Since(killed))
}

// procCounts reads what a leak would grow: open file descriptors, OS
// threads, and live child processes of pid.
func procCounts(t *testing.T, pid int) (fds, threads, children int) {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	fds = len(entries)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if n, ok := strings.CutPrefix(line, "Threads:"); ok {
			threads, _ = strconv.Atoi(strings.TrimSpace(n))
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		child, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) && fields[0] != "Z" {
			children++
		}
	}
	return fds, threads, children
}

// goroutines reads the host's go_goroutines from its metrics endpoint.
func goroutines(t *testing.T, h *runningHost, addr string) int {
	t.Helper()
	for _, line := range strings.Split(h.metricsPage(t, addr), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("no go_goroutines in the metrics")
	return 0
}

func TestNoLeaksOverManyCrashRestartCyclesUnderLoad(t *testing.T) {
	const cycles = 15
	reception := newPhone(t, "reception", "GXP2135")
	metricsAddr := freeAddr(t)
	h := startHost(t, map[string][]*testPhone{"hq": {reception}}, `crash_loop_restarts = 1000`, `restart_backoff = "10ms"`, `max_restart_backoff = "50ms"`,
		fmt.Sprintf("metrics = %q", metricsAddr))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	hostPid := h.cmd.Process.Pid
	running := func() bool {
		resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
		return err == nil && resp.GetPlugins()[0].GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING
	}
	waitFor(t, 5*time.Second, "running", running)
	time.Sleep(300 * time.Millisecond) // let the first process settle its connections
	fds0, threads0, children0 := procCounts(t, hostPid)
	goroutines0 := goroutines(t, h, metricsAddr)

	var served, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil && ctx.Err() == nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					served.Add(1)
				}
			}
		}()
	}
	last := 0
	for i := 0; i < cycles; i++ {
		var pid int
		waitFor(t, 5*time.Second, "a new process running", func() bool {
			pid = pidOf(t, h, "hq")
			return running() && pid != last && pid != 0
		})
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		last = pid
	}
	waitFor(t, 5*time.Second, "running after the last kill", running)
	stop()
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // closed connections and exited goroutines settle
	fds1, threads1, children1 := procCounts(t, hostPid)
	goroutines1 := goroutines(t, h, metricsAddr)
	t.Logf("%d kill -9 cycles under load: %d commands served, %d failed; fds %d -> %d, threads %d -> %d, goroutines %d -> %d, plugin processes %d -> %d",
		cycles, served.Load(), failed.Load(), fds0, fds1, threads0, threads1, goroutines0, goroutines1, children0, children1)
	if goroutines1 > goroutines0+10 {
		t.Errorf("goroutines %d -> %d after %d cycles: goroutines leak", goroutines0, goroutines1, cycles)
	}
	if children1 != children0 {
		t.Errorf("plugin processes %d -> %d: a process leaked", children0, children1)
	}
	if fds1 > fds0+4 {
		t.Errorf("open fds %d -> %d after %d cycles: descriptors leak", fds0, fds1, cycles)
	}
	if threads1 > threads0+8 {
		t.Errorf("threads %d -> %d after %d cycles", threads0, threads1, cycles)
	}
	if failed.Load() > 0 {
		// GetDeviceState is idempotent: the host waits out each restart
		// and retries it once, so none may fail.
		t.Errorf("%d idempotent commands failed across restarts; first: %v", failed.Load(), firstErr.Load())
	}
	if served.Load() == 0 {
		t.Errorf("no command was served during the cycles")
	}
}

func TestMetricsShowPluginsCommandsAndEventsWithoutSecrets(t *testing.T) {
	metricsAddr := freeAddr(t)
	reception := newPhone(t, "reception", "GXP2135")
	h := startHost(t, map[string][]*testPhone{"hq": {reception}}, fmt.Sprintf("metrics = %q", metricsAddr))
	ctx := context.Background()
	watch(t, h, &ctiv1.WatchEventsRequest{})
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pidOf(t, h, "hq"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/reception"}); err != nil {
		t.Fatal(err)
	}
	var body string
	waitFor(t, 5*time.Second, "metrics to show the restart", func() bool {
		body = h.metricsPage(t, metricsAddr)
		return strings.Contains(body, `ctihost_plugin_restarts_total{driver="grandstream",site="hq"} 1`)
	})
	for _, want := range []string{
		`ctihost_plugin_up{driver="grandstream",site="hq"} 1`,
		`ctihost_plugin_crash_loop{driver="grandstream",site="hq"} 0`,
		`ctihost_commands_total{code="OK",method="GetDeviceState"} 2`,
		`ctihost_command_duration_seconds_bucket{method="GetDeviceState"`,
		`ctihost_event_subscribers 1`,
		`ctihost_events_in_total`,
		`ctihost_events_out_total`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, secretPasscode) || strings.Contains(body, "passcode") {
		t.Errorf("metrics mention the passcode")
	}
}
