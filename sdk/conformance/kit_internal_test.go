package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

func callChanged(id string, s ctiv1.CallState, ops ...ctiv1.Capability) *ctiv1.Event {
	return &ctiv1.Event{Device: "d", Time: timestamppb.Now(), Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{
		Call: &ctiv1.Call{CallId: id, State: s, AvailableOperations: ops}}}}
}

func callEnded(id string) *ctiv1.Event {
	return &ctiv1.Event{Device: "d", Time: timestamppb.Now(), Payload: &ctiv1.Event_CallEnded{CallEnded: &ctiv1.CallEnded{
		Call: &ctiv1.Call{CallId: id, State: ctiv1.CallState_CALL_STATE_ENDED}}}}
}

func TestCheckEvents(t *testing.T) {
	declared := []ctiv1.Capability{capAnswer, capHangup}
	noTime := callChanged("1", stateRinging)
	noTime.Time = nil
	endedWrongState := callEnded("1")
	endedWrongState.GetCallEnded().Call.State = stateConnected
	tests := []struct {
		name   string
		events []*ctiv1.Event
		want   string // a problem that must be reported; "" for none
	}{
		{"a clean call", []*ctiv1.Event{callChanged("1", stateRinging, capAnswer), callChanged("1", stateConnected, capHangup), callEnded("1")}, ""},
		{"interleaved calls", []*ctiv1.Event{callChanged("1", stateRinging), callChanged("2", stateRinging), callEnded("2"), callEnded("1")}, ""},
		{"CallChanged after CallEnded", []*ctiv1.Event{callChanged("1", stateRinging), callEnded("1"), callChanged("1", stateConnected), callEnded("1")}, "after its CallEnded"},
		{"two CallEnded", []*ctiv1.Event{callChanged("1", stateRinging), callEnded("1"), callEnded("1")}, "a second CallEnded"},
		{"CallEnded out of nowhere", []*ctiv1.Event{callEnded("9")}, "had no CallChanged"},
		{"never ended", []*ctiv1.Event{callChanged("1", stateRinging)}, "never got its CallEnded"},
		{"ended state in CallChanged", []*ctiv1.Event{callChanged("1", ctiv1.CallState_CALL_STATE_ENDED), callEnded("1")}, "only CallEnded may carry"},
		{"live state in CallEnded", []*ctiv1.Event{callChanged("1", stateRinging), endedWrongState}, "want ended or failed"},
		{"undeclared operation", []*ctiv1.Event{callChanged("1", stateRinging, capHold), callEnded("1")}, "offers operation hold"},
		{"no time", []*ctiv1.Event{noTime, callEnded("1")}, "has no time"},
		{"no payload", []*ctiv1.Event{{Device: "d", Time: timestamppb.Now()}}, "has no payload"},
		{"host-only payload", []*ctiv1.Event{{Device: "d", Time: timestamppb.Now(), Payload: &ctiv1.Event_CallScreened{CallScreened: &ctiv1.CallScreened{}}}}, "host-only payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := checkEvents(tt.events, declared, true)
			if tt.want == "" {
				if len(problems) > 0 {
					t.Fatalf("problems in a clean log: %v", problems)
				}
				return
			}
			if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
				t.Fatalf("problems %v do not report %q", problems, tt.want)
			}
		})
	}
}

func TestCommandsCoverEveryCommandRPC(t *testing.T) {
	methods := commandMethods()
	if len(methods) == 0 {
		t.Fatal("no command methods found in the Driver service")
	}
	for _, m := range methods {
		if commands[m] == nil {
			t.Errorf("the kit has no invoker for %s", m)
		}
	}
	for m := range commands {
		if _, ok := sdk.CapabilityFor(m); !ok {
			t.Errorf("invoker %s is not a command RPC", m)
		}
	}
}

func TestEveryCapabilityIsStagedOrProbed(t *testing.T) {
	for v := range ctiv1.Capability_name {
		c := ctiv1.Capability(v)
		if c == ctiv1.Capability_CAPABILITY_UNSPECIFIED {
			continue
		}
		if (stagedBy[c] == "") == !unstageable[c] {
			t.Errorf("%s must be either staged by a scenario or listed as unstageable, not %s", c, map[bool]string{true: "both", false: "neither"}[unstageable[c]])
		}
	}
}

func TestHarmlessKey(t *testing.T) {
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"1", "SEND", "vup"}, "vup"},
		{[]string{"LINE1", "VOLUME_UP"}, "VOLUME_UP"},
		{[]string{"SPEAKER", "VDOWN"}, "VDOWN"},
		{[]string{"1", "2"}, "1"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := harmlessKey(tt.keys); got != tt.want {
			t.Errorf("harmlessKey(%v) = %q, want %q", tt.keys, got, tt.want)
		}
	}
}

func TestSemver(t *testing.T) {
	for v, ok := range map[string]bool{
		"1.2.0": true, "0.1.0-rc.1": true, "10.20.30+build.5": true,
		"v1.2.0": false, "1.2": false, "01.2.3": false, "": false,
	} {
		if semver.MatchString(v) != ok {
			t.Errorf("semver match %q = %v, want %v", v, !ok, ok)
		}
	}
}

