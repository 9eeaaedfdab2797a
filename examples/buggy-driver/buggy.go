package buggy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	acme "github.com/ctihost/ctihost/examples/driver-template"
)

const (
	// Name is the driver's name, the plugin block label in config.hcl; the
	// host then runs the binary cti-driver-buggy.
	Name = "buggy"
	// Model is the one model this driver serves: an ACME-1 that also
	// takes the fault keys through SendKeys.
	Model = "BUGGY-1"
)

// Version is the driver's own semver version. It is a variable so that a
// build can set it, to tell two binaries apart in swap tests:
//
//	go build -ldflags "-X github.com/ctihost/ctihost/examples/buggy-driver.Version=2.0.0" ./examples/buggy-driver/cmd/cti-driver-buggy
var Version = "1.0.0"

// acmeDriver is embedded under an unexported name, so that its methods are
// promoted (every RPC behaves like ACME's unless Driver overrides it) while
// callers cannot reach around the faults.
type acmeDriver = acme.Driver

// Driver is the buggy driver: the ACME driver plus the faults of faults.go.
// Build it with New. It is safe for concurrent use, as the Driver service
// requires, whatever faults are in force.
type Driver struct {
	*acmeDriver

	logger hclog.Logger
	model  *ctiv1.ModelInfo // BUGGY-1, built once by New; read-only

	// hangAll and garbage are the lasting faults (FAULT_HANG_ALL,
	// FAULT_GARBAGE); FAULT_RESET clears both.
	hangAll atomic.Bool
	garbage atomic.Bool
	// floods numbers flood calls across presses, so that call ids stay
	// unique on a device.
	floods atomic.Int64
	// release is never closed in a plugin process: a hung call waits on it
	// until the process dies. In-process tests close it to free the
	// goroutines they parked.
	release chan struct{}

	mu         sync.Mutex
	watchers   map[*watcher]struct{}    // open WatchEvents streams, for floods
	leaked     [][]byte                 // FAULT_LEAK's allocations, kept forever
	configured []string                 // every device's token, for FAULT_LEAK_SECRETS
	discovered map[string]*ctiv1.Device // FAULT_DISCOVER's devices, by id
	found      int                      // devices discovered so far, for their names
}

// New returns an unconfigured driver that logs to logger.
func New(logger hclog.Logger) *Driver {
	d := &Driver{
		acmeDriver: acme.New(logger),
		logger:     logger,
		release:    make(chan struct{}),
		watchers:   map[*watcher]struct{}{},
		discovered: map[string]*ctiv1.Device{},
	}
	info, err := d.acmeDriver.GetInfo(context.Background(), &ctiv1.GetInfoRequest{})
	if err != nil || len(info.GetModels()) != 1 {
		panic(fmt.Sprintf("buggy: the ACME driver no longer describes one model (%v): update buggy.New", err))
	}
	m := proto.Clone(info.GetModels()[0]).(*ctiv1.ModelInfo)
	m.Model = Model
	m.Description = "an ACME-1 that misbehaves on command: SendKeys with a FAULT_ key (see examples/buggy-driver)"
	for _, c := range []ctiv1.Capability{ctiv1.Capability_CAPABILITY_SEND_KEYS, ctiv1.Capability_CAPABILITY_DISCOVERY} {
		if !slices.Contains(m.Capabilities, c) {
			m.Capabilities = append(m.Capabilities, c)
		}
	}
	m.Keys = slices.Clone(Keys)
	d.model = m
	return d
}

// wedge hangs the calling RPC forever while FAULT_HANG_ALL is in force.
// Every unary RPC that reaches the driver calls it first, except SendKeys,
// so that FAULT_RESET can still be pressed. RPCs the SDK's guard answers
// itself (UNIMPLEMENTED for undeclared capabilities, NOT_FOUND for unknown
// devices, INVALID_ARGUMENT for malformed requests) never reach the driver,
// so they still answer.
func (d *Driver) wedge() {
	if d.hangAll.Load() {
		d.hang()
	}
}

// hang blocks until the process dies, whatever the caller's context says.
func (d *Driver) hang() { <-d.release }

// GetInfo describes the driver and BUGGY-1.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	d.wedge()
	return &ctiv1.DriverInfo{
		Name:       Name,
		Version:    Version,
		ApiVersion: sdk.APIVersion,
		Vendor:     "ctihost test fixtures",
		Models:     []*ctiv1.ModelInfo{proto.Clone(d.model).(*ctiv1.ModelInfo)},
	}, nil
}

// GetConfigSchema is ACME's: host and token per device, poll_interval.
func (d *Driver) GetConfigSchema(ctx context.Context, req *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	d.wedge()
	return d.acmeDriver.GetConfigSchema(ctx, req)
}

