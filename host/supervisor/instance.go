package supervisor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// Spec is what an Instance runs. Path, SHA256 (a swap), Configure and
// Secrets (a config reload) change and are read under the Instance's mu;
// Site, Shared and Driver never change.
type Spec struct {
	// Site is the site served; empty when Shared.
	Site string
	// Shared is true for one process serving every site of its driver
	// (isolation = "driver"): the device ids in Configure are then the
	// apps' "site/device" references, and the sites served are their
	// prefixes.
	Shared bool
	Driver string
	// Name is the name the driver reports in GetInfo (read by the host's
	// probe); a binary that reports another is refused before Configure.
	// Empty: not checked.
	Name string
	// Path is the plugin binary.
	Path string
	// SHA256 is the binary's expected checksum as hex; empty: not pinned.
	SHA256 string
	// Configure is sent to the driver after every start, secrets resolved.
	Configure *ctiv1.ConfigureRequest
	// Secrets are the resolved secret values, redacted from everything the
	// plugin writes to stderr.
	Secrets []string
	// DeviceCommands and DeviceQueue bound the commands in flight to one
	// device and those waiting; 0 takes the defaults.
	DeviceCommands, DeviceQueue int
}

// Publisher receives the instance's events, already stamped with the site
// and with devices rewritten to "site/device" references.
type Publisher func(*ctiv1.Event)

// Instance is one supervised plugin process serving one (site, driver)
// pair, or every site of its driver when shared: started, probed,
// restarted with backoff when it dies or hangs, stopped with the host.
// Safe for concurrent use.
type Instance struct {
	spec    Spec
	logger  hclog.Logger
	publish Publisher
	policy  Policy

	// idPrefix, when set (a host of a cluster), goes with the process's
	// generation before the call ids of every process of the instance:
	// each process numbers its calls from 1, and the apps must never see
	// one id for two calls. Guarded by mu.
	idPrefix   string
	generation int

	mu      sync.Mutex
	devices map[string]bool // configured device ids
	// discovered are the devices the driver announced (DevicesChanged),
	// by driver id, as the driver described them.
	discovered map[string]*ctiv1.Device
	sites      []string // the sites served, sorted
	state      ctiv1.DriverState
	proc       *process      // the current process, nil when not running
	ready      chan struct{} // closed to wake waiting commands (see wakeLocked)
	woken      bool          // ready is closed
	startedAt  time.Time
	info       *ctiv1.DriverInfo
	lastError  string
	restarts   uint32
	crashes    []time.Time        // crash times within the window
	calls      map[string]callSet // device -> calls seen through events
	stopped    bool               // Stop was called: never restart
	retry      *time.Timer        // pending restart

	droppedEvents uint64                         // malformed driver events not forwarded
	statuses      map[string]*ctiv1.DeviceStatus // last status per device, for deduplication
	swapping      bool                           // a swap is under way
	swaps         uint32
	rollbacks     uint32
	trial         *probation // the last swap, while on probation
	// pin is the plugin block's sha256: every binary the instance runs,
	// swapped in or not, must match it. Only a config reload changes it.
	pin string
	// limits bounds the commands in flight per device.
	limits *deviceLimits
	// redactor removes the instance's secrets from what its driver says
	// (errors, stderr) before anyone else sees it.
	redactor atomic.Pointer[sdk.Redactor]
}

// callSet is the last snapshot of each call of a device, by call id.
type callSet map[string]*ctiv1.Call

// New returns an Instance that is not started yet.
func New(spec Spec, logger hclog.Logger, publish Publisher, policy Policy) *Instance {
	i := &Instance{
		spec: spec, logger: logger, publish: publish, policy: policy.withDefaults(), devices: deviceSet(spec.Configure),
		state: ctiv1.DriverState_DRIVER_STATE_STOPPED, ready: make(chan struct{}), calls: map[string]callSet{},
		statuses: map[string]*ctiv1.DeviceStatus{}, pin: spec.SHA256,
		limits: newDeviceLimits(spec.DeviceCommands, spec.DeviceQueue),
	}
	i.sites = i.sitesOf(spec.Configure)
	i.redactor.Store(sdk.NewRedactor(spec.Secrets...))
	return i
}

// Redact removes the instance's secrets from text its driver produced, for
// an error passed on to an app or a log line.
func (i *Instance) Redact(text string) string { return i.redactor.Load().Redact(text) }

// reason makes text about the process (an exit, a stderr line, a driver's
// error) fit for apps and operators: the instance's current secrets
// redacted, one line, bounded.
func (i *Instance) reason(text string) string { return Sanitize(i.Redact(text)) }

