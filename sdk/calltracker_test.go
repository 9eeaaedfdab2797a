package sdk

import (
	"testing"
	"time"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

const (
	idle      = ctiv1.CallState_CALL_STATE_IDLE
	ringing   = ctiv1.CallState_CALL_STATE_RINGING
	dialing   = ctiv1.CallState_CALL_STATE_DIALING
	ringback  = ctiv1.CallState_CALL_STATE_RINGBACK
	connected = ctiv1.CallState_CALL_STATE_CONNECTED
	held      = ctiv1.CallState_CALL_STATE_HELD
)

func line(n int, state ctiv1.CallState, remote string) LineSnapshot {
	l := LineSnapshot{Line: n, State: state, VendorState: state.String()}
	if remote != "" {
		l.Remote = &ctiv1.Party{Number: remote}
	}
	return l
}

// polls feeds snapshots to a tracker, one poll each, and returns every event.
func polls(tr *CallTracker, snapshots ...[]LineSnapshot) []*ctiv1.Event {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var events []*ctiv1.Event
	for _, s := range snapshots {
		now = now.Add(time.Second)
		events = append(events, tr.Update(now, s)...)
	}
	return events
}

func changed(t *testing.T, ev *ctiv1.Event) *ctiv1.Call {
	t.Helper()
	c := ev.GetCallChanged().GetCall()
	if c == nil {
		t.Fatalf("want CallChanged, got %v", ev)
	}
	return c
}

func ended(t *testing.T, ev *ctiv1.Event) *ctiv1.CallEnded {
	t.Helper()
	e := ev.GetCallEnded()
	if e == nil {
		t.Fatalf("want CallEnded, got %v", ev)
	}
	return e
}

func TestCallTrackerInboundCallLifecycle(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	events := polls(tr,
		[]LineSnapshot{line(1, ringing, "200")},
		[]LineSnapshot{line(1, connected, "200")},
		[]LineSnapshot{line(1, held, "200")},
		[]LineSnapshot{line(1, idle, "")},
	)
	if len(events) != 4 {
		t.Fatalf("got %d events, want 3 CallChanged and 1 CallEnded: %v", len(events), events)
	}
	first := changed(t, events[0])
	if first.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND || first.GetRemote().GetNumber() != "200" || first.GetLine() != 1 {
		t.Errorf("first snapshot %v", first)
	}
	for i, want := range []ctiv1.CallState{ringing, connected, held} {
		c := changed(t, events[i])
		if c.GetCallId() != first.GetCallId() || c.GetState() != want {
			t.Errorf("event %d: call %q state %v, want %q %v", i, c.GetCallId(), c.GetState(), first.GetCallId(), want)
		}
		if events[i].GetDevice() != "desk" || events[i].GetTime() == nil {
			t.Errorf("event %d: device %q time %v", i, events[i].GetDevice(), events[i].GetTime())
		}
	}
	if changed(t, events[1]).GetConnectedAt() == nil {
		t.Error("connected call has no connected_at")
	}
	end := ended(t, events[3])
	if end.GetCall().GetCallId() != first.GetCallId() || end.GetReason() != ctiv1.EndReason_END_REASON_NORMAL ||
		end.GetCall().GetState() != ctiv1.CallState_CALL_STATE_ENDED || end.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_UNSPECIFIED {
		t.Errorf("end %v", end)
	}
	if len(tr.Calls()) != 0 {
		t.Errorf("calls left: %v", tr.Calls())
	}
}

func TestCallTrackerUnansweredOutboundCallEndsNoAnswer(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	events := polls(tr,
		[]LineSnapshot{line(1, dialing, "")},
		[]LineSnapshot{line(1, ringback, "300")},
		[]LineSnapshot{line(1, idle, "")},
	)
	if len(events) != 3 {
		t.Fatalf("got %d events: %v", len(events), events)
	}
	if d := changed(t, events[0]).GetDirection(); d != ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND {
		t.Errorf("direction %v", d)
	}
	if got := changed(t, events[1]).GetRemote().GetNumber(); got != "300" {
		t.Errorf("remote %q, want the number that appeared while dialling", got)
	}
	if r := ended(t, events[2]).GetReason(); r != ctiv1.EndReason_END_REASON_NO_ANSWER {
		t.Errorf("reason %v, want NO_ANSWER", r)
	}
}

func TestCallTrackerNewRemoteOnABusyLineIsANewCall(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	events := polls(tr,
		[]LineSnapshot{line(1, connected, "200")},
		[]LineSnapshot{line(1, connected, "201")}, // the idle moment fell between polls
	)
	if len(events) != 3 {
		t.Fatalf("got %d events: %v", len(events), events)
	}
	old, end, fresh := changed(t, events[0]), ended(t, events[1]), changed(t, events[2])
	if end.GetCall().GetCallId() != old.GetCallId() || fresh.GetCallId() == old.GetCallId() || fresh.GetRemote().GetNumber() != "201" {
		t.Errorf("old %v, end %v, new %v", old, end, fresh)
	}
}

func TestCallTrackerMarkLocalEnd(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	id := changed(t, polls(tr, []LineSnapshot{line(1, connected, "200")})[0]).GetCallId()
	tr.MarkLocalEnd(id)
	tr.MarkLocalEnd("9-9") // unknown: ignored
	end := ended(t, polls(tr, []LineSnapshot{line(1, idle, "")})[0])
	if end.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_LOCAL {
		t.Errorf("ended_by %v, want LOCAL", end.GetEndedBy())
	}
	// The mark belongs to that call only.
	polls(tr, []LineSnapshot{line(1, connected, "200")})
	if end := ended(t, polls(tr, []LineSnapshot{line(1, idle, "")})[0]); end.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_UNSPECIFIED {
		t.Errorf("next call ended_by %v", end.GetEndedBy())
	}
}

func TestCallTrackerEndAll(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	polls(tr, []LineSnapshot{line(2, held, "201"), line(1, connected, "200")})
	events := tr.EndAll(time.Now(), ctiv1.EndReason_END_REASON_LOST)
	if len(events) != 2 {
		t.Fatalf("got %d events", len(events))
	}
	for i, ev := range events {
		e := ended(t, ev)
		if e.GetReason() != ctiv1.EndReason_END_REASON_LOST || e.GetCall().GetLine() != int32(i+1) {
			t.Errorf("event %d: %v", i, e)
		}
	}
	if len(tr.Calls()) != 0 || len(tr.EndAll(time.Now(), ctiv1.EndReason_END_REASON_LOST)) != 0 {
		t.Error("EndAll left calls behind")
	}
}

func TestCallTrackerStaysQuiet(t *testing.T) {
	tests := []struct {
		name      string
		snapshots [][]LineSnapshot
		want      int
	}{
		{"idle lines", [][]LineSnapshot{{line(1, idle, ""), line(2, idle, "")}, {line(1, idle, "")}}, 0},
		{"vendor idle word with an unmapped state", [][]LineSnapshot{{{Line: 1, VendorState: "IDLE"}}}, 0},
		{"repeated identical snapshots", [][]LineSnapshot{{line(1, connected, "200")}, {line(1, connected, "200")}, {line(1, connected, "200")}}, 1},
		{"a snapshot that no longer reports the remote", [][]LineSnapshot{{line(1, connected, "200")}, {line(1, connected, "")}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := polls(NewCallTracker("desk", nil), tt.snapshots...); len(got) != tt.want {
				t.Fatalf("got %d events, want %d: %v", len(got), tt.want, got)
			}
		})
	}
}

func TestCallTrackerLineLeavingTheReportEndsItsCall(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	events := polls(tr, []LineSnapshot{line(1, connected, "200"), line(2, ringing, "201")}, []LineSnapshot{line(1, connected, "200")})
	if len(events) != 3 || ended(t, events[2]).GetCall().GetLine() != 2 {
		t.Fatalf("events %v", events)
	}
}

func TestCallTrackerOperationsAndLookup(t *testing.T) {
	ops := func(s ctiv1.CallState) []ctiv1.Capability {
		if s == ringing {
			return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_ANSWER}
		}
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}
	}
	tr := NewCallTracker("desk", ops)
	events := polls(tr, []LineSnapshot{line(1, ringing, "200")})
	c := changed(t, events[0])
	if len(c.GetAvailableOperations()) != 1 || c.GetAvailableOperations()[0] != ctiv1.Capability_CAPABILITY_ANSWER {
		t.Errorf("ops %v", c.GetAvailableOperations())
	}
	if got := tr.Call(c.GetCallId()); got.GetState() != ringing {
		t.Errorf("Call(%q) = %v", c.GetCallId(), got)
	}
	if tr.Call("nope") != nil {
		t.Error("Call of an unknown id is not nil")
	}
	end := ended(t, polls(tr, []LineSnapshot{line(1, idle, "")})[0])
	if len(end.GetCall().GetAvailableOperations()) != 0 {
		t.Errorf("ended call offers %v", end.GetCall().GetAvailableOperations())
	}
}

