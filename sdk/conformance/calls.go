package conformance

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"google.golang.org/grpc/status"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const (
	capDial          = ctiv1.Capability_CAPABILITY_DIAL
	capAnswer        = ctiv1.Capability_CAPABILITY_ANSWER
	capReject        = ctiv1.Capability_CAPABILITY_REJECT
	capHangup        = ctiv1.Capability_CAPABILITY_HANGUP
	capHold          = ctiv1.Capability_CAPABILITY_HOLD
	capResume        = ctiv1.Capability_CAPABILITY_RESUME
	capBlindTransfer = ctiv1.Capability_CAPABILITY_BLIND_TRANSFER
	capSendDTMF      = ctiv1.Capability_CAPABILITY_SEND_DTMF
	capRedirect      = ctiv1.Capability_CAPABILITY_REDIRECT
	capCallEvents    = ctiv1.Capability_CAPABILITY_CALL_EVENTS
	capCallData      = ctiv1.Capability_CAPABILITY_SET_CALL_DATA
	capDialOptions   = ctiv1.Capability_CAPABILITY_DIAL_OPTIONS
	// dialTag is the tag the kit dials with where the model offers options.
	dialTag           = "conformance-dial"
	capRecording      = ctiv1.Capability_CAPABILITY_SET_RECORDING
	stateRinging      = ctiv1.CallState_CALL_STATE_RINGING
	stateDialing      = ctiv1.CallState_CALL_STATE_DIALING
	stateRingback     = ctiv1.CallState_CALL_STATE_RINGBACK
	stateConnected    = ctiv1.CallState_CALL_STATE_CONNECTED
	stateHeld         = ctiv1.CallState_CALL_STATE_HELD
	directionInbound  = ctiv1.CallDirection_CALL_DIRECTION_INBOUND
	directionOutbound = ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
)

// testCalls runs the call scenarios on every device.
func (k *kit) testCalls(t *testing.T) {
	k.forEachDevice(t, func(t *testing.T, d *device) {
		d.scenario(t, "inbound call is answered, held, resumed and hung up", d.requires(capAnswer), d.inboundAnswered)
		d.scenario(t, "caller gives up on a ringing call", d.requires(capCallEvents), d.callerGivesUp)
		d.scenario(t, "a new event stream starts with the current calls", d.requires(capCallEvents), d.newStreamSeesCalls)
		d.scenario(t, "inbound call is rejected", d.requires(capReject), d.inboundRejected)
		d.scenario(t, "Hangup of a ringing call declines it as Reject", d.requires(capReject, capHangup), d.ringingHungUp)
		d.scenario(t, "far end hangs up a connected call", d.requiresConnected(), d.farEndHangsUp)
		d.scenario(t, "outbound call is answered by the far end and hung up", d.requires(capDial), d.outbound)
		d.scenario(t, "blind transfer hands the call over", d.requiresConnected(capBlindTransfer), d.blindTransfer)
		d.scenario(t, "redirect deflects a ringing call", d.requires(capRedirect), d.redirect)
		d.scenario(t, "a connected call is tagged", d.requiresConnected(capCallData), d.tagCall)
		d.scenario(t, "a connected call's recording starts, pauses, resumes and stops", d.requiresConnected(capRecording), d.record)
	})
}

// tagCall tags a connected call, sees the tag in its snapshot, and clears it.
func (d *device) tagCall(t *testing.T) {
	c := d.connectedCall(t)
	for _, tag := range []string{"conformance-tag", ""} {
		m := d.mark(t)
		_, err := d.k.client.SetCallData(d.k.ctx(t), &ctiv1.SetCallDataRequest{Device: d.id, CallId: c.GetCallId(), Tag: &tag})
		mustOK(t, fmt.Sprintf("SetCallData(tag %q)", tag), err)
		d.waitCall(t, m, c.GetCallId(), fmt.Sprintf("tag %q", tag), func(c *ctiv1.Call) bool { return c.GetTag() == tag })
	}
	d.cover(t, capCallData)
	d.hangUp(t, c)
}

