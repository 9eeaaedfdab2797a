package sdk

import (
	"sort"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// maxEndedCalls is how many ended call ids a CallSet remembers, to ignore
// stale snapshots of them and never end one twice.
const maxEndedCalls = 4096

// CallSet turns call snapshots of one device, keyed by the vendor's own call
// id (a PBX's notifies, a CSTA monitor), into call events. It is the
// counterpart of CallTracker for vendors that name their calls, and it
// assumes nothing about the order of states: a call may first appear
// connected, held or queued.
//
// It guarantees the event stream the conformance kit checks: a call's
// events are CallChanged, only when something an app sees changed, then
// exactly one CallEnded, and nothing after. An id that ended is therefore
// never reported again: later snapshots of it are taken as stale and
// ignored (see ForgetEnded). Safe for concurrent use.
type CallSet struct {
	device string
	ops    OpsFunc

	mu        sync.Mutex
	calls     map[string]*ctiv1.Call // by call id
	localEnds map[string]bool        // calls the device was told to end
	ended     map[string]bool        // ids that got their CallEnded
	endedFIFO []string               // ended ids, oldest first, to bound ended
}

// NewCallSet returns an empty set for device (the id events carry). ops,
// if not nil, fills Call.available_operations from the state, replacing
// what the snapshots say; leave it nil when the vendor reports the
// operations itself (IP Office featuresavailable).
func NewCallSet(device string, ops OpsFunc) *CallSet {
	return &CallSet{device: device, ops: ops, calls: map[string]*ctiv1.Call{}, localEnds: map[string]bool{}, ended: map[string]bool{}}
}

// Upsert applies one call's full snapshot taken at now and returns the
// events to publish: a CallChanged for a new call or a visible change,
// nothing for a repeat. A snapshot leaves unset what it does not know:
// direction, local, remote, line, global_call_id, started_at and
// connected_at then keep their last known values; state, vendor_state,
// available_operations, related_call_id and muted are taken as given. A new
// call without a direction gets one from its first state (ringing:
// inbound; dialing, ringback: outbound); started_at is stamped when first
// seen and connected_at when first seen connected. A snapshot in state
// ENDED or FAILED ends the call (see EndSnapshot). Snapshots without a call
// id and of ended calls are ignored. call is not retained.
func (s *CallSet) Upsert(now time.Time, call *ctiv1.Call) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upsert(now, call)
}

func (s *CallSet) upsert(now time.Time, call *ctiv1.Call) []*ctiv1.Event {
	id := call.GetCallId()
	if id == "" || s.ended[id] {
		return nil
	}
	switch call.GetState() {
	case ctiv1.CallState_CALL_STATE_ENDED:
		return s.endSnapshot(now, call, ctiv1.EndReason_END_REASON_UNSPECIFIED, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED, "")
	case ctiv1.CallState_CALL_STATE_FAILED:
		return s.endSnapshot(now, call, ctiv1.EndReason_END_REASON_FAILED, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED, "")
	}
	cur := s.calls[id]
	next := s.merge(now, cur, call)
	if cur != nil && proto.Equal(cur, next) {
		return nil
	}
	s.calls[id] = next
	return []*ctiv1.Event{s.changed(now, next)}
}