// A call that first shows connected right after a dial is the dial's
// call: OUTBOUND, and its id is known; an inbound ringing call in the
// window is not taken, nor is a call after the window.
func TestExpectDialClaimsTheNextCallOnItsLine(t *testing.T) {
	tr := NewCallTracker("desk", nil)
	now := time.Now()
	connected := func(line int, number string) LineSnapshot {
		return LineSnapshot{Line: line, State: ctiv1.CallState_CALL_STATE_CONNECTED, VendorState: "connected", Remote: &ctiv1.Party{Number: number}}
	}
	d := tr.ExpectDial(0, now.Add(5*time.Second))
	tr.Update(now, []LineSnapshot{{Line: 2, State: ctiv1.CallState_CALL_STATE_RINGING, VendorState: "ringing", Remote: &ctiv1.Party{Number: "555"}}})
	if got := tr.DialedCall(d); got != "" {
		t.Fatalf("an inbound ringing call was taken for the dial: %q", got)
	}
	tr.Update(now.Add(time.Second), []LineSnapshot{{Line: 2, State: ctiv1.CallState_CALL_STATE_RINGING, VendorState: "ringing", Remote: &ctiv1.Party{Number: "555"}}, connected(1, "100")})
	id := tr.DialedCall(d)
	if c := tr.Call(id); id == "" || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND || c.GetLine() != 1 {
		t.Fatalf("dialed call %q = %v, want the outbound call on line 1", id, c)
	}

	late := tr.ExpectDial(3, now.Add(2*time.Second))
	tr.Update(now.Add(3*time.Second), []LineSnapshot{connected(3, "200")})
	if got := tr.DialedCall(late); got != "" {
		t.Errorf("a call after the window was taken: %q", got)
	}
	failed := tr.ExpectDial(4, now.Add(time.Hour))
	tr.ForgetDial(failed)
	tr.Update(now.Add(4*time.Second), []LineSnapshot{connected(3, "200"), connected(4, "300")})
	if got := tr.DialedCall(failed); got != "" {
		t.Errorf("a forgotten dial took a call: %q", got)
	}
}
