package conformance

import (
	"context"
	"slices"
	"testing"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const (
	capConsult  = ctiv1.Capability_CAPABILITY_CONSULT_TRANSFER
	capComplete = ctiv1.Capability_CAPABILITY_COMPLETE_TRANSFER
	capConf     = ctiv1.Capability_CAPABILITY_CONFERENCE
	capPark     = ctiv1.Capability_CAPABILITY_PARK
	capUnpark   = ctiv1.Capability_CAPABILITY_UNPARK
)

// PartyLab is what a Lab may also do for the scenarios that need a second
// far party: a consultation, a conference. The kit finds it by type
// assertion; without it those capabilities are only probed.
type PartyLab interface {
	// Party returns a number the device can call to reach a second party
	// the Lab controls. A PBX may refuse to join two outside parties
	// without an inside one (IP Office does), so for a PBX user this is
	// best another user.
	Party(ctx context.Context, device string) (number string, err error)
	// AnswerNumber makes the party at number answer the device's call
	// that rings it.
	AnswerNumber(ctx context.Context, device, number string) error
}

// testParties runs the scenarios with a second far party.
func (k *kit) testParties(t *testing.T) {
	lab, ok := k.cfg.Lab.(PartyLab)
	k.forEachDevice(t, func(t *testing.T, d *device) {
		why := func(caps ...ctiv1.Capability) string {
			if why := d.requiresConnected(caps...); why != "" {
				return why
			}
			if !ok {
				return "the Lab is no PartyLab"
			}
			return ""
		}
		d.scenario(t, "consultation call is set up and the transfer completed", why(capConsult, capComplete),
			func(t *testing.T) { d.consultAndComplete(t, lab) })
		d.scenario(t, "consultation call is joined into a conference", why(capConsult, capConf),
			func(t *testing.T) { d.conference(t, lab) })
		d.scenario(t, "connected call is parked", d.requiresConnected(capPark), d.park)
	})
}

// consult sets up a consultation from a connected call to a second party
// who answers; it returns the held call and the consultation call.
func (d *device) consult(t *testing.T, lab PartyLab) (held, consult *ctiv1.Call) {
	t.Helper()
	held = d.connectedCall(t)
	number, err := lab.Party(d.k.ctx(t), d.id)
	mustLab(t, "Party", err)
	m := d.mark(t)
	resp, err := d.k.client.ConsultTransfer(d.k.ctx(t), &ctiv1.TransferRequest{Device: d.id, CallId: held.GetCallId(), Destination: number})
	mustOK(t, "ConsultTransfer a connected call", err)
	d.cover(t, capConsult)
	d.waitCall(t, m, held.GetCallId(), "the call held for the consultation", isState(stateHeld))
	id := resp.GetConsultCallId()
	consult = d.waitNewCall(t, m, "the consultation call", func(c *ctiv1.Call) bool {
		return (id == "" || c.GetCallId() == id) && c.GetCallId() != held.GetCallId() &&
			(c.GetState() == stateDialing || c.GetState() == stateRingback || c.GetState() == stateConnected)
	})
	m = d.mark(t)
	mustLab(t, "AnswerNumber", lab.AnswerNumber(d.k.ctx(t), d.id, number))
	consult = d.waitCall(t, m, consult.GetCallId(), "the consultation call connected", isState(stateConnected))
	return held, consult
}

// consultAndComplete completes a transfer: both calls leave the device.
func (d *device) consultAndComplete(t *testing.T, lab PartyLab) {
	held, consult := d.consult(t, lab)
	m := d.mark(t)
	_, err := d.k.client.CompleteTransfer(d.k.ctx(t), &ctiv1.CallPairRequest{Device: d.id, CallId: held.GetCallId(), OtherCallId: consult.GetCallId()})
	mustOK(t, "CompleteTransfer", err)
	d.cover(t, capComplete)
	for _, c := range []*ctiv1.Call{held, consult} {
		if end := d.waitEnded(t, m, c.GetCallId()); end != nil && end.GetReason() != ctiv1.EndReason_END_REASON_TRANSFERRED {
			t.Logf("call %s ended with reason %s after CompleteTransfer; TRANSFERRED would tell apps more", c.GetCallId(), end.GetReason())
		}
	}
}

// conference joins the held call and the consultation call: afterwards the
// device has one connected call left (the conference), which it hangs up.
func (d *device) conference(t *testing.T, lab PartyLab) {
	held, consult := d.consult(t, lab)
	_, err := d.k.client.Conference(d.k.ctx(t), &ctiv1.CallPairRequest{Device: d.id, CallId: held.GetCallId(), OtherCallId: consult.GetCallId()})
	mustOK(t, "Conference", err)
	d.cover(t, capConf)
	// The conference is the one call left connected, once neither call
	// of the pair is held any more (a driver may report the change of
	// each in turn).
	st := d.eventually(t, "one connected call left, none held: the conference", func(st *ctiv1.DeviceState) bool {
		connected := 0
		for _, c := range st.GetCalls() {
			switch c.GetState() {
			case stateConnected:
				connected++
			case stateHeld:
				return false
			}
		}
		return connected == 1
	})
	if st == nil {
		t.FailNow()
	}
	i := slices.IndexFunc(st.GetCalls(), func(c *ctiv1.Call) bool { return c.GetState() == stateConnected })
	d.hangUp(t, st.GetCalls()[i])
}

// park parks a connected call: it leaves the device, and the answer names
// the slot. With UNPARK the device then takes it back and hangs it up.
func (d *device) park(t *testing.T) {
	c := d.connectedCall(t)
	m := d.mark(t)
	resp, err := d.k.client.Park(d.k.ctx(t), &ctiv1.ParkRequest{Device: d.id, CallId: c.GetCallId()})
	mustOK(t, "Park a connected call", err)
	if resp.GetSlot() == "" {
		t.Fatal("Park answered no slot")
	}
	d.cover(t, capPark)
	d.waitEnded(t, m, c.GetCallId())
	if !d.has(capUnpark) {
		return
	}
	m = d.mark(t)
	un, err := d.k.client.Unpark(d.k.ctx(t), &ctiv1.UnparkRequest{Device: d.id, Slot: resp.GetSlot()})
	mustOK(t, "Unpark the parked call", err)
	d.cover(t, capUnpark)
	back := d.waitNewCall(t, m, "the unparked call connected", func(c *ctiv1.Call) bool {
		return (un.GetCallId() == "" || c.GetCallId() == un.GetCallId()) && c.GetState() == stateConnected
	})
	d.hangUp(t, back)
}
