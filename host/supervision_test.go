package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// pidOf returns the plugin pid serving site.
func pidOf(t *testing.T, h *runningHost, site string) int {
	t.Helper()
	resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetPlugins() {
		if p.GetSite() == site {
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
