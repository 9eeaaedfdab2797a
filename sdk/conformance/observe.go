package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// pollEvery is how often the kit re-reads GetDeviceState while it waits.
const pollEvery = 50 * time.Millisecond

// mark is a point in a device's history that a scenario waits from.
type mark struct {
	ev    int             // position in the device's event log
	known map[string]bool // call ids known before the mark
}

// mark notes the device's event position and the calls known so far, so
// that a call appearing later can be told apart as new.
func (d *device) mark(t *testing.T) mark {
	m := mark{ev: d.k.events.len(d.id), known: map[string]bool{}}
	for _, ev := range d.k.events.events(d.id, 0)[:m.ev] {
		if c := ev.GetCallChanged().GetCall(); c != nil {
			m.known[c.GetCallId()] = true
		}
	}
	if st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id}); err == nil {
		for _, c := range st.GetCalls() {
			m.known[c.GetCallId()] = true
		}
	}
	return m
}

// viaEvents reports whether the kit follows the device's calls on the event
// stream (its model declares CALL_EVENTS) rather than by polling
// GetDeviceState.
func (d *device) viaEvents() bool { return d.has(ctiv1.Capability_CAPABILITY_CALL_EVENTS) }

// waitNewCall waits for a call unknown at m that satisfies want, and tracks
// it for cleanup.
func (d *device) waitNewCall(t *testing.T, m mark, what string, want func(*ctiv1.Call) bool) *ctiv1.Call {
	t.Helper()
	c := d.waitCall(t, m, "", what, func(c *ctiv1.Call) bool { return !m.known[c.GetCallId()] && want(c) })
	d.k.calls.add(d.id, c.GetCallId())
	return c
}

// waitCall waits until the call id (any call if id is empty) satisfies
// want. It fails the test when the time is up or the call ends first.
func (d *device) waitCall(t *testing.T, m mark, id, what string, want func(*ctiv1.Call) bool) *ctiv1.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d.k.cfg.EventTimeout)
	defer cancel()
	subject := "a call"
	if id != "" {
		subject = "call " + id
	}
	if d.viaEvents() {
		ev, v, err := d.k.events.wait(ctx, d.id, m.ev, func(ev *ctiv1.Event) verdict {
			if c := ev.GetCallChanged().GetCall(); c != nil && (id == "" || c.GetCallId() == id) && want(c) {
				return found
			}
			if e := ev.GetCallEnded(); e != nil && id != "" && e.GetCall().GetCallId() == id {
				return abort
			}
			return skip
		})
		switch {
		case err != nil:
			t.Fatalf("device %s: no CallChanged for %s with %s within %s (%v); events since: %s", d.id, subject, what, d.k.cfg.EventTimeout, err, d.describe(m))
		case v == abort:
			t.Fatalf("device %s: %s ended (%s) while the kit waited for %s", d.id, subject, ev.GetCallEnded().GetReason(), what)
		}
		d.cover(t, ctiv1.Capability_CAPABILITY_CALL_EVENTS)
		return ev.GetCallChanged().GetCall()
	}
	for {
		st, err := d.k.client.GetDeviceState(ctx, &ctiv1.GetDeviceStateRequest{Device: d.id})
		present := false
		for _, c := range st.GetCalls() {
			if id == "" || c.GetCallId() == id {
				present = true
				if want(c) {
					return c
				}
			}
		}
		if err == nil && id != "" && !present {
			t.Fatalf("device %s: %s left GetDeviceState while the kit waited for %s", d.id, subject, what)
		}
		if ctx.Err() != nil {
			t.Fatalf("device %s: GetDeviceState showed no %s with %s within %s; last calls %v, error %v", d.id, subject, what, d.k.cfg.EventTimeout, st.GetCalls(), err)
		}
		time.Sleep(pollEvery)
	}
}

// waitEnded waits until call id has ended and returns its CallEnded (nil
// when the kit follows calls by polling).
func (d *device) waitEnded(t *testing.T, m mark, id string) *ctiv1.CallEnded {
	t.Helper()
	defer d.k.calls.ended(d.id, id)
	if d.viaEvents() {
		ctx, cancel := context.WithTimeout(t.Context(), d.k.cfg.EventTimeout)
		defer cancel()
		ev, _, err := d.k.events.wait(ctx, d.id, m.ev, func(ev *ctiv1.Event) verdict {
			if ev.GetCallEnded().GetCall().GetCallId() == id {
				return found
			}
			return skip
		})
		if err != nil {
			t.Fatalf("device %s: no CallEnded for call %s within %s (%v); events since: %s", d.id, id, d.k.cfg.EventTimeout, err, d.describe(m))
		}
		d.cover(t, ctiv1.Capability_CAPABILITY_CALL_EVENTS)
		d.eventually(t, fmt.Sprintf("GetDeviceState no longer lists ended call %s", id), func(st *ctiv1.DeviceState) bool {
			return findCall(st, id) == nil
		})
		return ev.GetCallEnded()
	}
	d.eventually(t, fmt.Sprintf("call %s ends", id), func(st *ctiv1.DeviceState) bool { return findCall(st, id) == nil })
	return nil
}

