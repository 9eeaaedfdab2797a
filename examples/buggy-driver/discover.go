package buggy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The discovery faults play a PBX driver (see FaultDiscover): BUGGY-1
// declares CAPABILITY_DISCOVERY, and every event stream opens with a
// DevicesChanged snapshot of what was found, as driver.proto asks.

// discover finds one more device beside device and announces it.
func (d *Driver) discover(device string) string {
	d.mu.Lock()
	d.found++
	id := fmt.Sprintf("%s-found-%d", device, d.found)
	dev := d.foundDevice(id)
	d.discovered[id] = dev
	d.mu.Unlock()
	d.announce(&ctiv1.DevicesChanged{Added: []*ctiv1.Device{dev}})
	return id
}

// forget removes the devices found beside device and announces it.
func (d *Driver) forget(device string) []string {
	d.mu.Lock()
	var gone []string
	for _, id := range slices.Sorted(maps.Keys(d.discovered)) {
		if strings.HasPrefix(id, device+"-found-") {
			delete(d.discovered, id)
			gone = append(gone, id)
		}
	}
	d.mu.Unlock()
	if len(gone) > 0 {
		d.announce(&ctiv1.DevicesChanged{Removed: gone})
	}
	return gone
}

// foundDevice describes a discovered device.
func (d *Driver) foundDevice(id string) *ctiv1.Device {
	return &ctiv1.Device{Device: id, Model: Model, Name: "found " + id, Kind: ctiv1.DeviceKind_DEVICE_KIND_EXTENSION,
		Capabilities: slices.Clone(d.model.GetCapabilities())}
}

// announce sends a DevicesChanged on every open stream.
func (d *Driver) announce(dc *ctiv1.DevicesChanged) {
	for _, w := range d.openWatchers() {
		ev := &ctiv1.Event{Time: timestamppb.Now(), Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: proto.Clone(dc).(*ctiv1.DevicesChanged)}}
		_ = w.Send(ev) // a broken stream ends on its own
	}
}

// snapshot is the DevicesChanged a new stream starts with.
func (d *Driver) snapshot() *ctiv1.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	dc := &ctiv1.DevicesChanged{Snapshot: true}
	for _, id := range slices.Sorted(maps.Keys(d.discovered)) {
		dc.Added = append(dc.Added, proto.Clone(d.discovered[id]).(*ctiv1.Device))
	}
	return &ctiv1.Event{Time: timestamppb.Now(), Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: dc}}
}

// discoveredDevice returns a found device, or nil.
func (d *Driver) discoveredDevice(id string) *ctiv1.Device {
	d.mu.Lock()
	defer d.mu.Unlock()
	if dev := d.discovered[id]; dev != nil {
		return proto.Clone(dev).(*ctiv1.Device)
	}
	return nil
}

// discoveredDevices lists the found devices.
func (d *Driver) discoveredDevices() []*ctiv1.Device {
	return d.snapshot().GetDevicesChanged().GetAdded()
}
