package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"google.golang.org/protobuf/types/known/durationpb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// shortBackoff makes reconnects fast for the duration of the test.
func shortBackoff(t *testing.T) {
	oldMin, oldMax := minBackoff, maxBackoff
	minBackoff, maxBackoff = 10*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() { minBackoff, maxBackoff = oldMin, oldMax })
}

// TestEventsReconnect streams a gap and two call events, closes the stream,
// and checks that ctictl prints them, says it reconnects, and resumes with
// from_sequence = last + 1 and the same filters.
func TestEventsReconnect(t *testing.T) {
	shortBackoff(t)
	at := func(sec, ms int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2025, 3, 14, 15, 4, sec, ms*int(time.Millisecond), time.Local))
	}
	call := &ctiv1.Call{
		CallId: "1-3", State: ctiv1.CallState_CALL_STATE_RINGING, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
		Remote: &ctiv1.Party{Number: "5551234", Name: "Alice"},
	}
	ended := &ctiv1.Call{
		CallId: "1-3", State: ctiv1.CallState_CALL_STATE_ENDED, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
		Remote: &ctiv1.Party{Number: "5551234", Name: "Alice"},
	}
	events := []*ctiv1.Event{
		{Time: at(5, 0), Payload: &ctiv1.Event_Gap{Gap: &ctiv1.Gap{
			FromSequence: 40, ToSequence: 41, Reason: "requested sequence is older than the replay buffer"}}},
		{Sequence: 42, Site: "hq", Device: "hq/reception", Time: at(5, 123),
			Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: call}}},
		{Sequence: 43, Site: "hq", Device: "hq/reception", Time: at(7, 500),
			Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
				Call: ended, Reason: ctiv1.EndReason_END_REASON_NORMAL, EndedBy: ctiv1.EndedBy_ENDED_BY_REMOTE}}},
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reqs requests
	var streams atomic.Int32
	addr := startFake(t, &fakeHost{watchEvents: func(r *ctiv1.WatchEventsRequest, s grpc.ServerStreamingServer[ctiv1.Event]) error {
		reqs.add(r)
		if streams.Add(1) == 1 {
			for _, ev := range events {
				if err := s.Send(ev); err != nil {
					return err
				}
			}
			return nil // the host closes the stream
		}
		cancel() // the user presses Ctrl-C once ctictl has reconnected
		<-s.Context().Done()
		return s.Context().Err()
	}}, nil)

	code, out, errOut := runCLI(ctx, addr, "events", "--from", "40", "--site", "hq",
		"--device", "hq/reception", "--kind", "call", "--kind", "driver")
	expect(t, code, out, errOut, 0, ""+
		"#- 15:04:05.000 - GAP !!! events #40-#41 were lost (requested sequence is older than the replay buffer); "+
		"re-read the state of the devices you track\n"+
		"#42 15:04:05.123 hq/reception call 1-3 ringing inbound from 5551234 \"Alice\"\n"+
		"#43 15:04:07.500 hq/reception call 1-3 ended inbound from 5551234 \"Alice\" reason normal by remote\n",
		"ctictl: events: stream closed by the host; reconnecting in 10ms from #44\n")
	want := func(from uint64) *ctiv1.WatchEventsRequest {
		return &ctiv1.WatchEventsRequest{
			FromSequence: from, Sites: []string{"hq"}, Devices: []string{"hq/reception"},
			Kinds: []ctiv1.EventKind{ctiv1.EventKind_EVENT_KIND_CALL, ctiv1.EventKind_EVENT_KIND_DRIVER},
		}
	}
	reqs.check(t, want(40), want(44))
}

// TestEventsRetryAndPermanentError checks that an UNAVAILABLE stream is
// retried with the same position and that NOT_FOUND ends the command.
func TestEventsRetryAndPermanentError(t *testing.T) {
	shortBackoff(t)
	var reqs requests
	var streams atomic.Int32
	addr := startFake(t, &fakeHost{watchEvents: func(r *ctiv1.WatchEventsRequest, s grpc.ServerStreamingServer[ctiv1.Event]) error {
		reqs.add(r)
		if streams.Add(1) == 1 {
			return status.Error(codes.Unavailable, "host is shutting down")
		}
		return status.Error(codes.NotFound, `unknown site "nowhere"`)
	}}, nil)
	code, out, errOut := runCLI(context.Background(), addr, "events", "--site", "nowhere")
	expect(t, code, out, errOut, 1, "", ""+
		"ctictl: events: WatchEvents: unavailable: host is shutting down; reconnecting in 10ms from live events\n"+
		"ctictl: WatchEvents: not_found: unknown site \"nowhere\"\n")
	want := &ctiv1.WatchEventsRequest{Sites: []string{"nowhere"}}
	reqs.check(t, want, want)
}

