package sdk

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// at returns t0 plus n seconds.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func pbxCall(id string, state ctiv1.CallState, remote string) *ctiv1.Call {
	c := &ctiv1.Call{CallId: id, State: state, VendorState: state.String()}
	if remote != "" {
		c.Remote = &ctiv1.Party{Number: remote}
	}
	return c
}

// checkStream holds events to the rules the conformance kit checks: per
// call, CallChanged... then exactly one CallEnded and nothing after;
// CallChanged never ended or failed, CallEnded always; every event has the
// device and a time.
func checkStream(t *testing.T, device string, events []*ctiv1.Event) {
	t.Helper()
	changedIDs, endedIDs := map[string]bool{}, map[string]bool{}
	for i, ev := range events {
		if ev.GetDevice() != device || ev.GetTime() == nil {
			t.Errorf("event %d: device %q time %v", i, ev.GetDevice(), ev.GetTime())
		}
		if c := ev.GetCallChanged().GetCall(); c != nil {
			switch {
			case endedIDs[c.GetCallId()]:
				t.Errorf("event %d: CallChanged for %s after its CallEnded", i, c.GetCallId())
			case isEnd(c.GetState()):
				t.Errorf("event %d: CallChanged for %s in state %v", i, c.GetCallId(), c.GetState())
			}
			changedIDs[c.GetCallId()] = true
		}
		if e := ev.GetCallEnded(); e != nil {
			id := e.GetCall().GetCallId()
			switch {
			case endedIDs[id]:
				t.Errorf("event %d: second CallEnded for %s", i, id)
			case !changedIDs[id]:
				t.Errorf("event %d: CallEnded for %s without a CallChanged", i, id)
			case !isEnd(e.GetCall().GetState()):
				t.Errorf("event %d: CallEnded for %s in state %v", i, id, e.GetCall().GetState())
			case e.GetCall().GetAvailableOperations() != nil:
				t.Errorf("event %d: CallEnded for %s offers operations", i, id)
			}
			endedIDs[id] = true
		}
	}
}

func TestCallSetInboundLifecycle(t *testing.T) {
	s := NewCallSet("201", nil)
	var events []*ctiv1.Event
	events = append(events, s.Upsert(at(1), pbxCall("7", ringing, "300"))...)
	events = append(events, s.Upsert(at(2), pbxCall("7", connected, "300"))...)
	events = append(events, s.Upsert(at(3), pbxCall("7", held, "300"))...)
	events = append(events, s.End(at(4), "7", ctiv1.EndReason_END_REASON_NORMAL, ctiv1.EndedBy_ENDED_BY_REMOTE, "CallLost reason 16")...)
	if len(events) != 4 {
		t.Fatalf("%d events, want 3 CallChanged and 1 CallEnded: %v", len(events), events)
	}
	checkStream(t, "201", events)
	for i, want := range []ctiv1.CallState{ringing, connected, held} {
		c := changed(t, events[i])
		if c.GetState() != want || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND ||
			!c.GetStartedAt().AsTime().Equal(at(1)) || c.GetRemote().GetNumber() != "300" {
			t.Errorf("event %d: %v", i, c)
		}
		if !events[i].GetTime().AsTime().Equal(at(i + 1)) {
			t.Errorf("event %d at %v", i, events[i].GetTime().AsTime())
		}
	}
	if c := changed(t, events[0]); c.GetConnectedAt() != nil {
		t.Errorf("ringing call has connected_at %v", c.GetConnectedAt())
	}
	for _, i := range []int{1, 2} {
		if c := changed(t, events[i]); !c.GetConnectedAt().AsTime().Equal(at(2)) {
			t.Errorf("event %d: connected_at %v, want when first connected", i, c.GetConnectedAt())
		}
	}
	e := ended(t, events[3])
	if e.GetCall().GetState() != ctiv1.CallState_CALL_STATE_ENDED || e.GetReason() != ctiv1.EndReason_END_REASON_NORMAL ||
		e.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_REMOTE || e.GetVendorReason() != "CallLost reason 16" ||
		e.GetCall().GetRemote().GetNumber() != "300" {
		t.Errorf("CallEnded %v", e)
	}
	if s.Call("7") != nil || len(s.Calls()) != 0 {
		t.Error("the ended call is still current")
	}
}

