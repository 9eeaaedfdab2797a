package sdk

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// fakeDriver is a Driver whose behaviour tests set through function fields;
// RPCs without a function answer UNIMPLEMENTED like any driver that embeds
// ctiv1.UnimplementedDriverServer.
type fakeDriver struct {
	ctiv1.UnimplementedDriverServer
	info        *ctiv1.DriverInfo
	configure   func(*ctiv1.ConfigureRequest) error
	deviceState func(*ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error)
	hold        func(*ctiv1.CallRequest) (*ctiv1.CommandResponse, error)
	watch       func(grpc.ServerStreamingServer[ctiv1.Event]) error
}

func (f *fakeDriver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return f.info, nil
}

func (f *fakeDriver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	if f.configure != nil {
		if err := f.configure(req); err != nil {
			return nil, err
		}
	}
	return &ctiv1.ConfigureResponse{}, nil
}

func (f *fakeDriver) GetDeviceState(ctx context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	if f.deviceState == nil {
		return &ctiv1.DeviceState{Device: req.GetDevice(), Status: &ctiv1.DeviceStatus{Reachable: true}}, nil
	}
	return f.deviceState(req)
}

func (f *fakeDriver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	if f.hold == nil {
		return f.UnimplementedDriverServer.Hold(ctx, req)
	}
	return f.hold(req)
}

func (f *fakeDriver) WatchEvents(req *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	if f.watch == nil {
		return f.UnimplementedDriverServer.WatchEvents(req, stream)
	}
	return f.watch(stream)
}

// guarded serves d behind the guard on an in-memory connection. reached
// records the methods the guard let through to the driver.
type guarded struct {
	ctiv1.DriverClient
	mu      sync.Mutex
	reached []string
}

func (g *guarded) reachedDriver(method string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.reached {
		if m == method {
			return true
		}
	}
	return false
}

func serveGuarded(t *testing.T, d Driver) *guarded {
	t.Helper()
	gd := &guarded{}
	record := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		gd.mu.Lock()
		gd.reached = append(gd.reached, info.FullMethod[strings.LastIndex(info.FullMethod, "/")+1:])
		gd.mu.Unlock()
		return handler(ctx, req)
	}
	g := newGuard(d, hclog.NewNullLogger())
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(g.unary, record), grpc.ChainStreamInterceptor(g.stream))
	ctiv1.RegisterDriverServer(srv, d)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial bufconn: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	gd.DriverClient = ctiv1.NewDriverClient(conn)
	return gd
}

// holdModel declares only hold and resume, plus call events.
var holdModel = &ctiv1.ModelInfo{
	Model:       "Desk-1",
	Description: "use SendKeys for transfers",
	Capabilities: []ctiv1.Capability{
		ctiv1.Capability_CAPABILITY_HOLD,
		ctiv1.Capability_CAPABILITY_RESUME,
		ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	},
}

func newFake() *fakeDriver {
	return &fakeDriver{info: &ctiv1.DriverInfo{Name: "fake", Version: "0.1.0", ApiVersion: APIVersion, Vendor: "Fake", Models: []*ctiv1.ModelInfo{holdModel}}}
}

func configure(t *testing.T, c ctiv1.DriverClient, devices ...*ctiv1.DeviceConfig) {
	t.Helper()
	if _, err := c.Configure(t.Context(), &ctiv1.ConfigureRequest{Site: "lab", Devices: devices}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != want {
		t.Fatalf("got %v (%q), want %v", st.Code(), st.Message(), want)
	}
	return st
}

func TestGuardRefusesCommandsBeforeConfigure(t *testing.T) {
	c := serveGuarded(t, newFake())
	_, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "desk", CallId: "1-1"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := c.GetInfo(t.Context(), &ctiv1.GetInfoRequest{}); err != nil {
		t.Fatalf("GetInfo before Configure: %v", err)
	}
}

func TestGuardChecksTheDevice(t *testing.T) {
	c := serveGuarded(t, newFake())
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "desk-1"})
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"empty device on a command", func() error {
			_, err := c.Hold(t.Context(), &ctiv1.CallRequest{CallId: "1-1"})
			return err
		}, codes.InvalidArgument},
		{"empty device on GetDeviceState", func() error {
			_, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{})
			return err
		}, codes.InvalidArgument},
		{"unknown device on a command", func() error {
			_, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "nope", CallId: "1-1"})
			return err
		}, codes.NotFound},
		{"unknown device on GetDeviceState", func() error {
			_, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "nope"})
			return err
		}, codes.NotFound},
		{"configured device matched case-insensitively by model", func() error {
			_, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
			return err
		}, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
	if c.reachedDriver("Hold") {
		t.Error("a refused Hold reached the driver")
	}
}

