package supervisor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Spec is what an Instance runs.
type Spec struct {
	Site, Driver string
	// Path is the plugin binary.
	Path string
	// SHA256 is the binary's expected checksum as hex; empty: not pinned.
	SHA256 string
	// Configure is sent to the driver after it starts, secrets resolved.
	Configure *ctiv1.ConfigureRequest
	// Secrets are the resolved secret values, redacted from everything the
	// plugin writes to stderr.
	Secrets []string
}

// Publisher receives the instance's events, already stamped with the site
// and with devices rewritten to "site/device" references.
type Publisher func(*ctiv1.Event)

// Instance is one running (or down) plugin process. Safe for concurrent use.
type Instance struct {
	spec    Spec
	logger  hclog.Logger
	publish Publisher
	timeout time.Duration

	mu        sync.Mutex
	state     ctiv1.DriverState
	client    *plugin.Client
	driver    ctiv1.DriverClient
	pid       int
	startedAt time.Time
	info      *ctiv1.DriverInfo
	lastError string
	restarts  uint32
	stop      context.CancelFunc
	proc      *process
}

// New returns an Instance that is not started yet. timeout bounds each call
// the supervisor itself makes (GetInfo, Configure).
func New(spec Spec, logger hclog.Logger, publish Publisher, timeout time.Duration) *Instance {
	return &Instance{spec: spec, logger: logger, publish: publish, timeout: timeout, state: ctiv1.DriverState_DRIVER_STATE_STOPPED}
}

// Site returns the site served.
func (i *Instance) Site() string { return i.spec.Site }

// Driver returns the driver name.
func (i *Instance) Driver() string { return i.spec.Driver }

// Start launches the plugin, checks it and configures it. On failure the
// instance is DOWN with the reason and the process is gone.
func (i *Instance) Start(ctx context.Context) error {
	i.setState(ctiv1.DriverState_DRIVER_STATE_STARTING, "")
	p, err := launch(ctx, i.spec.Path, i.spec.SHA256, i.logger, i.timeout, i.spec.Secrets)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, i.timeout)
		_, err = p.driver.Configure(cctx, i.spec.Configure)
		cancel()
		if err != nil {
			err = fmt.Errorf("configure: %s", status.Convert(err).Message())
		}
	}
	if err != nil {
		if p != nil {
			p.client.Kill()
		}
		i.markDown(err.Error())
		return fmt.Errorf("driver %q at site %q: %w", i.spec.Driver, i.spec.Site, err)
	}
	pumpCtx, stop := context.WithCancel(context.Background())
	i.mu.Lock()
	i.client, i.driver, i.info, i.stop = p.client, p.driver, p.info, stop
	i.pid = p.client.ReattachConfig().Pid
	i.startedAt = time.Now()
	i.proc = p
	i.lastError = ""
	i.mu.Unlock()
	i.setState(ctiv1.DriverState_DRIVER_STATE_RUNNING, "")
	i.logger.Info("driver running", "version", p.info.GetVersion(), "pid", i.pid)
	go i.pump(pumpCtx, p)
	return nil
}

// Stop ends the plugin process. Safe to call more than once.
func (i *Instance) Stop() {
	i.mu.Lock()
	client, stop := i.client, i.stop
	i.client, i.driver, i.stop = nil, nil, nil
	i.mu.Unlock()
	if stop != nil {
		stop()
	}
	if client != nil {
		client.Kill()
		i.setState(ctiv1.DriverState_DRIVER_STATE_STOPPED, "stopped by the host")
	}
}

// Client returns the driver's client while the instance runs, or an
// UNAVAILABLE error that names the driver, the site and why it is down.
func (i *Instance) Client() (ctiv1.DriverClient, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.state == ctiv1.DriverState_DRIVER_STATE_RUNNING && i.driver != nil {
		return i.driver, nil
	}
	return nil, i.unavailableLocked()
}

func (i *Instance) unavailableLocked() error {
	what := fmt.Sprintf("driver %q at site %q is %s", i.spec.Driver, i.spec.Site, stateWord(i.state))
	if i.lastError != "" {
		what += ": " + i.lastError
	}
	return status.Error(codes.Unavailable, what)
}

// Status reports the instance for the Admin API.
func (i *Instance) Status() *ctiv1.PluginInstance {
	i.mu.Lock()
	defer i.mu.Unlock()
	p := &ctiv1.PluginInstance{
		Site: i.spec.Site, Driver: i.spec.Driver, State: i.state,
		Version: i.info.GetVersion(), ApiVersion: i.info.GetApiVersion(),
		Restarts: i.restarts, Binary: i.spec.Path, Sha256: i.spec.SHA256,
		LastError: i.lastError, Devices: uint32(len(i.spec.Configure.GetDevices())),
	}
	if i.state == ctiv1.DriverState_DRIVER_STATE_RUNNING {
		p.Pid = int64(i.pid)
		p.StartedAt = timestamppb.New(i.startedAt)
		p.UptimeSeconds = int64(time.Since(i.startedAt).Seconds())
	}
	return p
}

// Info returns what the driver said of itself, or nil before it started.
func (i *Instance) Info() *ctiv1.DriverInfo {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.info
}