func TestCallSetDirectionFromFirstState(t *testing.T) {
	for _, tc := range []struct {
		first ctiv1.CallState
		given ctiv1.CallDirection
		want  ctiv1.CallDirection
	}{
		{ringing, 0, ctiv1.CallDirection_CALL_DIRECTION_INBOUND},
		{dialing, 0, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND},
		{ringback, 0, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND},
		// First seen connected (the RINGING notify was missed): unknown.
		{connected, 0, ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED},
		{ctiv1.CallState_CALL_STATE_QUEUED, 0, ctiv1.CallDirection_CALL_DIRECTION_UNSPECIFIED},
		// The vendor's own direction wins.
		{ringing, ctiv1.CallDirection_CALL_DIRECTION_PICKUP, ctiv1.CallDirection_CALL_DIRECTION_PICKUP},
		{connected, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND, ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND},
	} {
		t.Run(fmt.Sprint(tc.first, tc.given), func(t *testing.T) {
			s := NewCallSet("d", nil)
			c := pbxCall("1", tc.first, "")
			c.Direction = tc.given
			got := changed(t, s.Upsert(at(1), c)[0])
			if got.GetDirection() != tc.want {
				t.Errorf("direction %v, want %v", got.GetDirection(), tc.want)
			}
			if tc.first == connected && !got.GetConnectedAt().AsTime().Equal(at(1)) {
				t.Errorf("first seen connected: connected_at %v", got.GetConnectedAt())
			}
			// A later state does not change a known direction.
			later := changed(t, s.Upsert(at(2), pbxCall("1", held, ""))[0])
			if later.GetDirection() != tc.want {
				t.Errorf("direction after hold %v", later.GetDirection())
			}
		})
	}
}

func TestCallSetEmitsOnlyVisibleChanges(t *testing.T) {
	s := NewCallSet("d", nil)
	first := pbxCall("1", connected, "300")
	first.Local = &ctiv1.Party{Number: "201", Name: "Ann"}
	first.Line = 2
	first.GlobalCallId = "0a1b"
	first.Direction = ctiv1.CallDirection_CALL_DIRECTION_INBOUND
	if len(s.Upsert(at(1), first)) != 1 {
		t.Fatal("a new call emitted no CallChanged")
	}
	if ev := s.Upsert(at(2), first); ev != nil {
		t.Errorf("a repeated snapshot emitted %v", ev)
	}
	// A snapshot that leaves the sticky fields unset is no change either.
	sparse := pbxCall("1", connected, "")
	if ev := s.Upsert(at(3), sparse); ev != nil {
		t.Errorf("a sparser snapshot emitted %v", ev)
	}
	kept := s.Call("1")
	if kept.GetLocal().GetName() != "Ann" || kept.GetRemote().GetNumber() != "300" || kept.GetLine() != 2 ||
		kept.GetGlobalCallId() != "0a1b" || kept.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND ||
		!kept.GetStartedAt().AsTime().Equal(at(1)) || !kept.GetConnectedAt().AsTime().Equal(at(1)) {
		t.Errorf("sticky fields lost: %v", kept)
	}
	for name, edit := range map[string]func(c *ctiv1.Call){
		"vendor state": func(c *ctiv1.Call) { c.VendorState = "CONNECTED-RECORDING" },
		"muted":        func(c *ctiv1.Call) { c.Muted = true },
		"remote name":  func(c *ctiv1.Call) { c.Remote = &ctiv1.Party{Number: "300", Name: "Bob"} },
		"related call": func(c *ctiv1.Call) { c.RelatedCallId = "2" },
		"operations":   func(c *ctiv1.Call) { c.AvailableOperations = []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HOLD} },
	} {
		next := s.Call("1")
		edit(next)
		events := s.Upsert(at(4), next)
		if len(events) != 1 || !proto.Equal(changed(t, events[0]), next) {
			t.Errorf("%s: events %v", name, events)
		}
	}
	// Fields taken as given can be cleared.
	cleared := s.Call("1")
	cleared.RelatedCallId, cleared.Muted = "", false
	if len(s.Upsert(at(5), cleared)) != 1 || s.Call("1").GetRelatedCallId() != "" {
		t.Error("clearing related_call_id emitted nothing or was ignored")
	}
}