func TestGuardUndeclaredCapabilityIsUnimplemented(t *testing.T) {
	c := serveGuarded(t, newFake())
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	_, err := c.Dial(t.Context(), &ctiv1.DialRequest{Device: "desk", Destination: "100"})
	st := wantCode(t, err, codes.Unimplemented)
	for _, want := range []string{"Dial", "Desk-1", "Hold", "Resume", "use SendKeys for transfers"} {
		if !strings.Contains(st.Message(), want) {
			t.Errorf("message %q does not mention %q", st.Message(), want)
		}
	}
	if strings.Contains(st.Message(), "CallEvents") || strings.Contains(st.Message(), "call_events") {
		t.Errorf("message %q lists an event capability as an operation", st.Message())
	}
	if c.reachedDriver("Dial") {
		t.Error("an undeclared Dial reached the driver")
	}
}

func TestGuardDeclaredCapabilityReachesTheDriver(t *testing.T) {
	d := newFake()
	var got *ctiv1.CallRequest
	d.hold = func(req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
		got = req
		return &ctiv1.CommandResponse{}, nil
	}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "DESK-1"})
	if _, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "desk", CallId: "1-1"}); err != nil {
		t.Fatalf("Hold: %v", err)
	}
	if got.GetDevice() != "desk" || got.GetCallId() != "1-1" {
		t.Fatalf("driver got %v, want device desk call 1-1", got)
	}
}

func TestGuardReconfigureReplacesDevices(t *testing.T) {
	c := serveGuarded(t, newFake())
	configure(t, c, &ctiv1.DeviceConfig{Device: "old", Model: "Desk-1"})
	configure(t, c, &ctiv1.DeviceConfig{Device: "new", Model: "Desk-1"})
	_, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "old"})
	wantCode(t, err, codes.NotFound)
	_, err = c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "new"})
	wantCode(t, err, codes.OK)
}

func TestGuardFailedConfigureKeepsDevices(t *testing.T) {
	d := newFake()
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	d.configure = func(*ctiv1.ConfigureRequest) error { return InvalidArgument("device %q: host is required", "other") }
	_, err := c.Configure(t.Context(), &ctiv1.ConfigureRequest{Devices: []*ctiv1.DeviceConfig{{Device: "other", Model: "Desk-1"}}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"})
	wantCode(t, err, codes.OK)
}

func TestGuardRecoversPanics(t *testing.T) {
	d := newFake()
	d.hold = func(*ctiv1.CallRequest) (*ctiv1.CommandResponse, error) { panic("boom") }
	d.watch = func(grpc.ServerStreamingServer[ctiv1.Event]) error { panic("stream boom") }
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	for range 2 { // the server keeps serving after a panic
		_, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "desk", CallId: "1-1"})
		st := wantCode(t, err, codes.Internal)
		if !strings.Contains(st.Message(), "Hold") || !strings.Contains(st.Message(), "boom") {
			t.Errorf("message %q does not name the method and the panic", st.Message())
		}
	}
	stream, err := c.WatchEvents(t.Context(), &ctiv1.WatchEventsRequest{})
	if err != nil {
		t.Fatalf("WatchEvents: %v", err)
	}
	_, err = stream.Recv()
	wantCode(t, err, codes.Internal)
	if _, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "desk"}); err != nil {
		t.Fatalf("GetDeviceState after panics: %v", err)
	}
}

func TestGuardKeepsVendorDetail(t *testing.T) {
	d := newFake()
	d.hold = func(*ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
		return nil, Aborted("device %q refused hold", "desk").WithVendor("acme", "desk", "http 409", "line busy")
	}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	_, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "desk", CallId: "1-1"})
	st := wantCode(t, err, codes.Aborted)
	if st.Message() != `device "desk" refused hold` {
		t.Errorf("message %q", st.Message())
	}
	want := &ctiv1.VendorError{Vendor: "acme", Device: "desk", Code: "http 409", Message: "line busy"}
	if got := VendorDetail(err); !proto.Equal(got, want) {
		t.Fatalf("VendorDetail = %v, want %v", got, want)
	}
}

func TestGuardLetsDiscoveredDevicesThrough(t *testing.T) {
	d := newFake()
	pbx := proto.Clone(holdModel).(*ctiv1.ModelInfo)
	pbx.Model = "PBX"
	pbx.Capabilities = append(pbx.Capabilities, ctiv1.Capability_CAPABILITY_DISCOVERY)
	d.info.Models = []*ctiv1.ModelInfo{pbx}
	d.hold = func(*ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
		return nil, NotFound("device %q is not an extension of this pbx", "ext-999")
	}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "pbx", Model: "PBX"})

	if _, err := c.GetDeviceState(t.Context(), &ctiv1.GetDeviceStateRequest{Device: "ext-200"}); err != nil {
		t.Fatalf("GetDeviceState of a discovered device: %v", err)
	}
	_, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "ext-999", CallId: "1-1"})
	wantCode(t, err, codes.NotFound) // the driver's own answer
	if !c.reachedDriver("Hold") {
		t.Fatal("Hold on a discovered device did not reach the driver")
	}
	_, err = c.Hold(t.Context(), &ctiv1.CallRequest{Device: "ext-200"})
	wantCode(t, err, codes.InvalidArgument) // still validated
}