// merge returns the snapshot in completed from cur (nil for a new call).
func (s *CallSet) merge(now time.Time, cur, in *ctiv1.Call) *ctiv1.Call {
	c := proto.Clone(in).(*ctiv1.Call)
	if cur != nil {
		if c.Direction == ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED {
			c.Direction = cur.Direction
		}
		if c.Local == nil {
			c.Local = proto.Clone(cur.Local).(*ctiv1.Party)
		}
		if c.Remote == nil {
			c.Remote = proto.Clone(cur.Remote).(*ctiv1.Party)
		}
		if c.Line == 0 {
			c.Line = cur.Line
		}
		if c.GlobalCallId == "" {
			c.GlobalCallId = cur.GlobalCallId
		}
		if c.StartedAt == nil {
			c.StartedAt = cur.StartedAt
		}
		if c.ConnectedAt == nil {
			c.ConnectedAt = cur.ConnectedAt
		}
	} else if c.Direction == ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED {
		c.Direction = directionOf(c.State)
	}
	if c.StartedAt == nil {
		c.StartedAt = timestamppb.New(now)
	}
	if c.ConnectedAt == nil && c.State == ctiv1.CallState_CALL_STATE_CONNECTED {
		c.ConnectedAt = timestamppb.New(now)
	}
	if s.ops != nil {
		c.AvailableOperations = s.ops(c.State)
	}
	return c
}

// End ends the call callID at now and returns its one CallEnded, or
// nothing for a call that is not current (never seen, or already ended:
// use EndSnapshot to report a call that ended before any snapshot showed
// it). reason UNSPECIFIED becomes NORMAL for a call last seen connected or
// held; reason FAILED for a call never connected gives state FAILED.
// endedBy UNSPECIFIED becomes LOCAL after MarkLocalEnd. vendorReason is the
// vendor's own code and text, for logs.
func (s *CallSet) End(now time.Time, callID string, reason ctiv1.EndReason, endedBy ctiv1.EndedBy, vendorReason string) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.calls[callID]
	if cur == nil {
		return nil
	}
	return []*ctiv1.Event{s.end(now, cur, reason, endedBy, vendorReason)}
}

// EndSnapshot ends the call last.call_id with last, the vendor's final
// snapshot (completed as Upsert does), as its last state. For a call never
// seen (a short call that rang and stopped between two notifies), it
// synthesises the CallChanged apps need first, with the state as last
// gives it (UNSPECIFIED if ENDED or FAILED), then the CallEnded. A call
// already ended gets nothing. See End for reason and endedBy.
func (s *CallSet) EndSnapshot(now time.Time, last *ctiv1.Call, reason ctiv1.EndReason, endedBy ctiv1.EndedBy, vendorReason string) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endSnapshot(now, last, reason, endedBy, vendorReason)
}

func (s *CallSet) endSnapshot(now time.Time, last *ctiv1.Call, reason ctiv1.EndReason, endedBy ctiv1.EndedBy, vendorReason string) []*ctiv1.Event {
	id := last.GetCallId()
	if id == "" || s.ended[id] {
		return nil
	}
	cur := s.calls[id]
	final := s.merge(now, cur, last)
	if cur != nil && isEnd(final.State) {
		final.State = cur.State // the state before the end decides the reason
	}
	var events []*ctiv1.Event
	if cur == nil {
		if isEnd(final.State) {
			final.State = ctiv1.CallState_CALL_STATE_UNSPECIFIED // a CallChanged never says ended
		}
		events = append(events, s.changed(now, final))
	}
	return append(events, s.end(now, final, reason, endedBy, vendorReason))
}

// Reconcile applies a full snapshot of the device's calls: every present
// call is upserted, and every known call absent from it ends with reason
// (END_REASON_LOST for the first snapshot after a reconnect: the call may
// have gone on unseen; UNSPECIFIED for an ordinary notify, which becomes
// NORMAL for a connected call). Events of present calls come first, in
// their order, then the ends in the order of Calls.
func (s *CallSet) Reconcile(now time.Time, present []*ctiv1.Call, reason ctiv1.EndReason) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var events []*ctiv1.Event
	seen := map[string]bool{}
	for _, c := range present {
		seen[c.GetCallId()] = true
		events = append(events, s.upsert(now, c)...)
	}
	for _, c := range s.sorted() {
		if !seen[c.GetCallId()] {
			events = append(events, s.end(now, c, reason, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED, ""))
		}
	}
	return events
}