func TestCallSetExactlyOneEndPerCall(t *testing.T) {
	s := NewCallSet("d", nil)
	var events []*ctiv1.Event
	add := func(evs []*ctiv1.Event) { events = append(events, evs...) }
	add(s.Upsert(at(1), pbxCall("a", connected, "1")))
	add(s.Upsert(at(1), pbxCall("b", ringing, "2")))
	add(s.Upsert(at(1), pbxCall("c", held, "3")))
	add(s.Upsert(at(1), pbxCall("d", dialing, "4")))

	add(s.Reconcile(at(2), []*ctiv1.Call{pbxCall("b", ringing, "2"), pbxCall("c", held, "3"), pbxCall("d", dialing, "4")}, ctiv1.EndReason_END_REASON_UNSPECIFIED))
	add(s.End(at(3), "b", ctiv1.EndReason_END_REASON_REJECTED, ctiv1.EndedBy_ENDED_BY_LOCAL, ""))
	add(s.EndAll(at(4), ctiv1.EndReason_END_REASON_LOST))
	if len(events) != 8 {
		t.Fatalf("%d events, want 4 CallChanged and 4 CallEnded: %v", len(events), events)
	}
	checkStream(t, "d", events)
	if e := ended(t, events[4]); e.GetCall().GetCallId() != "a" || e.GetReason() != ctiv1.EndReason_END_REASON_NORMAL {
		t.Errorf("absent from the snapshot: %v, want a ended NORMAL (it was connected)", e)
	}

	// Every later way to end or revive them does nothing.
	for name, again := range map[string]func() []*ctiv1.Event{
		"End after Reconcile":       func() []*ctiv1.Event { return s.End(at(5), "a", 0, 0, "") },
		"End after End":             func() []*ctiv1.Event { return s.End(at(5), "b", 0, 0, "") },
		"End after EndAll":          func() []*ctiv1.Event { return s.End(at(5), "c", 0, 0, "") },
		"EndSnapshot after End":     func() []*ctiv1.Event { return s.EndSnapshot(at(5), pbxCall("b", ringing, ""), 0, 0, "") },
		"EndAll again":              func() []*ctiv1.Event { return s.EndAll(at(5), ctiv1.EndReason_END_REASON_LOST) },
		"a stale snapshot":          func() []*ctiv1.Event { return s.Upsert(at(5), pbxCall("a", connected, "1")) },
		"a stale ended snapshot":    func() []*ctiv1.Event { return s.Upsert(at(5), pbxCall("a", ctiv1.CallState_CALL_STATE_ENDED, "1")) },
		"a reconnect still with it": func() []*ctiv1.Event { return s.Reconcile(at(5), []*ctiv1.Call{pbxCall("c", held, "3")}, 7) },
	} {
		if evs := again(); evs != nil {
			t.Errorf("%s: %v", name, evs)
		}
	}
	if len(s.Calls()) != 0 {
		t.Errorf("calls left: %v", s.Calls())
	}
}

