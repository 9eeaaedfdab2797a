package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const (
	capSetDND       = ctiv1.Capability_CAPABILITY_SET_DND
	capSetForward   = ctiv1.Capability_CAPABILITY_SET_FORWARD
	capSetMute      = ctiv1.Capability_CAPABILITY_SET_MUTE
	capSpeaker      = ctiv1.Capability_CAPABILITY_SPEAKER
	capReboot       = ctiv1.Capability_CAPABILITY_REBOOT
	capFactoryReset = ctiv1.Capability_CAPABILITY_FACTORY_RESET
	capSendKeys     = ctiv1.Capability_CAPABILITY_SEND_KEYS
	capDeviceEvents = ctiv1.Capability_CAPABILITY_DEVICE_EVENTS
	capQueueMode    = ctiv1.Capability_CAPABILITY_SET_QUEUE_SERVICE_MODE
	capShowText     = ctiv1.Capability_CAPABILITY_SHOW_TEXT
	capJoinQueue    = ctiv1.Capability_CAPABILITY_JOIN_QUEUE
	capLeaveQueue   = ctiv1.Capability_CAPABILITY_LEAVE_QUEUE
	capPauseAgent   = ctiv1.Capability_CAPABILITY_PAUSE_AGENT
	capLookup       = ctiv1.Capability_CAPABILITY_LOOKUP_CONTACT
)

// testDevice runs the device-level scenarios on every device.
func (k *kit) testDevice(t *testing.T) {
	k.forEachDevice(t, func(t *testing.T, d *device) {
		d.scenario(t, "dnd switches on and off", d.requires(capSetDND), d.dnd)
		d.scenario(t, "forwarding is set and cleared", d.requires(capSetForward), d.forward)
		d.scenario(t, "mute and unmute the active call", d.requires(capSetMute), d.mute)
		d.scenario(t, "speaker takes the active call", d.requires(capSpeaker), d.speaker)
		d.scenario(t, "a harmless key is pressed", d.requires(capSendKeys), d.sendKeys)
		d.scenario(t, "factory reset needs confirm", d.requires(capFactoryReset), d.factoryResetNeedsConfirm)
		d.scenario(t, "queue service mode switches and returns", d.requires(capQueueMode), d.queueMode)
		d.scenario(t, "agent joins, pauses, unpauses and leaves a queue", d.requiresQueues(), d.agent)
		d.scenario(t, "a text shows on the display", d.requiresDisplay(), d.showText)
		d.scenario(t, "a contact is looked up by number and by name", d.requiresDirectory(), d.lookupContact)
	})
}

// DirectoryLab is what a Lab may also do for a model with LOOKUP_CONTACT:
// add an entry to the directory the device's driver reads (a PBX tenant's
// phonebook). Without it LookupContact is only called, and must answer.
type DirectoryLab interface {
	// AddContact adds an entry with a name, a company and one number to
	// the directory of device's system.
	AddContact(ctx context.Context, device, name, company, number string) error
}

// requiresDirectory says why the directory scenario cannot run, or "".
func (d *device) requiresDirectory() string {
	if why := d.requires(capLookup); why != "" {
		return why
	}
	if _, ok := d.k.cfg.Lab.(DirectoryLab); !ok {
		return "the Lab is no DirectoryLab"
	}
	return ""
}