// EndAll ends every call with reason, e.g. END_REASON_LOST when the driver
// gives up on the device. Those ids are never reported again: to keep the
// calls across a short disconnect, Reconcile the first snapshot after it
// instead.
func (s *CallSet) EndAll(now time.Time, reason ctiv1.EndReason) []*ctiv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var events []*ctiv1.Event
	for _, c := range s.sorted() {
		events = append(events, s.end(now, c, reason, ctiv1.EndedBy_ENDED_BY_UNSPECIFIED, ""))
	}
	return events
}

// MarkLocalEnd records that the device was told to end callID, so that an
// end without a known side is reported ENDED_BY_LOCAL.
func (s *CallSet) MarkLocalEnd(callID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls[callID] != nil { // marks of unknown calls would never be cleared
		s.localEnds[callID] = true
	}
}

// ForgetEnded forgets which ids ended, for when the vendor's call ids start
// over (the PBX restarted) and a new call may reuse an old id.
func (s *CallSet) ForgetEnded() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended, s.endedFIFO = map[string]bool{}, nil
}

// Calls returns copies of the current calls, oldest first (by started_at,
// then call id), for the initial events of a new WatchEvents stream and
// for GetDeviceState.
func (s *CallSet) Calls() []*ctiv1.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sorted()
	for i, c := range out {
		out[i] = proto.Clone(c).(*ctiv1.Call)
	}
	return out
}

// Call returns a copy of the current call callID, or nil.
func (s *CallSet) Call(callID string) *ctiv1.Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[callID]; c != nil {
		return proto.Clone(c).(*ctiv1.Call)
	}
	return nil
}

// end removes c and returns its CallEnded. s.mu is held.
func (s *CallSet) end(now time.Time, c *ctiv1.Call, reason ctiv1.EndReason, endedBy ctiv1.EndedBy, vendorReason string) *ctiv1.Event {
	id := c.GetCallId()
	delete(s.calls, id)
	if endedBy == ctiv1.EndedBy_ENDED_BY_UNSPECIFIED && s.localEnds[id] {
		endedBy = ctiv1.EndedBy_ENDED_BY_LOCAL
	}
	delete(s.localEnds, id)
	s.ended[id] = true
	s.endedFIFO = append(s.endedFIFO, id)
	if len(s.endedFIFO) > maxEndedCalls {
		delete(s.ended, s.endedFIFO[0])
		s.endedFIFO = s.endedFIFO[1:]
	}
	last := proto.Clone(c).(*ctiv1.Call)
	if reason == ctiv1.EndReason_END_REASON_UNSPECIFIED {
		reason = endReason(c.GetState())
	}
	last.State = ctiv1.CallState_CALL_STATE_ENDED
	if reason == ctiv1.EndReason_END_REASON_FAILED && c.GetConnectedAt() == nil {
		last.State = ctiv1.CallState_CALL_STATE_FAILED
	}
	last.AvailableOperations = nil
	return &ctiv1.Event{Device: s.device, Time: timestamppb.New(now), Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
		Call: last, Reason: reason, EndedBy: endedBy, VendorReason: vendorReason,
	}}}
}

// changed returns a CallChanged with a copy of c, which stays the set's.
func (s *CallSet) changed(now time.Time, c *ctiv1.Call) *ctiv1.Event {
	return &ctiv1.Event{Device: s.device, Time: timestamppb.New(now), Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
		Call: proto.Clone(c).(*ctiv1.Call),
	}}}
}

// sorted returns the current calls, oldest first. s.mu is held.
func (s *CallSet) sorted() []*ctiv1.Call {
	out := make([]*ctiv1.Call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].GetStartedAt().AsTime(), out[j].GetStartedAt().AsTime(); !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].GetCallId() < out[j].GetCallId()
	})
	return out
}

func isEnd(state ctiv1.CallState) bool {
	return state == ctiv1.CallState_CALL_STATE_ENDED || state == ctiv1.CallState_CALL_STATE_FAILED
}
