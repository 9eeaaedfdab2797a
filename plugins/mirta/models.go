package mirta

import (
	"slices"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The models: what a MiRTA tenant holds. config.hcl writes them for a
// configured extension or queue; discovered devices get them too.
const (
	ModelExtension = "extension"
	ModelQueue     = "queue"
)

// extensionCaps are what proxyapi.php offers for one extension, whatever
// phone is registered to it. There is no answer, hold, resume, DTMF,
// mute, park or conference request in the API (the document's reqtype
// list): those happen on the phone, and the guard answers UNIMPLEMENTED
// for them. Dial is an originate that rings the extension first
// (dial_rings_device_first).
var extensionCaps = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_DIAL,
	ctiv1.Capability_CAPABILITY_DIAL_OPTIONS,
	ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP,
	ctiv1.Capability_CAPABILITY_BLIND_TRANSFER,
	ctiv1.Capability_CAPABILITY_REDIRECT,
	ctiv1.Capability_CAPABILITY_SET_DND,
	ctiv1.Capability_CAPABILITY_REBOOT,
	ctiv1.Capability_CAPABILITY_JOIN_QUEUE,
	ctiv1.Capability_CAPABILITY_LEAVE_QUEUE,
	ctiv1.Capability_CAPABILITY_PAUSE_AGENT,
	ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
	ctiv1.Capability_CAPABILITY_DISCOVERY,
}

// queueCaps: a queue's waiting callers show QUEUED on it, its agents in
// its QueueStatus; agents join and leave on their extension's device.
var queueCaps = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
	ctiv1.Capability_CAPABILITY_DISCOVERY,
}

func models() []*ctiv1.ModelInfo {
	return []*ctiv1.ModelInfo{{
		Model: ModelExtension, Family: "MiRTA PBX",
		Description: "a MiRTA extension of one tenant, whatever phone is registered to it. Dial rings the phone first " +
			"(pick up to call out); answer, hold, resume and DTMF have no proxyapi request: use the phone itself, " +
			"or a phone driver (Snom, Grandstream) for the same desk",
		Capabilities:         slices.Clone(extensionCaps),
		DialRingsDeviceFirst: true,
	}, {
		Model: ModelQueue, Family: "MiRTA PBX",
		Description:  "a MiRTA queue of one tenant: its waiting callers show QUEUED, its agents in its queue status",
		Capabilities: slices.Clone(queueCaps),
	}}
}
