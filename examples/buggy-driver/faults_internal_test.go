package buggy

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	acme "github.com/ctihost/ctihost/examples/driver-template"
	"github.com/ctihost/ctihost/examples/driver-template/acmesim"
)

// These tests run the driver in process, without the SDK's guard, for the
// faults that do not end the process (process_test.go presses those).

// newDriver returns a driver configured with one simulated phone, "desk".
// When the test ends it frees every goroutine a hang parked, then stops the
// poller.
func newDriver(t *testing.T) (*Driver, *acmesim.Phone) {
	t.Helper()
	phone := acmesim.NewPhone("tok", 2)
	srv := httptest.NewServer(phone)
	d := New(hclog.NewNullLogger())
	_, err := d.Configure(t.Context(), &ctiv1.ConfigureRequest{
		Settings: map[string]string{"poll_interval": "20ms"},
		Devices:  []*ctiv1.DeviceConfig{{Device: "desk", Model: "buggy-1", Settings: map[string]string{"host": srv.URL, "token": "tok"}}},
	})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() {
		close(d.release)
		_, _ = d.acmeDriver.Configure(context.Background(), &ctiv1.ConfigureRequest{})
		srv.Close()
	})
	return d, phone
}

func press(t *testing.T, d *Driver, keys ...string) {
	t.Helper()
	if _, err := d.SendKeys(t.Context(), &ctiv1.SendKeysRequest{Device: "desk", Keys: keys}); err != nil {
		t.Fatalf("SendKeys(%v): %v", keys, err)
	}
}

// fakeStream is the server side of one WatchEvents stream, in process.
type fakeStream struct {
	grpc.ServerStream // nil: only Context and Send are used
	ctx               context.Context
	events            chan *ctiv1.Event
}

func (s *fakeStream) Context() context.Context { return s.ctx }

func (s *fakeStream) Send(ev *ctiv1.Event) error {
	select {
	case s.events <- ev:
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// watch opens a stream and waits until the driver has it. The stream ends
// when the test does (a stalled one when the driver's hangs are freed).
func watch(t *testing.T, d *Driver) *fakeStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &fakeStream{ctx: ctx, events: make(chan *ctiv1.Event, 64)}
	before := len(d.openWatchers())
	go func() { _ = d.WatchEvents(&ctiv1.WatchEventsRequest{}, s) }()
	for len(d.openWatchers()) == before {
		time.Sleep(time.Millisecond)
	}
	return s
}

// next returns the stream's next event, or fails after a few seconds.
func (s *fakeStream) next(t *testing.T) *ctiv1.Event {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return nil
	}
}

// silent reports whether the stream sends nothing for a while.
func (s *fakeStream) silent(d time.Duration) bool {
	select {
	case <-s.events:
		return false
	case <-time.After(d):
		return true
	}
}

// start runs fn in a goroutine and returns a channel closed when it returns.
func start(fn func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	return done
}

