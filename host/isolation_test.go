package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/plugins/grandstream/gssim"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Isolation tests: a plugin block with isolation = "driver" runs one
// Grandstream process for every site, and apps see exactly what they see
// with one process per site.

// shareDriver rewrites the config at path so that one grandstream process
// serves every site.
func shareDriver(t *testing.T, path string) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	shared := strings.Replace(string(src), `plugin "grandstream" {`, `plugin "grandstream" {`+"\n  isolation = \"driver\"", 1)
	if shared == string(src) {
		t.Fatal("no grandstream plugin block to share")
	}
	if err := os.WriteFile(path, []byte(shared), 0o600); err != nil {
		t.Fatal(err)
	}
}

// health returns the health status of service.
func health(h *runningHost, service string) healthpb.HealthCheckResponse_ServingStatus {
	resp, err := healthpb.NewHealthClient(h.conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN
	}
	return resp.GetStatus()
}

// driverEvent matches a DriverChanged event of state at site.
func driverEvent(site string, state ctiv1.DriverState) func(*ctiv1.Event) bool {
	return func(e *ctiv1.Event) bool {
		return e.GetSite() == site && e.GetDriverChanged().GetState() == state
	}
}

// snapshot returns the events collected so far.
func (e *events) snapshot() []*ctiv1.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.all)
}