// lookupContact adds a contact, finds it by number and by part of its
// name, finds nothing for a number nobody has, and, when the driver
// enriches calls, sees it on a call ringing from that number.
func (d *device) lookupContact(t *testing.T) {
	lab := d.k.cfg.Lab.(DirectoryLab)
	n := d.k.number()
	number, name := "4420795"+n, "Conformance Contact "+n
	mustLab(t, "AddContact", lab.AddContact(d.k.ctx(t), d.id, name, "ACME Corp", number))
	find := func(what string, req *ctiv1.LookupContactRequest) *ctiv1.Contact {
		t.Helper()
		resp, err := d.k.client.LookupContact(d.k.ctx(t), req)
		mustOK(t, "LookupContact "+what, err)
		for _, c := range resp.GetContacts() {
			if c.GetName() == name {
				if c.GetId() == "" || c.GetSource() == "" {
					t.Errorf("LookupContact %s: contact %q has no id or no source", what, name)
				}
				return c
			}
		}
		t.Fatalf("LookupContact %s: %q is not among %d contacts", what, name, len(resp.GetContacts()))
		return nil
	}
	if c := find("by number", &ctiv1.LookupContactRequest{Device: d.id, Number: number}); c.GetCompany() != "ACME Corp" {
		t.Errorf("LookupContact by number: company %q, want ACME Corp", c.GetCompany())
	}
	find("by part of the name", &ctiv1.LookupContactRequest{Device: d.id, Query: "Contact " + n})
	resp, err := d.k.client.LookupContact(d.k.ctx(t), &ctiv1.LookupContactRequest{Device: d.id, Number: "999000" + n})
	mustOK(t, "LookupContact of a number nobody has", err)
	if len(resp.GetContacts()) != 0 {
		t.Errorf("LookupContact of a number nobody has found %d contacts", len(resp.GetContacts()))
	}
	_, err = d.k.client.LookupContact(d.k.ctx(t), &ctiv1.LookupContactRequest{Device: d.id})
	ExpectCode(t, err, codes.InvalidArgument) // neither number nor query
	d.cover(t, capLookup)
	if !d.k.cfg.ContactEnrichment || !d.has(capCallEvents) {
		return
	}
	c := d.ringInFrom(t, number)
	if c.GetContact().GetName() != name {
		t.Errorf("call %s ringing from %s carries contact %q, want %q", c.GetCallId(), number, c.GetContact().GetName(), name)
	}
	m := d.mark(t)
	mustLab(t, "RemoteHangup", d.k.cfg.Lab.RemoteHangup(d.k.ctx(t), d.id))
	d.waitEnded(t, m, c.GetCallId())
}

// DisplayLab is what a Lab may also do for a model with SHOW_TEXT: read
// back what the device's display shows. Without it ShowText is only
// called, and must answer.
type DisplayLab interface {
	// Display returns what the device's display shows now, as text.
	Display(ctx context.Context, device string) (string, error)
}

// requiresDisplay says why the display scenario cannot run, or "".
func (d *device) requiresDisplay() string {
	if why := d.requires(capShowText); why != "" {
		return why
	}
	if _, ok := d.k.cfg.Lab.(DisplayLab); !ok {
		return "the Lab is no DisplayLab"
	}
	return ""
}

// showText shows a text and reads it back from the display.
func (d *device) showText(t *testing.T) {
	lab := d.k.cfg.Lab.(DisplayLab)
	const text = "Conformance: caller is ACME Corp"
	_, err := d.k.client.ShowText(d.k.ctx(t), &ctiv1.ShowTextRequest{Device: d.id, Title: "Caller", Text: text})
	mustOK(t, "ShowText", err)
	deadline := time.Now().Add(d.k.cfg.EventTimeout)
	for {
		shown, err := lab.Display(d.k.ctx(t), d.id)
		mustLab(t, "Display", err)
		if strings.Contains(shown, text) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the display shows %q, not the text sent", shown)
		}
		time.Sleep(pollEvery)
	}
	d.cover(t, capShowText)
}

// requiresQueues says why the agent scenario cannot run, or "".
func (d *device) requiresQueues() string {
	if why := d.requires(capJoinQueue, capLeaveQueue, capPauseAgent); why != "" {
		return why
	}
	if len(d.k.cfg.Queues) == 0 {
		return "Config.Queues names no queue to join"
	}
	return ""
}

