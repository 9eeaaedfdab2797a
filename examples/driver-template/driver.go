package acme

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"

	"github.com/ctihost/ctihost/examples/driver-template/acmeapi"
)

const (
	// Name is the driver's name, the plugin block label in config.hcl.
	Name = "acme"
	// Version is the driver's own semver version.
	Version = "0.1.0"
	// Model is the one model this driver serves.
	Model = "ACME-1"

	defaultPollInterval = 200 * time.Millisecond
	// requestTimeout bounds one HTTP request to a phone, so that a phone
	// that stopped answering is reported unreachable within seconds.
	requestTimeout = 2 * time.Second
)

// capabilities are what works on the ACME-1: the ACME API offers exactly
// these operations (see acmeapi), and the poller reports calls and DND.
var capabilities = []ctiv1.Capability{
	ctiv1.Capability_CAPABILITY_DIAL,
	ctiv1.Capability_CAPABILITY_ANSWER,
	ctiv1.Capability_CAPABILITY_REJECT,
	ctiv1.Capability_CAPABILITY_HANGUP,
	ctiv1.Capability_CAPABILITY_HOLD,
	ctiv1.Capability_CAPABILITY_RESUME,
	ctiv1.Capability_CAPABILITY_SET_DND,
	ctiv1.Capability_CAPABILITY_CALL_EVENTS,
	ctiv1.Capability_CAPABILITY_DEVICE_EVENTS,
}

// Driver is the ACME driver. Build it with New; it is safe for concurrent
// use, as the Driver service requires.
type Driver struct {
	ctiv1.UnimplementedDriverServer

	logger hclog.Logger
	events sdk.Broadcaster
	http   *http.Client
	poll   atomic.Int64 // poll interval in nanoseconds

	mu      sync.Mutex
	devices map[string]*device
}

// New returns an unconfigured driver that logs to logger.
func New(logger hclog.Logger) *Driver {
	d := &Driver{logger: logger, http: &http.Client{Timeout: requestTimeout}, devices: map[string]*device{}}
	d.poll.Store(int64(defaultPollInterval))
	return d
}

// GetInfo describes the driver and its one model.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{
		Name:       Name,
		Version:    Version,
		ApiVersion: sdk.APIVersion,
		Vendor:     "ACME Telephones",
		Models: []*ctiv1.ModelInfo{{
			Model:        Model,
			Family:       "ACME-1",
			Description:  "two-line desk phone; no transfer or conference",
			Capabilities: capabilities,
		}},
	}, nil
}

// GetConfigSchema declares poll_interval for the driver and host and token
// for each device. A phone has no connection settings: a driver for a PBX
// or a hosted tenant declares its address, credentials and scope as
// ConnectionSettings instead of device settings, receives them as
// ConfigureRequest.connections, declares CAPABILITY_DISCOVERY and
// announces the users and queues it finds with DevicesChanged events
// (driver.proto WatchEvents; plugins/ipoffice does all of it).
func (d *Driver) GetConfigSchema(context.Context, *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	return &ctiv1.ConfigSchema{
		DriverSettings: []*ctiv1.ConfigAttribute{{
			Name:         "poll_interval",
			Type:         ctiv1.ConfigType_CONFIG_TYPE_DURATION,
			Description:  "How often each phone's state is read.",
			DefaultValue: defaultPollInterval.String(),
		}},
		DeviceSettings: []*ctiv1.ConfigAttribute{{
			Name:        "host",
			Type:        ctiv1.ConfigType_CONFIG_TYPE_STRING,
			Required:    true,
			Description: "Address of the phone's HTTP API: host, host:port or http URL.",
		}, {
			Name:        "token",
			Type:        ctiv1.ConfigType_CONFIG_TYPE_STRING,
			Required:    true,
			Secret:      true,
			Description: "Bearer token set in the phone's web interface under API access.",
		}},
	}, nil
}

