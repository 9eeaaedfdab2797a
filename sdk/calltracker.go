package sdk

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// LineSnapshot is what a polled phone says about one line at one moment.
type LineSnapshot struct {
	// Line is the 1-based line number.
	Line int
	// State is the vendor state mapped onto the unified model. IDLE (or
	// UNSPECIFIED with VendorState "idle") means no call on the line.
	State ctiv1.CallState
	// VendorState is the phone's own word, kept in Call.vendor_state.
	VendorState string
	// Remote is the far end, as far as the phone reports it.
	Remote *ctiv1.Party
	// Account is the line's account or identity, for Call.local.
	Account string
}

// OpsFunc says which operations are possible on a call in a given state, for
// Call.available_operations.
type OpsFunc func(state ctiv1.CallState) []ctiv1.Capability

// CallTracker turns successive line snapshots of one device into call
// events. It assigns call ids ("<line>-<n>") that stay stable while a line
// keeps its call, and treats a change of remote number on a busy line as one
// call ending and another starting (a poll can miss the idle moment in
// between). Safe for concurrent use.
type CallTracker struct {
	device string
	ops    OpsFunc

	mu        sync.Mutex
	next      int
	calls     map[int]*ctiv1.Call // by line
	localEnds map[string]bool     // call ids the device itself was told to end
	dials     []*Dial             // dials the device was just told to make, oldest first
}

// Dial is an outbound call a device was just told to make; see
// CallTracker.ExpectDial.
type Dial struct {
	line   int // 0: any line
	until  time.Time
	callID string // the call that appeared for it, once one did
}

// NewCallTracker returns a tracker for device. ops may be nil.
func NewCallTracker(device string, ops OpsFunc) *CallTracker {
	return &CallTracker{device: device, ops: ops, calls: map[int]*ctiv1.Call{}, localEnds: map[string]bool{}}
}

// Update applies one poll's snapshots (all lines of the device) taken at now
// and returns the events to publish, in line order.
func (t *CallTracker) Update(now time.Time, lines []LineSnapshot) []*ctiv1.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	sorted := append([]LineSnapshot(nil), lines...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Line < sorted[j].Line })
	seen := map[int]bool{}
	var events []*ctiv1.Event
	for _, l := range sorted {
		seen[l.Line] = true
		events = append(events, t.updateLine(now, l)...)
	}
	for _, line := range t.lineNumbers() {
		if !seen[line] { // a line that disappeared from the report has no call
			events = append(events, t.end(now, line, ctiv1.EndReason_END_REASON_UNSPECIFIED))
		}
	}
	return events
}

func (t *CallTracker) updateLine(now time.Time, l LineSnapshot) []*ctiv1.Event {
	cur := t.calls[l.Line]
	if isIdle(l) {
		if cur == nil {
			return nil
		}
		return []*ctiv1.Event{t.end(now, l.Line, endReason(cur.GetState()))}
	}
	var events []*ctiv1.Event
	if cur != nil && remoteChanged(cur.GetRemote(), l.Remote) {
		events = append(events, t.end(now, l.Line, ctiv1.EndReason_END_REASON_UNSPECIFIED))
		cur = nil
	}
	if cur == nil {
		t.next++
		cur = &ctiv1.Call{
			CallId:    fmt.Sprintf("%d-%d", l.Line, t.next),
			Line:      int32(l.Line),
			Direction: directionOf(l.State),
			StartedAt: timestamppb.New(now),
		}
		if cur.Direction != ctiv1.CallDirection_CALL_DIRECTION_INBOUND {
			if d := t.claimDial(now, l.Line); d != nil {
				cur.Direction, d.callID = ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND, cur.CallId
			}
		}
		t.calls[l.Line] = cur
	} else if cur.GetState() == l.State && cur.GetVendorState() == l.VendorState &&
		(l.Remote == nil || proto.Equal(cur.GetRemote(), l.Remote)) {
		// Nothing changed. A snapshot without a remote keeps the one known
		// before, so it is no change either.
		return events
	}
	cur.State = l.State
	cur.VendorState = l.VendorState
	if l.Remote != nil {
		cur.Remote = l.Remote
	}
	if l.Account != "" {
		cur.Local = &ctiv1.Party{Number: l.Account}
	}
	if l.State == ctiv1.CallState_CALL_STATE_CONNECTED && cur.ConnectedAt == nil {
		cur.ConnectedAt = timestamppb.New(now)
	}
	if t.ops != nil {
		cur.AvailableOperations = t.ops(l.State)
	}
	return append(events, t.event(now, &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: proto.Clone(cur).(*ctiv1.Call)}}))
}

// ExpectDial records that the device is about to be told to dial, from line
// (0: the device picks the line), and returns the dial, to read its call
// with DialedCall. The first call that then appears on that line (any line
// for 0) before until, and that is not ringing inbound, is that dial's
// call: it is OUTBOUND even when the device's first report already shows
// it connected, which a fast network allows and a state alone cannot tell.
// Call it before sending the dial, so that no poll can see the call first.
func (t *CallTracker) ExpectDial(line int, until time.Time) *Dial {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := &Dial{line: line, until: until}
	t.dials = append(t.dials, d)
	return d
}

