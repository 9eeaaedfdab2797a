package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/ctihost/ctihost/host/api"
	"github.com/ctihost/ctihost/host/auth"
	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/cluster"
	"github.com/ctihost/ctihost/host/config"
	"github.com/ctihost/ctihost/host/directory"
	"github.com/ctihost/ctihost/host/eventlog"
	"github.com/ctihost/ctihost/host/metrics"
	"github.com/ctihost/ctihost/host/screen"
	"github.com/ctihost/ctihost/host/supervisor"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
	"github.com/ctihost/ctihost/sdk"
)

// shutdownGrace bounds how long open API streams may delay a shutdown.
const shutdownGrace = 3 * time.Second

// maxMetricsConnections bounds the metrics endpoint's connections: a few
// scrapers use it.
const maxMetricsConnections = 32

// host is a loaded, validated configuration ready to serve.
type host struct {
	path      string
	cfg       *config.Config
	logger    hclog.Logger
	bus       *bus.Bus
	instances []*supervisor.Instance // changed only by the reload goroutine
	router    *api.Router

	logOut *redactingWriter // the log's output, redacting every known secret
	// callbackKey derives each instance's callback secret (stampCallbacks).
	callbackKey []byte
	resolved    []config.Instance // the configuration in force (reload replaces it)

	// Set by serve: who may call the API, and which binaries it may start.
	guard      *api.Guard
	clients    *auth.Clients
	binaries   *supervisor.Binaries
	localToken string
	metrics    *metrics.Metrics // nil without a metrics endpoint
	webhooks   map[string]*runningWebhook
	hostAPI    *api.HostServer // set by serve

	// directories are the sites' contact directories in force.
	directories atomic.Pointer[map[string]*directory.Directory]
	// screener applies the screening blocks; nil until serve starts it.
	screener atomic.Pointer[screen.Screener]
	// leases are the cluster's site leases (nil without a cluster block):
	// a site's events are published only under a fresh lease.
	leases atomic.Pointer[cluster.Leases]
	fenced atomic.Uint64 // events dropped for want of a fresh lease
}

// load reads the configuration, probes every driver it uses for its schema
// and validates everything, returning all problems at once.
func load(ctx context.Context, path string, stderr io.Writer) (*host, config.Diagnostics) {
	// Every log line, the plugins' relayed stderr included, is redacted
	// with the secrets of the configuration in force.
	out := newRedactingWriter(stderr, nil)
	cfg, resolved, logger, diags := resolve(ctx, path, out)
	if diags.HasErrors() {
		return nil, diags
	}
	callbackKey := newCallbackKey()
	stampCallbacks(cfg.Host, callbackKey, resolved)
	h := &host{path: path, cfg: cfg, logger: logger, logOut: out, resolved: resolved, bus: bus.New(cfg.Host.EventBuffer), callbackKey: callbackKey}
	h.redactSecrets(cfg, resolved)
	h.setDirectories(cfg)
	for _, in := range resolved {
		h.instances = append(h.instances, h.newInstance(in))
	}
	h.router = api.NewRouter(h.instances)
	return h, diags
}

// redactSecrets makes the log redact every secret of a configuration: the
// instances' resolved secrets (values from env() and file() included), the
// client tokens and the local token.
func (h *host) redactSecrets(cfg *config.Config, resolved []config.Instance) {
	secrets := tokenSecrets(cfg)
	for _, in := range resolved {
		secrets = append(secrets, in.Secrets...)
	}
	if h.localToken != "" {
		secrets = append(secrets, h.localToken)
	}
	h.logOut.setRedactor(sdk.NewRedactor(secrets...))
}