func TestCallSetEndOfUnknownCall(t *testing.T) {
	s := NewCallSet("d", nil)
	if evs := s.End(at(1), "never", ctiv1.EndReason_END_REASON_NORMAL, 0, ""); evs != nil {
		t.Errorf("End of a call never seen: %v", evs)
	}
	// EndSnapshot synthesises the CallChanged apps need before a CallEnded.
	last := pbxCall("short", ringing, "300")
	events := s.EndSnapshot(at(2), last, ctiv1.EndReason_END_REASON_NO_ANSWER, ctiv1.EndedBy_ENDED_BY_REMOTE, "abandoned")
	if len(events) != 2 {
		t.Fatalf("events %v, want CallChanged then CallEnded", events)
	}
	checkStream(t, "d", events)
	if c := changed(t, events[0]); c.GetState() != ringing || c.GetDirection() != ctiv1.CallDirection_CALL_DIRECTION_INBOUND {
		t.Errorf("synthesised CallChanged %v", c)
	}
	if e := ended(t, events[1]); e.GetReason() != ctiv1.EndReason_END_REASON_NO_ANSWER || e.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_REMOTE || e.GetVendorReason() != "abandoned" {
		t.Errorf("CallEnded %v", e)
	}
	// A final snapshot that already says ended: the CallChanged cannot.
	events = s.EndSnapshot(at(3), pbxCall("gone", ctiv1.CallState_CALL_STATE_ENDED, ""), 0, 0, "")
	checkStream(t, "d", events)
	if len(events) != 2 || changed(t, events[0]).GetState() != ctiv1.CallState_CALL_STATE_UNSPECIFIED {
		t.Errorf("events %v", events)
	}
}

func TestCallSetEndSnapshotOfKnownCall(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(1), pbxCall("1", connected, "300"))
	last := pbxCall("1", ctiv1.CallState_CALL_STATE_ENDED, "")
	last.Remote = &ctiv1.Party{Number: "300", Name: "Bob"}
	events := s.EndSnapshot(at(2), last, 0, 0, "")
	if len(events) != 1 {
		t.Fatalf("events %v, want only the CallEnded", events)
	}
	e := ended(t, events[0])
	if e.GetCall().GetRemote().GetName() != "Bob" || e.GetReason() != ctiv1.EndReason_END_REASON_NORMAL ||
		!e.GetCall().GetStartedAt().AsTime().Equal(at(1)) {
		t.Errorf("CallEnded %v: want the final snapshot, NORMAL inferred from connected", e)
	}
}

func TestCallSetFailedCalls(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(1), pbxCall("out", dialing, "999"))
	// The vendor's snapshot shows the call failed while still present.
	events := s.Upsert(at(2), pbxCall("out", ctiv1.CallState_CALL_STATE_FAILED, "999"))
	if len(events) != 1 {
		t.Fatalf("events %v", events)
	}
	if e := ended(t, events[0]); e.GetCall().GetState() != ctiv1.CallState_CALL_STATE_FAILED || e.GetReason() != ctiv1.EndReason_END_REASON_FAILED {
		t.Errorf("CallEnded %v", e)
	}
	// FAILED after a connection is an ended call that failed later.
	s.Upsert(at(3), pbxCall("c", connected, "1"))
	e := ended(t, s.End(at(4), "c", ctiv1.EndReason_END_REASON_FAILED, 0, "")[0])
	if e.GetCall().GetState() != ctiv1.CallState_CALL_STATE_ENDED {
		t.Errorf("state %v", e.GetCall().GetState())
	}
	// A first snapshot already failed: a call all the same.
	events = s.Upsert(at(5), pbxCall("x", ctiv1.CallState_CALL_STATE_FAILED, "2"))
	checkStream(t, "d", events)
	if len(events) != 2 {
		t.Errorf("events %v", events)
	}
}