// membership is the device's membership of queue, or nil.
func (d *device) membership(st *ctiv1.DeviceState, queue string) *ctiv1.QueueMembership {
	for _, m := range st.GetQueues() {
		if m.GetQueue() == queue {
			return m
		}
	}
	return nil
}

// agent joins a queue the device is not in, pauses and unpauses in it and
// leaves it, each step seen in the device's state.
func (d *device) agent(t *testing.T) {
	st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
	mustOK(t, "GetDeviceState", err)
	queue := ""
	for _, q := range d.k.cfg.Queues {
		if d.membership(st, q) == nil {
			queue = q
			break
		}
	}
	if queue == "" {
		t.Fatalf("device %s is a member of every queue of Config.Queues already; name one it is not in", d.id)
	}
	t.Cleanup(func() {
		ctx, cancel := d.k.cleanupCtx()
		defer cancel()
		_, _ = d.k.client.LeaveQueue(ctx, &ctiv1.QueueRequest{Device: d.id, Queue: queue})
	})
	req := &ctiv1.QueueRequest{Device: d.id, Queue: queue}
	for _, step := range []struct {
		name string
		call func() error
		want func(*ctiv1.QueueMembership) bool
	}{
		{"JoinQueue", func() error { _, err := d.k.client.JoinQueue(d.k.ctx(t), req); return err },
			func(m *ctiv1.QueueMembership) bool {
				return m != nil && m.GetStatus() != ctiv1.AgentStatus_AGENT_STATUS_PAUSED
			}},
		{"PauseAgent", func() error { _, err := d.k.client.PauseAgent(d.k.ctx(t), req); return err },
			func(m *ctiv1.QueueMembership) bool { return m.GetStatus() == ctiv1.AgentStatus_AGENT_STATUS_PAUSED }},
		{"UnpauseAgent", func() error { _, err := d.k.client.UnpauseAgent(d.k.ctx(t), req); return err },
			func(m *ctiv1.QueueMembership) bool {
				return m != nil && m.GetStatus() != ctiv1.AgentStatus_AGENT_STATUS_PAUSED
			}},
		{"LeaveQueue", func() error { _, err := d.k.client.LeaveQueue(d.k.ctx(t), req); return err },
			func(m *ctiv1.QueueMembership) bool {
				return m == nil || m.GetStatus() == ctiv1.AgentStatus_AGENT_STATUS_LOGGED_OUT
			}},
	} {
		mustOK(t, step.name+" "+queue, step.call())
		if d.eventually(t, "the state after "+step.name, func(st *ctiv1.DeviceState) bool { return step.want(d.membership(st, queue)) }) == nil {
			t.FailNow()
		}
		mustOK(t, step.name+" again (it is idempotent)", step.call())
	}
	d.cover(t, capJoinQueue)
	d.cover(t, capLeaveQueue)
	d.cover(t, capPauseAgent)
}

// queueMode puts a queue in night service and back, each seen in its
// state's queue_status (and a QueueStatusChanged with device events).
func (d *device) queueMode(t *testing.T) {
	st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
	mustOK(t, "GetDeviceState", err)
	if st.GetQueueStatus() == nil {
		t.Fatalf("device %s declares set_queue_service_mode but its state has no queue_status", d.id)
	}
	initial := st.GetQueueStatus().GetServiceMode()
	if initial == ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_UNSPECIFIED {
		initial = ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE
	}
	t.Cleanup(func() {
		ctx, cancel := d.k.cleanupCtx()
		defer cancel()
		_, _ = d.k.client.SetQueueServiceMode(ctx, &ctiv1.SetQueueServiceModeRequest{Device: d.id, Mode: initial})
	})
	other := ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_NIGHT_SERVICE
	if initial == other {
		other = ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_IN_SERVICE
	}
	for _, mode := range []ctiv1.QueueServiceMode{other, initial} {
		m := d.mark(t)
		_, err := d.k.client.SetQueueServiceMode(d.k.ctx(t), &ctiv1.SetQueueServiceModeRequest{Device: d.id, Mode: mode})
		mustOK(t, fmt.Sprintf("SetQueueServiceMode(%s)", mode), err)
		if d.eventually(t, fmt.Sprintf("queue_status.service_mode %s", mode), func(st *ctiv1.DeviceState) bool {
			return st.GetQueueStatus().GetServiceMode() == mode
		}) == nil {
			t.FailNow()
		}
		if d.has(capDeviceEvents) {
			d.waitQueueStatus(t, m, mode)
		}
	}
	d.cover(t, capQueueMode)
}