// record takes a connected call's recording through its states, each seen
// in the call's snapshot, STOP and START twice (they are idempotent).
func (d *device) record(t *testing.T) {
	c := d.connectedCall(t)
	recording := func(want ...ctiv1.RecordingState) func(*ctiv1.Call) bool {
		return func(c *ctiv1.Call) bool { return slices.Contains(want, c.GetRecording()) }
	}
	stopped := []ctiv1.RecordingState{ctiv1.RecordingState_RECORDING_STATE_OFF, ctiv1.RecordingState_RECORDING_STATE_UNSPECIFIED}
	for _, step := range []struct {
		action ctiv1.RecordingAction
		want   []ctiv1.RecordingState
	}{
		{ctiv1.RecordingAction_RECORDING_ACTION_START, []ctiv1.RecordingState{ctiv1.RecordingState_RECORDING_STATE_ON}},
		{ctiv1.RecordingAction_RECORDING_ACTION_PAUSE, []ctiv1.RecordingState{ctiv1.RecordingState_RECORDING_STATE_PAUSED}},
		{ctiv1.RecordingAction_RECORDING_ACTION_RESUME, []ctiv1.RecordingState{ctiv1.RecordingState_RECORDING_STATE_ON}},
		{ctiv1.RecordingAction_RECORDING_ACTION_STOP, stopped},
	} {
		m := d.mark(t)
		req := &ctiv1.SetRecordingRequest{Device: d.id, CallId: c.GetCallId(), Action: step.action}
		_, err := d.k.client.SetRecording(d.k.ctx(t), req)
		if pausing := step.action == ctiv1.RecordingAction_RECORDING_ACTION_PAUSE || step.action == ctiv1.RecordingAction_RECORDING_ACTION_RESUME; pausing && status.Code(err) == codes.FailedPrecondition {
			// A call may be recorded without a pause control (IP Office
			// offers it per call); the driver says which feature lacks.
			t.Logf("SetRecording %s: %v", step.action, err)
			continue
		}
		mustOK(t, "SetRecording "+step.action.String(), err)
		d.waitCall(t, m, c.GetCallId(), "recording "+step.want[0].String(), recording(step.want...))
		if step.action == ctiv1.RecordingAction_RECORDING_ACTION_STOP {
			_, err := d.k.client.SetRecording(d.k.ctx(t), req)
			mustOK(t, "SetRecording STOP again (it is idempotent)", err)
		}
	}
	d.cover(t, capRecording)
	d.hangUp(t, c)
}

func (d *device) inboundAnswered(t *testing.T) {
	c := d.answer(t, d.ringIn(t))
	d.eventually(t, "GetDeviceState shows the answered call connected", func(st *ctiv1.DeviceState) bool {
		return findCall(st, c.GetCallId()).GetState() == stateConnected
	})
	d.exerciseConnected(t, c)
	d.hangUp(t, c)
}

func (d *device) callerGivesUp(t *testing.T) {
	c := d.ringIn(t)
	m := d.mark(t)
	mustLab(t, "RemoteHangup", d.k.cfg.Lab.RemoteHangup(d.k.ctx(t), d.id))
	d.waitEnded(t, m, c.GetCallId())
}

// newStreamSeesCalls opens a second WatchEvents stream while a call rings:
// the driver MUST report every call it knows with a CallChanged when a
// stream opens.
func (d *device) newStreamSeesCalls(t *testing.T) {
	c := d.ringIn(t)
	ctx, cancel := context.WithTimeout(t.Context(), d.k.cfg.EventTimeout)
	defer cancel()
	stream, err := d.k.client.WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
	mustOK(t, "WatchEvents", err)
	for {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatalf("a new WatchEvents stream did not report ringing call %s within %s: %v", c.GetCallId(), d.k.cfg.EventTimeout, err)
		}
		if ev.GetDevice() == d.id && ev.GetCallChanged().GetCall().GetCallId() == c.GetCallId() {
			return
		}
	}
}

func (d *device) inboundRejected(t *testing.T) {
	c := d.ringIn(t)
	m := d.mark(t)
	_, err := d.k.client.Reject(d.k.ctx(t), d.callReq(c))
	mustOK(t, "Reject a ringing call", err)
	d.cover(t, capReject)
	d.waitEnded(t, m, c.GetCallId())
}

// ringingHungUp: a model with REJECT MUST decline a ringing call on Hangup
// (driver.proto), since that is what a user who hangs up means.
func (d *device) ringingHungUp(t *testing.T) {
	c := d.ringIn(t)
	m := d.mark(t)
	_, err := d.k.client.Hangup(d.k.ctx(t), d.callReq(c))
	mustOK(t, "Hangup a ringing call (a model with REJECT declines it)", err)
	d.waitEnded(t, m, c.GetCallId())
}

func (d *device) farEndHangsUp(t *testing.T) {
	c := d.connectedCall(t)
	m := d.mark(t)
	mustLab(t, "RemoteHangup", d.k.cfg.Lab.RemoteHangup(d.k.ctx(t), d.id))
	if end := d.waitEnded(t, m, c.GetCallId()); end.GetEndedBy() == ctiv1.EndedBy_ENDED_BY_LOCAL {
		t.Errorf("call %s ended by the far end is reported ended_by LOCAL", c.GetCallId())
	}
}