// resolve loads and checks the configuration at path: decode, probe the
// drivers, validate every block against their schemas.
func resolve(ctx context.Context, path string, stderr io.Writer) (*config.Config, []config.Instance, hclog.Logger, config.Diagnostics) {
	cfg, diags := config.Load(path)
	if cfg == nil {
		return nil, nil, nil, diags
	}
	logger := newLogger(cfg.Host.LogLevel, cfg.Host.LogFormat, stderr)
	specs, probeDiags := probeDrivers(ctx, cfg, logger)
	diags = append(diags, probeDiags...)
	resolved, resolveDiags := cfg.Resolve(specs)
	diags = append(diags, resolveDiags...)
	sort.SliceStable(diags, func(i, j int) bool {
		if diags[i].Line != diags[j].Line {
			return diags[i].Line < diags[j].Line
		}
		return diags[i].Column < diags[j].Column
	})
	return cfg, resolved, logger, diags
}

// newInstance makes the supervised instance of one resolved (site, driver),
// or of a driver shared by its sites.
func (h *host) newInstance(in config.Instance) *supervisor.Instance {
	spec := supervisor.Spec{
		Site: in.Site, Shared: in.Shared, Driver: in.Driver, Name: in.DriverName, Path: in.Plugin.Path, SHA256: in.Plugin.SHA256,
		Configure: in.Request, Secrets: in.Secrets,
		DeviceCommands: in.Plugin.MaxDeviceCommands, DeviceQueue: in.Plugin.MaxDeviceQueue,
	}
	logger := h.logger.Named("plugin").Named(in.Driver)
	if in.Shared {
		logger = logger.With("isolation", config.IsolationDriver)
	} else {
		logger = logger.With("site", in.Site)
	}
	return supervisor.New(spec, logger, h.publish, policyOf(h.cfg.Host))
}

// instanceKey identifies an instance across reloads: "site/driver", or
// "/driver" for a driver shared by its sites (site names are never empty).
func instanceKey(site, driver string) string { return site + "/" + driver }

// probeDrivers starts each enabled plugin that serves a device once, in
// parallel, to read its info and config schema. A plugin that cannot start
// is a diagnostic on its plugin block.
func probeDrivers(ctx context.Context, cfg *config.Config, logger hclog.Logger) (map[string]config.DriverSpec, config.Diagnostics) {
	used := map[string]bool{}
	for _, s := range cfg.Sites {
		for _, d := range s.Devices {
			used[d.Driver] = true
		}
		for _, c := range s.Connections {
			used[c.Driver] = true
		}
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		specs = map[string]config.DriverSpec{}
		diags config.Diagnostics
	)
	for _, p := range cfg.Plugins {
		if !p.Enabled || !used[p.Name] {
			continue
		}
		wg.Add(1)
		go func(p *config.Plugin) {
			defer wg.Done()
			info, schema, err := supervisor.Probe(ctx, p.Path, p.SHA256, logger.Named("probe").Named(p.Name), policyOf(cfg.Host))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				diags = append(diags, config.Diagnostic{
					Severity: config.Error, File: p.Range.Filename, Line: p.Range.Start.Line, Column: p.Range.Start.Column,
					Summary: fmt.Sprintf("plugin %q: cannot start driver %s: %v", p.Name, p.Path, err),
					Detail:  "run make build, or fix path/sha256 in the plugin block",
				})
				return
			}
			spec := config.DriverSpec{Name: info.GetName(), Schema: schema}
			for _, m := range info.GetModels() {
				spec.Models = append(spec.Models, m.GetModel())
			}
			specs[p.Name] = spec
		}(p)
	}
	wg.Wait()
	return specs, diags
}

// policyOf is the supervision policy the host block sets.
func policyOf(h config.Host) supervisor.Policy {
	return supervisor.Policy{
		CommandTimeout: h.CommandTimeout, StartTimeout: h.StartTimeout,
		RestartBackoff: h.RestartBackoff, MaxRestartBackoff: h.MaxRestartBackoff,
		CrashLoopRestarts: h.CrashLoopRestarts, CrashLoopWindow: h.CrashLoopWindow,
		CommandGrace: h.CommandGrace, ProbeInterval: h.ProbeInterval, ProbeTimeout: h.ProbeTimeout,
	}
}

