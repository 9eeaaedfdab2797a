// Package snom is the ctihost driver for Snom D3xx and D7xx desk phones,
// over their HTTP remote control (shared/vendor-docs/
// snom-http-remote-control.txt): command.htm key events and commands, CSTA
// over HTTP on /csta for call control, and action URLs for events.
// snomapi is the protocol client, snomsim the simulated phone and
// cmd/cti-driver-snom the plugin binary.
//
// The phone sends no CSTA events: on taking a device the driver reads its
// firmware, points its action URLs at the host's callback listener (with a
// per-device path and secret token) and proves them with FireTest. Calls
// are keyed by the phone's $csta_id.
package snom

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/ctihost/ctihost/plugins/snom/snomapi"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Version is the driver's version.
const Version = "0.1.0"

// Driver implements sdk.Driver for Snom phones. Safe for concurrent use.
type Driver struct {
	ctiv1.UnimplementedDriverServer
	logger hclog.Logger
	events sdk.Broadcaster

	mu     sync.RWMutex
	phones map[string]*phone // by device id
	byPath map[string]*phone // by callback path
}

// New returns an unconfigured driver logging to logger.
func New(logger hclog.Logger) *Driver {
	return &Driver{logger: logger, phones: map[string]*phone{}, byPath: map[string]*phone{}}
}

// GetInfo describes the driver and every D3xx/D7xx model.
func (d *Driver) GetInfo(context.Context, *ctiv1.GetInfoRequest) (*ctiv1.DriverInfo, error) {
	return &ctiv1.DriverInfo{Name: "snom", Version: Version, ApiVersion: sdk.APIVersion, Vendor: "Snom Technology", Models: models()}, nil
}

// GetConfigSchema declares the driver's settings.
func (d *Driver) GetConfigSchema(context.Context, *ctiv1.GetConfigSchemaRequest) (*ctiv1.ConfigSchema, error) {
	str, dur := ctiv1.ConfigType_CONFIG_TYPE_STRING, ctiv1.ConfigType_CONFIG_TYPE_DURATION
	return &ctiv1.ConfigSchema{
		DriverSettings: []*ctiv1.ConfigAttribute{
			{Name: "request_timeout", Type: dur, DefaultValue: "5s", Description: "deadline of one HTTP request to a phone (key presses add their own duration)"},
			{Name: "callback_timeout", Type: dur, DefaultValue: "5s", Description: "how long the driver waits for a phone's firewall-test callback after provisioning its action URLs before it reports the phone's events as degraded"},
			{Name: "poll_interval", Type: dur, DefaultValue: "30s", Description: "how often each phone is asked for its settings to tell whether it is reachable (the phone pushes call events, but not its own absence)"},
			{Name: "retry_interval", Type: dur, DefaultValue: "5s", Description: "first wait before contacting an unreachable phone again; doubles up to poll_interval"},
		},
		DeviceSettings: []*ctiv1.ConfigAttribute{
			{Name: "host", Type: str, Required: true, Description: "the phone's address, host or host:port, or a URL http(s)://host[:port]; when it is an IP address, callbacks must come from it"},
			{Name: "username", Type: str, Description: "the phone's HTTP user name (empty: the phone asks for no credentials)"},
			{Name: "password", Type: str, Secret: true, Description: "the phone's HTTP password"},
			{Name: "auth", Type: str, AllowedValues: []string{"", "basic", "digest"}, Description: "how to send the credentials: basic with every request, digest only (the phone's Authentication Scheme on), or empty to answer whatever the phone asks"},
		},
	}, nil
}

// settings are the driver-level settings.
type settings struct {
	requestTimeout, callbackTimeout, pollInterval, retryInterval time.Duration
	callbackBase                                                 string
	// callbackSecret is the host's per-instance secret: device paths and
	// tokens derived from it stay the same in the next process (a restart,
	// a swap), so the phones' action URLs keep working.
	callbackSecret string
}

