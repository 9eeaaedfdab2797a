package ipoffice

import (
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/plugins/ipoffice/mtcti"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Fuzzing of what IP Office sends once it is decoded: a Notify (or a
// SubscribeTerminated) handed to the link's handler, as the session's read
// loop does, against a link that already knows users, a queue and calls.
// Bad input must not panic, corrupt the link's state, grow it more than
// the input does, or break the event stream apps rely on.

// The rig's users and queue, their GUIDs and subscribe ids.
var (
	guidAlice = []byte("fuzz-user-0201..")
	guidBob   = []byte("fuzz-user-0202..")
	guidCarol = []byte("fuzz-user-0203..")
	guidSales = []byte("fuzz-queue-0600.")
	gcid1     = []byte{0, 0, 0, 1, 0, 0, 3, 0xe8, 1}
	gcid2     = []byte{0, 0, 0, 1, 0, 0, 3, 0xe9, 1}
	gcid3     = []byte{0, 0, 0, 1, 0, 0, 3, 0xea, 1}
)

const (
	linesSubID = 1
	subAlice   = 10 // 201
	subBob     = 11 // 202
	subCarol   = 12 // 203
	subSales   = 13 // 600
	dialRef    = 77 // a Dial waiting for its call, on 201
)

// rig is a link as a connected session leaves it, without the session:
// the handler is driven by hand, subscriptions are assigned by hand.
type rig struct {
	l       *link
	events  []*ctiv1.Event // as published
	copies  []*ctiv1.Event // clones taken at publication
	nextSub int32
	// preludeEvents is how many events the rig's own set-up published.
	preludeEvents int
}

func newRig(t testing.TB) *rig {
	r := &rig{nextSub: subAlice}
	r.l = newLink(linkConfig{subTimeout: time.Hour, grace: time.Second}, hclog.NewNullLogger(), func(ev *ctiv1.Event) {
		r.events = append(r.events, ev)
		r.copies = append(r.copies, proto.Clone(ev).(*ctiv1.Event))
	})
	r.l.views = []view{
		{name: "hq", prefix: "hq/", users: scope{all: true}, queues: scope{all: true}, configured: map[string]string{}},
		// A second site sees 201 and 205 discovered, 202 as a configured
		// device, and no queue.
		{name: "branch", prefix: "branch/", users: parseScope("201,205"), queues: parseScope(""), configured: map[string]string{"202": "branch-reception"}},
	}
	// Never started: Add only registers, Terminated only reports.
	r.l.subs = &sdk.Subscriptions{}
	r.l.linesSub = linesSubID
	r.l.up = true
	r.l.detail = ""

	h := (*handler)(r.l)
	h.Notify(&mtcti.Notify{SubscribeId: linesSubID, NotifyId: 1, Payload: &mtcti.Notify_Lines{Lines: &mtcti.NotifyLines{
		Flags: 2,
		Adduser: []*mtcti.LinesUser{
			{Guid: guidAlice, Extn: "201", Name: "Alice"},
			{Guid: guidBob, Extn: "202", Name: "Bob"},
			{Guid: guidCarol, Extn: "203", Name: "Carol"},
		},
		Addqueue: []*mtcti.LinesQueue{{Guid: guidSales, Extn: "600", Name: "Sales"}},
	}}})
	r.subscribeNew()
	if got := r.l.lines[hexOf(guidSales)].subID; got != subSales {
		t.Fatalf("the rig's subscribe ids are not as planned: Sales has %d", got)
	}
	r.l.mu.Lock()
	r.l.lines[hexOf(guidAlice)].devices["hq/201"].dials[dialRef] = make(chan string, 1)
	r.l.mu.Unlock()
	for _, n := range preludeNotifies() {
		h.Notify(n)
	}
	// 201 is seen by both sites: 2 calls each, and the queue's call.
	if s := r.size(); s.entities != 4 || s.devices != 6 || s.calls != 5 || s.dials != 1 || s.memberships != 3 {
		t.Fatalf("the rig is not set up as planned: %+v", s)
	}
	return r
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// preludeNotifies give the rig's users their state and calls: 201 has a
// connected and a held call, 600 (members 201, and 203 paused) a queued
// one.
func preludeNotifies() []*mtcti.Notify {
	return []*mtcti.Notify{
		{SubscribeId: subAlice, NotifyId: 1, Payload: &mtcti.Notify_User{User: &mtcti.NotifyUser{Extn: "201", Name: "Alice", Featuresavailable: int32(mtcti.UserFeatureValid | mtcti.UserFeatureMakeCall)}}},
		{SubscribeId: subSales, NotifyId: 1, Payload: &mtcti.Notify_Queue{Queue: &mtcti.NotifyQueue{Extn: "600", Name: "Sales", Servicemode: mtcti.NotifyQueue_Active,
			Queuemembers: &mtcti.QueueMembers{Member: []*mtcti.QueueMember{{Extn: "201"}, {Extn: "203", Disabled: true}}}}}},
		{SubscribeId: subAlice, Payload: &mtcti.Notify_Callcontrol{Callcontrol: &mtcti.NotifyCallControl{Refreshinstance: 1, Callinfo: []*mtcti.CallInfo{
			{Callid: 1, State: mtcti.CallInfo_CONNECTED, Direction: mtcti.CallInfo_INBOUND, Gcid: gcid1, Featuresavailable: int32(mtcti.CallFeatureDrop | mtcti.CallFeatureHoldCall),
				Callingparty: &mtcti.PartyInfo{Number: "01707123456", Name: "Caller"}},
			{Callid: 2, State: mtcti.CallInfo_ONHOLD, Direction: mtcti.CallInfo_OUTBOUND, Gcid: gcid2, Calledparty: "202"},
		}}}},
		{SubscribeId: subSales, Payload: &mtcti.Notify_Callcontrol{Callcontrol: &mtcti.NotifyCallControl{Refreshinstance: 1, Callinfo: []*mtcti.CallInfo{
			{Callid: 1, State: mtcti.CallInfo_QUEUEING, Direction: mtcti.CallInfo_INBOUND, Gcid: gcid3},
		}}}},
	}
}

// subscribeNew gives every user and queue in scope without a subscription
// one, as subscribeEntity does when IP Office accepts it.
func (r *rig) subscribeNew() {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	ents := slices.Collect(maps.Values(r.l.lines))
	slices.SortFunc(ents, func(a, b *entity) int { return strings.Compare(a.extn+hexOf(a.guid), b.extn+hexOf(b.guid)) })
	for _, e := range ents {
		if e.subID != 0 || len(e.devices) == 0 {
			continue
		}
		id := r.nextSub
		r.nextSub++
		e.subID = id
		r.l.bySub[id] = e
		for _, d := range e.devices {
			d.seen = map[string]bool{}
		}
	}
}

// resyncAll runs every entity's resync, as the grace timer after a fresh
// subscription does.
func (r *rig) resyncAll() {
	r.l.mu.Lock()
	ents := slices.Collect(maps.Values(r.l.lines))
	r.l.mu.Unlock()
	for _, e := range ents {
		r.l.mu.Lock()
		id := e.subID
		r.l.mu.Unlock()
		r.l.resync(e, id)
	}
}

// size is what the link holds: a measure of its memory.
type size struct {
	entities, queues, devices, calls, ids, seen, gcids, dials, memberships int
}

func (r *rig) size() size {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	var s size
	s.entities = len(r.l.lines)
	for _, e := range r.l.lines {
		if e.queue {
			s.queues++
		}
		s.devices += len(e.devices)
		for _, d := range e.devices {
			s.calls += len(d.calls.Calls())
			s.ids += len(d.ids)
			s.seen += len(d.seen)
			s.gcids += len(d.gcids)
			s.dials += len(d.dials)
			s.memberships += len(d.memberships)
		}
	}
	return s
}

// checkState reports inconsistencies of the link's maps.
func (r *rig) checkState(t *testing.T) {
	t.Helper()
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	owner := map[string]*entity{} // device id -> the entity that has it
	for key, e := range l.lines {
		for id := range e.devices {
			if o := owner[id]; o != nil {
				t.Errorf("device %s belongs to two users or queues at once (extensions %q and %q): their calls share one id space", id, o.extn, e.extn)
			}
			owner[id] = e
		}
		if key != entityKey(e) {
			t.Errorf("entity %s is kept under key %s", entityKey(e), key)
		}
		if e.subID != 0 && l.bySub[e.subID] != e {
			t.Errorf("entity %s has subscription %d, which maps to %v", e.extn, e.subID, l.bySub[e.subID])
		}
		for id, d := range e.devices {
			if d.id != id || d.ent != e {
				t.Errorf("device %s is filed under %s of entity %s", d.id, id, e.extn)
			}
			if len(d.ids) != len(d.vendor) {
				t.Errorf("device %s: %d vendor keys for %d call ids", id, len(d.ids), len(d.vendor))
			}
			for cid, key := range d.vendor {
				if d.ids[key] != cid {
					t.Errorf("device %s: call %s maps to %v, which maps back to %q", id, cid, key, d.ids[key])
				}
				if d.calls.Call(cid) == nil {
					t.Errorf("device %s: ids kept for call %s, which is not current", id, cid)
				}
			}
			for g, cid := range d.gcids {
				if _, ok := d.vendor[cid]; !ok {
					t.Errorf("device %s: gcid %s kept for call %s, which has no vendor key", id, g, cid)
				}
			}
			for cid := range d.handedOn {
				if d.calls.Call(cid) == nil {
					t.Errorf("device %s: handedOn kept for call %s, which is not current", id, cid)
				}
			}
			for _, c := range d.calls.Calls() {
				if _, ok := d.vendor[c.GetCallId()]; !ok {
					t.Errorf("device %s: current call %s has no vendor key: no CallLost can ever end it", id, c.GetCallId())
				}
			}
		}
	}
	for id, e := range l.bySub {
		if e.subID != id {
			t.Errorf("subscription %d maps to entity %s, whose subscription is %d", id, e.extn, e.subID)
		}
		if l.lines[entityKey(e)] != e {
			t.Errorf("subscription %d maps to entity %s, which the lines list no longer has", id, e.extn)
		}
	}
}

// configuredIDs are the ids device blocks configure: never announced.
func (r *rig) configuredIDs() map[string]bool {
	out := map[string]bool{}
	for _, v := range r.l.views {
		for _, id := range v.configured {
			out[id] = true
		}
	}
	return out
}

// checkEvents checks the event stream as the conformance kit does for
// each device (a time and a payload; a call's CallChanged..., then one
// CallEnded and nothing after), and as the host needs it (a discovered
// device is announced by a DevicesChanged before any event about it, and
// its calls end before it is removed), and that no event was changed
// after it was published.
func (r *rig) checkEvents(t *testing.T) {
	t.Helper()
	type callKey struct{ device, call string }
	changed, ended := map[callKey]bool{}, map[callKey]bool{}
	open := map[string]map[string]bool{} // device -> open calls
	known := r.configuredIDs()           // what the host would route
	for i, ev := range r.events {
		if !proto.Equal(ev, r.copies[i]) {
			t.Errorf("event %d was changed after it was published:\nthen %v\nnow  %v", i, r.copies[i], ev)
		}
		if ev.GetTime() == nil {
			t.Errorf("event %d has no time: %v", i, ev)
		}
		dev := ev.GetDevice()
		if ev.GetPayload() == nil {
			t.Errorf("event %d has no payload: %v", i, ev)
			continue
		}
		if dc := ev.GetDevicesChanged(); dc != nil {
			if dev != "" {
				t.Errorf("event %d: DevicesChanged about device %q", i, dev)
			}
			added := map[string]bool{}
			for _, d := range dc.GetAdded() {
				if d.GetDevice() == "" || r.configuredIDs()[d.GetDevice()] {
					t.Errorf("event %d: DevicesChanged adds %q", i, d.GetDevice())
				}
				added[d.GetDevice()] = true
				known[d.GetDevice()] = true
			}
			for _, id := range dc.GetRemoved() {
				if id == "" || r.configuredIDs()[id] {
					t.Errorf("event %d: DevicesChanged removes %q", i, id)
				}
				// The host keeps a device both added and removed in one
				// event (supervisor.discover); one only removed must have
				// no call left open (types.proto, DevicesChanged).
				if added[id] {
					continue
				}
				if len(open[id]) > 0 {
					t.Errorf("event %d: device %s removed with calls %v still open", i, id, slices.Sorted(maps.Keys(open[id])))
				}
				delete(known, id)
			}
			continue
		}
		if dev == "" {
			t.Errorf("event %d is about no device: %v", i, ev)
			continue
		}
		if !known[dev] {
			// The host drops it (supervisor.forward): a lost event.
			t.Errorf("event %d is about device %s, which is not announced: %v", i, dev, ev)
		}
		switch p := ev.GetPayload().(type) {
		case *ctiv1.Event_CallChanged:
			c := p.CallChanged.GetCall()
			k := callKey{dev, c.GetCallId()}
			switch {
			case c.GetCallId() == "":
				t.Errorf("event %d: CallChanged without a call id: %v", i, ev)
			case ended[k]:
				t.Errorf("event %d: CallChanged for call %s of %s after its CallEnded", i, k.call, dev)
			}
			if s := c.GetState(); s == ctiv1.CallState_CALL_STATE_ENDED || s == ctiv1.CallState_CALL_STATE_FAILED {
				t.Errorf("event %d: CallChanged in state %v", i, s)
			}
			changed[k] = true
			if open[dev] == nil {
				open[dev] = map[string]bool{}
			}
			open[dev][k.call] = true
		case *ctiv1.Event_CallEnded:
			c := p.CallEnded.GetCall()
			k := callKey{dev, c.GetCallId()}
			switch {
			case c.GetCallId() == "":
				t.Errorf("event %d: CallEnded without a call id: %v", i, ev)
			case ended[k]:
				t.Errorf("event %d: a second CallEnded for call %s of %s", i, k.call, dev)
			case !changed[k]:
				t.Errorf("event %d: CallEnded for call %s of %s, which had no CallChanged", i, k.call, dev)
			}
			if s := c.GetState(); s != ctiv1.CallState_CALL_STATE_ENDED && s != ctiv1.CallState_CALL_STATE_FAILED {
				t.Errorf("event %d: CallEnded in state %v", i, s)
			}
			ended[k] = true
			delete(open[dev], k.call)
		case *ctiv1.Event_DeviceChanged:
			if p.DeviceChanged.GetStatus() == nil {
				t.Errorf("event %d: DeviceChanged without a status: %v", i, ev)
			}
		case *ctiv1.Event_QueueStatusChanged:
			if p.QueueStatusChanged.GetStatus() == nil {
				t.Errorf("event %d: QueueStatusChanged without a status: %v", i, ev)
			}
		case *ctiv1.Event_QueueChanged:
			if p.QueueChanged.GetMembership() == nil {
				t.Errorf("event %d: QueueChanged without a membership: %v", i, ev)
			}
		case *ctiv1.Event_Gap, *ctiv1.Event_DriverChanged:
			t.Errorf("event %d has a payload only the host sends: %v", i, ev)
		}
	}
}

// counts is how much an input asks for: the bound of what it may add.
type counts struct {
	lines, callinfo, calllost, messages int
}

func countOf(m *mtcti.Message) counts {
	var c counts
	n := m.GetNotify()
	if n == nil {
		return c
	}
	c.messages = 1
	if nl := n.GetLines(); nl != nil {
		c.lines = len(nl.GetAdduser()) + len(nl.GetChangeuser()) + len(nl.GetAddqueue()) + len(nl.GetChangequeue()) +
			len(nl.GetDeleteuser()) + len(nl.GetDeletequeue())
	}
	c.callinfo = len(n.GetCallcontrol().GetCallinfo())
	c.calllost = len(n.GetCallcontrol().GetCalllost())
	return c
}

func (c counts) plus(o counts) counts {
	return counts{c.lines + o.lines, c.callinfo + o.callinfo, c.calllost + o.calllost, c.messages + o.messages}
}

// checkBounds checks that the link grew by no more than the input asked
// for, times applied: each lines entry makes at most one entity and one
// device per view; each CallInfo at most one call (and one seen and gcid
// entry) per device of its entity. The driver caps none of these itself
// (a frame is at most mtcti.MaxFrameSize, but Notifies accumulate): the
// bound checked is the input's, so that no frame can amplify.
func (r *rig) checkBounds(t *testing.T, before size, in counts, times int) {
	t.Helper()
	views := len(r.l.views)
	after := r.size()
	if max := before.entities + times*in.lines; after.entities > max {
		t.Errorf("%d entities, more than the %d the input can make", after.entities, max)
	}
	if max := before.devices + times*views*in.lines; after.devices > max {
		t.Errorf("%d devices, more than the %d the input can make", after.devices, max)
	}
	// A call's id lives on across entities only through the same device;
	// a device holds at most the calls its entity's CallInfos named.
	maxCalls := before.calls + times*views*in.callinfo
	for _, got := range []struct {
		what string
		n    int
	}{{"calls", after.calls}, {"call ids", after.ids}, {"gcids", after.gcids}} {
		if got.n > maxCalls {
			t.Errorf("%d %s, more than the %d the input can make", got.n, got.what, maxCalls)
		}
	}
	if max := before.seen + times*views*in.callinfo; after.seen > max {
		t.Errorf("%d seen entries, more than the %d the input can make", after.seen, max)
	}
	if after.dials > before.dials {
		t.Errorf("%d pending dials, more than the %d made by commands", after.dials, before.dials)
	}
	// Queue memberships: one per device and hunt group that existed.
	if max := after.devices * (before.queues + times*in.lines); after.memberships > max {
		t.Errorf("%d memberships, more than the %d the input can make", after.memberships, max)
	}
	// Events: per message at most one DevicesChanged, and per device one
	// status, one queue status and one membership per hunt group; per
	// lines entry or call a status and a call event per view; every call
	// that exists ends at most once.
	ents := max(before.entities, after.entities) + times*in.lines
	perView := in.messages*(1+ents)*(1+ents) + 2*(in.lines+in.callinfo+in.calllost+maxCalls)
	if max := r.preludeEvents + 2*times*views*perView; len(r.events) > max {
		t.Errorf("%d events, more than the %d the input can make", len(r.events), max)
	}
}

// decode returns the Messages b decodes to, in either framing.
func decode(b []byte) []*mtcti.Message {
	var out []*mtcti.Message
	for _, f := range []mtcti.Framing{mtcti.Framed, mtcti.NoFraming} {
		if m, err := mtcti.Decode(f, b); err == nil {
			out = append(out, m)
		}
	}
	return out
}

func encode(f testing.TB, fr mtcti.Framing, n *mtcti.Notify) []byte {
	b, err := mtcti.Encode(fr, &mtcti.Message{Payload: &mtcti.Message_Notify{Notify: n}})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// seedNotifies are well-formed Notifies of every kind, on the rig's
// subscriptions.
func seedNotifies() []*mtcti.Notify {
	cc := func(sub int32, infos []*mtcti.CallInfo, lost []*mtcti.CallLost) *mtcti.Notify {
		return &mtcti.Notify{SubscribeId: sub, Payload: &mtcti.Notify_Callcontrol{Callcontrol: &mtcti.NotifyCallControl{Refreshinstance: 2, Callinfo: infos, Calllost: lost}}}
	}
	lines := func(nl *mtcti.NotifyLines) *mtcti.Notify {
		return &mtcti.Notify{SubscribeId: linesSubID, NotifyId: 2, Payload: &mtcti.Notify_Lines{Lines: nl}}
	}
	out := []*mtcti.Notify{
		lines(&mtcti.NotifyLines{Adduser: []*mtcti.LinesUser{{Guid: []byte("fuzz-user-0205.."), Extn: "205", Name: "Eve"}}}),
		lines(&mtcti.NotifyLines{Addqueue: []*mtcti.LinesQueue{{Guid: []byte("fuzz-queue-0601."), Extn: "601", Name: "Support"}}}),
		lines(&mtcti.NotifyLines{Deleteuser: []*mtcti.LinesUser{{Guid: guidAlice, Extn: "201"}}}),
		lines(&mtcti.NotifyLines{Deletequeue: []*mtcti.LinesQueue{{Guid: guidSales, Extn: "600"}}}),
		lines(&mtcti.NotifyLines{Changeuser: []*mtcti.LinesUser{{Guid: guidAlice, Extn: "201", Name: "Alice Smith"}}}),
		lines(&mtcti.NotifyLines{Changeuser: []*mtcti.LinesUser{{Guid: guidAlice, Extn: "205", Name: "Alice"}}}),
		lines(&mtcti.NotifyLines{Changequeue: []*mtcti.LinesQueue{{Guid: guidSales, Extn: "600", Name: "Sales EMEA"}}}),
		lines(&mtcti.NotifyLines{Adduser: []*mtcti.LinesUser{{Guid: []byte("fuzz-user-0000.."), Name: "no number"}}}),
		{SubscribeId: subAlice, NotifyId: 2, Payload: &mtcti.Notify_User{User: &mtcti.NotifyUser{Extn: "201", Dnd: true, Fwdu: true, Fwdunumber: "0123", Fwdb: true}}},
		{SubscribeId: subBob, NotifyId: 1, Payload: &mtcti.Notify_User{User: &mtcti.NotifyUser{Extn: "202", Loggedoff: true, Featuresavailable: -1}}},
		{SubscribeId: subSales, NotifyId: 2, Payload: &mtcti.Notify_Queue{Queue: &mtcti.NotifyQueue{Extn: "600", Servicemode: mtcti.NotifyQueue_OOS}}},
		{SubscribeId: subSales, NotifyId: 3, Payload: &mtcti.Notify_Queue{Queue: &mtcti.NotifyQueue{Extn: "600", Ringmode: 2, Queuemembers: &mtcti.QueueMembers{Member: []*mtcti.QueueMember{
			{Extn: "201"}, {Extn: "202", Disabled: true}, {Extn: "999"}, {Extn: "201"}}}}}},
		{SubscribeId: subSales, NotifyId: 4, Payload: &mtcti.Notify_Queue{Queue: &mtcti.NotifyQueue{Extn: "600", Queuemembers: &mtcti.QueueMembers{}}}},
		cc(subAlice, []*mtcti.CallInfo{{Callid: 1, State: mtcti.CallInfo_AFTERCALLWORK, Gcid: gcid1}}, nil),
		cc(subAlice, nil, []*mtcti.CallLost{{Callid: 1, Reason: 16, Thisenddropped: true, Description: "hung up"}}),
		cc(subAlice, nil, []*mtcti.CallLost{{Callid: 1, Reason: 17}, {Callid: 2, Reason: 21}, {Callid: 9, Referencecallid: dialRef, Reason: 1}}),
		cc(subAlice, []*mtcti.CallInfo{{Callid: 3, Referencecallid: dialRef, State: mtcti.CallInfo_DIALLING, Direction: mtcti.CallInfo_OUTBOUND, Calledparty: "0800"}}, nil),
		cc(subAlice, []*mtcti.CallInfo{{Callid: 1, State: mtcti.CallInfo_CONNECTED, Gcid: gcid1}}, []*mtcti.CallLost{{Callid: 1, Reason: 16}}),
		cc(subAlice, []*mtcti.CallInfo{{Callid: 4, State: mtcti.CallInfo_CONNECTED, Gcid: gcid2, Relatedcallid: 2}}, nil), // the same gcid as call 2
		cc(subSales, nil, []*mtcti.CallLost{{Callid: 1, Reason: 16, Thisenddropped: true}}),
		cc(subBob, []*mtcti.CallInfo{{Callid: 1, State: mtcti.CallInfo_RINGING, Direction: mtcti.CallInfo_INBOUND, Gcid: gcid1,
			Callingparty: &mtcti.PartyInfo{Number: "201", Withheld: true}}}, nil),
		{SubscribeId: subAlice, Payload: &mtcti.Notify_Refreshwrapper{Refreshwrapper: &mtcti.NotifyRefreshWrapper{}}},
		{SubscribeId: 999, NotifyId: 5, Payload: &mtcti.Notify_User{User: &mtcti.NotifyUser{Extn: "999"}}},
		{SubscribeId: 0, Payload: &mtcti.Notify_Lines{Lines: &mtcti.NotifyLines{Deleteuser: []*mtcti.LinesUser{{Guid: guidBob}}}}},
	}
	// Every call state, on a call of 201 and of the queue.
	for s := range mtcti.CallInfo_State_name {
		st := mtcti.CallInfo_State(s)
		out = append(out,
			cc(subAlice, []*mtcti.CallInfo{{Callid: 5, State: st, Direction: mtcti.CallInfo_PICKUP, Gcid: gcid3, Activeheld: st == mtcti.CallInfo_CONNECTED,
				Connectedparty: &mtcti.PartyInfo{Number: "600", Name: "Sales"}}}, nil),
			cc(subSales, []*mtcti.CallInfo{{Callid: 1, State: st, Gcid: gcid3}}, nil))
	}
	return out
}

// seedCorpus adds the seeds: each Notify framed and unframed, plus
// garbage and messages that are not Notifies.
func seedCorpus(f *testing.F, wrap func([]byte) []byte) {
	for _, n := range seedNotifies() {
		f.Add(wrap(encode(f, mtcti.Framed, n)))
		f.Add(wrap(encode(f, mtcti.NoFraming, n)))
	}
	for _, b := range [][]byte{
		nil, {0, 0, 0, 1}, {0, 0, 0, 1, 0x0a, 0x7f, 0x01}, {0xff, 0xff, 0xff}, []byte("not protobuf at all"),
	} {
		f.Add(wrap(b))
	}
	term, _ := mtcti.Encode(mtcti.NoFraming, &mtcti.Message{Payload: &mtcti.Message_Subscribeterminated{Subscribeterminated: &mtcti.SubscribeTerminated{SubscribeId: subAlice}}})
	f.Add(wrap(term))
	resp, _ := mtcti.Encode(mtcti.Framed, &mtcti.Message{Payload: &mtcti.Message_Response{Response: &mtcti.RequestResponse{Requestid: 1, Result: 617}}})
	f.Add(wrap(resp))
}

// FuzzNotify decodes one frame and hands its Notify to the rig's link:
// once, again (a repeat), then after its subscription was terminated and
// renewed (a stale subscribe id); a SubscribeTerminated is applied as
// such.
func FuzzNotify(f *testing.F) {
	seedCorpus(f, func(b []byte) []byte { return b })
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs := decode(b)
		if len(msgs) == 0 {
			return // not a frame in either framing: nothing reaches the driver
		}
		r := newRig(t)
		r.preludeEvents = len(r.events)
		before := r.size()
		var in counts
		h := (*handler)(r.l)
		for _, m := range msgs {
			in = in.plus(countOf(m))
			if st := m.GetSubscribeterminated(); st != nil {
				h.Terminated(st.GetSubscribeId())
				r.subscribeNew()
				continue
			}
			n := m.GetNotify()
			if n == nil {
				continue
			}
			h.Notify(n)
			h.Notify(n)
			h.Terminated(n.GetSubscribeId())
			r.subscribeNew()
			h.Notify(n)
			r.resyncAll()
		}
		r.checkState(t)
		r.checkEvents(t)
		r.checkBounds(t, before, in, 3)
	})
}

// FuzzNotifySequence drives the rig's link with a sequence of steps, so
// that state built by one Notify meets the next: each step is an op byte,
// then for a frame a 2-byte length and the frame. At most maxSteps steps.
func FuzzNotifySequence(f *testing.F) {
	frame := func(b []byte) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{opFrame}, uint16(len(b))), b...)
	}
	seedCorpus(f, frame)
	// A few sequences: a user added then called, renumbered, deleted.
	eve := []byte("fuzz-user-0205..")
	var seq []byte
	seq = append(seq, frame(encode(f, mtcti.NoFraming, &mtcti.Notify{SubscribeId: linesSubID, Payload: &mtcti.Notify_Lines{Lines: &mtcti.NotifyLines{Adduser: []*mtcti.LinesUser{{Guid: eve, Extn: "205", Name: "Eve"}}}}}))...)
	seq = append(seq, opSubscribe)
	seq = append(seq, frame(encode(f, mtcti.NoFraming, &mtcti.Notify{SubscribeId: 14, Payload: &mtcti.Notify_Callcontrol{Callcontrol: &mtcti.NotifyCallControl{Callinfo: []*mtcti.CallInfo{{Callid: 1, State: mtcti.CallInfo_RINGING, Gcid: gcid1}}}}}))...)
	seq = append(seq, opTerminate, 14, opSubscribe, opResync)
	seq = append(seq, frame(encode(f, mtcti.NoFraming, &mtcti.Notify{SubscribeId: linesSubID, Payload: &mtcti.Notify_Lines{Lines: &mtcti.NotifyLines{Deleteuser: []*mtcti.LinesUser{{Guid: eve}}}}}))...)
	f.Add(seq)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newRig(t)
		r.preludeEvents = len(r.events)
		before := r.size()
		var in counts
		h := (*handler)(r.l)
		for step := 0; len(b) > 0 && step < maxSteps; step++ {
			op := b[0] % opCount
			b = b[1:]
			switch op {
			case opFrame:
				if len(b) < 2 {
					return
				}
				n := min(int(binary.BigEndian.Uint16(b)), len(b)-2)
				fr := b[2 : 2+n]
				b = b[2+n:]
				for _, m := range decode(fr) {
					in = in.plus(countOf(m))
					if nt := m.GetNotify(); nt != nil {
						h.Notify(nt)
					}
					if st := m.GetSubscribeterminated(); st != nil {
						h.Terminated(st.GetSubscribeId())
					}
				}
			case opTerminate:
				if len(b) < 1 {
					return
				}
				h.Terminated(int32(b[0]))
				b = b[1:]
			case opSubscribe:
				r.subscribeNew()
			case opResync:
				r.resyncAll()
			}
		}
		r.checkState(t)
		r.checkEvents(t)
		// Each step can replay at most what the input named once; a
		// resync only ends calls.
		r.checkBounds(t, before, in, 1)
	})
}

// The steps of FuzzNotifySequence.
const (
	opFrame byte = iota
	opTerminate
	opSubscribe
	opResync
	opCount
	maxSteps = 64
)
