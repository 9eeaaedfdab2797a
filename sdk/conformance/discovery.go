package conformance

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// DiscoveryLab is what a Lab of a driver with CAPABILITY_DISCOVERY may
// also do: change the set of devices the system behind the driver has (add
// or delete a user on the PBX). The kit finds it by type assertion; without
// it the discovery subtest checks only what the driver announces and lists.
type DiscoveryLab interface {
	// AddDevice creates a device on the system and returns the device id
	// the driver will announce for it (with Config.Connections' prefixes,
	// which the kit leaves empty).
	AddDevice(ctx context.Context) (id string, err error)
	// RemoveDevice deletes a device AddDevice created.
	RemoveDevice(ctx context.Context, id string) error
}

// maxDiscoveredChecked bounds how many discovered devices the kit reads
// the state of: a PBX may have thousands.
const maxDiscoveredChecked = 20

// testDiscovery checks a driver that declares CAPABILITY_DISCOVERY: the
// stream opened with a snapshot of discovered devices, ListDevices lists
// exactly the announced ones with configured=false and a declared model
// and capabilities, their state is readable, and devices added and removed
// on the system are announced (with a DiscoveryLab).
func (k *kit) testDiscovery(t *testing.T) {
	announced, snapshotFirst := k.announced()
	if !snapshotFirst {
		t.Error("the WatchEvents stream did not start its DevicesChanged events with one with snapshot=true; " +
			"a driver with discovery MUST announce every discovered device when a stream opens (driver.proto WatchEvents)")
	}
	resp, err := k.client.ListDevices(k.ctx(t), &ctiv1.ListDevicesRequest{})
	mustOK(t, "ListDevices", err)
	var listed []string
	for _, dev := range resp.GetDevices() {
		if dev.GetConfigured() {
			continue
		}
		listed = append(listed, dev.GetDevice())
		m := findModel(k.info, dev.GetModel())
		switch {
		case dev.GetDevice() == "":
			t.Errorf("a discovered device is listed without an id: %v", dev)
		case m == nil:
			t.Errorf("discovered device %s has model %q, which GetInfo does not declare", dev.GetDevice(), dev.GetModel())
		default:
			for _, c := range dev.GetCapabilities() {
				if !slices.Contains(m.GetCapabilities(), c) {
					t.Errorf("discovered device %s lists capability %s, which its model %s does not declare", dev.GetDevice(), sdk.CapabilityName(c), m.GetModel())
				}
			}
		}
		if slices.ContainsFunc(k.cfg.Devices, func(dc *ctiv1.DeviceConfig) bool { return dc.GetDevice() == dev.GetDevice() }) {
			t.Errorf("configured device %s is listed with configured=false", dev.GetDevice())
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, announced) {
		t.Errorf("ListDevices lists the discovered devices %v, the DevicesChanged events announced %v: the host routes only announced ones",
			listed, announced)
	}
	for _, id := range listed[:min(len(listed), maxDiscoveredChecked)] {
		st, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: id})
		if err != nil {
			t.Errorf("GetDeviceState of discovered device %s: %v", id, err)
			continue
		}
		if st.GetDevice() != id || st.GetStatus() == nil || st.GetUpdatedAt() == nil {
			t.Errorf("GetDeviceState(%s) = %v: want the device's id, a status and updated_at", id, st)
		}
	}
	lab, ok := k.cfg.Lab.(DiscoveryLab)
	if !ok {
		t.Log("the Lab is no DiscoveryLab: devices coming and going on the system are not exercised")
		return
	}
	ctx := k.ctx(t)
	id, err := lab.AddDevice(ctx)
	if err != nil {
		t.Fatalf("Lab.AddDevice: %v", err)
	}
	k.waitAnnounced(t, id, true)
	if _, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: id}); err != nil {
		t.Errorf("GetDeviceState of added device %s: %v", id, err)
	}
	if err := lab.RemoveDevice(ctx, id); err != nil {
		t.Fatalf("Lab.RemoveDevice: %v", err)
	}
	k.waitAnnounced(t, id, false)
	_, err = k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: id})
	if !ExpectCode(t, err, codes.NotFound) {
		t.Errorf("GetDeviceState of removed device %s must answer NOT_FOUND", id)
	}
}

// announced replays the run's DevicesChanged events: the discovered ids
// now announced, sorted, and whether the first of them was a snapshot.
func (k *kit) announced() (ids []string, snapshotFirst bool) {
	set := map[string]bool{}
	first := true
	for _, ev := range k.events.events("", 0) {
		dc := ev.GetDevicesChanged()
		if dc == nil {
			continue
		}
		if first {
			snapshotFirst, first = dc.GetSnapshot(), false
		}
		if dc.GetSnapshot() {
			clear(set)
		}
		for _, d := range dc.GetAdded() {
			set[d.GetDevice()] = true
		}
		for _, id := range dc.GetRemoved() {
			delete(set, id)
		}
	}
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, snapshotFirst
}

// waitAnnounced waits for a DevicesChanged that adds (or removes) id.
func (k *kit) waitAnnounced(t *testing.T, id string, added bool) {
	t.Helper()
	what := "removed"
	if added {
		what = "added"
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.EventTimeout)
	defer cancel()
	_, _, err := k.events.wait(ctx, "", 0, func(ev *ctiv1.Event) verdict {
		dc := ev.GetDevicesChanged()
		if added && slices.ContainsFunc(dc.GetAdded(), func(d *ctiv1.Device) bool { return d.GetDevice() == id }) ||
			!added && slices.Contains(dc.GetRemoved(), id) {
			return found
		}
		return skip
	})
	if err != nil {
		t.Fatalf("device %s was not announced %s within %s (DevicesChanged): %v", id, what, k.cfg.EventTimeout, err)
	}
}

// testForeignDevices checks that devices the driver does not serve (another
// site's, another tenant's: Config.ForeignDevices) answer NOT_FOUND.
func (k *kit) testForeignDevices(t *testing.T) {
	for _, id := range k.cfg.ForeignDevices {
		_, err := k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: id})
		if !ExpectCode(t, err, codes.NotFound) {
			t.Errorf("GetDeviceState of foreign device %s must answer NOT_FOUND", id)
		}
		_, err = k.client.Hangup(k.ctx(t), &ctiv1.CallRequest{Device: id, CallId: "1"})
		if !ExpectCode(t, err, codes.NotFound) {
			t.Errorf("Hangup on foreign device %s must answer NOT_FOUND", id)
		}
	}
}

// testConnections checks ListConnections against Config.Connections: one
// entry per connection, by name, and each up within the event timeout.
func (k *kit) testConnections(t *testing.T) {
	want := map[string]bool{}
	for _, c := range k.cfg.Connections {
		want[c.GetName()] = true
	}
	deadline := time.Now().Add(k.cfg.EventTimeout)
	for {
		resp, err := k.client.ListConnections(k.ctx(t), &ctiv1.ListConnectionsRequest{})
		mustOK(t, "ListConnections", err)
		got, down := map[string]bool{}, []string{}
		for _, c := range resp.GetConnections() {
			if !want[c.GetName()] {
				t.Fatalf("ListConnections lists %q, which Configure did not name", c.GetName())
			}
			got[c.GetName()] = true
			if !c.GetConnected() {
				down = append(down, fmt.Sprintf("%s (%s)", c.GetName(), c.GetDetail()))
			}
		}
		if len(got) != len(want) {
			t.Fatalf("ListConnections lists %d connections, Configure named %d", len(got), len(want))
		}
		if len(down) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still down after %s: %v", k.cfg.EventTimeout, down)
		}
		time.Sleep(pollEvery)
	}
}