// testReboot reboots the devices whose model can. It runs after every
// scenario that needs a device up, as a device is unreachable for a while
// after.
func (k *kit) testReboot(t *testing.T) {
	for _, d := range k.devices {
		d.scenario(t, d.id+" reboots", d.requires(capReboot), func(t *testing.T) {
			_, err := k.client.Reboot(k.ctx(t), &ctiv1.DeviceRequest{Device: d.id})
			if ExpectCode(t, err, codes.OK) {
				d.cover(t, capReboot)
			}
		})
	}
}

func (d *device) currentDND(t *testing.T) bool {
	t.Helper()
	st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
	mustOK(t, "GetDeviceState", err)
	return st.GetStatus().GetDnd()
}

func (d *device) dnd(t *testing.T) {
	initial := d.currentDND(t)
	t.Cleanup(func() { // leave DND as found, whatever happened
		ctx, cancel := d.k.cleanupCtx()
		defer cancel()
		_, _ = d.k.client.SetDND(ctx, &ctiv1.SetDNDRequest{Device: d.id, Enabled: initial})
	})
	for _, on := range []bool{!initial, initial} { // each step is a change
		m := d.mark(t)
		_, err := d.k.client.SetDND(d.k.ctx(t), &ctiv1.SetDNDRequest{Device: d.id, Enabled: on})
		mustOK(t, fmt.Sprintf("SetDND(%v)", on), err)
		if d.eventually(t, fmt.Sprintf("GetDeviceState reports dnd=%v", on), func(st *ctiv1.DeviceState) bool {
			return st.GetStatus().Dnd != nil && st.GetStatus().GetDnd() == on
		}) == nil {
			t.FailNow()
		}
		if d.has(capDeviceEvents) {
			d.waitStatus(t, m, fmt.Sprintf("dnd=%v", on), func(s *ctiv1.DeviceStatus) bool { return s.Dnd != nil && s.GetDnd() == on })
		}
		_, err = d.k.client.SetDND(d.k.ctx(t), &ctiv1.SetDNDRequest{Device: d.id, Enabled: on})
		mustOK(t, fmt.Sprintf("SetDND(%v) again (SetDND is idempotent)", on), err)
	}
	d.cover(t, capSetDND)
}

func (d *device) forward(t *testing.T) {
	dest := d.k.number()
	always := ctiv1.ForwardMode_FORWARD_MODE_ALWAYS
	t.Cleanup(func() {
		ctx, cancel := d.k.cleanupCtx()
		defer cancel()
		_, _ = d.k.client.ClearForward(ctx, &ctiv1.ClearForwardRequest{Device: d.id, Mode: always})
	})
	resp, err := d.k.client.SetForward(d.k.ctx(t), &ctiv1.SetForwardRequest{Device: d.id, Mode: always, Destination: dest})
	mustOK(t, "SetForward(always)", err)
	reported := false
	// A pending answer promises the effect later: give it the event
	// timeout to show.
	deadline := time.Now()
	if resp.GetPending() {
		deadline = deadline.Add(d.k.cfg.EventTimeout)
	}
	for {
		st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
		mustOK(t, "GetDeviceState", err)
		for _, f := range st.GetStatus().GetForwards() {
			reported = reported || (f.GetMode() == always && f.GetDestination() == dest)
		}
		if reported || time.Now().After(deadline) {
			break
		}
		time.Sleep(pollEvery)
	}
	if !reported {
		t.Logf("GetDeviceState does not report the forward to %s (forwards are OPTIONAL in DeviceStatus)", dest)
	}
	_, err = d.k.client.ClearForward(d.k.ctx(t), &ctiv1.ClearForwardRequest{Device: d.id, Mode: always})
	mustOK(t, "ClearForward(always)", err)
	if reported {
		d.eventually(t, "GetDeviceState drops the cleared forward", func(st *ctiv1.DeviceState) bool {
			for _, f := range st.GetStatus().GetForwards() {
				if f.GetMode() == always && f.GetDestination() == dest {
					return false
				}
			}
			return true
		})
	}
	d.cover(t, capSetForward)
}