func TestOneDriverProcessServesSeveralSites(t *testing.T) {
	reception := newPhone(t, "reception", "GXP2135")
	dect := newPhone(t, "dect", "DP750")
	desk := newPhone(t, "desk1", "GXP2135")
	listen := freeAddr(t)
	// A restart backoff of 1s keeps the killed process down long enough for
	// the health checks to see it.
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {reception, dect}, "branch": {desk}},
		`restart_backoff = "1s"`, `max_restart_backoff = "1s"`)
	shareDriver(t, path)
	h := runHost(t, listen, path, 1)
	ctx := context.Background()
	all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1})
	branchOnly := watch(t, h, &ctiv1.WatchEventsRequest{Sites: []string{"branch"}, FromSequence: 1})

	resp, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	p := resp.GetPlugins()[0]
	if p.GetSite() != "" || !slices.Equal(p.GetSites(), []string{"branch", "hq"}) || p.GetDevices() != 3 || p.GetPid() == 0 {
		t.Fatalf("admin shows site %q, sites %q, %d devices, pid %d; want one shared process for branch and hq with 3 devices",
			p.GetSite(), p.GetSites(), p.GetDevices(), p.GetPid())
	}
	pid := int(p.GetPid())
	if pidOf(t, h, "hq") != pid || pidOf(t, h, "branch") != pid {
		t.Fatalf("hq and branch are not served by the same process %d", pid)
	}
	for _, site := range []string{"hq", "branch"} {
		running := all.waitEvent(t, site+" running", driverEvent(site, ctiv1.DriverState_DRIVER_STATE_RUNNING))
		if got := running.GetDriverChanged().GetPid(); got != int64(pid) {
			t.Errorf("%s was told the driver runs as pid %d, want %d", site, got, pid)
		}
	}

	t.Run("devices are listed by reference at their own site", func(t *testing.T) {
		if got, want := refs(t, h), "branch/desk1,hq/dect,hq/reception"; got != want {
			t.Errorf("devices = %s, want %s", got, want)
		}
		resp, err := h.host.ListDevices(ctx, &ctiv1.ListDevicesRequest{Sites: []string{"branch"}})
		if err != nil {
			t.Fatal(err)
		}
		if d := resp.GetDevices(); len(d) != 1 || d[0].GetDevice() != "branch/desk1" || d[0].GetSite() != "branch" ||
			d[0].GetDriver() != "grandstream" || len(d[0].GetCapabilities()) == 0 {
			t.Errorf("branch's devices = %v, want branch/desk1 alone, with its capabilities", d)
		}
	})

	t.Run("commands reach both sites and events carry each site", func(t *testing.T) {
		for _, c := range []struct {
			site  string
			phone *testPhone
		}{{"hq", reception}, {"branch", desk}} {
			ref := c.site + "/" + c.phone.name
			if _, err := c.phone.sim.RingIn("5551234", "Alice"); err != nil {
				t.Fatal(err)
			}
			ring := all.waitEvent(t, ref+" ringing", callIn(ref, ctiv1.CallState_CALL_STATE_RINGING))
			if ring.GetSite() != c.site {
				t.Errorf("%s's ringing event is stamped with site %q", ref, ring.GetSite())
			}
			call := ring.GetCallChanged().GetCall().GetCallId()
			if _, err := h.host.Answer(ctx, &ctiv1.CallRequest{Device: ref, CallId: call}); err != nil {
				t.Fatalf("answer at %s: %v", ref, err)
			}
			all.waitEvent(t, ref+" connected", callIn(ref, ctiv1.CallState_CALL_STATE_CONNECTED))
			if _, err := h.host.Hangup(ctx, &ctiv1.CallRequest{Device: ref, CallId: call}); err != nil {
				t.Fatalf("hangup at %s: %v", ref, err)
			}
			all.waitEvent(t, ref+" ended", func(e *ctiv1.Event) bool {
				return e.GetDevice() == ref && e.GetCallEnded().GetCall().GetCallId() == call
			})
			st, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: ref})
			if err != nil || st.GetDevice() != ref || !st.GetStatus().GetReachable() {
				t.Errorf("state of %s: %v %v, want it reachable and addressed to %s", ref, st, err, ref)
			}
		}
		for _, e := range all.snapshot() {
			if d := e.GetDevice(); d != "" && !strings.HasPrefix(d, e.GetSite()+"/") || strings.Count(d, "/") > 1 {
				t.Errorf("event at site %q about device %q", e.GetSite(), d)
			}
		}
	})

	t.Run("a device's refusal names the device once", func(t *testing.T) {
		desk.sim.SetFault(gssim.FaultWrongPasscode)
		defer desk.sim.SetFault(gssim.FaultNone)
		_, err := h.host.Reboot(ctx, &ctiv1.DeviceRequest{Device: "branch/desk1"})
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("reboot with a refused passcode: %v, want PermissionDenied", err)
		}
		if v := sdk.VendorDetail(err); v.GetDevice() != "branch/desk1" {
			t.Errorf("vendor detail device = %q, want branch/desk1", v.GetDevice())
		}
	})

	t.Run("a watcher of one site sees only that site", func(t *testing.T) {
		branchOnly.waitEvent(t, "branch's call", callIn("branch/desk1", ctiv1.CallState_CALL_STATE_RINGING))
		branchOnly.waitEvent(t, "branch's driver", driverEvent("branch", ctiv1.DriverState_DRIVER_STATE_RUNNING))
		for _, e := range branchOnly.snapshot() {
			if e.GetSite() != "branch" {
				t.Errorf("a watcher of branch got an event of site %q: %v", e.GetSite(), e)
			}
		}
	})

	t.Run("health reports each site", func(t *testing.T) {
		for _, site := range []string{"site/hq", "site/branch"} {
			waitFor(t, 5*time.Second, site+" serving", func() bool { return health(h, site) == healthpb.HealthCheckResponse_SERVING })
		}
	})

	t.Run("kill -9 of the shared process takes down and brings back both sites", func(t *testing.T) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for _, site := range []string{"hq", "branch"} {
			down := all.waitEvent(t, site+" down", driverEvent(site, ctiv1.DriverState_DRIVER_STATE_DOWN))
			if !strings.Contains(down.GetDriverChanged().GetReason(), "killed") {
				t.Errorf("%s's down reason %q does not say the plugin was killed", site, down.GetDriverChanged().GetReason())
			}
		}
		for _, site := range []string{"site/hq", "site/branch"} {
			waitFor(t, 5*time.Second, site+" not serving", func() bool { return health(h, site) == healthpb.HealthCheckResponse_NOT_SERVING })
		}
		// The first command waits out the restart (command grace: 2s).
		for _, ref := range []string{"hq/reception", "branch/desk1"} {
			if _, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: ref}); err != nil {
				t.Errorf("%s after the kill: %v", ref, err)
			}
		}
		for _, site := range []string{"hq", "branch"} {
			all.waitEvent(t, site+" restarted", driverEvent(site, ctiv1.DriverState_DRIVER_STATE_RESTARTED))
		}
		for _, site := range []string{"site/hq", "site/branch"} {
			waitFor(t, 5*time.Second, site+" serving again", func() bool { return health(h, site) == healthpb.HealthCheckResponse_SERVING })
		}
		if next := pidOf(t, h, "hq"); next == pid || next != pidOf(t, h, "branch") {
			t.Errorf("after the restart hq runs in %d, branch in %d; want one new process (old %d)", next, pidOf(t, h, "branch"), pid)
		}
	})

	t.Run("admin finds the shared process by any of its sites", func(t *testing.T) {
		before := pidOf(t, h, "branch")
		p, err := h.admin.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "branch", Driver: "grandstream"})
		if err != nil {
			t.Fatal(err)
		}
		if p.GetPid() == int64(before) || !slices.Equal(p.GetSites(), []string{"branch", "hq"}) {
			t.Errorf("restart by branch: pid %d (was %d), sites %q; want a new process for branch and hq", p.GetPid(), before, p.GetSites())
		}
		if _, err := h.admin.RestartPlugin(ctx, &ctiv1.RestartPluginRequest{Site: "nowhere", Driver: "grandstream"}); status.Code(err) != codes.NotFound {
			t.Errorf("restart at an unknown site: %v, want NotFound", err)
		}
		// Naming both of its sites swaps the one process once.
		swapped, err := h.admin.SwapPlugin(ctx, &ctiv1.SwapPluginRequest{Driver: "grandstream", Sites: []string{"hq", "branch"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(swapped.GetPlugins()); n != 1 || swapped.GetPlugins()[0].GetSwaps() != 1 {
			t.Errorf("swap of hq and branch swapped %d instances (%v), want the shared one once", n, swapped.GetPlugins())
		}
	})
}

