package supervisor

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// MaxDiscoveredDevices bounds the discovered devices one instance may
// announce. The largest IP Office network has a few thousand users and a
// hosted PBX tenant fewer; the bound only stops a broken or hostile driver
// from growing the host's memory without end. Devices beyond it are dropped
// and logged.
const MaxDiscoveredDevices = 100_000

// maxDeviceIDLength bounds a discovered device id, like the host API
// bounds references (router.go): a PBX user name or extension is short.
const maxDeviceIDLength = 256

// discover applies a driver's DevicesChanged to the instance's discovered
// set and publishes what apps did not know yet: one DevicesChanged per site,
// references rewritten, a snapshot turned into its difference. Devices of
// sites the instance does not serve, configured devices and malformed ids
// are left out (and counted as dropped events when nothing is left).
func (i *Instance) discover(ev *ctiv1.Event) {
	dc := ev.GetDevicesChanged()
	now := ev.GetTime()
	if now == nil {
		now = timestamppb.Now()
	}
	i.mu.Lock()
	if i.discovered == nil {
		i.discovered = map[string]*ctiv1.Device{}
	}
	added := map[string][]*ctiv1.Device{} // site -> devices, references set
	removed := map[string][]string{}      // site -> references
	var ended []*ctiv1.Event              // calls of removed devices the driver left open
	remove := func(id string) {
		if _, ok := i.discovered[id]; !ok {
			return
		}
		delete(i.discovered, id)
		ended = append(ended, i.endCallsLocked(id, now)...)
		delete(i.statuses, id)
		site, ref := i.Ref(id)
		removed[site] = append(removed[site], ref)
	}
	seen := map[string]bool{}
	overflow, refused := 0, 0
	for _, d := range dc.GetAdded() {
		id := d.GetDevice()
		if !i.discoverableLocked(id) || seen[id] {
			refused++
			continue
		}
		seen[id] = true
		if _, known := i.discovered[id]; !known && len(i.discovered) >= MaxDiscoveredDevices {
			overflow++
			continue
		}
		d = proto.Clone(d).(*ctiv1.Device)
		d.Configured, d.Site, d.Driver = false, "", ""
		if old := i.discovered[id]; old != nil && proto.Equal(old, d) {
			continue
		}
		i.discovered[id] = d
		site, ref := i.Ref(id)
		shown := proto.Clone(d).(*ctiv1.Device)
		shown.Device, shown.Site, shown.Driver = ref, site, i.spec.Driver
		added[site] = append(added[site], shown)
	}
	if dc.GetSnapshot() {
		for _, id := range slices.Sorted(maps.Keys(i.discovered)) {
			if !seen[id] {
				remove(id)
			}
		}
	} else {
		for _, id := range dc.GetRemoved() {
			if !seen[id] {
				remove(id)
			}
		}
	}
	i.mu.Unlock()
	if refused > 0 {
		i.dropped(ev) // counted and logged sparingly, like any malformed event
	}
	if overflow > 0 {
		i.logger.Warn("driver announced more discovered devices than the host keeps; ignoring the rest",
			"limit", MaxDiscoveredDevices, "ignored", overflow)
	}
	for _, e := range ended {
		i.publish(e)
	}
	sites := map[string]bool{}
	for s := range added {
		sites[s] = true
	}
	for s := range removed {
		sites[s] = true
	}
	if len(sites) == 0 {
		return
	}
	for _, site := range slices.Sorted(maps.Keys(sites)) {
		out := &ctiv1.DevicesChanged{Added: added[site], Removed: removed[site]}
		sort.Slice(out.Added, func(a, b int) bool { return out.Added[a].GetDevice() < out.Added[b].GetDevice() })
		sort.Strings(out.Removed)
		i.publish(&ctiv1.Event{Site: site, Time: now, Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: out}})
	}
}

// discoverableLocked reports whether a driver may announce id as a
// discovered device: a well-formed id of a site the instance serves that
// config.hcl does not configure (a configured device is never discovered,
// whatever the driver says). Callers hold mu.
func (i *Instance) discoverableLocked(id string) bool {
	if id == "" || len(id) > maxDeviceIDLength || i.devices[id] || strings.ContainsFunc(id, isControl) {
		return false
	}
	if !i.spec.Shared {
		return !strings.Contains(id, "/") // the reference would be site/a/b
	}
	site, name, ok := strings.Cut(id, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return false
	}
	_, served := slices.BinarySearch(i.sites, site)
	return served
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// endCallsLocked ends, for apps, the calls of a device that went away
// while the driver still reported them. Callers hold mu; the events are
// published by the caller after unlocking.
func (i *Instance) endCallsLocked(id string, now *timestamppb.Timestamp) []*ctiv1.Event {
	var out []*ctiv1.Event
	site, ref := i.Ref(id)
	for _, callID := range slices.Sorted(maps.Keys(i.calls[id])) {
		last := proto.Clone(i.calls[id][callID]).(*ctiv1.Call)
		last.State = ctiv1.CallState_CALL_STATE_ENDED
		last.AvailableOperations = nil
		out = append(out, &ctiv1.Event{Site: site, Device: ref, Time: now, Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
			Call: last, Reason: ctiv1.EndReason_END_REASON_LOST,
			VendorReason: "the device was removed from the system that served it",
		}}})
	}
	delete(i.calls, id)
	return out
}

