package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// buildBuggy builds the buggy driver with a version and a start-up fault
// into the plugin folder, the only place the API may start binaries from.
func buildBuggy(t *testing.T, version, startFault string) string {
	t.Helper()
	out := filepath.Join(binDir, "plugins", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+version+"-"+startFault)
	t.Cleanup(func() { os.Remove(out) })
	flags := "-X github.com/ctihost/ctihost/examples/buggy-driver.Version=" + version + " -X main.startFault=" + startFault
	build := exec.Command("go", "build", "-ldflags", flags, "-o", out, "github.com/ctihost/ctihost/examples/buggy-driver/cmd/cti-driver-buggy")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	return out
}

func buggyStatus(t *testing.T, h *runningHost) *ctiv1.PluginInstance {
	t.Helper()
	resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPlugins() {
		if p.GetDriver() == "buggy" {
			return p
		}
	}
	t.Fatal("no buggy instance")
	return nil
}

func TestSwapUnderLoadFailsNoCommandAndKeepsCallIDs(t *testing.T) {
	v2 := buildBuggy(t, "2.0.0", "")
	h := startBuggyHost(t)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Sites: []string{"hq"}})
	time.Sleep(100 * time.Millisecond)

	// A call is up before the swap.
	if _, err := h.host.Dial(ctx, &ctiv1.DialRequest{Device: "hq/desk", Destination: "5551000"}); err != nil {
		t.Fatal(err)
	}
	call := ev.waitEvent(t, "the call", func(e *ctiv1.Event) bool { return e.GetCallChanged() != nil }).GetCallChanged().GetCall()

	// Several app connections issue commands throughout the swap.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		failed    atomic.Int64
		firstErr  atomic.Value
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; loadCtx.Err() == nil; n++ {
				began := time.Now()
				var err error
				if w%2 == 0 {
					_, err = h.host.GetDeviceState(loadCtx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"})
				} else {
					_, err = h.host.SetDND(loadCtx, &ctiv1.SetDNDRequest{Device: "hq/desk", Enabled: n%2 == 0})
				}
				if err != nil && loadCtx.Err() == nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				latencies = append(latencies, time.Since(began))
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	before := len(latencies)
	mu.Unlock()
	resp, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: v2})
	if err != nil {
		t.Fatalf("swap: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	stopLoad()
	wg.Wait()

	if failed.Load() != 0 {
		t.Errorf("%d commands failed during the swap; first: %v", failed.Load(), firstErr.Load())
	}
	p := resp.GetPlugins()[0]
	if p.GetVersion() != "2.0.0" || p.GetSwaps() != 1 || p.GetBinary() != v2 {
		t.Errorf("after the swap: version %s swaps %d binary %s", p.GetVersion(), p.GetSwaps(), p.GetBinary())
	}
	p99 := func(ds []time.Duration) time.Duration {
		sorted := append([]time.Duration(nil), ds...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		return sorted[len(sorted)*99/100]
	}
	mu.Lock()
	t.Logf("swap took %dms; commands: %d served, 0 failed; p99 before %s, p99 around the swap %s",
		resp.GetDurationsMs()[0], len(latencies), p99(latencies[:before]), p99(latencies[before:]))
	mu.Unlock()

	// The call kept its id: the new driver's state and a command use it.
	st, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"})
	if err != nil || len(st.GetCalls()) != 1 || st.GetCalls()[0].GetCallId() != call.GetCallId() {
		t.Fatalf("after the swap the calls are %v (err %v), want the one call %s", st.GetCalls(), err, call.GetCallId())
	}
	if _, err := h.host.Hangup(ctx, &ctiv1.CallRequest{Device: "hq/desk", CallId: call.GetCallId()}); err != nil {
		t.Fatalf("hang up the pre-swap call by its id: %v", err)
	}
	ev.waitEvent(t, "the pre-swap call ends under its id", func(e *ctiv1.Event) bool {
		return e.GetCallEnded().GetCall().GetCallId() == call.GetCallId()
	})
	ev.waitEvent(t, "swapped event", driverState(ctiv1.DriverState_DRIVER_STATE_SWAPPED))
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ends := 0
	for _, e := range ev.all {
		if e.GetCallEnded().GetCall().GetCallId() == call.GetCallId() {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("the call ended %d times for the app, want once", ends)
	}
}

func TestSwapToABinaryThatCannotStartKeepsTheOldOne(t *testing.T) {
	broken := buildBuggy(t, "2.0.0", "exit")
	h := startBuggyHost(t)
	ctx := context.Background()
	_, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: broken})
	if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "missing licence") {
		t.Errorf("swap to a broken binary: %v, want Aborted with the plugin's own reason", err)
	}
	p := buggyStatus(t, h)
	if p.GetVersion() != "1.0.0" || p.GetRollbacks() != 1 || p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING {
		t.Errorf("after the refused swap: version %s rollbacks %d state %v", p.GetVersion(), p.GetRollbacks(), p.GetState())
	}
	if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: "hq/desk"}); err != nil {
		t.Errorf("the old driver stopped serving: %v", err)
	}
	if _, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: broken, Sha256: strings.Repeat("0", 64)}); status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("swap to a binary that does not match its pin: %v", err)
	}
}

