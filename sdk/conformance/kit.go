package conformance

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Config says which driver to test and with what.
type Config struct {
	// DriverPath is the driver binary. REQUIRED. The kit launches it with
	// sdk.ClientConfig and sdk.Dispense: the real go-plugin path, AutoMTLS.
	DriverPath string
	// Site is passed to Configure. Defaults to "conformance".
	Site string
	// Settings are the driver-level settings for Configure, defaults
	// applied and secrets resolved, as the host would pass them.
	Settings map[string]string
	// Devices are the devices for Configure. REQUIRED, at least one. The
	// kit tests every device, each against its model's capabilities.
	Devices []*ctiv1.DeviceConfig
	// Connections are the connections for Configure (ConnectionConfig),
	// for a driver that declares connection settings; their device_prefix
	// is left empty, as for a process that serves one site.
	Connections []*ctiv1.ConnectionConfig
	// Callbacks says the driver's devices call it back (HandleCallback):
	// the kit stands in for the host's callback listener on loopback and
	// passes its URL as ConfigureRequest.callback_base_url.
	Callbacks bool
	// Queues are queue names (as QueueRequest.queue takes them) that the
	// kit may have agent devices join, pause, unpause and leave; each
	// device that declares join_queue, leave_queue and pause_agent does,
	// with the first queue it is not a member of. OPTIONAL: without it
	// those capabilities are only probed.
	Queues []string
	// ForeignDevices are device ids the driver must not serve (another
	// site's, another tenant's, a user outside the connection's scope):
	// each MUST answer NOT_FOUND. OPTIONAL.
	ForeignDevices []string
	// ContactEnrichment says the driver is configured to put the
	// looked-up contact on ringing inbound calls (Call.contact): with a
	// DirectoryLab, the kit rings a device from a contact's number and
	// requires it. OPTIONAL.
	ContactEnrichment bool
	// Lab drives the far side of each device. REQUIRED. A Lab that is also
	// a DiscoveryLab lets the kit add and remove devices on the system.
	Lab Lab
	// EventTimeout is how long to wait for an expected event or state
	// change. Defaults to 5s.
	EventTimeout time.Duration
}

// Lab drives the far side of a simulated device (or a real lab phone). The
// kit calls it from one goroutine at a time, always with a device of
// Config.Devices. Each method returns once the far side has acted; the
// driver may take until its next poll to notice.
type Lab interface {
	// RingIn starts an inbound call from number from ringing at device.
	RingIn(ctx context.Context, device, from string) error
	// RemoteAnswer makes the far end answer the device's outbound call.
	RemoteAnswer(ctx context.Context, device string) error
	// RemoteHangup makes the far end hang up the device's call (the one
	// call the kit has on the device at that moment).
	RemoteHangup(ctx context.Context, device string) error
	// SetReachable takes the device off the network (up=false: it stops
	// answering the driver) or puts it back.
	SetReachable(ctx context.Context, device string, up bool) error
}

// DefaultEventTimeout is Config.EventTimeout's default.
const DefaultEventTimeout = 5 * time.Second

// kit is one run: the driver's client, the event log and what the
// scenarios learn.
type kit struct {
	cfg     Config
	client  ctiv1.DriverClient
	info    *ctiv1.DriverInfo
	devices []*device
	events  *eventLog
	calls   *callTracker
	numbers atomic.Int64

	callbackURL    string // the stand-in callback listener's, with Config.Callbacks
	callbackSecret string // and the instance's secret, as the host gives one

	mu      sync.Mutex
	covered map[string]map[ctiv1.Capability]string // device -> capability -> first scenario that exercised it
}

// device is one configured device under test.
type device struct {
	k     *kit
	id    string
	model *ctiv1.ModelInfo
}

// has reports whether the device's model declares every capability in caps.
func (d *device) has(caps ...ctiv1.Capability) bool {
	for _, c := range caps {
		found := false
		for _, declared := range d.model.GetCapabilities() {
			found = found || declared == c
		}
		if !found {
			return false
		}
	}
	return true
}

// cover records that the running scenario exercised capability c on d.
func (d *device) cover(t *testing.T, c ctiv1.Capability) {
	d.k.mu.Lock()
	defer d.k.mu.Unlock()
	if d.k.covered[d.id] == nil {
		d.k.covered[d.id] = map[ctiv1.Capability]string{}
	}
	if _, done := d.k.covered[d.id][c]; !done {
		d.k.covered[d.id][c] = t.Name()
	}
}

func (d *device) coveredBy(c ctiv1.Capability) (string, bool) {
	d.k.mu.Lock()
	defer d.k.mu.Unlock()
	name, ok := d.k.covered[d.id][c]
	return name, ok
}

