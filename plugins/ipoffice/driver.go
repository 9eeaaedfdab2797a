package ipoffice

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Name and Version identify the driver.
const (
	Name    = "ipoffice"
	Version = "0.1.0"
)

// Driver is the IP Office driver: one MTCTI3 link per IP Office and
// service user, the users and hunt groups in each connection's scope as
// devices. Safe for concurrent use.
type Driver struct {
	ctiv1.UnimplementedDriverServer
	logger hclog.Logger
	events sdk.Broadcaster

	mu         sync.Mutex
	configured bool
	links      map[string]*link               // by linkConfig.key
	devices    map[string]*ctiv1.DeviceConfig // configured devices, by id
}

// New returns an unconfigured driver.
func New(logger hclog.Logger) *Driver {
	return &Driver{logger: logger, links: map[string]*link{}, devices: map[string]*ctiv1.DeviceConfig{}}
}

// GetInfo describes the driver and its two models.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{Name: Name, Version: Version, ApiVersion: sdk.APIVersion, Vendor: "Avaya", Models: models()}, nil
}

// GetConfigSchema declares the connection block's settings, and a device
// block's extension.
func (d *Driver) GetConfigSchema(context.Context, *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	return &ctiv1.ConfigSchema{
		ConnectionSettings: connectionSettings(),
		DeviceSettings: []*ctiv1.ConfigAttribute{{
			Name: "extension", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING,
			Description: "the user's or hunt group's number on the IP Office; by default the device block's name",
		}},
	}, nil
}

// Configure replaces the configuration: links whose IP Office, service
// user and scopes stay keep running (and their calls); the others are
// closed and opened anew.
func (d *Driver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	type planned struct {
		cfg   linkConfig
		views []view
	}
	plan := map[string]*planned{}
	byName := map[string]*planned{}
	var problems []string
	for _, c := range req.GetConnections() {
		cfg, v, err := parseConnection(c)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		p := plan[cfg.key()]
		if p == nil {
			p = &planned{cfg: cfg}
			plan[cfg.key()] = p
		}
		v.configured = map[string]string{}
		p.views = append(p.views, v)
		byName[c.GetName()] = p
	}
	devices := map[string]*ctiv1.DeviceConfig{}
	for _, dc := range req.GetDevices() {
		conn := dc.GetConnection()
		if conn == "" && len(req.GetConnections()) == 1 {
			conn = req.GetConnections()[0].GetName()
		}
		p := byName[conn]
		if p == nil {
			problems = append(problems, fmt.Sprintf("device %q: name the connection block it belongs to (connection = \"…\")", dc.GetDevice()))
			continue
		}
		extn := dc.GetSettings()["extension"]
		if extn == "" {
			extn = dc.GetDevice() // the block's name, as written in config.hcl
		}
		for i := range p.views {
			if p.views[i].name == conn {
				p.views[i].configured[extn] = dc.GetDevice()
			}
		}
		devices[dc.GetDevice()] = dc
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, sdk.InvalidArgument("%s", strings.Join(problems, "; "))
	}

	d.mu.Lock()
	old := d.links
	d.links, d.devices, d.configured = map[string]*link{}, devices, true
	var started, closed []*link
	for key, p := range plan {
		if l := old[key]; l != nil && sameViews(l.viewsNow(), p.views) {
			d.links[key] = l
			delete(old, key)
			continue
		}
		l := newLink(p.cfg, d.logger.With("ipoffice", p.cfg.primary), d.events.Publish)
		l.views = p.views
		d.links[key] = l
		started = append(started, l)
	}
	for _, l := range old {
		closed = append(closed, l)
	}
	d.mu.Unlock()
	for _, l := range closed {
		l.close()
		l.announceGone()
	}
	for _, l := range started {
		l.start()
	}
	return &ctiv1.ConfigureResponse{}, nil
}