func TestCallSetReconcileAfterReconnect(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(1), pbxCall("stays", connected, "1"))
	s.Upsert(at(1), pbxCall("gone", ringing, "2"))
	events := s.Reconcile(at(9), []*ctiv1.Call{pbxCall("stays", held, "1"), pbxCall("new", ringing, "3")}, ctiv1.EndReason_END_REASON_LOST)
	if len(events) != 3 {
		t.Fatalf("events %v", events)
	}
	if c := changed(t, events[0]); c.GetCallId() != "stays" || c.GetState() != held || !c.GetStartedAt().AsTime().Equal(at(1)) {
		t.Errorf("the call that went on: %v", c)
	}
	if c := changed(t, events[1]); c.GetCallId() != "new" {
		t.Errorf("new call %v", c)
	}
	if e := ended(t, events[2]); e.GetCall().GetCallId() != "gone" || e.GetReason() != ctiv1.EndReason_END_REASON_LOST {
		t.Errorf("absent call %v", e)
	}
	// An empty snapshot ends everything; an unspecified reason for a
	// ringing call stays unspecified.
	events = s.Reconcile(at(10), nil, ctiv1.EndReason_END_REASON_UNSPECIFIED)
	if len(events) != 2 || ended(t, events[0]).GetReason() != ctiv1.EndReason_END_REASON_NORMAL ||
		ended(t, events[1]).GetReason() != ctiv1.EndReason_END_REASON_UNSPECIFIED {
		t.Errorf("events %v", events)
	}
}

func TestCallSetLocalEnds(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(1), pbxCall("1", connected, ""))
	s.Upsert(at(1), pbxCall("2", connected, ""))
	s.MarkLocalEnd("1")
	s.MarkLocalEnd("2")
	s.MarkLocalEnd("unknown")
	events := s.Reconcile(at(2), []*ctiv1.Call{pbxCall("2", connected, "")}, 0)
	if e := ended(t, events[0]); e.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_LOCAL {
		t.Errorf("marked call ended by %v", e.GetEndedBy())
	}
	// The vendor's own answer wins over the mark.
	if e := ended(t, s.End(at(3), "2", 0, ctiv1.EndedBy_ENDED_BY_REMOTE, "")[0]); e.GetEndedBy() != ctiv1.EndedBy_ENDED_BY_REMOTE {
		t.Errorf("ended by %v", e.GetEndedBy())
	}
	if len(s.localEnds) != 0 {
		t.Errorf("marks left: %v", s.localEnds)
	}
}

func TestCallSetOps(t *testing.T) {
	s := NewCallSet("d", func(state ctiv1.CallState) []ctiv1.Capability {
		return []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}
	})
	c := pbxCall("1", connected, "")
	c.AvailableOperations = []ctiv1.Capability{ctiv1.Capability_CAPABILITY_DIAL}
	got := changed(t, s.Upsert(at(1), c)[0])
	if !slices.Equal(got.GetAvailableOperations(), []ctiv1.Capability{ctiv1.Capability_CAPABILITY_HANGUP}) {
		t.Errorf("operations %v, want the OpsFunc's", got.GetAvailableOperations())
	}
}

func TestCallSetNeverSharesItsCalls(t *testing.T) {
	s := NewCallSet("d", nil)
	in := pbxCall("1", connected, "300")
	events := s.Upsert(at(1), in)
	in.Remote.Number = "666"
	in.State = held
	changed(t, events[0]).Remote.Number = "777"
	s.Calls()[0].Remote.Number = "888"
	s.Call("1").Remote.Number = "999"
	if got := s.Call("1"); got.GetRemote().GetNumber() != "300" || got.GetState() != connected {
		t.Errorf("the set's call was changed from outside: %v", got)
	}
	// A sparse snapshot borrows the remote; editing that later must not
	// reach the set either.
	evs := s.Upsert(at(2), pbxCall("1", held, ""))
	changed(t, evs[0]).Remote.Name = "x"
	if s.Call("1").GetRemote().GetName() != "" {
		t.Error("an event shares the set's remote")
	}
	end := ended(t, s.End(at(3), "1", 0, 0, "")[0])
	end.Call.CallId = "changed"
	if s.End(at(4), "1", 0, 0, "") != nil {
		t.Error("editing a CallEnded changed the set")
	}
}