// waitStatus waits for a DeviceChanged whose status satisfies want. Only
// for models that declare DEVICE_EVENTS.
func (d *device) waitStatus(t *testing.T, m mark, what string, want func(*ctiv1.DeviceStatus) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d.k.cfg.EventTimeout)
	defer cancel()
	_, _, err := d.k.events.wait(ctx, d.id, m.ev, func(ev *ctiv1.Event) verdict {
		if s := ev.GetDeviceChanged().GetStatus(); s != nil && want(s) {
			return found
		}
		return skip
	})
	if err != nil {
		t.Errorf("device %s: no DeviceChanged with %s within %s (%v); events since: %s", d.id, what, d.k.cfg.EventTimeout, err, d.describe(m))
		return
	}
	d.cover(t, ctiv1.Capability_CAPABILITY_DEVICE_EVENTS)
}

// eventually polls GetDeviceState until cond holds, and reports through
// t.Errorf (returning nil) if it does not within the event timeout.
// waitQueueStatus waits for a QueueStatusChanged with mode after m.
func (d *device) waitQueueStatus(t *testing.T, m mark, mode ctiv1.QueueServiceMode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d.k.cfg.EventTimeout)
	defer cancel()
	_, _, err := d.k.events.wait(ctx, d.id, m.ev, func(ev *ctiv1.Event) verdict {
		if ev.GetQueueStatusChanged().GetStatus().GetServiceMode() == mode {
			return found
		}
		return skip
	})
	if err != nil {
		t.Errorf("no QueueStatusChanged with service mode %s on %s within %s: %v", mode, d.id, d.k.cfg.EventTimeout, err)
	}
}

func (d *device) eventually(t *testing.T, what string, cond func(*ctiv1.DeviceState) bool) *ctiv1.DeviceState {
	t.Helper()
	deadline := time.Now().Add(d.k.cfg.EventTimeout)
	for {
		st, err := d.k.client.GetDeviceState(d.k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: d.id})
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Errorf("device %s: %s did not happen within %s; last state %v, error %v", d.id, what, d.k.cfg.EventTimeout, st, err)
			return nil
		}
		time.Sleep(pollEvery)
	}
}

// waitReachable waits until GetDeviceState reports the device reachable
// (up) or not, failing the test if it does not.
func (d *device) waitReachable(t *testing.T, up bool) {
	t.Helper()
	if d.eventually(t, fmt.Sprintf("reachable=%v", up), func(st *ctiv1.DeviceState) bool {
		return st.GetStatus().GetReachable() == up
	}) == nil {
		t.FailNow()
	}
}

func findCall(st *ctiv1.DeviceState, id string) *ctiv1.Call {
	for _, c := range st.GetCalls() {
		if c.GetCallId() == id {
			return c
		}
	}
	return nil
}

// describe summarises the device's events since m, for failure messages.
func (d *device) describe(m mark) string {
	var parts []string
	for _, ev := range d.k.events.events(d.id, m.ev) {
		parts = append(parts, describeEvent(ev))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func describeEvent(ev *ctiv1.Event) string {
	switch p := ev.GetPayload().(type) {
	case *ctiv1.Event_CallChanged:
		c := p.CallChanged.GetCall()
		return fmt.Sprintf("CallChanged %s %s %s", c.GetCallId(), stateName(c.GetState()), strings.ToLower(strings.TrimPrefix(c.GetDirection().String(), "CALL_DIRECTION_")))
	case *ctiv1.Event_CallEnded:
		return fmt.Sprintf("CallEnded %s %s", p.CallEnded.GetCall().GetCallId(), p.CallEnded.GetReason())
	case *ctiv1.Event_DeviceChanged:
		s := p.DeviceChanged.GetStatus()
		dnd := "unknown"
		if s.Dnd != nil {
			dnd = fmt.Sprint(s.GetDnd())
		}
		return fmt.Sprintf("DeviceChanged reachable=%v dnd=%s", s.GetReachable(), dnd)
	}
	return fmt.Sprintf("%T", ev.GetPayload())
}

func stateName(s ctiv1.CallState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CALL_STATE_"))
}
