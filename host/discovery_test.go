package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Discovery tests: devices a driver discovers (a PBX's users and queues)
// are routed, listed, filtered and announced like configured ones, come
// and go at run time, and survive neither a hostile announcement nor a
// driver restart that forgot them. The buggy driver plays the PBX driver:
// FAULT_DISCOVER finds "desk-found-N", FAULT_FORGET loses them.

// devicesChanged matches a DevicesChanged at hq that adds or removes ref.
func devicesChanged(ref string, added bool) func(*ctiv1.Event) bool {
	return func(e *ctiv1.Event) bool {
		dc := e.GetDevicesChanged()
		if dc == nil || e.GetSite() != "hq" {
			return false
		}
		if added {
			return slices.ContainsFunc(dc.GetAdded(), func(d *ctiv1.Device) bool { return d.GetDevice() == ref })
		}
		return slices.Contains(dc.GetRemoved(), ref)
	}
}

func TestDiscoveredDevicesAreFirstClass(t *testing.T) {
	for _, mode := range []struct{ name, plugin string }{
		{"one process per site", ""},
		{"one process for every site", `isolation = "driver"`},
	} {
		t.Run(mode.name, func(t *testing.T) {
			h := startBuggyHostWith(t, mode.plugin)
			ctx := context.Background()
			all := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1})
			kinds := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_DEVICES}})

			if err := press(ctx, h, "FAULT_DISCOVER"); err != nil {
				t.Fatal(err)
			}
			found := "hq/desk-found-1"
			ev := all.waitEvent(t, "found-1 announced", devicesChanged(found, true))
			d := ev.GetDevicesChanged().GetAdded()[0]
			if ev.GetDevice() != "" || d.GetConfigured() || d.GetSite() != "hq" || d.GetDriver() != "buggy" || d.GetModel() != "BUGGY-1" ||
				d.GetKind() != ctiv1.DeviceKind_DEVICE_KIND_EXTENSION || len(d.GetCapabilities()) == 0 {
				t.Errorf("announced %v", ev)
			}
			kinds.waitEvent(t, "found-1 through a kinds filter", devicesChanged(found, true))

			list, err := h.host.ListDevices(ctx, &ctiv1.ListDevicesRequest{Sites: []string{"hq"}})
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, d := range list.GetDevices() {
				refs = append(refs, d.GetDevice())
				if d.GetDevice() == found && (d.GetConfigured() || d.GetDriver() != "buggy") {
					t.Errorf("listed %v", d)
				}
			}
			if !slices.Equal(refs, []string{"hq/desk", found}) {
				t.Errorf("ListDevices(hq) = %v, want hq/desk and %s", refs, found)
			}
			st, err := h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: found})
			if err != nil || st.GetDevice() != found || !st.GetStatus().GetReachable() {
				t.Errorf("GetDeviceState(%s) = %v, %v", found, st, err)
			}
			one := watch(t, h, &ctiv1.WatchEventsRequest{FromSequence: 1, Devices: []string{found}})
			plugins, err := h.admin.ListPlugins(ctx, &ctiv1.ListPluginsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range plugins.GetPlugins() {
				if want := map[string]uint32{"buggy": 1}[p.GetDriver()]; p.GetDiscoveredDevices() != want {
					t.Errorf("plugin %s reports %d discovered devices, want %d", p.GetDriver(), p.GetDiscoveredDevices(), want)
				}
			}

			// Announcements the host must refuse: another site's id, a
			// path, an empty id, a control character, 300 characters,
			// and the configured device itself. None reaches apps.
			if err := press(ctx, h, "FAULT_DISCOVER_HOSTILE"); err != nil {
				t.Fatal(err)
			}
			if err := press(ctx, h, "FAULT_DISCOVER"); err != nil {
				t.Fatal(err)
			}
			second := "hq/desk-found-2"
			all.waitEvent(t, "found-2 announced", devicesChanged(second, true))
			for _, e := range all.snapshot() {
				for _, d := range e.GetDevicesChanged().GetAdded() {
					if d.GetDevice() != found && d.GetDevice() != second {
						t.Errorf("a hostile announcement reached apps: %v", d)
					}
				}
			}

			if err := press(ctx, h, "FAULT_FORGET"); err != nil {
				t.Fatal(err)
			}
			all.waitEvent(t, "found-1 removed", devicesChanged(found, false))
			one.waitEvent(t, "found-1 removed, on a stream watching it alone", devicesChanged(found, false))
			_, err = h.host.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: second})
			if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "neither configured nor discovered") {
				t.Errorf("GetDeviceState of a removed device = %v, want NOT_FOUND", err)
			}

			// A driver that restarts without the device it had found: the
			// host learns it from the new process's snapshot and tells apps.
			if err := press(ctx, h, "FAULT_DISCOVER"); err != nil {
				t.Fatal(err)
			}
			third := "hq/desk-found-3"
			all.waitEvent(t, "found-3 announced", devicesChanged(third, true))
			ctxExit, cancel := context.WithTimeout(ctx, 2*time.Second)
			_ = press(ctxExit, h, "FAULT_EXIT") // never answers
			cancel()
			all.waitEvent(t, "found-3 removed after the restart", devicesChanged(third, false))
			all.waitEvent(t, "the driver back", driverState(ctiv1.DriverState_DRIVER_STATE_RESTARTED))
		})
	}
}