func TestExpectCode(t *testing.T) {
	var rec recorder
	if !ExpectCode(&rec, nil, codes.OK) || !ExpectCode(&rec, status.Error(codes.NotFound, "x"), codes.FailedPrecondition, codes.NotFound) {
		t.Fatal("a matching code was refused")
	}
	if len(rec.errors) != 0 {
		t.Fatalf("errors reported on matches: %v", rec.errors)
	}
	if ExpectCode(&rec, errors.New("boom"), codes.OK) {
		t.Fatal("a plain error matched OK")
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "got Unknown, want OK") {
		t.Fatalf("report %v", rec.errors)
	}
}

// recorder is a testing.TB that keeps what would fail a test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func TestEventLogWait(t *testing.T) {
	l := newEventLog()
	l.add(callChanged("1", stateRinging))
	go func() {
		time.Sleep(20 * time.Millisecond)
		l.add(callChanged("1", stateConnected))
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	ev, v, err := l.wait(ctx, "d", 0, func(ev *ctiv1.Event) verdict {
		if ev.GetCallChanged().GetCall().GetState() == stateConnected {
			return found
		}
		return skip
	})
	if err != nil || v != found || ev.GetCallChanged().GetCall().GetState() != stateConnected {
		t.Fatalf("wait = %v, %v, %v", ev, v, err)
	}
	l.end(status.Error(codes.Unavailable, "driver died"))
	_, _, err = l.wait(ctx, "d", l.len("d"), func(*ctiv1.Event) verdict { return skip })
	if !strings.Contains(errString(err), "driver died") {
		t.Fatalf("wait on an ended stream: %v", err)
	}
}

func TestRaceWatch(t *testing.T) {
	var r raceWatch
	for _, line := range []string{"{\"@message\":\"hello\"}", "==================", "WARNING: DATA RACE", "Read at 0x1 by goroutine 7:", "==================", "after"} {
		_, _ = r.Write([]byte(line))
		_, _ = r.Write([]byte("\n"))
	}
	got := r.report()
	if !strings.Contains(got, "WARNING: DATA RACE") || !strings.Contains(got, "goroutine 7") || strings.Contains(got, "hello") || strings.Contains(got, "after") {
		t.Fatalf("report %q", got)
	}
	var quiet raceWatch
	_, _ = quiet.Write([]byte("all fine\n"))
	if quiet.report() != "" {
		t.Fatal("a report without a race")
	}
}

// scriptedClient is a DriverClient whose GetDeviceState walks through
// scripted states, one per call, staying on the last.
type scriptedClient struct {
	ctiv1.DriverClient
	mu     sync.Mutex
	states []*ctiv1.DeviceState
}

func (c *scriptedClient) GetDeviceState(context.Context, *ctiv1.GetDeviceStateRequest, ...grpc.CallOption) (*ctiv1.DeviceState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.states[0]
	if len(c.states) > 1 {
		c.states = c.states[1:]
	}
	return st, nil
}

func withCalls(calls ...*ctiv1.Call) *ctiv1.DeviceState {
	return &ctiv1.DeviceState{Device: "d", Status: &ctiv1.DeviceStatus{Reachable: true}, Calls: calls}
}

// TestPollingFollowsACallWithoutEvents covers models without CALL_EVENTS:
// the kit follows their calls through GetDeviceState.
func TestPollingFollowsACallWithoutEvents(t *testing.T) {
	ringing := &ctiv1.Call{CallId: "7", State: stateRinging}
	connected := &ctiv1.Call{CallId: "7", State: stateConnected}
	client := &scriptedClient{states: []*ctiv1.DeviceState{
		withCalls(), withCalls(), withCalls(ringing), withCalls(connected), withCalls(connected), withCalls(),
	}}
	k := &kit{cfg: Config{EventTimeout: 5 * time.Second}, client: client, events: newEventLog(), calls: newCallTracker(),
		covered: map[string]map[ctiv1.Capability]string{}}
	d := &device{k: k, id: "d", model: &ctiv1.ModelInfo{Model: "Quiet", Capabilities: []ctiv1.Capability{capAnswer}}}
	if d.viaEvents() {
		t.Fatal("a model without call_events is followed through events")
	}
	m := d.mark(t) // consumes the first idle state
	c := d.waitNewCall(t, m, "state ringing", isState(stateRinging))
	if c.GetCallId() != "7" || len(k.calls.calls("d")) != 1 {
		t.Fatalf("new call %v, tracked %v", c, k.calls.calls("d"))
	}
	d.waitCall(t, m, "7", "state connected", isState(stateConnected))
	if end := d.waitEnded(t, m, "7"); end != nil {
		t.Fatalf("polling invented a CallEnded: %v", end)
	}
	if len(k.calls.calls("d")) != 0 {
		t.Fatal("the ended call is still tracked")
	}
	if _, ok := d.coveredBy(capCallEvents); ok {
		t.Fatal("polling counted as exercising call_events")
	}
}