// ListDevices lists the configured devices and those the links discovered.
func (d *Driver) ListDevices(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	d.mu.Lock()
	links, configured := slices.Collect(maps.Values(d.links)), maps.Clone(d.devices)
	d.mu.Unlock()
	var out []*ctiv1.Device
	for _, dc := range configured {
		caps, kind := userCaps, ctiv1.DeviceKind_DEVICE_KIND_EXTENSION
		if strings.EqualFold(dc.GetModel(), ModelQueue) {
			caps, kind = queueCaps, ctiv1.DeviceKind_DEVICE_KIND_QUEUE
		}
		dev := &ctiv1.Device{Device: dc.GetDevice(), Model: strings.ToLower(dc.GetModel()), Kind: kind, Configured: true, Capabilities: slices.Clone(caps)}
		for _, l := range links {
			if d := l.device(dc.GetDevice()); d != nil {
				dev.Name = l.nameOf(d)
			}
		}
		out = append(out, dev)
	}
	for _, l := range links {
		for _, dev := range l.discovered() {
			if configured[dev.GetDevice()] == nil {
				out = append(out, dev)
			}
		}
	}
	slices.SortFunc(out, func(a, b *ctiv1.Device) int { return strings.Compare(a.GetDevice(), b.GetDevice()) })
	return &ctiv1.ListDevicesResponse{Devices: out}, nil
}

// find returns the link and device of id; dev is nil for a configured
// device the IP Office has not reported (yet).
func (d *Driver) find(id string) (*link, *device, error) {
	d.mu.Lock()
	links, dc := slices.Collect(maps.Values(d.links)), d.devices[id]
	d.mu.Unlock()
	for _, l := range links {
		if dev := l.device(id); dev != nil {
			return l, dev, nil
		}
	}
	if dc != nil {
		return nil, nil, nil
	}
	return nil, nil, sdk.NotFound("device %q is neither configured nor a user or hunt group IP Office reported", id)
}

// GetDeviceState answers from the last notifies.
func (d *Driver) GetDeviceState(_ context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	l, dev, err := d.find(req.GetDevice())
	if err != nil {
		return nil, err
	}
	if dev == nil {
		d.mu.Lock()
		model := strings.ToLower(d.devices[req.GetDevice()].GetModel())
		d.mu.Unlock()
		return &ctiv1.DeviceState{Device: req.GetDevice(), Model: model, UpdatedAt: timestamppb.Now(),
			Status: &ctiv1.DeviceStatus{Detail: "IP Office has not reported this user or hunt group (check its extension and the connection's scope)"}}, nil
	}
	return l.state(dev), nil
}

// WatchEvents streams events; each stream starts with the discovered
// devices, then every device's status and calls.
func (d *Driver) WatchEvents(_ *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	return d.events.Watch(stream, d.snapshot)
}

func (d *Driver) snapshot() []*ctiv1.Event {
	d.mu.Lock()
	links, configured := slices.Collect(maps.Values(d.links)), maps.Clone(d.devices)
	d.mu.Unlock()
	now := timestamppb.Now()
	announce := &ctiv1.DevicesChanged{Snapshot: true}
	var rest []*ctiv1.Event
	for _, l := range links {
		for _, dev := range l.discovered() {
			if configured[dev.GetDevice()] == nil {
				announce.Added = append(announce.Added, dev)
			}
		}
		rest = append(rest, l.snapshot()...)
	}
	slices.SortFunc(announce.Added, func(a, b *ctiv1.Device) int { return strings.Compare(a.GetDevice(), b.GetDevice()) })
	return append([]*ctiv1.Event{{Time: now, Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: announce}}}, rest...)
}

// ListConnections reports each connection's link.
func (d *Driver) ListConnections(context.Context, *ctiv1.ListConnectionsRequest) (*ctiv1.ListConnectionsResponse, error) {
	d.mu.Lock()
	links := slices.Collect(maps.Values(d.links))
	d.mu.Unlock()
	resp := &ctiv1.ListConnectionsResponse{}
	for _, l := range links {
		resp.Connections = append(resp.Connections, l.connections()...)
	}
	slices.SortFunc(resp.Connections, func(a, b *ctiv1.ConnectionStatus) int { return strings.Compare(a.GetName(), b.GetName()) })
	return resp, nil
}

// Close stops every link.
func (d *Driver) Close() {
	d.mu.Lock()
	links := slices.Collect(maps.Values(d.links))
	d.links = map[string]*link{}
	d.mu.Unlock()
	for _, l := range links {
		l.close()
	}
}

var _ sdk.Driver = (*Driver)(nil)