func TestSwappedBinaryThatCrashesOnProbationIsRolledBack(t *testing.T) {
	v2 := buildBuggy(t, "2.0.0", "")
	h := startBuggyHost(t)
	ctx := context.Background()
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Sites: []string{"hq"}, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})
	oldBinary := buggyStatus(t, h).GetBinary()
	if _, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "buggy", Binary: v2}); err != nil {
		t.Fatal(err)
	}
	press(ctx, h, "FAULT_EXIT")
	down := ev.waitEvent(t, "rollback", driverState(ctiv1.DriverState_DRIVER_STATE_DOWN))
	if !strings.Contains(down.GetDriverChanged().GetReason(), "rolling back") {
		t.Errorf("down reason %q does not announce the rollback", down.GetDriverChanged().GetReason())
	}
	ev.waitEvent(t, "restarted", driverState(ctiv1.DriverState_DRIVER_STATE_RESTARTED))
	p := buggyStatus(t, h)
	if p.GetBinary() != oldBinary || p.GetVersion() != "1.0.0" || p.GetRollbacks() != 1 {
		t.Errorf("after the rollback: binary %s version %s rollbacks %d, want %s 1.0.0 1", p.GetBinary(), p.GetVersion(), p.GetRollbacks(), oldBinary)
	}
}

// A reload that changes a plugin's binary and pin while its instance is
// crash-looping (so no swap can run) restarts it with the new binary: no
// later start runs the binary the new pin refuses.
func TestReloadOfAPinnedBinaryAppliesWhenTheDriverIsDown(t *testing.T) {
	v2 := buildBuggy(t, "2.0.0", "")
	content, err := os.ReadFile(v2)
	if err != nil {
		t.Fatal(err)
	}
	h := startBuggyHost(t, `crash_loop_restarts = 1`)
	ctx := context.Background()
	press(ctx, h, "FAULT_EXIT")
	waitFor(t, 10*time.Second, "the crash loop", func() bool {
		return buggyStatus(t, h).GetState() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP
	})
	src, err := os.ReadFile(h.path)
	if err != nil {
		t.Fatal(err)
	}
	pinned := strings.Replace(string(src), `plugin "buggy" {}`, fmt.Sprintf("plugin \"buggy\" {\n  path = %q\n  sha256 = \"%x\"\n}", v2, sha256.Sum256(content)), 1)
	if err := os.WriteFile(h.path, []byte(pinned), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the new binary running", func() bool {
		p := buggyStatus(t, h)
		return p.GetState() == ctiv1.DriverState_DRIVER_STATE_RUNNING && p.GetVersion() == "2.0.0"
	})
	if p := buggyStatus(t, h); p.GetBinary() != v2 || p.GetSha256() != fmt.Sprintf("%x", sha256.Sum256(content)) {
		t.Errorf("after the reload: binary %s sha256 %s, want %s pinned", p.GetBinary(), p.GetSha256(), v2)
	}
}
