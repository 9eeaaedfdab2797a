package mirta

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Name and Version identify the driver.
const (
	Name    = "mirta"
	Version = "0.1.0"
)

// Driver is the MiRTA PBX driver: one poller per connection block (one
// tenant of one PBX), the tenant's extensions and queues as devices. Safe
// for concurrent use.
type Driver struct {
	ctiv1.UnimplementedDriverServer
	logger hclog.Logger
	events sdk.Broadcaster
	// newAPI makes the client of a connection (tests may replace it).
	newAPI func(connConfig) (pbxAPI, error)

	mu      sync.Mutex
	tenants map[string]*tenant             // by connection name
	devices map[string]*ctiv1.DeviceConfig // configured devices, by id
	owner   map[string]string              // configured device id -> connection name
}

// New returns an unconfigured driver.
func New(logger hclog.Logger) *Driver {
	return &Driver{logger: logger, newAPI: newAPIClient, tenants: map[string]*tenant{},
		devices: map[string]*ctiv1.DeviceConfig{}, owner: map[string]string{}}
}

// GetInfo describes the driver and its two models.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{Name: Name, Version: Version, ApiVersion: sdk.APIVersion, Vendor: "MiRTA", Models: models()}, nil
}

// GetConfigSchema declares the connection block's settings, and a device
// block's number.
func (d *Driver) GetConfigSchema(context.Context, *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	return &ctiv1.ConfigSchema{
		ConnectionSettings: connectionSettings(),
		DeviceSettings: []*ctiv1.ConfigAttribute{{
			Name: "number", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING,
			Description: "the extension's number, or a queue's id as INFO queues lists it; by default the device block's name",
		}},
	}, nil
}

// Configure replaces the configuration. A connection whose settings and
// device blocks did not change keeps its poller and its calls; the others
// start anew (their calls end as LOST, their discovered devices are
// announced gone).
func (d *Driver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	var problems []string
	cfgs := map[string]connConfig{}
	configured := map[string]map[string]string{}
	for _, c := range req.GetConnections() {
		cc, err := parseConnection(c)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		// Errors name the site too: a shared process's names already
		// hold it ("mt/pbx"), a per-site process's do not.
		cc.label = c.GetName()
		if !strings.Contains(cc.label, "/") && req.GetSite() != "" {
			cc.label = req.GetSite() + "/" + cc.label
		}
		cfgs[c.GetName()] = cc
		configured[c.GetName()] = map[string]string{}
	}
	devices, owner := map[string]*ctiv1.DeviceConfig{}, map[string]string{}
	for _, dc := range req.GetDevices() {
		conn := dc.GetConnection()
		if conn == "" && len(req.GetConnections()) == 1 {
			conn = req.GetConnections()[0].GetName()
		}
		m := configured[conn]
		if m == nil {
			problems = append(problems, fmt.Sprintf("device %q: name the connection block of its tenant (connection = \"…\")", dc.GetDevice()))
			continue
		}
		number := dc.GetSettings()["number"]
		if number == "" {
			number = dc.GetDevice() // the block's name, as written in config.hcl
		}
		key := "e:" + number
		if strings.EqualFold(dc.GetModel(), ModelQueue) {
			key = "q:" + strings.TrimPrefix(number, "q")
		}
		m[key] = dc.GetDevice()
		devices[dc.GetDevice()], owner[dc.GetDevice()] = dc, conn
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, sdk.InvalidArgument("%s", strings.Join(problems, "; "))
	}
	d.mu.Lock()
	running := maps.Clone(d.tenants)
	d.mu.Unlock()
	fresh := map[string]*tenant{}
	var kept []*tenant
	for name, cc := range cfgs {
		// A connection whose settings and device blocks stay keeps its
		// poller, and so its calls, across a reload.
		if t := running[name]; t != nil && reflect.DeepEqual(t.cfg, cc) && maps.Equal(t.configured, configured[name]) {
			fresh[name] = t
			kept = append(kept, t)
			continue
		}
		api, err := d.newAPI(cc)
		if err != nil {
			return nil, sdk.InvalidArgument("connection %q: %v", name, err)
		}
		fresh[name] = newTenant(cc, api, configured[name], d.logger.With("connection", name, "tenant", cc.tenant), d.events.Publish)
	}
	d.mu.Lock()
	old := d.tenants
	d.tenants, d.devices, d.owner = fresh, devices, owner
	d.mu.Unlock()
	for name, t := range old {
		if fresh[name] == t {
			continue
		}
		t.close()
		t.announceGone()
	}
	for _, t := range fresh {
		if slices.Contains(kept, t) {
			continue
		}
		if strings.HasPrefix(t.cfg.baseURL, "http://") && checkURL(t.cfg.baseURL, false) != nil {
			t.logger.Warn("the PBX is reached over http:// (allow_http): the API key crosses the network in clear")
		}
		t.start()
	}
	return &ctiv1.ConfigureResponse{}, nil
}