// Site returns the site served; "" for a shared instance, which serves
// Sites.
func (i *Instance) Site() string { return i.spec.Site }

// Shared reports whether the instance is one process serving every site of
// its driver (isolation = "driver").
func (i *Instance) Shared() bool { return i.spec.Shared }

// Sites returns the sites served, sorted: Site alone unless shared. A
// config reload may change a shared instance's sites.
func (i *Instance) Sites() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.sites)
}

// Serves reports whether the instance serves site.
func (i *Instance) Serves(site string) bool {
	if !i.spec.Shared {
		return site == i.spec.Site
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	_, found := slices.BinarySearch(i.sites, site)
	return found
}

// Ref maps a device id of the driver to the site it belongs to and the
// apps' "site/device" reference. A per-site instance's ids are device names
// (the reference adds the site); a shared instance's ids are the references
// themselves (site is their prefix, or "" for an id without one, which no
// configured device has).
func (i *Instance) Ref(device string) (site, ref string) {
	if !i.spec.Shared {
		return i.spec.Site, i.spec.Site + "/" + device
	}
	site, _, ok := strings.Cut(device, "/")
	if !ok {
		return "", device
	}
	return site, device
}

// Driver returns the driver name.
func (i *Instance) Driver() string { return i.spec.Driver }

// Describe names the instance in messages: `driver "x" at site "hq"`, or
// for a shared instance `driver "x" (one process for 2 sites)`. A shared
// instance's sites are not named: the text reaches apps, and an app limited
// to some sites must not learn the others' names.
func (i *Instance) Describe() string {
	if !i.spec.Shared {
		return fmt.Sprintf("driver %q at site %q", i.spec.Driver, i.spec.Site)
	}
	return fmt.Sprintf("driver %q (one process for %d sites)", i.spec.Driver, len(i.Sites()))
}

// maxNamedSites is how many sites SiteList names before it counts the rest.
const maxNamedSites = 4

// SiteList joins sites for a message, naming at most a few:
// "a, b, c, d and 996 more".
func SiteList(sites []string) string {
	if len(sites) <= maxNamedSites {
		return strings.Join(sites, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(sites[:maxNamedSites], ", "), len(sites)-maxNamedSites)
}

// sitesOf returns the sites a configuration serves, sorted.
func (i *Instance) sitesOf(req *ctiv1.ConfigureRequest) []string {
	if !i.spec.Shared {
		return []string{i.spec.Site}
	}
	seen := map[string]bool{}
	var sites []string
	add := func(id string) {
		if site, _ := i.Ref(id); site != "" && !seen[site] {
			seen[site] = true
			sites = append(sites, site)
		}
	}
	for _, d := range req.GetDevices() {
		add(d.GetDevice())
	}
	for _, c := range req.GetConnections() {
		add(c.GetName()) // "site/label" in a shared instance
	}
	sort.Strings(sites)
	return sites
}

// ConfiguredDevices returns the devices the instance is configured with.
func (i *Instance) ConfiguredDevices() []*ctiv1.DeviceConfig {
	return i.ConfigureRequest().GetDevices()
}

// Binary returns the configured binary path and its sha256 pin ("" when
// not pinned).
func (i *Instance) Binary() (path, pin string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.spec.Path, i.spec.SHA256
}

// ConfigureRequest returns the configuration the instance runs with.
// Callers must not change it.
func (i *Instance) ConfigureRequest() *ctiv1.ConfigureRequest {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.spec.Configure
}

// Reconfigure replaces the instance's configuration (a config reload): the
// running process is configured at once (drivers keep the calls of devices
// that stay), and every later start uses it.
//
// A shared instance's sites follow its devices: apps at a site it no longer
// serves get a STOPPED DriverChanged event, apps at a site it now serves
// get its current state, as if a per-site instance had stopped or started
// there.
func (i *Instance) Reconfigure(ctx context.Context, req *ctiv1.ConfigureRequest, secrets []string) error {
	i.mu.Lock()
	i.spec.Configure, i.spec.Secrets = req, secrets
	i.redactor.Store(sdk.NewRedactor(secrets...))
	i.devices = deviceSet(req)
	was := i.sites
	i.sites = i.sitesOf(req)
	i.pruneDiscoveredLocked()
	added, removed := diffSites(i.sites, was), diffSites(was, i.sites)
	p, state := i.proc, i.state
	i.mu.Unlock()
	i.announceTo(removed, ctiv1.DriverState_DRIVER_STATE_STOPPED, "the site no longer has devices of this driver")
	i.announceTo(added, state, "")
	if p == nil {
		return nil // takes effect when the instance (re)starts
	}
	cctx, cancel := context.WithTimeout(ctx, i.policy.CommandTimeout)
	defer cancel()
	if _, err := p.driver.Configure(cctx, req); err != nil {
		return fmt.Errorf("%s refused the new configuration: %s", i.Describe(), i.Redact(status.Convert(err).Message()))
	}
	i.logger.Info("reconfigured", "devices", len(req.GetDevices()), "sites", len(i.Sites()))
	return nil
}

// diffSites returns the sites of a that are not in b (both sorted).
func diffSites(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

func deviceSet(req *ctiv1.ConfigureRequest) map[string]bool {
	devices := map[string]bool{}
	for _, d := range req.GetDevices() {
		devices[d.GetDevice()] = true
	}
	return devices
}

// SetCallIDPrefix makes the instance put prefix, then the number of the
// process, before every call id apps see (and take it off the ids of
// commands). A host of a cluster sets one unique to each lease it takes:
// drivers number their calls from 1 in every process, on every host, and
// one id must never name two calls at an app.
func (i *Instance) SetCallIDPrefix(prefix string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.idPrefix = prefix
}

// Start launches and configures the plugin. If that fails the instance is
// DOWN and the supervisor retries with backoff; the error says why.
// A stopped instance starts again: a host of a cluster stops a site's
// instance when it loses the lease and starts it when it takes it back.
// A start knows no calls and no device statuses: what the instance saw
// before it stopped is another host's to end (and its own reconcile's,
// from the event log), and the apps must hear every device come back.
func (i *Instance) Start(ctx context.Context) error {
	i.mu.Lock()
	i.stopped = false
	i.calls, i.statuses = map[string]callSet{}, map[string]*ctiv1.DeviceStatus{}
	i.mu.Unlock()
	i.setState(ctiv1.DriverState_DRIVER_STATE_STARTING, "")
	return i.run(ctx, false)
}

// run starts one process. restarted says whether it replaces a dead one.
func (i *Instance) run(ctx context.Context, restarted bool) error {
	began := time.Now()
	i.mu.Lock()
	spec := i.spec // a swap, its rollback or a reload changes it
	i.mu.Unlock()
	p, err := launch(ctx, spec.Path, spec.SHA256, spec.Name, i.logger, i.policy, i.Redact)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, i.policy.CommandTimeout)
		_, err = p.driver.Configure(cctx, spec.Configure)
		cancel()
		if err != nil {
			p.kill()
			err = fmt.Errorf("configure: %s", i.Redact(status.Convert(err).Message()))
		}
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", i.Describe(), err)
		i.crashed(nil, err.Error()) // never became the current process
		return err
	}
	i.mu.Lock()
	if i.stopped {
		i.mu.Unlock()
		p.kill()
		return fmt.Errorf("%s: stopped while starting", i.Describe())
	}
	// Apps' calls stay known across a restart: converge ends those the new
	// process no longer reports.
	lost := map[string]callSet{}
	for dev, calls := range i.calls {
		lost[dev] = callSet{}
		for id, c := range calls {
			lost[dev][id] = c
		}
	}
	if i.idPrefix != "" {
		i.generation++
		p.ids = newIDMap()
		p.ids.prefix = fmt.Sprintf("%s%d.", i.idPrefix, i.generation)
	}
	i.proc, i.info, i.startedAt, i.lastError = p, p.info, time.Now(), ""
	if restarted {
		i.restarts++
	}
	i.state = ctiv1.DriverState_DRIVER_STATE_RUNNING
	i.wakeLocked()
	i.mu.Unlock()

	announced := ctiv1.DriverState_DRIVER_STATE_RUNNING
	if restarted {
		announced = ctiv1.DriverState_DRIVER_STATE_RESTARTED
	}
	i.announce(announced, "")
	i.logger.Info("driver running", "version", p.info.GetVersion(), "pid", p.pid, "restarted", restarted, "took", time.Since(began))
	go i.pump(p)
	go i.probe(p)
	if restarted {
		go i.converge(p, lost)
	}
	return nil
}

// Stop ends the plugin process and any pending restart. Safe to call more
// than once.
func (i *Instance) Stop() { i.StopExcept(nil) }

// StopExcept is Stop, but announces the stop only at the sites not in
// taken over: there another instance of the driver has already announced
// itself (a reload changed the driver's isolation), and apps must not be
// told last that the driver stopped.
func (i *Instance) StopExcept(takenOver map[string]bool) {
	i.mu.Lock()
	i.stopped = true
	if i.retry != nil {
		i.retry.Stop()
	}
	p := i.proc
	i.proc = nil
	wasRunning := i.state == ctiv1.DriverState_DRIVER_STATE_RUNNING
	i.state = ctiv1.DriverState_DRIVER_STATE_STOPPED
	i.mu.Unlock()
	if p != nil {
		p.kill()
	}
	if wasRunning || p != nil {
		var sites []string
		for _, site := range i.Sites() {
			if !takenOver[site] {
				sites = append(sites, site)
			}
		}
		i.announceTo(sites, ctiv1.DriverState_DRIVER_STATE_STOPPED, "stopped by the host")
	}
}

// Restart replaces the process now and forgets the crash history (the
// operator's way out of CRASH_LOOP).
func (i *Instance) Restart(ctx context.Context) error {
	i.mu.Lock()
	if i.stopped {
		i.mu.Unlock()
		return status.Errorf(codes.FailedPrecondition, "%s is stopped", i.Describe())
	}
	if i.retry != nil {
		i.retry.Stop()
	}
	i.crashes = nil
	p := i.proc
	i.proc = nil // the pump will see the exit as expected, not as a crash
	i.leaveRunningLocked(ctiv1.DriverState_DRIVER_STATE_STARTING, "restart requested by an operator")
	i.mu.Unlock()
	i.announce(ctiv1.DriverState_DRIVER_STATE_STARTING, "restart requested by an operator")
	if p != nil {
		p.kill()
	}
	return i.run(ctx, true)
}

// Client returns the driver's client. While the instance restarts it waits
// up to the policy's CommandGrace for it; then, or at once when the
// instance is stopped or crash-looping, it fails UNAVAILABLE naming the
// driver, the site and why.
func (i *Instance) Client(ctx context.Context) (*Conn, error) {
	var grace <-chan time.Time
	for {
		i.mu.Lock()
		state, p, ready, reason := i.state, i.proc, i.ready, i.lastError
		i.mu.Unlock()
		if state == ctiv1.DriverState_DRIVER_STATE_RUNNING && p != nil {
			p.inflight.Add(1)
			return &Conn{Driver: p.driver, proc: p, inst: i}, nil
		}
		if state != ctiv1.DriverState_DRIVER_STATE_DOWN && state != ctiv1.DriverState_DRIVER_STATE_STARTING {
			return nil, i.unavailable(state, reason, "")
		}
		if grace == nil {
			t := time.NewTimer(i.policy.CommandGrace)
			defer t.Stop()
			grace = t.C
		}
		select {
		case <-ready:
		case <-grace:
			return nil, i.unavailable(state, reason, fmt.Sprintf("; it is restarting: retry in a few seconds (waited %s)", i.policy.CommandGrace))
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}

func (i *Instance) unavailable(state ctiv1.DriverState, reason, hint string) error {
	msg := fmt.Sprintf("%s is %s", i.Describe(), stateWord(state))
	if reason != "" {
		msg += ": " + reason
	}
	return status.Error(codes.Unavailable, msg+hint)
}

// Conn is a running process's client, handed to one command. The caller
// MUST call Release when the command is done, so that a swap can drain the
// process.
type Conn struct {
	Driver ctiv1.DriverClient
	proc   *process
	inst   *Instance
}

// Release ends the command's use of the process.
func (c *Conn) Release() { c.proc.inflight.Add(-1) }

// Request rewrites a command's call ids to the ones the process knows (they
// differ after a swap). req's device must already be the driver's id.
func (c *Conn) Request(req proto.Message) {
	c.inst.mu.Lock()
	defer c.inst.mu.Unlock()
	c.proc.ids.request(req)
}

// Response rewrites the id of a call a command created to the one apps
// will see in its events.
func (c *Conn) Response(resp proto.Message) {
	c.inst.mu.Lock()
	defer c.inst.mu.Unlock()
	c.proc.ids.response(resp)
}

// State rewrites the call ids of a device state the process returned to the
// ones apps know.
func (c *Conn) State(st *ctiv1.DeviceState, device string) {
	c.inst.mu.Lock()
	defer c.inst.mu.Unlock()
	c.proc.ids.state(st, device)
}

// aliveProbeTimeout bounds the GetInfo that tells a live driver from one
// that died under a command.
const aliveProbeTimeout = 250 * time.Millisecond

// DiedDuring returns the UNAVAILABLE error for a command whose call failed
// with err because this process died while serving it, or nil if the
// process is alive. The outcome of such a command is unknown: it is never
// retried.
//
// A live driver's error costs no wait: a status with details (a
// VendorError) is the driver's own answer, and otherwise a live process
// answers GetInfo at once. Only when that fails is the process given up to
// a second to be reaped, so that its exit status can be reported.
func (c *Conn) DiedDuring(method string, err error) error {
	if st, ok := status.FromError(err); ok && len(st.Proto().GetDetails()) > 0 {
		return nil // the driver answered this command itself
	}
	if !c.proc.client.Exited() {
		ctx, cancel := context.WithTimeout(context.Background(), aliveProbeTimeout)
		_, probeErr := c.proc.driver.GetInfo(ctx, &ctiv1.GetInfoRequest{})
		cancel()
		if probeErr == nil {
			return nil
		}
	}
	if !c.proc.exitedWithin(time.Second) {
		return nil
	}
	reason := c.inst.reason(c.proc.describeExit())
	c.inst.crashed(c.proc, reason) // the event pump may not have noticed yet
	return status.Errorf(codes.Unavailable, "%s went down during %s; the command's outcome is unknown, check the device state before retrying: %s",
		c.inst.Describe(), method, reason)
}

// Status reports the instance for the Admin API.
func (i *Instance) Status() *ctiv1.PluginInstance {
	i.mu.Lock()
	defer i.mu.Unlock()
	p := &ctiv1.PluginInstance{
		Site: i.spec.Site, Sites: slices.Clone(i.sites), Driver: i.spec.Driver, State: i.state,
		Version: i.info.GetVersion(), ApiVersion: i.info.GetApiVersion(),
		Restarts: i.restarts, Binary: i.spec.Path, Sha256: i.spec.SHA256,
		LastError: i.lastError, Devices: uint32(len(i.spec.Configure.GetDevices())),
		RecentCrashes: uint32(len(i.recentCrashesLocked(time.Now()))),
		Swaps:         i.swaps, Rollbacks: i.rollbacks,
		DiscoveredDevices: uint32(len(i.discovered)), Connections: uint32(len(i.spec.Configure.GetConnections())),
	}
	if i.proc != nil {
		p.Sha256 = i.proc.sha256
	}
	if i.state == ctiv1.DriverState_DRIVER_STATE_RUNNING && i.proc != nil {
		p.Pid = int64(i.proc.pid)
		p.StartedAt = timestamppb.New(i.startedAt)
		p.UptimeSeconds = int64(time.Since(i.startedAt).Seconds())
	}
	return p
}

// setState records a state and announces it.
func (i *Instance) setState(state ctiv1.DriverState, reason string) {
	i.mu.Lock()
	i.state = state
	if reason != "" {
		i.lastError = i.reason(reason)
	}
	i.mu.Unlock()
	i.announce(state, reason)
}

// leaveRunningLocked moves out of RUNNING: commands wait on a new ready
// channel from now on. Callers hold mu.
func (i *Instance) leaveRunningLocked(state ctiv1.DriverState, reason string) {
	if i.woken {
		i.ready, i.woken = make(chan struct{}), false
	}
	i.state = state
	if reason != "" {
		i.lastError = i.reason(reason)
	}
}

// wakeLocked wakes every command waiting in Client, once per ready channel.
// Callers hold mu.
func (i *Instance) wakeLocked() {
	if !i.woken {
		close(i.ready)
		i.woken = true
	}
}

// announce publishes a DriverChanged host event at every site served: apps
// watch driver events by site.
func (i *Instance) announce(state ctiv1.DriverState, reason string) {
	i.announceTo(i.Sites(), state, reason)
}

// announceTo publishes a DriverChanged host event at each of sites.
func (i *Instance) announceTo(sites []string, state ctiv1.DriverState, reason string) {
	if len(sites) == 0 {
		return
	}
	i.mu.Lock()
	changed := &ctiv1.DriverChanged{Driver: i.spec.Driver, State: state, Reason: i.reason(reason), Version: i.info.GetVersion()}
	if i.proc != nil {
		changed.Pid = int64(i.proc.pid)
	}
	i.mu.Unlock()
	now := time.Now()
	for n, site := range sites {
		c := changed
		if n > 0 {
			c = proto.Clone(changed).(*ctiv1.DriverChanged) // events share nothing: the bus keeps each as it is
		}
		i.publish(&ctiv1.Event{Site: site, Time: timestamppb.New(now), Payload: &ctiv1.Event_DriverChanged{DriverChanged: c}})
	}
}

func stateWord(s ctiv1.DriverState) string {
	switch s {
	case ctiv1.DriverState_DRIVER_STATE_STARTING:
		return "starting"
	case ctiv1.DriverState_DRIVER_STATE_STOPPED:
		return "stopped"
	case ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP:
		return "crash-looping and no longer restarted (fix the cause, then: ctictl plugins restart <site> <driver>)"
	}
	return "down"
}