// Run runs the whole kit against the driver of cfg, as subtests of t. It
// launches the driver once and kills it when t ends.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if cfg.DriverPath == "" || cfg.Lab == nil || len(cfg.Devices) == 0 {
		t.Fatal("conformance: Config needs DriverPath, Lab and at least one device")
	}
	if cfg.Site == "" {
		cfg.Site = "conformance"
	}
	if cfg.EventTimeout <= 0 {
		cfg.EventTimeout = DefaultEventTimeout
	}
	k := &kit{cfg: cfg, events: newEventLog(), calls: newCallTracker(), covered: map[string]map[ctiv1.Capability]string{}}
	k.numbers.Store(5550100)
	k.launch(t)
	if cfg.Callbacks {
		k.callbackURL, k.callbackSecret = k.serveCallbacks(t), rand.Text()
	}
	before := k.beforeConfigure(t)
	k.configure(t)
	k.watch(t)
	t.Cleanup(func() { // hang up whatever a failed run left behind
		ctx, cancel := k.cleanupCtx()
		defer cancel()
		for _, d := range k.devices {
			for _, p := range k.calls.hangUpAll(ctx, d) {
				t.Logf("cleanup of device %s: %s", d.id, p)
			}
		}
	})
	for _, d := range k.devices {
		d.waitReachable(t, true)
	}

	t.Run("info", func(t *testing.T) { k.testInfo(t, before) })
	t.Run("capabilities", k.testUndeclared)
	t.Run("calls", k.testCalls)
	t.Run("parties", k.testParties)
	t.Run("device", k.testDevice)
	t.Run("errors", k.testErrors)
	t.Run("concurrency", k.testConcurrency)
	if k.anyDeclares(capReboot) {
		t.Run("reboot", k.testReboot)
	}
	if k.anyDeclares(ctiv1.Capability_CAPABILITY_DISCOVERY) {
		t.Run("discovery", k.testDiscovery)
	}
	if len(k.cfg.Connections) > 0 {
		t.Run("connections", k.testConnections)
	}
	if len(k.cfg.ForeignDevices) > 0 {
		t.Run("foreign devices", k.testForeignDevices)
	}
	t.Run("coverage", k.testCoverage)
	t.Run("events", k.testEvents)
}

// anyDeclares reports whether some device's model declares c.
func (k *kit) anyDeclares(c ctiv1.Capability) bool {
	for _, d := range k.devices {
		if d.has(c) {
			return true
		}
	}
	return false
}

// callTimeout bounds one RPC or Lab call.
func (k *kit) callTimeout() time.Duration { return max(10*time.Second, 2*k.cfg.EventTimeout) }

// ctx is the context for one RPC or Lab call of a running test.
func (k *kit) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), k.callTimeout())
	t.Cleanup(cancel)
	return ctx
}

// cleanupCtx is the context for calls made by cleanup functions, which run
// after the test's own context is canceled.
func (k *kit) cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), k.callTimeout())
}

// launch starts the driver and dispenses its client.
func (k *kit) launch(t *testing.T) {
	t.Helper()
	logs := &testWriter{t: t}
	stderr := &raceWatch{}
	t.Cleanup(func() {
		logs.close()
		if report := stderr.report(); report != "" {
			t.Errorf("the driver reported a data race:\n%s", report)
		}
	})
	cc := sdk.ClientConfig(k.cfg.DriverPath, hclog.New(&hclog.LoggerOptions{Name: "driver", Level: hclog.Warn, Output: logs}))
	cc.Stderr = stderr
	client := plugin.NewClient(cc)
	t.Cleanup(client.Kill) // runs before the race check above
	dc, err := sdk.Dispense(client)
	if err != nil {
		t.Fatalf("launch driver %s: %v", k.cfg.DriverPath, err)
	}
	k.client = dc
}

// preConfigure holds what the driver answered before Configure.
type preConfigure struct {
	info      *ctiv1.DriverInfo
	infoErr   error
	schemaErr error
	stateErr  error
}

func (k *kit) beforeConfigure(t *testing.T) preConfigure {
	var p preConfigure
	p.info, p.infoErr = k.client.GetInfo(k.ctx(t), &ctiv1.GetInfoRequest{})
	_, p.schemaErr = k.client.GetConfigSchema(k.ctx(t), &ctiv1.GetConfigSchemaRequest{})
	_, p.stateErr = k.client.GetDeviceState(k.ctx(t), &ctiv1.GetDeviceStateRequest{Device: k.cfg.Devices[0].GetDevice()})
	return p
}

// configure configures the driver and resolves each device's model.
func (k *kit) configure(t *testing.T) {
	t.Helper()
	if _, err := k.client.Configure(k.ctx(t), k.configureRequest()); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	info, err := k.client.GetInfo(k.ctx(t), &ctiv1.GetInfoRequest{})
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	k.info = info
	var unknown []string
	for _, dc := range k.cfg.Devices {
		m := findModel(info, dc.GetModel())
		if m == nil {
			unknown = append(unknown, fmt.Sprintf("%s (model %q)", dc.GetDevice(), dc.GetModel()))
			continue
		}
		k.devices = append(k.devices, &device{k: k, id: dc.GetDevice(), model: m})
	}
	if len(unknown) > 0 {
		t.Fatalf("GetInfo declares no model for configured devices %s", strings.Join(unknown, ", "))
	}
}

func (k *kit) configureRequest() *ctiv1.ConfigureRequest {
	return &ctiv1.ConfigureRequest{Site: k.cfg.Site, Settings: k.cfg.Settings, Devices: k.cfg.Devices, Connections: k.cfg.Connections,
		CallbackBaseUrl: k.callbackURL, CallbackSecret: k.callbackSecret}
}

func findModel(info *ctiv1.DriverInfo, model string) *ctiv1.ModelInfo {
	for _, m := range info.GetModels() {
		if strings.EqualFold(m.GetModel(), model) {
			return m
		}
	}
	return nil
}

// watch opens the run's one WatchEvents stream.
func (k *kit) watch(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := k.client.WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
	if err != nil {
		t.Fatalf("WatchEvents: %v", err)
	}
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				k.events.end(err)
				return
			}
			k.events.add(ev)
		}
	}()
}

// number returns a fresh far-end number.
func (k *kit) number() string { return fmt.Sprint(k.numbers.Add(1)) }