// TestGuardChecksAnnouncedDevicesLikeConfiguredOnes announces a discovered
// device on the event stream with fewer capabilities than its model: the
// guard learns it from the stream and holds commands to its own list.
func TestGuardChecksAnnouncedDevicesLikeConfiguredOnes(t *testing.T) {
	d := newFake()
	pbx := proto.Clone(holdModel).(*ctiv1.ModelInfo)
	pbx.Model = "PBX"
	pbx.Capabilities = append(pbx.Capabilities, ctiv1.Capability_CAPABILITY_DISCOVERY)
	d.info.Models = []*ctiv1.ModelInfo{pbx}
	announce := make(chan *ctiv1.DevicesChanged)
	d.watch = func(s grpc.ServerStreamingServer[ctiv1.Event]) error {
		for dc := range announce {
			if err := s.Send(&ctiv1.Event{Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: dc}}); err != nil {
				return err
			}
		}
		return nil
	}
	held := 0
	d.hold = func(*ctiv1.CallRequest) (*ctiv1.CommandResponse, error) { held++; return &ctiv1.CommandResponse{}, nil }
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "pbx", Model: "PBX"})
	stream, err := c.WatchEvents(t.Context(), &ctiv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(dc *ctiv1.DevicesChanged) {
		announce <- dc
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	send(&ctiv1.DevicesChanged{Snapshot: true, Added: []*ctiv1.Device{
		{Device: "201", Model: "PBX", Capabilities: []ctiv1.Capability{ctiv1.Capability_CAPABILITY_RESUME}},
		{Device: "202", Model: "pbx"},
	}})
	_, err = c.Hold(t.Context(), &ctiv1.CallRequest{Device: "201", CallId: "1"})
	wantCode(t, err, codes.Unimplemented) // 201 lists resume only
	if _, err := c.Hold(t.Context(), &ctiv1.CallRequest{Device: "202", CallId: "1"}); err != nil {
		t.Errorf("Hold on 202, whose model holds: %v", err)
	}
	close(announce)
	if held != 1 {
		t.Errorf("the driver held %d calls, want 1 (202's)", held)
	}
}

// TestGuardRefusesDialOptionsTheModelDoesNotOffer: a model without
// DIAL_OPTIONS must never see a Dial with options it would ignore.
func TestGuardRefusesDialOptionsTheModelDoesNotOffer(t *testing.T) {
	d := newFake()
	dialer := proto.Clone(holdModel).(*ctiv1.ModelInfo)
	dialer.Capabilities = append(dialer.Capabilities, ctiv1.Capability_CAPABILITY_DIAL)
	d.info.Models = []*ctiv1.ModelInfo{dialer}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	for _, req := range []*ctiv1.DialRequest{
		{Device: "desk", Destination: "201", Tag: "case"},
		{Device: "desk", Destination: "201", AccountCode: "42"},
		{Device: "desk", Destination: "201", WithholdCallerId: true},
		{Device: "desk", Destination: "201", CallerId: "0800"},
	} {
		_, err := c.Dial(t.Context(), req)
		if st := wantCode(t, err, codes.Unimplemented); !strings.Contains(st.Message(), "cannot dial with options") {
			t.Errorf("Dial(%v): %s", req, st.Message())
		}
	}
	if c.reachedDriver("Dial") {
		t.Error("a Dial with options reached a driver whose model does not offer them")
	}
	_, err := c.Dial(t.Context(), &ctiv1.DialRequest{Device: "desk", Destination: "201", Tag: strings.Repeat("x", 128)})
	wantCode(t, err, codes.InvalidArgument)
}

// TestGuardRefusesKeyTimingTheModelDoesNotOffer: press_ms and pause_ms
// reach only a model with timed_keys.
func TestGuardRefusesKeyTimingTheModelDoesNotOffer(t *testing.T) {
	d := newFake()
	keys := proto.Clone(holdModel).(*ctiv1.ModelInfo)
	keys.Capabilities = append(keys.Capabilities, ctiv1.Capability_CAPABILITY_SEND_KEYS)
	keys.Keys = []string{"P1"}
	d.info.Models = []*ctiv1.ModelInfo{keys}
	c := serveGuarded(t, d)
	configure(t, c, &ctiv1.DeviceConfig{Device: "desk", Model: "Desk-1"})
	_, err := c.SendKeys(t.Context(), &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{"P1"}, PressMs: 2000})
	if st := wantCode(t, err, codes.Unimplemented); !strings.Contains(st.Message(), "own timing") {
		t.Errorf("SendKeys with press_ms: %s", st.Message())
	}
	_, err = c.SendKeys(t.Context(), &ctiv1.SendKeysRequest{Device: "desk", Keys: []string{"P1"}, PauseMs: 20_000})
	wantCode(t, err, codes.InvalidArgument)
	if c.reachedDriver("SendKeys") {
		t.Error("timed keys reached a driver whose model does not take them")
	}
}