// TestSIGHUPMovesSitesInAndOutOfASharedDriver reloads a shared driver's
// sites in place, then changes its isolation.
func TestSIGHUPMovesSitesInAndOutOfASharedDriver(t *testing.T) {
	a := newPhone(t, "a", "GXP2135")
	b := newPhone(t, "b", "GXP2135")
	listen := freeAddr(t)
	path := writeConfig(t, listen, map[string][]*testPhone{"hq": {a}})
	shareDriver(t, path)
	h := runHost(t, listen, path, 1)
	ev := watch(t, h, &ctiv1.WatchEventsRequest{Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DRIVER}})
	pid := pidOf(t, h, "hq")
	reloads := 0
	rewrite := func(shared bool, sites map[string][]*testPhone) {
		t.Helper()
		next := writeConfig(t, listen, sites)
		if shared {
			shareDriver(t, next)
		}
		reloadWith(t, h, path, next)
		reloads++
		waitFor(t, 20*time.Second, "the reload", func() bool { return strings.Count(h.stderr.String(), "config reloaded") == reloads })
	}
	// lastDriverEvent returns the state apps at site were told last.
	lastDriverEvent := func(site string) ctiv1.DriverState {
		all := ev.snapshot()
		for n := len(all) - 1; n >= 0; n-- {
			if all[n].GetSite() == site {
				return all[n].GetDriverChanged().GetState()
			}
		}
		return ctiv1.DriverState_DRIVER_STATE_UNSPECIFIED
	}

	// A site joins the shared process: it is reconfigured, not restarted.
	rewrite(true, map[string][]*testPhone{"hq": {a}, "branch": {b}})
	if got := refs(t, h); got != "branch/b,hq/a" {
		t.Fatalf("after adding branch the host serves %s", got)
	}
	if pidOf(t, h, "branch") != pid || pidOf(t, h, "hq") != pid {
		t.Errorf("adding a site restarted the shared process %d", pid)
	}
	if _, err := h.host.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: "branch/b"}); err != nil {
		t.Errorf("the added site's device: %v", err)
	}
	ev.waitEvent(t, "branch told the driver runs", driverEvent("branch", ctiv1.DriverState_DRIVER_STATE_RUNNING))

	// The site leaves again.
	rewrite(true, map[string][]*testPhone{"hq": {a}})
	if got := refs(t, h); got != "hq/a" || pidOf(t, h, "hq") != pid {
		t.Errorf("after removing branch the host serves %s from pid %d, want hq/a from %d", got, pidOf(t, h, "hq"), pid)
	}
	ev.waitEvent(t, "branch told the driver stopped", driverEvent("branch", ctiv1.DriverState_DRIVER_STATE_STOPPED))

	// Back to one process per site: the shared one is replaced.
	rewrite(false, map[string][]*testPhone{"hq": {a}, "branch": {b}})
	waitFor(t, 10*time.Second, "two per-site processes", func() bool {
		resp, err := h.admin.ListPlugins(context.Background(), &ctiv1.ListPluginsRequest{})
		if err != nil || len(resp.GetPlugins()) != 2 {
			return false
		}
		for _, p := range resp.GetPlugins() {
			if p.GetState() != ctiv1.DriverState_DRIVER_STATE_RUNNING || p.GetSite() == "" || p.GetPid() == int64(pid) {
				return false
			}
		}
		return true
	})
	if pidOf(t, h, "hq") == pidOf(t, h, "branch") {
		t.Errorf("hq and branch still share a process")
	}
	waitFor(t, 5*time.Second, "the shared process to exit", func() bool { return !alive(pid) })
	for _, site := range []string{"hq", "branch"} {
		if got := lastDriverEvent(site); got != ctiv1.DriverState_DRIVER_STATE_RUNNING {
			t.Errorf("the last driver event apps at %s got says %v, want running", site, got)
		}
	}
	for _, ref := range []string{"hq/a", "branch/b"} {
		if _, err := h.host.GetDeviceState(context.Background(), &ctiv1.GetDeviceStateRequest{Device: ref}); err != nil {
			t.Errorf("%s after the isolation change: %v", ref, err)
		}
	}
}