// activeCall stages a connected call when the model allows it, for commands
// that act on "the active call"; nil when it cannot.
func (d *device) activeCall(t *testing.T) *ctiv1.Call {
	t.Helper()
	if d.requiresConnected() != "" {
		t.Logf("no call staged (%s): the command must answer OK or FAILED_PRECONDITION", d.requiresConnected())
		return nil
	}
	return d.connectedCall(t)
}

func (d *device) mute(t *testing.T) {
	call := d.activeCall(t)
	_, err := d.k.client.SetMute(d.k.ctx(t), &ctiv1.SetMuteRequest{Device: d.id, Muted: true})
	if call == nil {
		if ExpectCode(t, err, codes.OK, codes.FailedPrecondition) {
			d.cover(t, capSetMute)
		}
		return
	}
	mustOK(t, "SetMute(true) during a connected call", err)
	_, err = d.k.client.SetMute(d.k.ctx(t), &ctiv1.SetMuteRequest{Device: d.id, Muted: false})
	// A model that can only mute answers UNIMPLEMENTED for unmute (driver.proto).
	ExpectCode(t, err, codes.OK, codes.Unimplemented)
	d.cover(t, capSetMute)
}

func (d *device) speaker(t *testing.T) {
	call := d.activeCall(t)
	_, err := d.k.client.EnableSpeaker(d.k.ctx(t), &ctiv1.DeviceRequest{Device: d.id})
	if call == nil {
		if ExpectCode(t, err, codes.OK, codes.FailedPrecondition) {
			d.cover(t, capSpeaker)
		}
		return
	}
	mustOK(t, "EnableSpeaker during a connected call", err)
	d.cover(t, capSpeaker)
}

func (d *device) sendKeys(t *testing.T) {
	key := harmlessKey(d.model.GetKeys())
	if key == "" {
		t.Fatalf("model %s declares send_keys but lists no keys in ModelInfo.keys: apps cannot know what to send", d.model.GetModel())
	}
	_, err := d.k.client.SendKeys(d.k.ctx(t), &ctiv1.SendKeysRequest{Device: d.id, Keys: []string{key}})
	mustOK(t, fmt.Sprintf("SendKeys(%q)", key), err)
	d.cover(t, capSendKeys)
	// The scenario's cleanup hangs up anything the key started.
}

// harmlessKey picks the key least likely to do anything lasting: a volume
// key if the model has one, else the first key listed.
func harmlessKey(keys []string) string {
	for _, want := range []string{"VUP", "VOLUME_UP", "VOL_UP", "VOLUMEUP", "VOL+", "VDOWN", "VOLUME_DOWN", "VOL_DOWN"} {
		for _, k := range keys {
			if strings.EqualFold(k, want) {
				return k
			}
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

func (d *device) factoryResetNeedsConfirm(t *testing.T) {
	// The kit never sends confirm=true.
	_, err := d.k.client.FactoryReset(d.k.ctx(t), &ctiv1.FactoryResetRequest{Device: d.id, Confirm: false})
	if ExpectCode(t, err, codes.InvalidArgument) {
		d.cover(t, capFactoryReset)
	}
}