// DialedCall returns the id of the call that appeared for d, or "" while
// none has.
func (t *CallTracker) DialedCall(d *Dial) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return d.callID
}

// ForgetDial drops d, whose dial failed, so that no later call is taken
// for it.
func (t *CallTracker) ForgetDial(d *Dial) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dials = slices.DeleteFunc(t.dials, func(x *Dial) bool { return x == d })
}

// claimDial returns the oldest pending dial a new call on line at now
// belongs to, removing it and the expired ones. t.mu is held.
func (t *CallTracker) claimDial(now time.Time, line int) *Dial {
	t.dials = slices.DeleteFunc(t.dials, func(d *Dial) bool { return now.After(d.until) })
	for i, d := range t.dials {
		if d.line == 0 || d.line == line {
			t.dials = slices.Delete(t.dials, i, i+1)
			return d
		}
	}
	return nil
}

// MarkLocalEnd records that the device was told to end callID, so that its
// end is reported as ENDED_BY_LOCAL.
func (t *CallTracker) MarkLocalEnd(callID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.calls {
		if c.GetCallId() == callID { // marks of unknown calls would never be cleared
			t.localEnds[callID] = true
		}
	}
}

// EndAll ends every tracked call with reason, e.g. END_REASON_LOST when the
// device stopped answering, and returns the events.
func (t *CallTracker) EndAll(now time.Time, reason ctiv1.EndReason) []*ctiv1.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var events []*ctiv1.Event
	for _, line := range t.lineNumbers() {
		events = append(events, t.end(now, line, reason))
	}
	return events
}

// Calls returns copies of the current calls in line order.
func (t *CallTracker) Calls() []*ctiv1.Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*ctiv1.Call
	for _, line := range t.lineNumbers() {
		out = append(out, proto.Clone(t.calls[line]).(*ctiv1.Call))
	}
	return out
}

// Call returns a copy of the call with callID, or nil.
func (t *CallTracker) Call(callID string) *ctiv1.Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.calls {
		if c.GetCallId() == callID {
			return proto.Clone(c).(*ctiv1.Call)
		}
	}
	return nil
}

func (t *CallTracker) end(now time.Time, line int, reason ctiv1.EndReason) *ctiv1.Event {
	c := t.calls[line]
	delete(t.calls, line)
	endedBy := ctiv1.EndedBy_ENDED_BY_UNSPECIFIED
	if t.localEnds[c.GetCallId()] {
		endedBy = ctiv1.EndedBy_ENDED_BY_LOCAL
		delete(t.localEnds, c.GetCallId())
	}
	last := proto.Clone(c).(*ctiv1.Call)
	last.State = ctiv1.CallState_CALL_STATE_ENDED
	if c.GetConnectedAt() == nil && c.GetDirection() == ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND && reason == ctiv1.EndReason_END_REASON_UNSPECIFIED {
		reason = ctiv1.EndReason_END_REASON_NO_ANSWER
	}
	last.AvailableOperations = nil
	return t.event(now, &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{Call: last, Reason: reason, EndedBy: endedBy}})
}

func (t *CallTracker) event(now time.Time, payload any) *ctiv1.Event {
	ev := &ctiv1.Event{Device: t.device, Time: timestamppb.New(now)}
	switch p := payload.(type) {
	case *ctiv1.Event_CallChanged:
		ev.Payload = p
	case *ctiv1.Event_CallEnded:
		ev.Payload = p
	}
	return ev
}

func (t *CallTracker) lineNumbers() []int {
	lines := make([]int, 0, len(t.calls))
	for line := range t.calls {
		lines = append(lines, line)
	}
	sort.Ints(lines)
	return lines
}

// isIdle reports a line without a call: state IDLE, or UNSPECIFIED with
// the vendor word "idle".
func isIdle(l LineSnapshot) bool {
	return l.State == ctiv1.CallState_CALL_STATE_IDLE ||
		(l.State == ctiv1.CallState_CALL_STATE_UNSPECIFIED && strings.EqualFold(l.VendorState, "idle"))
}

func endReason(last ctiv1.CallState) ctiv1.EndReason {
	switch last {
	case ctiv1.CallState_CALL_STATE_CONNECTED, ctiv1.CallState_CALL_STATE_HELD, ctiv1.CallState_CALL_STATE_HELD_BY_REMOTE:
		return ctiv1.EndReason_END_REASON_NORMAL
	}
	return ctiv1.EndReason_END_REASON_UNSPECIFIED
}

func directionOf(first ctiv1.CallState) ctiv1.CallDirection {
	switch first {
	case ctiv1.CallState_CALL_STATE_RINGING:
		return ctiv1.CallDirection_CALL_DIRECTION_INBOUND
	case ctiv1.CallState_CALL_STATE_DIALING, ctiv1.CallState_CALL_STATE_RINGBACK:
		return ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND
	}
	return ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED
}

// remoteChanged reports a different, known far end: both numbers set and
// unequal. A number appearing where none was (dialling) is not a change.
func remoteChanged(old, now *ctiv1.Party) bool {
	return old.GetNumber() != "" && now.GetNumber() != "" && old.GetNumber() != now.GetNumber()
}