// Configure replaces the configuration. Phones whose settings stay keep
// their calls, callback path and token; provisioning runs in the
// background, so Configure never waits for a phone.
func (d *Driver) Configure(_ context.Context, req *ctiv1.ConfigureRequest) (*ctiv1.ConfigureResponse, error) {
	s := req.GetSettings()
	var st settings
	var err error
	for _, f := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"request_timeout", &st.requestTimeout, 5 * time.Second},
		{"callback_timeout", &st.callbackTimeout, 5 * time.Second},
		{"poll_interval", &st.pollInterval, 30 * time.Second},
		{"retry_interval", &st.retryInterval, 5 * time.Second},
	} {
		if *f.dst, err = durationSetting(s, f.name, f.def); err != nil {
			return nil, err
		}
	}
	st.callbackBase, st.callbackSecret = req.GetCallbackBaseUrl(), req.GetCallbackSecret()
	hc := &http.Client{}

	next := map[string]*phone{}
	for _, dc := range req.GetDevices() {
		cfg, err := phoneConfigOf(dc)
		if err != nil {
			return nil, err
		}
		next[cfg.id] = nil
		d.mu.RLock()
		old := d.phones[cfg.id]
		d.mu.RUnlock()
		if old != nil && old.cfg == cfg && old.set == st {
			next[cfg.id] = old
			continue
		}
		p, err := newPhone(cfg, st, hc, d.logger, d.events.Publish)
		if err != nil {
			return nil, err
		}
		if old != nil { // keep the path and token the phone already calls
			p.path, p.token = old.path, old.token
			p.calls, p.track, p.cstaOK = old.calls, old.track, old.cstaOK
		}
		next[cfg.id] = p
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	for id, p := range d.phones {
		if next[id] != p {
			p.stop()
		}
	}
	d.phones = next
	d.byPath = map[string]*phone{}
	for _, p := range next {
		d.byPath[p.path] = p
		p.start()
	}
	d.logger.Info("configured", "devices", len(next), "callbacks", st.callbackBase != "")
	return &ctiv1.ConfigureResponse{}, nil
}

// ListDevices lists the configured phones.
func (d *Driver) ListDevices(context.Context, *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	resp := &ctiv1.ListDevicesResponse{}
	for _, p := range d.phones {
		resp.Devices = append(resp.Devices, &ctiv1.Device{
			Device: p.cfg.id, Model: p.model.Name, Kind: ctiv1.DeviceKind_DEVICE_KIND_PHONE, Configured: true,
			Capabilities: capabilities,
		})
	}
	sort.Slice(resp.Devices, func(i, j int) bool { return resp.Devices[i].GetDevice() < resp.Devices[j].GetDevice() })
	return resp, nil
}

// GetDeviceState answers from what the driver knows.
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

// phoneConfig is one device's settings.
type phoneConfig struct {
	id, model, host, username, password string
	auth                                snomapi.AuthMode
}

func phoneConfigOf(dc *ctiv1.DeviceConfig) (phoneConfig, error) {
	s := dc.GetSettings()
	cfg := phoneConfig{id: dc.GetDevice(), model: dc.GetModel(), host: strings.TrimSpace(s["host"]),
		username: s["username"], password: s["password"]}
	if cfg.host == "" {
		return cfg, sdk.InvalidArgument("device %q: setting host is required", cfg.id)
	}
	switch strings.ToLower(s["auth"]) {
	case "":
		cfg.auth = snomapi.AuthAuto
	case "basic":
		cfg.auth = snomapi.AuthBasic
	case "digest":
		cfg.auth = snomapi.AuthDigest
	default:
		return cfg, sdk.InvalidArgument("device %q: setting auth %q: want basic, digest or empty", cfg.id, s["auth"])
	}
	return cfg, nil
}

func durationSetting(s map[string]string, name string, def time.Duration) (time.Duration, error) {
	v, ok := s[name]
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, sdk.InvalidArgument("setting %s: %q is not a positive duration such as 5s", name, v)
	}
	return d, nil
}

// callbackIDs returns a device's callback path and token: derived from the
// host's secret when there is one (stable across processes), else random.
func callbackIDs(secret, device string) (path, token string) {
	if secret == "" {
		return "d/" + randomHex(12), randomHex(24)
	}
	derive := func(purpose string, n int) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(purpose + "\x00" + device))
		return hex.EncodeToString(mac.Sum(nil))[:2*n]
	}
	return "d/" + derive("path", 12), derive("token", 24)
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var _ sdk.Driver = (*Driver)(nil)