// Configure replaces the configuration. Devices whose settings did not
// change keep their poller and their calls.
func (d *Driver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	interval := defaultPollInterval
	if v := req.GetSettings()["poll_interval"]; v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 10*time.Millisecond {
			return nil, sdk.InvalidArgument("setting poll_interval: %q is not a duration of at least 10ms", v)
		}
		interval = parsed
	}
	var problems []string
	wanted := map[string]deviceConfig{}
	for _, dc := range req.GetDevices() {
		cfg, err := parseDevice(dc)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		wanted[dc.GetDevice()] = cfg
	}
	if len(problems) > 0 {
		return nil, sdk.InvalidArgument("%s", strings.Join(problems, "; "))
	}

	d.poll.Store(int64(interval))
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, dev := range d.devices {
		if cfg, keep := wanted[id]; keep && cfg == dev.cfg {
			continue
		}
		dev.stop()
		d.publish(dev.tracker.EndAll(time.Now(), ctiv1.EndReason_END_REASON_LOST))
		delete(d.devices, id)
	}
	for id, cfg := range wanted {
		if d.devices[id] != nil {
			continue
		}
		client, err := acmeapi.New(cfg.host, cfg.token, d.http)
		if err != nil {
			return nil, sdk.InvalidArgument("device %q: setting host: %v", id, err)
		}
		dev := newDevice(id, cfg, client, d.logger.With("device", id), d.publish)
		d.devices[id] = dev
		go dev.run(d.pollInterval)
	}
	d.logger.Info("configured", "site", req.GetSite(), "devices", len(d.devices), "poll_interval", interval.String())
	return &ctiv1.ConfigureResponse{}, nil
}

// deviceConfig is one device's settings; comparable, to spot changes.
type deviceConfig struct {
	model, host, token string
}

func parseDevice(dc *ctiv1.DeviceConfig) (deviceConfig, error) {
	cfg := deviceConfig{model: dc.GetModel(), host: dc.GetSettings()["host"], token: dc.GetSettings()["token"]}
	switch {
	case !strings.EqualFold(cfg.model, Model):
		return cfg, fmt.Errorf("device %q: model %q is unknown; this driver serves %s", dc.GetDevice(), cfg.model, Model)
	case cfg.host == "":
		return cfg, fmt.Errorf("device %q: setting host is required", dc.GetDevice())
	case cfg.token == "":
		return cfg, fmt.Errorf("device %q: setting token is required", dc.GetDevice())
	}
	return cfg, nil
}

func (d *Driver) pollInterval() time.Duration { return time.Duration(d.poll.Load()) }

func (d *Driver) publish(events []*ctiv1.Event) {
	for _, ev := range events {
		d.events.Publish(ev)
	}
}

// device returns the configured device id. The SDK's guard already
// answered NOT_FOUND for unknown devices; this covers a Configure racing
// the command.
func (d *Driver) device(id string) (*device, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dev := d.devices[id]
	if dev == nil {
		return nil, sdk.NotFound("device %q is not configured for driver %s", id, Name)
	}
	return dev, nil
}

// sorted returns the devices in id order.
func (d *Driver) sorted() []*device {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*device, 0, len(d.devices))
	for _, dev := range d.devices {
		out = append(out, dev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// ListDevices lists the configured phones.
func (d *Driver) ListDevices(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	resp := &ctiv1.ListDevicesResponse{}
	for _, dev := range d.sorted() {
		resp.Devices = append(resp.Devices, &ctiv1.Device{
			Device:       dev.id,
			Model:        dev.cfg.model,
			Kind:         ctiv1.DeviceKind_DEVICE_KIND_PHONE,
			Configured:   true,
			Capabilities: capabilities,
		})
	}
	return resp, nil
}

// GetDeviceState answers from the last poll.
func (d *Driver) GetDeviceState(_ context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	dev, err := d.device(req.GetDevice())
	if err != nil {
		return nil, err
	}
	return dev.state(), nil
}

// WatchEvents streams every device's events, starting with each device's
// status and calls.
func (d *Driver) WatchEvents(_ *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	return d.events.Watch(stream, func() []*ctiv1.Event {
		var initial []*ctiv1.Event
		now := timestamppb.Now()
		for _, dev := range d.sorted() {
			st := dev.state()
			initial = append(initial, &ctiv1.Event{Device: dev.id, Time: now,
				Payload: &ctiv1.Event_DeviceChanged{DeviceChanged: &ctiv1.DeviceChanged{Status: st.GetStatus()}}})
			for _, c := range st.GetCalls() {
				initial = append(initial, &ctiv1.Event{Device: dev.id, Time: now,
					Payload: &ctiv1.Event_CallChanged{CallChanged: &ctiv1.CallChanged{Call: c}}})
			}
		}
		return initial
	})
}

var _ sdk.Driver = (*Driver)(nil)