// returned reports whether done is closed within d.
func returned(done chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func TestInfoDescribesBuggy1(t *testing.T) {
	d := New(hclog.NewNullLogger())
	info, err := d.GetInfo(t.Context(), &ctiv1.GetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	acmeInfo, _ := acme.New(hclog.NewNullLogger()).GetInfo(t.Context(), &ctiv1.GetInfoRequest{})
	want := append(slices.Clone(acmeInfo.GetModels()[0].GetCapabilities()), ctiv1.Capability_CAPABILITY_SEND_KEYS, ctiv1.Capability_CAPABILITY_DISCOVERY)
	m := info.GetModels()[0]
	if info.GetName() != "buggy" || info.GetVersion() != "1.0.0" || len(info.GetModels()) != 1 || m.GetModel() != "BUGGY-1" {
		t.Errorf("GetInfo = %v", info)
	}
	if !slices.Equal(m.GetCapabilities(), want) {
		t.Errorf("capabilities %v, want ACME-1's plus send_keys and discovery: %v", m.GetCapabilities(), want)
	}
	if !slices.Equal(m.GetKeys(), Keys) || m.GetKeys()[0] != FaultReset {
		t.Errorf("keys %v, want %v with FAULT_RESET first (the kit presses the first key)", m.GetKeys(), Keys)
	}
}

func TestConfigureTakesOnlyBuggy1AndLeavesTheRequestAlone(t *testing.T) {
	d := New(hclog.NewNullLogger())
	req := &ctiv1.ConfigureRequest{Devices: []*ctiv1.DeviceConfig{
		{Device: "a", Model: "ACME-1", Settings: map[string]string{"host": "127.0.0.1:1", "token": "t"}},
	}}
	_, err := d.Configure(t.Context(), req)
	if st := sdk.Status(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), `model "ACME-1" is unknown; this driver serves BUGGY-1`) {
		t.Errorf("Configure with an ACME-1 = %v, want INVALID_ARGUMENT naming BUGGY-1", err)
	}
	req.Devices[0].Model = "Buggy-1"
	if _, err := d.Configure(t.Context(), req); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	t.Cleanup(func() { _, _ = d.Configure(context.Background(), &ctiv1.ConfigureRequest{}) })
	if got := req.GetDevices()[0].GetModel(); got != "Buggy-1" {
		t.Errorf("Configure changed the caller's model to %q; the SDK's guard reads it", got)
	}
	list, err := d.ListDevices(t.Context(), &ctiv1.ListDevicesRequest{})
	if err != nil || len(list.GetDevices()) != 1 || list.GetDevices()[0].GetModel() != Model ||
		!slices.Contains(list.GetDevices()[0].GetCapabilities(), ctiv1.Capability_CAPABILITY_SEND_KEYS) {
		t.Errorf("ListDevices = %v, %v; want one BUGGY-1 with send_keys", list, err)
	}
}

func TestGarbageUntilReset(t *testing.T) {
	d, _ := newDriver(t)
	reachable(t, d)              // the poller's first event is out: the stream below sees only what follows
	press(t, d, "fault_garbage") // key names are case-insensitive
	st, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
	if err != nil || st.GetDevice() == "desk" || st.GetModel() != "" {
		t.Errorf("GetDeviceState(desk) under garbage = %v, %v; want another device, no model", st, err)
	}
	s := watch(t, d)
	garbage := func(what string) {
		t.Helper()
		if ev := s.next(t); ev.GetPayload() != nil || ev.GetDevice() != "" || ev.GetTime() == nil {
			t.Errorf("%s under garbage: %v, want a time, no payload and no device", what, ev)
		}
	}
	garbage("device snapshot")
	garbage("initial event")
	if _, err := d.SetDND(t.Context(), &ctiv1.SetDNDRequest{Device: "desk", Enabled: true}); err != nil {
		t.Fatalf("SetDND: %v", err)
	}
	garbage("dnd event")

	press(t, d, FaultReset)
	st, err = d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
	if err != nil || st.GetDevice() != "desk" || st.GetModel() != Model {
		t.Errorf("GetDeviceState(desk) after reset = %v, %v", st, err)
	}
	if _, err := d.SetDND(t.Context(), &ctiv1.SetDNDRequest{Device: "desk", Enabled: false}); err != nil {
		t.Fatalf("SetDND: %v", err)
	}
	for { // garbling happens when an event is sent: after the reset, none is
		ev := s.next(t)
		if ev.GetDevice() != "desk" || ev.GetDeviceChanged() == nil {
			t.Fatalf("event after reset: %v, want desk's DeviceChanged", ev)
		}
		if dnd := ev.GetDeviceChanged().GetStatus().Dnd; dnd != nil && !*dnd {
			break
		}
	}
}

// reachable waits until the poller has reached the phone.
func reachable(t *testing.T, d *Driver) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
		if err == nil && st.GetStatus().GetReachable() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("desk never became reachable: %v, %v", st, err)
		}
	}
}