func (d *device) outbound(t *testing.T) {
	c := d.dial(t)
	if d.has(capDialOptions) {
		// The kit's dial tagged the call: the tag is on it from the start.
		d.waitCall(t, mark{}, c.GetCallId(), "tag "+dialTag, func(c *ctiv1.Call) bool { return c.GetTag() == dialTag })
		d.cover(t, capDialOptions)
	}
	c = d.remoteAnswer(t, c)
	if !d.has(capAnswer) { // else the inbound scenario did these
		d.exerciseConnected(t, c)
	}
	d.hangUp(t, c)
}

func (d *device) blindTransfer(t *testing.T) {
	c := d.connectedCall(t)
	m := d.mark(t)
	_, err := d.k.client.BlindTransfer(d.k.ctx(t), &ctiv1.TransferRequest{Device: d.id, CallId: c.GetCallId(), Destination: d.k.number()})
	mustOK(t, "BlindTransfer a connected call", err)
	d.cover(t, capBlindTransfer)
	if end := d.waitEnded(t, m, c.GetCallId()); end != nil && end.GetReason() != ctiv1.EndReason_END_REASON_TRANSFERRED {
		t.Logf("transferred call %s ended with reason %s; TRANSFERRED would tell apps more", c.GetCallId(), end.GetReason())
	}
}

func (d *device) redirect(t *testing.T) {
	c := d.ringIn(t)
	m := d.mark(t)
	_, err := d.k.client.Redirect(d.k.ctx(t), &ctiv1.TransferRequest{Device: d.id, CallId: c.GetCallId(), Destination: d.k.number()})
	mustOK(t, "Redirect a ringing call", err)
	d.cover(t, capRedirect)
	d.waitEnded(t, m, c.GetCallId())
}