// publish is every instance's event sink.
func (h *host) publish(ev *ctiv1.Event) {
	if l := h.leases.Load(); l != nil && ev.GetSite() != "" && !l.AwaitFresh(ev.GetSite(), h.cfg.Cluster.LeaseTTL) {
		// This host was paused past its lease, or lost it: another host
		// may run the site now, and this host's late events would
		// contradict the new owner's.
		if n := h.fenced.Add(1); n == 1 || n%1000 == 0 {
			h.logger.Warn("dropped events of a site whose lease this host no longer holds fresh", "site", ev.GetSite(), "dropped", n)
		}
		return
	}
	h.enrich(ev)
	h.bus.Publish(ev)
	if s := h.screener.Load(); s != nil {
		s.Observe(ev) // after the ringing event, so its CallScreened comes later
	}
}

// serve starts the instances and the API and blocks until ctx ends, then
// stops everything: no plugin process outlives serve.
func (h *host) serve(ctx context.Context) error {
	defer h.stopInstances()
	if err := checkExposure(h.cfg.Host, h.logger); err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(h.cfg.Host)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", h.cfg.Host.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", h.cfg.Host.Listen, err)
	}
	if h.cfg.Host.LocalToken {
		path, err := h.writeLocalToken(lis.Addr())
		if err != nil {
			h.logger.Warn("no local token was written; ctictl on this machine needs a client block's token", "error", err)
		} else {
			defer auth.RemoveLocalToken(path, h.localToken)
			h.logger.Info("local token written: every scope at every site, readable by this user only (ctictl reads it)", "file", path)
		}
	}
	audit, closeAudit, err := auditLogger(h.cfg.Host, h.logOut)
	if err != nil {
		return err
	}
	defer closeAudit.Close()
	h.clients = clientsOf(h.cfg, h.localToken)
	h.guard = api.NewGuard(h.clients, audit)
	h.redactSecrets(h.cfg, h.resolved)
	h.binaries = supervisor.NewBinaries(h.cfg.Host.PluginDir, pluginPaths(h.cfg))
	// The durable event log goes in before anything publishes. It closes
	// after the instances stopped (their last events are logged).
	var openAtStop map[string]map[string]*ctiv1.Call
	var clusterConn *nats.Conn
	var clusterLog *eventlog.Log
	if h.cfg.Cluster != nil {
		nc, log, leave, err := h.joinCluster(ctx)
		if err != nil {
			return err
		}
		clusterConn, clusterLog = nc, log
		defer func() {
			h.stopInstances()
			leave()
		}()
	}
	if h.cfg.Host.EventLogDir != "" {
		open, closeLog, err := h.openEventLog(ctx)
		if err != nil {
			return err
		}
		openAtStop = open
		defer func() {
			h.stopInstances()
			closeLog()
		}()
	}
	m, stopMetrics, err := h.serveMetrics()
	if err != nil {
		return err
	}
	defer stopMetrics()
	h.metrics = m
	h.applyWebhooks(h.cfg.Webhooks, m)
	defer h.stopWebhooks()
	// Devices may call back as soon as their driver has configured them:
	// the listener is up before any driver starts.
	stopCallbacks, err := h.serveCallbacks(m)
	if err != nil {
		return err
	}
	defer stopCallbacks()
	// The app API and the screener exist before any driver runs: the first
	// ringing event may come at once.
	hostAPI := api.NewHostServer(h.router, h.bus, h.cfg.Host.CommandTimeout, h.logger.Named("api"), m)
	h.hostAPI = hostAPI
	adminAPI := api.NewAdminServer(h.router, h.binaries)
	h.setDirectories(h.cfg)
	screener := screen.New(hostAPI, h.publish, audit, m)
	screener.SetRules(screeningRules(h.cfg))
	h.screener.Store(screener)
	defer screener.Stop()
	if h.cfg.Cluster != nil {
		// The drivers of a site run on the host that holds its lease.
		cs, err := h.runLeases(ctx, clusterConn, clusterLog, advertiseAddr(h.cfg.Cluster.Advertise, lis.Addr()), tlsCfg)
		if err != nil {
			return err
		}
		hostAPI.SetRemote(cs)
		adminAPI.SetCluster(cs, h.cfg.Cluster.HostID)
		defer cs.close()
	} else {
		h.startInstances(ctx)
	}
	if len(openAtStop) > 0 {
		go h.reconcile(ctx, openAtStop, h.cfg.Host.StartTimeout+h.cfg.Host.CommandTimeout, "ended while ctihost was stopped")
	}

	srvCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := api.NewGRPCServer(srvCtx, hostAPI, adminAPI, api.ServerOptions{
		Guard: h.guard, TLS: tlsCfg, Reflection: h.cfg.Host.Reflection,
		Limits: api.Limits{
			MaxConnections: h.cfg.Host.MaxConnections, MaxSubscribers: h.cfg.Host.MaxSubscribers,
			MaxClientSubscribers: h.cfg.Host.MaxClientSubscribers, IdleTimeout: h.cfg.Host.ConnectionIdleTimeout,
		},
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(api.Listener(lis, h.cfg.Host.MaxConnections)) }()
	if h.cfg.Host.HTTPListen != "" {
		stopHTTP, err := h.serveHTTP(srv, tlsCfg)
		if err != nil {
			srv.Stop()
			return err
		}
		defer stopHTTP()
	}
	h.logger.Info("host API listening", "listen", lis.Addr().String(), "tls", tlsCfg != nil, "clients", len(h.cfg.Clients), "instances", len(h.instances))

	// Reloads run on their own goroutine, one at a time: a slow or stuck
	// reload never delays a shutdown, and a SIGHUP that arrives during a
	// reload queues one more, so the last edit is always applied.
	reloads := make(chan struct{}, 1)
	reloadCtx, stopReloads := context.WithCancel(ctx)
	reloaderDone := make(chan struct{})
	go func() {
		defer close(reloaderDone)
		for {
			select {
			case <-reloadCtx.Done():
				return
			case <-reloads:
				h.reload(reloadCtx)
			}
		}
	}()
	defer func() {
		stopReloads()
		select {
		case <-reloaderDone:
		case <-time.After(shutdownGrace):
			h.logger.Warn("a config reload is still running; stopping without waiting for it")
		}
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			select {
			case reloads <- struct{}{}:
			default: // one is queued already, and will read the file as it is then
			}
			continue
		case err = <-served:
		case <-ctx.Done():
			h.logger.Info("shutting down")
			hostAPI.Close() // open event streams end now rather than holding up the stop
			stopped := make(chan struct{})
			go func() { srv.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(shutdownGrace):
				srv.Stop()
			}
		}
		break
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// writeLocalToken makes a fresh local token and writes it where ctictl on
// this machine, run by the same user, finds it for the address.
func (h *host) writeLocalToken(addr net.Addr) (string, error) {
	token, err := auth.NewToken()
	if err != nil {
		return "", err
	}
	path, err := auth.LocalTokenFile(localTokenAddr(addr))
	if err != nil {
		return "", err
	}
	if err := auth.WriteLocalToken(path, token); err != nil {
		return "", err
	}
	h.localToken = token
	return path, nil
}

// pluginPaths are the binaries the plugin blocks name, which the API may
// swap to even outside the plugin folder.
func pluginPaths(cfg *config.Config) []string {
	var out []string
	for _, p := range cfg.Plugins {
		out = append(out, p.Path)
	}
	return out
}

// serveMetrics starts the Prometheus endpoint when the host block sets
// metrics; it returns nil metrics (recording nothing) when it does not.
func (h *host) serveMetrics() (*metrics.Metrics, func(), error) {
	addr := h.cfg.Host.Metrics
	if addr == "" {
		return nil, func() {}, nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	if !isLoopback(addr) {
		h.logger.Warn("metrics are served beyond loopback in plaintext: the scraper's token crosses the network in clear", "metrics", addr)
	}
	m := metrics.New(metricsSource{h})
	mux := http.NewServeMux()
	// Every listener is authenticated: a scraper sends a client's token
	// with the metrics scope (Prometheus: authorization.credentials_file).
	mux.Handle("/metrics", h.guard.HTTP(auth.ScopeMetrics, m.Handler()))
	// Bounded like the API: a scrape is one small GET.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
	go srv.Serve(api.Listener(lis, maxMetricsConnections))
	h.logger.Info("metrics listening", "metrics", lis.Addr().String())
	return m, func() { srv.Close() }, nil
}

// metricsSource lets the metrics read the host at scrape time.
type metricsSource struct{ h *host }

func (s metricsSource) Plugins() []*ctiv1.PluginInstance {
	var out []*ctiv1.PluginInstance
	for _, inst := range s.h.router.Instances() {
		out = append(out, inst.Status())
	}
	return out
}

func (s metricsSource) Subscribers() int64 { return s.h.bus.Subscribers() }
func (s metricsSource) EventsIn() uint64   { return s.h.bus.Published() }

// startInstances starts every instance in parallel; one that fails to
// start stays DOWN and the others serve.
func (h *host) startInstances(ctx context.Context) {
	var wg sync.WaitGroup
	for _, inst := range h.instances {
		wg.Add(1)
		go func(inst *supervisor.Instance) {
			defer wg.Done()
			if err := inst.Start(ctx); err != nil {
				h.logger.Error("driver failed to start", "instance", inst.Describe(), "error", err)
			}
		}(inst)
	}
	wg.Wait()
}

func (h *host) stopInstances() {
	var wg sync.WaitGroup
	for _, inst := range h.router.Instances() {
		wg.Add(1)
		go func(inst *supervisor.Instance) { defer wg.Done(); inst.Stop() }(inst)
	}
	wg.Wait()
}

// isLoopback reports whether a listen address binds loopback only.
func isLoopback(addr string) bool {
	hostPart, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if hostPart == "localhost" {
		return true
	}
	ip := net.ParseIP(hostPart)
	return ip != nil && ip.IsLoopback()
}

// reload applies config.hcl again (SIGHUP), changing only what changed:
// instances of new (site, driver) pairs start, removed ones stop, changed
// settings or devices reconfigure the running process, a changed binary or
// pin is swapped in, crash-looping instances are retried, and untouched
// instances keep running. A shared instance (isolation = "driver") is one
// instance of its driver: sites joining or leaving it reconfigure it in
// place. A changed isolation replaces the driver's instances: the new ones
// start, then the old ones stop. A configuration with errors is refused as
// a whole and the host serves on unchanged.
func (h *host) reload(ctx context.Context) {
	began := time.Now()
	cfg, resolved, _, diags := resolve(ctx, h.path, io.Discard)
	if diags.HasErrors() {
		for _, d := range diags {
			h.logger.Error("config reload refused; serving on with the previous configuration", "problem", d.String())
		}
		return
	}
	stampCallbacks(h.cfg.Host, h.callbackKey, resolved) // the listener in force: host block changes wait for a restart
	if !reflect.DeepEqual(cfg.Host, h.cfg.Host) {
		h.logger.Warn("host block changes take effect at the next start of ctihost")
	}
	// While both configurations' processes may log, both sets of secrets
	// are redacted; the old set goes once the old processes are gone.
	h.redactSecrets(cfg, append(slices.Clone(h.resolved), resolved...))
	current := map[string]*supervisor.Instance{}
	for _, inst := range h.instances {
		current[instanceKey(inst.Site(), inst.Driver())] = inst
	}
	var next []*supervisor.Instance
	var added, reconfigured, swapped, unchanged []*supervisor.Instance
	for _, in := range resolved {
		key := instanceKey(in.Site, in.Driver)
		inst, ok := current[key]
		if !ok {
			inst = h.newInstance(in)
			added = append(added, inst)
			next = append(next, inst)
			continue
		}
		delete(current, key)
		next = append(next, inst)
		inst.SetDeviceLimits(in.Plugin.MaxDeviceCommands, in.Plugin.MaxDeviceQueue)
		changed := false
		if !proto.Equal(inst.ConfigureRequest(), in.Request) {
			if err := inst.Reconfigure(ctx, in.Request, in.Secrets); err != nil {
				h.logger.Error("reload: reconfigure failed", "instance", inst.Describe(), "error", err)
			}
			reconfigured, changed = append(reconfigured, inst), true
		}
		if path, pin := inst.Binary(); path != in.Plugin.Path || pin != in.Plugin.SHA256 {
			inst.Repin(in.Plugin.SHA256)
			if _, err := inst.Swap(ctx, in.Plugin.Path, in.Plugin.SHA256); err != nil {
				h.logger.Error("reload: swap failed", "instance", inst.Describe(), "error", err)
			}
			inst.SetBinary(in.Plugin.Path, in.Plugin.SHA256)
			swapped, changed = append(swapped, inst), true
		}
		if inst.Status().GetState() == ctiv1.DriverState_DRIVER_STATE_CRASH_LOOP {
			// A reload is the operator's word that the cause may be fixed.
			if err := inst.Restart(ctx); err != nil {
				h.logger.Error("reload: restart of a crash-looping driver failed", "instance", inst.Describe(), "error", err)
			}
			changed = true
		}
		if !changed {
			unchanged = append(unchanged, inst)
		}
	}
	// Where a changed isolation moves a site's devices of a driver to a new
	// instance, the new one starts (and announces itself there) before the
	// old one stops, which must then not tell that site's apps last that
	// the driver stopped.
	takenOver := map[string]bool{} // "site/driver"
	for _, inst := range added {
		if err := inst.Start(ctx); err != nil {
			h.logger.Error("reload: driver failed to start", "instance", inst.Describe(), "error", err)
		}
		for _, site := range inst.Sites() {
			takenOver[instanceKey(site, inst.Driver())] = true
		}
	}
	if ctx.Err() != nil {
		// The host is stopping and may already have listed the instances it
		// stops: the ones this reload started must not outlive it.
		for _, inst := range added {
			inst.Stop()
		}
		return
	}
	h.instances = next
	h.router.Update(next)
	for _, inst := range current { // removed from the file, or replaced
		sites := map[string]bool{}
		for _, site := range inst.Sites() {
			sites[site] = takenOver[instanceKey(site, inst.Driver())]
		}
		inst.StopExcept(sites)
	}
	h.cfg, h.resolved = cfg, resolved
	h.redactSecrets(cfg, resolved)
	h.clients = h.clients.Carry(clientsOf(cfg, h.localToken))
	h.guard.SetClients(h.clients)
	h.binaries.SetPaths(pluginPaths(cfg))
	h.applyWebhooks(cfg.Webhooks, h.metrics)
	h.setDirectories(cfg)
	if s := h.screener.Load(); s != nil {
		s.SetRules(screeningRules(cfg))
	}
	h.logger.Info("config reloaded", "clients", len(cfg.Clients), "added", len(added), "removed", len(current), "reconfigured", len(reconfigured),
		"swapped", len(swapped), "unchanged", len(unchanged), "took", time.Since(began))
}

// screeningRules are cfg's screening blocks as the screener takes them.
func screeningRules(cfg *config.Config) []screen.Rule {
	var out []screen.Rule
	for _, r := range cfg.Screenings {
		out = append(out, screen.Rule{Name: r.Name, Sites: r.Sites, Callers: r.Callers, Action: r.Action,
			Destination: r.Destination, URL: r.URL, Secret: r.Secret, Deadline: r.Deadline})
	}
	return out
}