func TestCallSetCallsOrder(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(2), pbxCall("b", ringing, ""))
	s.Upsert(at(1), pbxCall("z", ringing, ""))
	s.Upsert(at(2), pbxCall("a", ringing, ""))
	var ids []string
	for _, c := range s.Calls() {
		ids = append(ids, c.GetCallId())
	}
	if !slices.Equal(ids, []string{"z", "a", "b"}) {
		t.Errorf("order %v, want oldest first, then by id", ids)
	}
	if s.Upsert(at(3), &ctiv1.Call{State: ringing}) != nil || s.Upsert(at(3), nil) != nil {
		t.Error("a snapshot without an id was taken")
	}
}

func TestCallSetForgetsOldEndedIDs(t *testing.T) {
	s := NewCallSet("d", nil)
	s.Upsert(at(1), pbxCall("1", ringing, ""))
	s.End(at(2), "1", 0, 0, "")
	s.ForgetEnded()
	if len(s.Upsert(at(3), pbxCall("1", ringing, ""))) != 1 {
		t.Error("after ForgetEnded, a reused id is not a new call")
	}
	s.End(at(4), "1", 0, 0, "")
	for i := range maxEndedCalls {
		id := fmt.Sprint("n", i)
		s.Upsert(at(5), pbxCall(id, ringing, ""))
		s.End(at(5), id, 0, 0, "")
	}
	if len(s.ended) != maxEndedCalls || len(s.endedFIFO) != maxEndedCalls {
		t.Errorf("remembers %d/%d ended ids, want %d", len(s.ended), len(s.endedFIFO), maxEndedCalls)
	}
	if len(s.Upsert(at(6), pbxCall("1", ringing, ""))) != 1 {
		t.Error("the oldest ended id was not forgotten")
	}
}

// TestCallSetRandomStreamsKeepTheRules drives a set with random snapshots,
// ends and reconciles, from several goroutines (one per group of calls),
// and checks every stream against the rules.
func TestCallSetRandomStreamsKeepTheRules(t *testing.T) {
	s := NewCallSet("d", nil)
	states := []ctiv1.CallState{ringing, dialing, ringback, connected, held, ctiv1.CallState_CALL_STATE_QUEUED,
		ctiv1.CallState_CALL_STATE_UNSPECIFIED, ctiv1.CallState_CALL_STATE_ENDED, ctiv1.CallState_CALL_STATE_FAILED}
	var mu sync.Mutex
	var all []*ctiv1.Event
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 42))
			var mine []*ctiv1.Event
			for step := range 2000 {
				id := fmt.Sprintf("%d-%d", g, step/20+r.IntN(6)) // a sliding window of ids
				now := at(step)
				switch r.IntN(10) {
				case 0:
					mine = append(mine, s.End(now, id, ctiv1.EndReason(r.IntN(8)), ctiv1.EndedBy(r.IntN(3)), "")...)
				case 1:
					mine = append(mine, s.EndSnapshot(now, pbxCall(id, states[r.IntN(len(states))], ""), 0, 0, "")...)
				case 2:
					s.MarkLocalEnd(id)
				default:
					mine = append(mine, s.Upsert(now, pbxCall(id, states[r.IntN(len(states))], fmt.Sprint(r.IntN(2))))...)
				}
				_ = s.Calls()
			}
			mu.Lock()
			all = append(all, mine...) // each goroutine's calls are its own: order within kept
			mu.Unlock()
		})
	}
	wg.Wait()
	all = append(all, s.EndAll(at(9999), ctiv1.EndReason_END_REASON_LOST)...)
	checkStream(t, "d", all)
	if len(all) < 1000 {
		t.Errorf("only %d events", len(all))
	}
}