// pump forwards the driver's events to the bus until the instance stops or
// the process dies. A stream that breaks while the process lives (e.g. it
// fell behind) is reopened; the driver resends its calls on reopen.
func (i *Instance) pump(ctx context.Context, p *process) {
	for ctx.Err() == nil {
		stream, err := p.driver.WatchEvents(ctx, &ctiv1.WatchEventsRequest{})
		for err == nil {
			var ev *ctiv1.Event
			if ev, err = stream.Recv(); err == nil {
				i.forward(ev)
			}
		}
		if ctx.Err() != nil {
			return
		}
		if p.exitedWithin(time.Second) {
			i.markDown(p.describeExit())
			return
		}
		i.logger.Warn("event stream broke; reopening", "error", status.Convert(err).Message())
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// forward stamps a driver event and publishes it.
func (i *Instance) forward(ev *ctiv1.Event) {
	if ev.GetGap() != nil || ev.GetDriverChanged() != nil {
		return // host-only payloads are not a driver's to send
	}
	ev.Sequence = 0
	ev.Site = i.spec.Site
	if ev.Device != "" {
		ev.Device = i.spec.Site + "/" + ev.Device
	}
	if ev.Time == nil {
		ev.Time = timestamppb.Now()
	}
	i.publish(ev)
}

func (i *Instance) markDown(reason string) {
	i.mu.Lock()
	if i.stop != nil {
		i.stop()
	}
	i.driver, i.stop = nil, nil
	i.mu.Unlock()
	i.logger.Error("driver down", "reason", reason)
	i.setState(ctiv1.DriverState_DRIVER_STATE_DOWN, reason)
}

// setState records a state and announces it as a host event.
func (i *Instance) setState(state ctiv1.DriverState, reason string) {
	i.mu.Lock()
	i.state = state
	if reason != "" {
		i.lastError = reason
	}
	ev := &ctiv1.Event{
		Site: i.spec.Site,
		Time: timestamppb.Now(),
		Payload: &ctiv1.Event_DriverChanged{DriverChanged: &ctiv1.DriverChanged{
			Driver: i.spec.Driver, State: state, Reason: reason,
			Version: i.info.GetVersion(), Pid: int64(i.pid),
		}},
	}
	i.mu.Unlock()
	i.publish(ev)
}

// launch starts the plugin at path, dispenses its driver and checks its
// API version.
func launch(ctx context.Context, path, sum string, logger hclog.Logger, timeout time.Duration, secrets []string) (*process, error) {
	cfg := sdk.ClientConfig(path, logger)
	if sum != "" {
		want, err := hex.DecodeString(sum)
		if err != nil {
			return nil, fmt.Errorf("sha256 pin %q is not hex", sum)
		}
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	}
	p := &process{cmd: cfg.Cmd, stderr: newTail(sdk.NewRedactor(secrets...))}
	cfg.Stderr = p.stderr
	p.client = plugin.NewClient(cfg)
	dc, err := sdk.Dispense(p.client)
	if err != nil {
		p.client.Kill()
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, fmt.Errorf("binary %s does not match its sha256 pin: refusing to run it", path)
		}
		return nil, fmt.Errorf("%w%s", err, p.stderr.suffix())
	}
	p.driver = dc
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	info, err := dc.GetInfo(cctx, &ctiv1.GetInfoRequest{})
	if err != nil {
		p.client.Kill()
		return nil, fmt.Errorf("get info: %s", status.Convert(err).Message())
	}
	if info.GetApiVersion() != sdk.APIVersion {
		p.client.Kill()
		return nil, fmt.Errorf("driver speaks API %q, this host speaks %q", info.GetApiVersion(), sdk.APIVersion)
	}
	p.info = info
	return p, nil
}

// Probe starts the plugin at path just long enough to read its info and
// config schema, so the host can validate config.hcl before starting
// anything for real.
func Probe(ctx context.Context, path, sum string, logger hclog.Logger, timeout time.Duration) (*ctiv1.DriverInfo, *ctiv1.ConfigSchema, error) {
	p, err := launch(ctx, path, sum, logger, timeout, nil)
	if err != nil {
		return nil, nil, err
	}
	defer p.client.Kill()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	schema, err := p.driver.GetConfigSchema(cctx, &ctiv1.GetConfigSchemaRequest{})
	if err != nil {
		return nil, nil, fmt.Errorf("get config schema: %s", status.Convert(err).Message())
	}
	return p.info, schema, nil
}

func stateWord(s ctiv1.DriverState) string {
	switch s {
	case ctiv1.DriverState_DRIVER_STATE_STARTING:
		return "starting"
	case ctiv1.DriverState_DRIVER_STATE_STOPPED:
		return "stopped"
	}
	return "down"
}

// DiedDuring returns the UNAVAILABLE error for a command that failed because
// the plugin process died while serving it (waiting briefly for the process
// to be reaped), or nil if the process is alive.
func (i *Instance) DiedDuring(method string) error {
	i.mu.Lock()
	p := i.proc
	i.mu.Unlock()
	if p == nil || !p.exitedWithin(time.Second) {
		return nil
	}
	return status.Errorf(codes.Unavailable, "driver %q at site %q went down during %s; the command's outcome is unknown, check the device state before retrying: %s",
		i.spec.Driver, i.spec.Site, method, p.describeExit())
}

// ConfiguredDevices returns the devices the instance was configured with.
func (i *Instance) ConfiguredDevices() []*ctiv1.DeviceConfig {
	return i.spec.Configure.GetDevices()
}