// pruneDiscoveredLocked forgets discovered devices of sites the instance
// no longer serves, or that config.hcl now configures (a reload). Apps of
// a site no longer served learn it from the STOPPED DriverChanged.
func (i *Instance) pruneDiscoveredLocked() {
	for id := range i.discovered {
		if !i.discoverableLocked(id) {
			delete(i.discovered, id)
		}
	}
}

// Discovered finds a discovered device by its "site/device" reference and
// returns the id the driver knows it by and its model.
func (i *Instance) Discovered(ref string) (id, model string, ok bool) {
	id = ref
	if !i.spec.Shared {
		site, name, found := strings.Cut(ref, "/")
		if !found || site != i.spec.Site {
			return "", "", false
		}
		id = name
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	d := i.discovered[id]
	if d == nil {
		return "", "", false
	}
	return id, d.GetModel(), true
}

// DiscoveredDevices returns the discovered devices as apps see them
// (references, site and driver set), sorted by reference.
func (i *Instance) DiscoveredDevices() []*ctiv1.Device {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]*ctiv1.Device, 0, len(i.discovered))
	for id, d := range i.discovered {
		shown := proto.Clone(d).(*ctiv1.Device)
		shown.Site, shown.Device = i.Ref(id)
		shown.Driver = i.spec.Driver
		out = append(out, shown)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].GetDevice() < out[b].GetDevice() })
	return out
}

// knownLocked reports whether events about device may pass: configured or
// discovered. Callers hold mu.
func (i *Instance) knownLocked(device string) bool {
	return device == "" || i.devices[device] || i.discovered[device] != nil
}

// ConnectionStatus asks the running driver for its connections' links
// (Driver.ListConnections), names rewritten to "site/name" and texts
// redacted. It is empty while the driver is down, and for a driver that
// does not implement it.
func (i *Instance) ConnectionStatus(ctx context.Context) []*ctiv1.ConnectionStatus {
	if len(i.ConfigureRequest().GetConnections()) == 0 {
		return nil
	}
	// Short: Admin asks every instance in turn, and one that is down must
	// not hold the answer up.
	ctx, cancel := context.WithTimeout(ctx, min(i.policy.CommandTimeout, time.Second))
	defer cancel()
	conn, err := i.Client(ctx)
	if err != nil {
		return nil
	}
	defer conn.Release()
	resp, err := conn.Driver.ListConnections(ctx, &ctiv1.ListConnectionsRequest{})
	if err != nil {
		return nil
	}
	out := make([]*ctiv1.ConnectionStatus, 0, len(resp.GetConnections()))
	for _, c := range resp.GetConnections() {
		site, ref := i.Ref(c.GetName())
		if site == "" || !i.Serves(site) {
			continue // not a connection of a site this instance serves
		}
		c.Name, c.Detail, c.PeerVersion, c.Address = ref, i.reason(c.GetDetail()), Sanitize(c.GetPeerVersion()), i.reason(c.GetAddress())
		out = append(out, c)
	}
	return out
}

// Offers reports whether device (the driver's id) of model offers c: by
// its own announced capabilities if it is a discovered device that lists
// them, else by its model's in the driver's GetInfo. Before the driver
// has described itself it answers true, and the driver decides.
func (i *Instance) Offers(device, model string, c ctiv1.Capability) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if d := i.discovered[device]; d != nil && len(d.GetCapabilities()) > 0 {
		return slices.Contains(d.GetCapabilities(), c)
	}
	if i.info == nil {
		return true
	}
	for _, m := range i.info.GetModels() {
		if strings.EqualFold(m.GetModel(), model) {
			return slices.Contains(m.GetCapabilities(), c)
		}
	}
	return true
}

// Model returns the driver's description of model (from its last
// GetInfo), or nil before the driver described itself or for a model it
// does not know.
func (i *Instance) Model(model string) *ctiv1.ModelInfo {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, m := range i.info.GetModels() {
		if strings.EqualFold(m.GetModel(), model) {
			return m
		}
	}
	return nil
}
