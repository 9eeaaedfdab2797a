// Package grandstream is the ctihost driver for Grandstream GXP16xx/17xx/21xx
// desk phones and DP75x/72x/730 DECT systems, over the phones' HTTP CGI CTI
// API (grandstream-cti-guide.txt). gsapi is the protocol client, gssim the
// simulated phone, and cmd/cti-driver-grandstream the plugin binary.
//
// The phones push nothing, so the driver polls each phone's line status on an
// interval (with jitter, and a limit on polls in flight) and turns the
// differences into call events with sdk.CallTracker.
package grandstream

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Version is the driver's version.
const Version = "0.1.0"

// Driver implements sdk.Driver for Grandstream phones. Safe for concurrent
// use.
type Driver struct {
	ctiv1.UnimplementedDriverServer
	logger hclog.Logger
	events sdk.Broadcaster

	mu     sync.RWMutex
	phones map[string]*phone
	stop   context.CancelFunc
}

// New returns an unconfigured driver logging to logger.
func New(logger hclog.Logger) *Driver {
	return &Driver{logger: logger, phones: map[string]*phone{}}
}

// GetInfo describes the driver and every model of the guide.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{Name: "grandstream", Version: Version, ApiVersion: sdk.APIVersion, Vendor: "Grandstream Networks", Models: models()}, nil
}

// GetConfigSchema declares the driver's settings.
func (d *Driver) GetConfigSchema(context.Context, *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	str, dur, num := ctiv1.ConfigType_CONFIG_TYPE_STRING, ctiv1.ConfigType_CONFIG_TYPE_DURATION, ctiv1.ConfigType_CONFIG_TYPE_INT
	return &ctiv1.ConfigSchema{
		DriverSettings: []*ctiv1.ConfigAttribute{
			{Name: "poll_interval", Type: dur, DefaultValue: "1s", Description: "how often each phone's line status is polled"},
			{Name: "poll_jitter", Type: dur, DefaultValue: "100ms", Description: "random spread added to each poll interval so phones are not polled in step"},
			{Name: "max_concurrent_polls", Type: num, DefaultValue: "0", Description: "polls in flight at once across all phones of the site; 0 scales with the site: phones × 100ms / poll_interval, at least 64"},
			{Name: "request_timeout", Type: dur, DefaultValue: "2s", Description: "deadline of one HTTP request to a phone"},
		},
		DeviceSettings: []*ctiv1.ConfigAttribute{
			{Name: "host", Type: str, Required: true, Description: "the phone's address, host or host:port, without scheme"},
			{Name: "passcode", Type: str, Required: true, Secret: true, Description: "the phone's admin password (the CTI passcode)"},
			{Name: "hs", Type: num, DefaultValue: "1", Description: "DP models: the handset number this device controls"},
			{Name: "account", Type: num, DefaultValue: "1", Description: "DP models: the account whose registration is reported"},
		},
	}, nil
}

// Configure replaces the configuration: phones that stay unchanged keep
// their call state; all pollers restart with the new settings.
func (d *Driver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	s := req.GetSettings()
	interval, err := durationSetting(s, "poll_interval", time.Second)
	if err != nil {
		return nil, err
	}
	jitter, err := durationSetting(s, "poll_jitter", 100*time.Millisecond)
	if err != nil {
		return nil, err
	}
	timeout, err := durationSetting(s, "request_timeout", 2*time.Second)
	if err != nil {
		return nil, err
	}
	limit, err := intSetting(s, "max_concurrent_polls", 0)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		return nil, sdk.InvalidArgument("poll_interval must be positive")
	}
	if limit == 0 {
		limit = pollLimit(len(req.GetDevices()), interval)
	}
	hc := newHTTPClient()

	d.mu.Lock()
	defer d.mu.Unlock()
	next := map[string]*phone{}
	for _, dc := range req.GetDevices() {
		cfg, err := phoneConfigOf(dc)
		if err != nil {
			return nil, err
		}
		if old, ok := d.phones[cfg.id]; ok && old.phoneConfig == cfg {
			next[cfg.id] = old
			continue
		}
		p, err := newPhone(cfg, hc, timeout, d.logger, d.events.Publish)
		if err != nil {
			return nil, err
		}
		next[cfg.id] = p
	}
	if d.stop != nil {
		d.stop()
	}
	ctx, stop := context.WithCancel(context.Background())
	d.phones, d.stop = next, stop
	sem := make(chan struct{}, limit)
	for _, p := range next {
		go p.run(ctx, interval, jitter, sem)
	}
	d.logger.Info("configured", "devices", len(next), "poll_interval", interval.String(), "max_concurrent_polls", limit)
	return &ctiv1.ConfigureResponse{}, nil
}

// ListDevices lists the configured phones.
func (d *Driver) ListDevices(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	resp := &ctiv1.ListDevicesResponse{}
	for _, p := range d.phones {
		resp.Devices = append(resp.Devices, &ctiv1.Device{
			Device: p.id, Model: p.model, Kind: ctiv1.DeviceKind_DEVICE_KIND_PHONE, Configured: true,
			Capabilities: modelInfo(p.model).GetCapabilities(),
		})
	}
	sort.Slice(resp.Devices, func(i, j int) bool { return resp.Devices[i].GetDevice() < resp.Devices[j].GetDevice() })
	return resp, nil
}

// GetDeviceState answers from the last poll.
func (d *Driver) GetDeviceState(_ context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	p, err := d.phone(req.GetDevice())
	if err != nil {
		return nil, err
	}
	return p.state(), nil
}

// WatchEvents streams events, starting with every phone's status and calls.
func (d *Driver) WatchEvents(_ *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	return d.events.Watch(stream, func() []*ctiv1.Event {
		d.mu.RLock()
		defer d.mu.RUnlock()
		var events []*ctiv1.Event
		for _, p := range d.phones {
			events = append(events, p.snapshotEvents()...)
		}
		return events
	})
}

func (d *Driver) phone(id string) (*phone, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.phones[id]
	if !ok {
		return nil, sdk.NotFound("device %q is not configured for this driver", id)
	}
	return p, nil
}

func phoneConfigOf(dc *ctiv1.DeviceConfig) (phoneConfig, error) {
	s := dc.GetSettings()
	cfg := phoneConfig{id: dc.GetDevice(), model: dc.GetModel(), host: s["host"], passcode: s["passcode"]}
	var err error
	if cfg.hs, err = intSetting(s, "hs", 1); err != nil {
		return cfg, err
	}
	if cfg.account, err = intSetting(s, "account", 1); err != nil {
		return cfg, err
	}
	if cfg.host == "" || cfg.passcode == "" {
		return cfg, sdk.InvalidArgument("device %q: host and passcode are required", cfg.id)
	}
	if cfg.hs < 1 || cfg.account < 1 {
		return cfg, sdk.InvalidArgument("device %q: hs and account are 1-based", cfg.id)
	}
	return cfg, nil
}

func durationSetting(s map[string]string, name string, def time.Duration) (time.Duration, error) {
	v, ok := s[name]
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, sdk.InvalidArgument("setting %s: %q is not a duration such as 1s", name, v)
	}
	return d, nil
}

func intSetting(s map[string]string, name string, def int) (int, error) {
	v, ok := s[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, sdk.InvalidArgument("setting %s: %q is not a whole number", name, v)
	}
	return n, nil
}

var _ sdk.Driver = (*Driver)(nil)
