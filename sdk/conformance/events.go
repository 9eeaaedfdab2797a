package conformance

import (
	"fmt"
	"sort"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// testEvents checks the whole run's event stream, per device.
func (k *kit) testEvents(t *testing.T) {
	if ended, err := k.events.streamEnd(); ended {
		t.Errorf("the WatchEvents stream ended during the run (%s); it MUST stay open until the caller cancels", errString(err))
	}
	k.forEachDevice(t, func(t *testing.T, d *device) {
		// The last scenario waited on GetDeviceState; give the stream
		// the event timeout to deliver the matching CallEnded events.
		deadline := time.Now().Add(k.cfg.EventTimeout)
		for len(openCalls(k.events.events(d.id, 0))) > 0 && time.Now().Before(deadline) {
			time.Sleep(pollEvery)
		}
		for _, p := range checkEvents(k.events.events(d.id, 0), d.model.GetCapabilities(), true) {
			t.Errorf("device %s: %s", d.id, p)
		}
	})
}

// checkEvents checks one device's events, in order of arrival: every event
// has a time and a payload; each call goes CallChanged... then exactly one
// CallEnded, and nothing after; snapshots carry the states their kind
// allows; available operations are capabilities the model declares. With
// allEnded, a call without its CallEnded is a problem too.
func checkEvents(events []*ctiv1.Event, declared []ctiv1.Capability, allEnded bool) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	caps := map[ctiv1.Capability]bool{}
	for _, c := range declared {
		caps[c] = true
	}
	changed, ended, badOps := map[string]bool{}, map[string]bool{}, map[ctiv1.Capability]bool{}
	for i, ev := range events {
		if ev.GetTime() == nil {
			report("event %d (%s) has no time", i, describeEvent(ev))
		}
		switch p := ev.GetPayload().(type) {
		case *ctiv1.Event_CallChanged:
			c := p.CallChanged.GetCall()
			id := c.GetCallId()
			switch {
			case id == "":
				report("event %d: CallChanged without a call id", i)
				continue
			case ended[id]:
				report("event %d: CallChanged for call %s after its CallEnded", i, id)
			}
			if s := c.GetState(); s == ctiv1.CallState_CALL_STATE_ENDED || s == ctiv1.CallState_CALL_STATE_FAILED {
				report("event %d: CallChanged for call %s with state %s, which only CallEnded may carry", i, id, stateName(s))
			}
			for _, op := range c.GetAvailableOperations() {
				if !caps[op] && !badOps[op] {
					badOps[op] = true
					report("event %d: call %s offers operation %s, which the model does not declare", i, id, sdk.CapabilityName(op))
				}
			}
			changed[id] = true
		case *ctiv1.Event_CallEnded:
			id := p.CallEnded.GetCall().GetCallId()
			switch {
			case id == "":
				report("event %d: CallEnded without a call id", i)
				continue
			case ended[id]:
				report("event %d: a second CallEnded for call %s", i, id)
			case !changed[id]:
				report("event %d: CallEnded for call %s, which had no CallChanged", i, id)
			}
			if s := p.CallEnded.GetCall().GetState(); s != ctiv1.CallState_CALL_STATE_ENDED && s != ctiv1.CallState_CALL_STATE_FAILED {
				report("event %d: CallEnded for call %s with state %s, want ended or failed", i, id, stateName(s))
			}
			ended[id] = true
		case *ctiv1.Event_DeviceChanged:
			if p.DeviceChanged.GetStatus() == nil {
				report("event %d: DeviceChanged without a status", i)
			}
		case *ctiv1.Event_DriverChanged, *ctiv1.Event_Gap, *ctiv1.Event_CallScreened:
			// The host makes these; from a driver it drops them.
			report("event %d: a driver sent the host-only payload %T", i, p)
		case nil:
			report("event %d has no payload", i)
		}
	}
	if allEnded {
		for _, id := range openCalls(events) {
			report("call %s never got its CallEnded, though the device has no calls left", id)
		}
	}
	return problems
}

// openCalls lists the calls that have a CallChanged but no CallEnded.
func openCalls(events []*ctiv1.Event) []string {
	open := map[string]bool{}
	for _, ev := range events {
		if id := ev.GetCallChanged().GetCall().GetCallId(); id != "" {
			open[id] = true
		}
		if id := ev.GetCallEnded().GetCall().GetCallId(); id != "" {
			open[id] = false
		}
	}
	var ids []string
	for id, isOpen := range open {
		if isOpen {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}
