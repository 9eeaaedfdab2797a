package bus

import (
	"slices"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Filter selects events for a subscriber. A nil *Filter or an empty field
// matches everything.
type Filter struct {
	Sites   map[string]bool
	Devices map[string]bool // "site/device" references
	Kinds   map[ctiv1.EventKind]bool
}

// NewFilter builds a filter from a WatchEvents request.
func NewFilter(req *ctiv1.WatchEventsRequest) *Filter {
	f := &Filter{}
	for _, s := range req.GetSites() {
		f.Sites = set(f.Sites, s)
	}
	for _, d := range req.GetDevices() {
		f.Devices = set(f.Devices, d)
	}
	for _, k := range req.GetKinds() {
		if f.Kinds == nil {
			f.Kinds = map[ctiv1.EventKind]bool{}
		}
		f.Kinds[k] = true
	}
	return f
}

func set(m map[string]bool, k string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[k] = true
	return m
}

// Match reports whether ev passes. Gap events always pass. Events about a
// whole plugin instance (no device) pass a device filter when their site is
// the site of one of the devices, since a driver going down concerns them.
func (f *Filter) Match(ev *ctiv1.Event) bool {
	if f == nil || ev.GetGap() != nil {
		return true
	}
	if len(f.Kinds) > 0 && !f.Kinds[KindOf(ev)] {
		return false
	}
	if len(f.Sites) > 0 && !f.Sites[ev.GetSite()] {
		return false
	}
	if len(f.Devices) > 0 {
		if dc := ev.GetDevicesChanged(); dc != nil {
			// Only news about the devices watched: a user deleted on the
			// PBX, or one watched before it was (re)announced.
			return slices.ContainsFunc(dc.GetAdded(), func(d *ctiv1.Device) bool { return f.Devices[d.GetDevice()] }) ||
				slices.ContainsFunc(dc.GetRemoved(), func(ref string) bool { return f.Devices[ref] })
		}
		if ev.GetDevice() != "" {
			return f.Devices[ev.GetDevice()]
		}
		for d := range f.Devices {
			if len(d) > len(ev.GetSite()) && d[:len(ev.GetSite())+1] == ev.GetSite()+"/" {
				return true
			}
		}
		return false
	}
	return true
}

// KindOf returns the kind of ev for filtering.
func KindOf(ev *ctiv1.Event) ctiv1.EventKind {
	switch ev.GetPayload().(type) {
	case *ctiv1.Event_CallChanged, *ctiv1.Event_CallEnded, *ctiv1.Event_CallScreened:
		return ctiv1.EventKind_EVENT_KIND_CALL
	case *ctiv1.Event_DeviceChanged:
		return ctiv1.EventKind_EVENT_KIND_DEVICE
	case *ctiv1.Event_QueueChanged, *ctiv1.Event_QueueStatusChanged:
		return ctiv1.EventKind_EVENT_KIND_QUEUE
	case *ctiv1.Event_DriverChanged:
		return ctiv1.EventKind_EVENT_KIND_DRIVER
	case *ctiv1.Event_DevicesChanged:
		return ctiv1.EventKind_EVENT_KIND_DEVICES
	}
	return ctiv1.EventKind_EVENT_KIND_UNSPECIFIED
}