// requires returns why the model cannot take part in a scenario that needs
// caps, or "" if it can.
func (d *device) requires(caps ...ctiv1.Capability) string {
	var missing []ctiv1.Capability
	for _, c := range caps {
		if !d.has(c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "model " + d.model.GetModel() + " does not declare " + capNames(missing)
}

// requiresConnected is requires plus a way to stage a connected call.
func (d *device) requiresConnected(caps ...ctiv1.Capability) string {
	if why := d.requires(caps...); why != "" {
		return why
	}
	if !d.has(capAnswer) && !d.has(capDial) {
		return "model " + d.model.GetModel() + " declares neither answer nor dial, so the kit cannot stage a connected call"
	}
	return ""
}

// ringIn has the Lab ring the device and waits for the new ringing call.
func (d *device) ringIn(t *testing.T) *ctiv1.Call {
	t.Helper()
	return d.ringInFrom(t, d.k.number())
}

// ringInFrom rings the device from a given number and waits for it.
func (d *device) ringInFrom(t *testing.T, from string) *ctiv1.Call {
	t.Helper()
	m := d.mark(t)
	mustLab(t, "RingIn", d.k.cfg.Lab.RingIn(d.k.ctx(t), d.id, from))
	c := d.waitNewCall(t, m, "state ringing", func(c *ctiv1.Call) bool { return c.GetState() == stateRinging })
	if c.GetDirection() == directionOutbound {
		t.Errorf("inbound call %s has direction OUTBOUND", c.GetCallId())
	}
	if n := c.GetRemote().GetNumber(); n != "" && n != from {
		t.Errorf("inbound call %s from %s reports remote number %q", c.GetCallId(), from, n)
	}
	return c
}

// answer answers a ringing call and waits until it is connected.
func (d *device) answer(t *testing.T, c *ctiv1.Call) *ctiv1.Call {
	t.Helper()
	m := d.mark(t)
	_, err := d.k.client.Answer(d.k.ctx(t), d.callReq(c))
	mustOK(t, "Answer a ringing call", err)
	d.cover(t, capAnswer)
	return d.waitCall(t, m, c.GetCallId(), "state connected", isState(stateConnected))
}

// HandsetLab is what a Lab must also do for a model whose Dial rings the
// device first (ModelInfo.dial_rings_device_first, a PBX's click-to-dial):
// pick up the ringing handset so that the PBX calls the destination.
type HandsetLab interface {
	// OffHook picks up the device's ringing handset.
	OffHook(ctx context.Context, device string) error
}

// dial places an outbound call and waits for it to show (picking up the
// handset first where the system rings the device first).
func (d *device) dial(t *testing.T) *ctiv1.Call {
	t.Helper()
	dest := d.k.number()
	m := d.mark(t)
	req := &ctiv1.DialRequest{Device: d.id, Destination: dest}
	if d.has(capDialOptions) {
		req.Tag = dialTag
	}
	resp, err := d.k.client.Dial(d.k.ctx(t), req)
	mustOK(t, "Dial", err)
	d.cover(t, capDial)
	id := resp.GetCallId()
	first := d.model.GetDialRingsDeviceFirst()
	what := "an outbound call dialing or ringing back"
	if first {
		what = "an outbound call ringing the device first, dialing or ringing back"
	}
	c := d.waitNewCall(t, m, what, func(c *ctiv1.Call) bool {
		if id != "" && c.GetCallId() != id {
			return false
		}
		outbound := c.GetDirection() == directionOutbound || (id != "" && c.GetDirection() != directionInbound)
		return outbound && (c.GetState() == stateDialing || c.GetState() == stateRingback ||
			(first && c.GetState() == stateRinging))
	})
	if c.GetState() == stateRinging {
		lab, ok := d.k.cfg.Lab.(HandsetLab)
		if !ok {
			t.Fatalf("model %s's Dial rings the device first (dial_rings_device_first): the Lab must be a HandsetLab to pick up", d.model.GetModel())
		}
		m = d.mark(t)
		mustLab(t, "OffHook", lab.OffHook(d.k.ctx(t), d.id))
		c = d.waitCall(t, m, c.GetCallId(), "dialing or ringing back once picked up", func(c *ctiv1.Call) bool {
			return c.GetState() == stateDialing || c.GetState() == stateRingback
		})
	}
	if n := c.GetRemote().GetNumber(); n != "" && n != dest {
		t.Errorf("outbound call %s to %s reports remote number %q", c.GetCallId(), dest, n)
	}
	return c
}

// remoteAnswer has the far end answer an outbound call and waits until it
// is connected.
func (d *device) remoteAnswer(t *testing.T, c *ctiv1.Call) *ctiv1.Call {
	t.Helper()
	m := d.mark(t)
	mustLab(t, "RemoteAnswer", d.k.cfg.Lab.RemoteAnswer(d.k.ctx(t), d.id))
	return d.waitCall(t, m, c.GetCallId(), "state connected", isState(stateConnected))
}

// connectedCall stages a connected call: inbound if the model can answer,
// else outbound.
func (d *device) connectedCall(t *testing.T) *ctiv1.Call {
	t.Helper()
	if d.has(capAnswer) {
		return d.answer(t, d.ringIn(t))
	}
	return d.remoteAnswer(t, d.dial(t))
}

// exerciseConnected holds, resumes and sends DTMF into a connected call, as
// far as the model declares them.
func (d *device) exerciseConnected(t *testing.T, c *ctiv1.Call) {
	t.Helper()
	connected := true
	if d.has(capHold) {
		m := d.mark(t)
		_, err := d.k.client.Hold(d.k.ctx(t), d.callReq(c))
		mustOK(t, "Hold a connected call", err)
		d.waitCall(t, m, c.GetCallId(), "state held", isState(stateHeld))
		_, err = d.k.client.Hold(d.k.ctx(t), d.callReq(c))
		mustOK(t, "Hold a held call (Hold is idempotent)", err)
		d.cover(t, capHold)
		connected = false
	}
	if d.has(capHold, capResume) {
		m := d.mark(t)
		_, err := d.k.client.Resume(d.k.ctx(t), d.callReq(c))
		mustOK(t, "Resume a held call", err)
		d.waitCall(t, m, c.GetCallId(), "state connected", isState(stateConnected))
		_, err = d.k.client.Resume(d.k.ctx(t), d.callReq(c))
		mustOK(t, "Resume a connected call (Resume is idempotent)", err)
		d.cover(t, capResume)
		connected = true
	}
	if d.has(capSendDTMF) && connected {
		_, err := d.k.client.SendDTMF(d.k.ctx(t), &ctiv1.SendDTMFRequest{Device: d.id, CallId: c.GetCallId(), Digits: "123#"})
		mustOK(t, "SendDTMF into a connected call", err)
		d.cover(t, capSendDTMF)
	}
}

// hangUp ends a call from the device (Hangup) or, if the model cannot,
// from the far end, and waits for the end.
func (d *device) hangUp(t *testing.T, c *ctiv1.Call) {
	t.Helper()
	m := d.mark(t)
	if !d.has(capHangup) {
		mustLab(t, "RemoteHangup", d.k.cfg.Lab.RemoteHangup(d.k.ctx(t), d.id))
		d.waitEnded(t, m, c.GetCallId())
		return
	}
	_, err := d.k.client.Hangup(d.k.ctx(t), d.callReq(c))
	mustOK(t, "Hangup", err)
	d.cover(t, capHangup)
	if end := d.waitEnded(t, m, c.GetCallId()); end.GetEndedBy() == ctiv1.EndedBy_ENDED_BY_REMOTE {
		t.Errorf("call %s hung up by the device is reported ended_by REMOTE", c.GetCallId())
	}
}

func (d *device) callReq(c *ctiv1.Call) *ctiv1.CallRequest {
	return &ctiv1.CallRequest{Device: d.id, CallId: c.GetCallId()}
}

func isState(s ctiv1.CallState) func(*ctiv1.Call) bool {
	return func(c *ctiv1.Call) bool { return c.GetState() == s }
}