// TestHangAllWedgesEveryUnaryRPCButSendKeys calls every unary RPC of the
// Driver service that reaches the driver (the guard answers the ones whose
// capability BUGGY-1 does not declare) with a short deadline: each must
// ignore it and hang, and stay hung after FAULT_RESET, while new calls
// answer again.
func TestHangAllWedgesEveryUnaryRPCButSendKeys(t *testing.T) {
	d, phone := newDriver(t)
	reachable(t, d)
	stalled := watch(t, d)
	if ev := stalled.next(t); !ev.GetDevicesChanged().GetSnapshot() {
		t.Fatalf("a stream starts with %v, want the discovered devices' snapshot", ev)
	}
	stalled.next(t) // desk's initial DeviceChanged; nothing else is due
	press(t, d, FaultHangAll)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	hung := map[string]chan struct{}{}
	for _, m := range ctiv1.Driver_ServiceDesc.Methods {
		c, needs := sdk.CapabilityFor(m.MethodName)
		if m.MethodName == "SendKeys" || (needs && !slices.Contains(d.model.GetCapabilities(), c)) {
			continue
		}
		method := reflect.ValueOf(d).MethodByName(m.MethodName)
		req := reflect.New(method.Type().In(1).Elem())
		hung[m.MethodName] = start(func() { method.Call([]reflect.Value{reflect.ValueOf(ctx), req}) })
	}
	time.Sleep(100 * time.Millisecond) // past the callers' deadline
	var names []string
	for name, done := range hung {
		names = append(names, name)
		if returned(done, 0) {
			t.Errorf("%s returned under FAULT_HANG_ALL", name)
		}
	}
	slices.Sort(names)
	t.Logf("hung: %s", strings.Join(names, ", "))
	for _, name := range []string{"GetInfo", "GetConfigSchema", "Configure", "ListDevices", "GetDeviceState", "Dial", "SetDND"} {
		if hung[name] == nil {
			t.Errorf("%s was not called", name)
		}
	}
	if err := phone.RingIn("5551234"); err != nil {
		t.Fatal(err)
	}
	if !stalled.silent(300 * time.Millisecond) {
		t.Error("the event stream sent an event under FAULT_HANG_ALL")
	}
	press(t, d, FaultFlood) // SendKeys still answers; the flood stalls too
	if !stalled.silent(100 * time.Millisecond) {
		t.Error("the event stream sent a flood under FAULT_HANG_ALL")
	}

	press(t, d, FaultReset)
	if !returned(start(func() { _, _ = d.GetInfo(t.Context(), &ctiv1.GetInfoRequest{}) }), time.Second) {
		t.Error("GetInfo still hangs after FAULT_RESET")
	}
	for name, done := range hung {
		if returned(done, 0) {
			t.Errorf("%s returned after FAULT_RESET; a hung call stays hung", name)
		}
	}
	fresh := watch(t, d)
	fresh.next(t) // the discovered devices' snapshot
	if ev := fresh.next(t); ev.GetDevice() != "desk" {
		t.Errorf("a new stream after reset starts with %v", ev)
	}
}

func TestHangHoldsOnlyItsOwnCall(t *testing.T) {
	d, _ := newDriver(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if returned(start(func() {
		_, _ = d.SendKeys(ctx, &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{FaultHang}})
	}), 200*time.Millisecond) {
		t.Error("SendKeys(FAULT_HANG) returned past its deadline")
	}
	if _, err := d.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"}); err != nil {
		t.Errorf("GetDeviceState beside a hung call: %v", err)
	}
}

// TestFloodSendsEveryCallToEveryStream counts the flood on two streams:
// 100000 calls each, in order, each ringing then ended.
func TestFloodSendsEveryCallToEveryStream(t *testing.T) {
	d, _ := newDriver(t)
	streams := []*fakeStream{watch(t, d), watch(t, d)}
	press(t, d, FaultFlood)
	began := time.Now()
	errs := make(chan error, len(streams))
	for _, s := range streams {
		go func() { errs <- countFlood(s, 1) }()
	}
	for range streams {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("2 streams × %d events in %v", 2*floodCalls, time.Since(began).Round(time.Millisecond))
}

// countFlood reads s until it has seen one whole flood whose first call is
// flood-first: for each call, in order, a CallChanged (ringing) on desk, then
// its CallEnded (ended).
func countFlood(s *fakeStream, first int64) error {
	timeout := time.After(20 * time.Second)
	for i := int64(0); i < 2*floodCalls; {
		var ev *ctiv1.Event
		select {
		case ev = <-s.events:
		case <-timeout:
			return fmt.Errorf("the flood stopped after %d events", i)
		}
		changed, ended := ev.GetCallChanged().GetCall(), ev.GetCallEnded().GetCall()
		if !strings.HasPrefix(changed.GetCallId()+ended.GetCallId(), "flood-") {
			continue // the initial picture, or the poller
		}
		id := fmt.Sprintf("flood-%d", first+i/2)
		ok := ev.GetDevice() == "desk" && ev.GetTime() != nil
		if i%2 == 0 {
			ok = ok && changed.GetCallId() == id && changed.GetState() == ctiv1.CallState_CALL_STATE_RINGING
		} else {
			ok = ok && ended.GetCallId() == id && ended.GetState() == ctiv1.CallState_CALL_STATE_ENDED
		}
		if !ok {
			return fmt.Errorf("flood event %d is %v, want call %s on desk, ringing then ended", i, ev, id)
		}
		i++
	}
	return nil
}

func TestLeakKeepsMemory(t *testing.T) {
	d, _ := newDriver(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	press(t, d, FaultLeak, FaultLeak)
	runtime.GC()
	runtime.ReadMemStats(&after)
	// Allow 1 MiB for whatever else the collector freed meanwhile.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew < 2*leakSize-1<<20 {
		t.Errorf("the heap grew by %d bytes after two presses, want about %d", grew, 2*leakSize)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.leaked) != 2 {
		t.Errorf("%d leaks kept, want 2", len(d.leaked))
	}
}