// TestEventLine checks the text of the event kinds not streamed above.
func TestEventLine(t *testing.T) {
	dnd := false
	for _, tc := range []struct {
		ev   *ctiv1.Event
		want string
	}{
		{&ctiv1.Event{Sequence: 7, Site: "hq", Payload: &ctiv1.Event_DriverChanged{DriverChanged: &ctiv1.DriverChanged{
			Driver: "grandstream", State: ctiv1.DriverState_DRIVER_STATE_RESTARTED, Version: "1.4.2", Pid: 99, Reason: "exit status 2"}}},
			`#7 - hq driver grandstream restarted version 1.4.2 pid 99 "exit status 2"`},
		{&ctiv1.Event{Sequence: 8, Site: "hq", Device: "hq/reception", Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{
			Status: &ctiv1.DeviceStatus{Reachable: true, Registration: ctiv1.Registration_REGISTRATION_REGISTERED, Dnd: &dnd,
				Forwards: []*ctiv1.Forward{{Mode: ctiv1.ForwardMode_FORWARD_MODE_NO_ANSWER, Destination: "2001"}}}}}},
			`#8 - hq/reception device reachable registered dnd off forward no_answer -> 2001`},
		{&ctiv1.Event{Sequence: 9, Site: "hq", Device: "hq/agent1", Payload: &ctiv1.Event_QueueChanged{QueueChanged: &ctiv1.QueueChanged{
			Membership: &ctiv1.QueueMembership{Queue: "600", Name: "Sales", Status: ctiv1.AgentStatus_AGENT_STATUS_PAUSED, PauseReason: "lunch"}}}},
			`#9 - hq/agent1 queue 600 "Sales" paused reason "lunch"`},
		{&ctiv1.Event{Sequence: 10, Site: "hq", Device: "hq/reception", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: "1-4", VendorState: "RINGINGDIVERT", Direction: ctiv1.CallDirection_CALL_DIRECTION_OUTBOUND,
				Remote: &ctiv1.Party{Number: "2001"}, RelatedCallId: "1-3", Muted: true}}}},
			`#10 - hq/reception call 1-4 vendor:RINGINGDIVERT outbound to 2001 related 1-3 muted`},
		{&ctiv1.Event{Sequence: 11, Site: "hq", Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: &ctiv1.DevicesChanged{
			Added:   []*ctiv1.Device{{Device: "hq/201", Name: "Alice", Kind: ctiv1.DeviceKind_DEVICE_KIND_EXTENSION}},
			Removed: []string{"hq/202"}}}},
			`#11 - hq devices +hq/201 "Alice" extension, -hq/202`},
		{&ctiv1.Event{Sequence: 12, Site: "hq", Device: "hq/201", Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{
			Status: &ctiv1.DeviceStatus{Reachable: true, UnavailableOperations: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_DIAL}}}}},
			`#12 - hq/201 device reachable lacks dial`},
		{&ctiv1.Event{Sequence: 15, Site: "cc", Device: "cc/202", Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{
			Status: &ctiv1.DeviceStatus{Reachable: true, Absence: &ctiv1.Absence{Preset: 3, Text: "until Monday"}, PresenceNote: "in a meeting",
				Voicemail: &ctiv1.Voicemail{NewMessages: 2}, Station: "211"}}}},
			`#15 - cc/202 device reachable absent 3 "until Monday" note "in a meeting" voicemail 2 new at 211`},
		{&ctiv1.Event{Sequence: 13, Site: "cc", Device: "cc/600", Payload: &ctiv1.Event_QueueStatusChanged{QueueStatusChanged: &ctiv1.QueueStatusChanged{
			Status: &ctiv1.QueueStatus{ServiceMode: ctiv1.QueueServiceMode_QUEUE_SERVICE_MODE_NIGHT_SERVICE, WaitingCalls: 2,
				Members: []*ctiv1.QueueMember{{Member: "202", Status: ctiv1.AgentStatus_AGENT_STATUS_WRAP_UP}}}}}},
			`#13 - cc/600 queue night_service 2 waiting members 202 wrap_up`},
		{&ctiv1.Event{Sequence: 14, Site: "cc", Device: "cc/600", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: "3", State: ctiv1.CallState_CALL_STATE_QUEUED, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: &ctiv1.Party{Number: "01632960001"}, Queue: &ctiv1.CallQueue{Queue: "600", Name: "Sales"}, DialedNumber: "0800123", Tag: "vip"}}}},
			`#14 - cc/600 call 3 queued inbound from 01632960001 queue 600 "Sales" dialed 0800123 tag "vip"`},
		{&ctiv1.Event{Sequence: 16, Site: "cc", Device: "cc/202", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: "4", State: ctiv1.CallState_CALL_STATE_CONNECTED, AccountCode: "42",
				OriginalCalled: &ctiv1.Party{Number: "600"}, ConferenceMembers: []*ctiv1.Party{{Number: "201"}, {Number: "01632960001"}}}}}},
			`#16 - cc/202 call 4 connected account 42 originally to 600 conference with 201, 01632960001`},
		{&ctiv1.Event{Sequence: 17, Site: "mt", Device: "mt/101", Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
			Call: &ctiv1.Call{CallId: "5", State: ctiv1.CallState_CALL_STATE_RINGING, Direction: ctiv1.CallDirection_CALL_DIRECTION_INBOUND,
				Remote: &ctiv1.Party{Number: "01632960001"}, Contact: &ctiv1.Contact{Id: "17", Source: "mirta:phonebook/Customers", Name: "Ada Lovelace", Company: "ACME Corp"}}}}},
			`#17 - mt/101 call 5 ringing inbound from 01632960001 contact "Ada Lovelace" (ACME Corp)`},
		{&ctiv1.Event{Sequence: 18, Site: "hq", Device: "hq/reception", Payload: &ctiv1.Event_CallScreened{CallScreened: &ctiv1.CallScreened{
			Call: &ctiv1.Call{CallId: "1-2", Remote: &ctiv1.Party{Number: "09001234"}}, Rule: "premium", Action: ctiv1.ScreeningAction_SCREENING_ACTION_REDIRECT,
			Destination: "2000", Latency: durationpb.New(42 * time.Millisecond)}}},
			`#18 - hq/reception screen call 1-2 screened by "premium": redirect to 2000 caller 09001234 in 42ms`},
	} {
		if got := eventLine(tc.ev); got != tc.want {
			t.Errorf("eventLine:\n got  %s\n want %s", got, tc.want)
		}
	}
}