// tenantOf finds the tenant serving device id: the one its device block
// names, or the one that discovered it.
func (d *Driver) tenantOf(id string) (*tenant, error) {
	d.mu.Lock()
	tenants := slices.Collect(maps.Values(d.tenants))
	conn, configured := d.owner[id]
	t := d.tenants[conn]
	d.mu.Unlock()
	if configured {
		if !t.has(id) {
			return nil, sdk.FailedPrecondition("device %q: the PBX has not reported this extension or queue for tenant %s (yet): check its number", id, t.cfg.tenant)
		}
		return t, nil
	}
	for _, t := range tenants {
		if t.has(id) {
			return t, nil
		}
	}
	return nil, sdk.NotFound("device %q is neither configured nor an extension or queue of a configured tenant", id)
}

// ListDevices lists the configured devices and those the tenants
// discovered.
func (d *Driver) ListDevices(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	d.mu.Lock()
	tenants, configured := slices.Collect(maps.Values(d.tenants)), maps.Clone(d.devices)
	d.mu.Unlock()
	var out []*ctiv1.Device
	for _, dc := range configured {
		caps, kind, model := extensionCaps, ctiv1.DeviceKind_DEVICE_KIND_EXTENSION, ModelExtension
		if strings.EqualFold(dc.GetModel(), ModelQueue) {
			caps, kind, model = queueCaps, ctiv1.DeviceKind_DEVICE_KIND_QUEUE, ModelQueue
		}
		out = append(out, &ctiv1.Device{Device: dc.GetDevice(), Model: model, Kind: kind, Configured: true, Capabilities: slices.Clone(caps)})
	}
	for _, t := range tenants {
		out = append(out, t.discovered()...)
	}
	slices.SortFunc(out, func(a, b *ctiv1.Device) int { return strings.Compare(a.GetDevice(), b.GetDevice()) })
	return &ctiv1.ListDevicesResponse{Devices: out}, nil
}

// GetDeviceState answers from the last poll; DND is read now when
// dnd_refresh is 0.
func (d *Driver) GetDeviceState(ctx context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	t, err := d.tenantOf(req.GetDevice())
	if err != nil {
		var se *sdk.Error
		if d.isConfigured(req.GetDevice()) && errors.As(err, &se) {
			return &ctiv1.DeviceState{Device: req.GetDevice(), Model: d.modelOf(req.GetDevice()), UpdatedAt: timestamppb.Now(),
				Status: &ctiv1.DeviceStatus{Detail: se.Msg}}, nil
		}
		return nil, err
	}
	if e := t.ext(req.GetDevice()); e != nil && t.cfg.dndRefresh == 0 {
		if on, err := t.api.dndGet(ctx, e.number); err == nil {
			t.setDND(e.number, on)
		}
	}
	if st := t.state(req.GetDevice()); st != nil {
		return st, nil
	}
	return nil, sdk.NotFound("device %q is gone from its tenant", req.GetDevice())
}

func (d *Driver) isConfigured(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.devices[id] != nil
}

func (d *Driver) modelOf(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.ToLower(d.devices[id].GetModel())
}

// WatchEvents streams events; each stream starts with the discovered
// devices, then every device's status, calls and queues.
func (d *Driver) WatchEvents(_ *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	return d.events.Watch(stream, d.snapshot)
}

func (d *Driver) snapshot() []*ctiv1.Event {
	d.mu.Lock()
	tenants := slices.Collect(maps.Values(d.tenants))
	d.mu.Unlock()
	announce := &ctiv1.DevicesChanged{Snapshot: true}
	var rest []*ctiv1.Event
	for _, t := range tenants {
		announce.Added = append(announce.Added, t.discovered()...)
		rest = append(rest, t.snapshot()...)
	}
	slices.SortFunc(announce.Added, func(a, b *ctiv1.Device) int { return strings.Compare(a.GetDevice(), b.GetDevice()) })
	return append([]*ctiv1.Event{{Time: timestamppb.Now(), Payload: &ctiv1.Event_DevicesChanged{DevicesChanged: announce}}}, rest...)
}

// ListConnections reports each tenant's poller.
func (d *Driver) ListConnections(context.Context, *ctiv1.ListConnectionsRequest) (*ctiv1.ListConnectionsResponse, error) {
	d.mu.Lock()
	tenants := slices.Collect(maps.Values(d.tenants))
	d.mu.Unlock()
	resp := &ctiv1.ListConnectionsResponse{}
	for _, t := range tenants {
		resp.Connections = append(resp.Connections, t.connection())
	}
	slices.SortFunc(resp.Connections, func(a, b *ctiv1.ConnectionStatus) int { return strings.Compare(a.GetName(), b.GetName()) })
	return resp, nil
}

// Close stops every poller.
func (d *Driver) Close() {
	d.mu.Lock()
	tenants := slices.Collect(maps.Values(d.tenants))
	d.tenants = map[string]*tenant{}
	d.mu.Unlock()
	for _, t := range tenants {
		t.close()
	}
}

func nowPlus(d time.Duration) time.Time { return time.Now().Add(d) }

var _ sdk.Driver = (*Driver)(nil)