// Configure checks that every device is a BUGGY-1 and hands the
// configuration to ACME as ACME-1 devices. The caller's request is not
// changed: the SDK's guard reads the models in it after Configure returns.
func (d *Driver) Configure(ctx context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	d.wedge()
	inner := proto.Clone(req).(*ctiv1.ConfigureRequest)
	var problems []string
	for _, dc := range inner.GetDevices() {
		if !strings.EqualFold(dc.GetModel(), Model) {
			problems = append(problems, fmt.Sprintf("device %q: model %q is unknown; this driver serves %s", dc.GetDevice(), dc.GetModel(), Model))
		}
		dc.Model = acme.Model
	}
	if len(problems) > 0 {
		return nil, sdk.InvalidArgument("%s", strings.Join(problems, "; "))
	}
	var tokens []string
	for _, dc := range inner.GetDevices() {
		tokens = append(tokens, dc.GetSettings()["token"])
	}
	d.mu.Lock()
	d.configured = tokens
	d.mu.Unlock()
	return d.acmeDriver.Configure(ctx, inner)
}

// ListDevices lists ACME's devices as BUGGY-1s.
func (d *Driver) ListDevices(ctx context.Context, req *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	d.wedge()
	resp, err := d.acmeDriver.ListDevices(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, dev := range resp.GetDevices() {
		dev.Model = Model
		dev.Capabilities = slices.Clone(d.model.GetCapabilities())
	}
	resp.Devices = append(resp.Devices, d.discoveredDevices()...)
	return resp, nil
}

// GetDeviceState is ACME's state of the device; under FAULT_GARBAGE it
// answers for another device id, with an empty model.
func (d *Driver) GetDeviceState(ctx context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	d.wedge()
	if dev := d.discoveredDevice(req.GetDevice()); dev != nil {
		return &ctiv1.DeviceState{Device: dev.GetDevice(), Model: Model, Status: &ctiv1.DeviceStatus{Reachable: true}, UpdatedAt: timestamppb.Now()}, nil
	}
	st, err := d.acmeDriver.GetDeviceState(ctx, req)
	if err != nil {
		return nil, err
	}
	st.Model = Model
	if d.garbage.Load() {
		st.Device, st.Model = "garbage-"+st.GetDevice(), ""
	}
	return st, nil
}

// The command RPCs ACME implements, each behind the FAULT_HANG_ALL gate.

// Dial is ACME's.
func (d *Driver) Dial(ctx context.Context, req *ctiv1.DialRequest) (*ctiv1.DialResponse, error) {
	d.wedge()
	return d.acmeDriver.Dial(ctx, req)
}

// Answer is ACME's.
func (d *Driver) Answer(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.Answer(ctx, req)
}

// Reject is ACME's.
func (d *Driver) Reject(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.Reject(ctx, req)
}

// Hangup is ACME's.
func (d *Driver) Hangup(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.Hangup(ctx, req)
}

// Hold is ACME's.
func (d *Driver) Hold(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.Hold(ctx, req)
}

// Resume is ACME's.
func (d *Driver) Resume(ctx context.Context, req *ctiv1.CallRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.Resume(ctx, req)
}

// SetDND is ACME's.
func (d *Driver) SetDND(ctx context.Context, req *ctiv1.SetDNDRequest) (*ctiv1.CommandResponse, error) {
	d.wedge()
	return d.acmeDriver.SetDND(ctx, req)
}

// ListConnections is ACME's (it has none), behind the FAULT_HANG_ALL gate
// like every unary RPC.
func (d *Driver) ListConnections(ctx context.Context, req *ctiv1.ListConnectionsRequest) (*ctiv1.ListConnectionsResponse, error) {
	d.wedge()
	return d.acmeDriver.ListConnections(ctx, req)
}

// WatchEvents serves ACME's event stream (its sdk.Broadcaster, with its
// initial picture of every device) through a watcher, which adds floods
// and applies FAULT_GARBAGE and FAULT_HANG_ALL to every event sent.
func (d *Driver) WatchEvents(req *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	w := &watcher{ServerStreamingServer: stream, d: d}
	d.mu.Lock()
	d.watchers[w] = struct{}{}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.watchers, w)
		d.mu.Unlock()
		w.close()
	}()
	if err := w.Send(d.snapshot()); err != nil {
		return err
	}
	return d.acmeDriver.WatchEvents(req, w)
}

// openWatchers returns the open streams.
func (d *Driver) openWatchers() []*watcher {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*watcher, 0, len(d.watchers))
	for w := range d.watchers {
		out = append(out, w)
	}
	return out
}

var _ sdk.Driver = (*Driver)(nil)

// HandleCallback plays a driver whose devices call back (a phone's action
// URLs): a request whose query carries a configured device's token
// (token=…) is answered 200 with "ok <path>"; any other is refused 403,
// as a forged callback must be. Behind the FAULT_HANG_ALL gate.
func (d *Driver) HandleCallback(_ context.Context, req *ctiv1.CallbackRequest) (*ctiv1.CallbackResponse, error) {
	d.wedge()
	q, err := url.ParseQuery(req.GetQuery())
	token := q.Get("token")
	d.mu.Lock()
	known := err == nil && token != "" && slices.Contains(d.configured, token)
	d.mu.Unlock()
	if !known {
		return &ctiv1.CallbackResponse{HttpStatus: http.StatusForbidden}, nil
	}
	return &ctiv1.CallbackResponse{HttpStatus: http.StatusOK, ContentType: "text/plain", Body: []byte("ok " + req.GetPath())}, nil
}
