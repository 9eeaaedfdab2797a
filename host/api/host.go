package api

import (
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ctihost/ctihost/host/bus"
	"github.com/ctihost/ctihost/host/directory"
	"github.com/ctihost/ctihost/host/metrics"
	"github.com/ctihost/ctihost/host/supervisor"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// HostServer implements cti.v1.Host.
type HostServer struct {
	ctiv1.UnimplementedHostServer
	router  *Router
	bus     *bus.Bus
	timeout time.Duration
	logger  hclog.Logger
	closing chan struct{}
	once    sync.Once
	metrics *metrics.Metrics // nil when metrics are off
	subs    subscribers      // open event streams; limits set by NewGRPCServer
	// directories are the sites' contact directories (directory blocks),
	// replaced as a whole by a reload.
	directories atomic.Pointer[map[string]*directory.Directory]
	remote      atomic.Pointer[Remote]
}

// SetRemote lets commands for other hosts' sites go to them (a cluster).
func (s *HostServer) SetRemote(r Remote) { s.remote.Store(&r) }

// Remote is the cluster's way to other hosts, or nil.
func (s *HostServer) Remote() Remote {
	if r := s.remote.Load(); r != nil {
		return *r
	}
	return nil
}

// SetDirectories sets each site's contact directory (nil: none).
func (s *HostServer) SetDirectories(bySite map[string]*directory.Directory) {
	s.directories.Store(&bySite)
}

// Directory is site's contact directory, or nil.
func (s *HostServer) Directory(site string) *directory.Directory {
	if m := s.directories.Load(); m != nil {
		return (*m)[site]
	}
	return nil
}

// NewHostServer returns the app API. timeout is the deadline applied to
// every driver call.
func NewHostServer(r *Router, b *bus.Bus, timeout time.Duration, logger hclog.Logger, m *metrics.Metrics) *HostServer {
	return &HostServer{router: r, bus: b, timeout: timeout, logger: logger, closing: make(chan struct{}), metrics: m}
}

// Close ends every open event stream with UNAVAILABLE, so a shutdown does
// not wait for apps to hang up. Safe to call more than once.
func (s *HostServer) Close() { s.once.Do(func() { close(s.closing) }) }

// ListDevices asks every running instance (of the requested sites) for its
// devices in parallel. An instance that is down still lists its configured
// devices, without capabilities, so apps see what exists. A shared instance
// lists only the devices of the requested sites.
func (s *HostServer) ListDevices(ctx context.Context, req *ctiv1.ListDevicesRequest) (*ctiv1.ListDevicesResponse, error) {
	if err := s.router.CheckSites(ctx, req.GetSites()); err != nil {
		return nil, err
	}
	sites := req.GetSites()
	if c := clientOf(ctx); len(sites) == 0 && c != nil && !c.AllSitesAllowed() {
		sites = s.router.SiteNames(ctx) // every site the caller may reach
		if len(sites) == 0 {
			return &ctiv1.ListDevicesResponse{}, nil
		}
	}
	wanted := map[string]bool{}
	for _, site := range sites {
		wanted[site] = true
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out []*ctiv1.Device
	)
	for _, inst := range s.router.Instances() {
		if len(wanted) > 0 && !slices.ContainsFunc(sites, inst.Serves) {
			continue
		}
		wg.Add(1)
		go func(inst *supervisor.Instance) {
			defer wg.Done()
			devices, remote := s.remoteDevices(ctx, inst, wanted)
			if !remote {
				devices = s.instanceDevices(ctx, inst, wanted)
			}
			mu.Lock()
			out = append(out, devices...)
			mu.Unlock()
		}(inst)
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].GetDevice() < out[j].GetDevice() })
	return &ctiv1.ListDevicesResponse{Devices: out}, nil
}

// remoteDevices lists the devices of an instance's site from the host of
// the cluster that runs it (a host of a cluster runs one site per
// instance); remote is false when this host runs it, nobody does, or that
// host does not answer: the local list (configured and last announced
// devices) stands then.
func (s *HostServer) remoteDevices(ctx context.Context, inst *supervisor.Instance, wanted map[string]bool) (devices []*ctiv1.Device, remote bool) {
	r := s.Remote()
	sites := inst.Sites()
	if r == nil || len(sites) != 1 || (len(wanted) > 0 && !wanted[sites[0]]) || len(metadata.ValueFromIncomingContext(ctx, forwardedHeader)) > 0 {
		return nil, false
	}
	conn, ok := r.Host(ctx, sites[0])
	if !ok {
		return nil, false
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	resp, err := forwardList(cctx, conn, &ctiv1.ListDevicesRequest{Sites: sites})
	if err != nil {
		s.logger.Debug("the host running the site did not list its devices; listing this host's view", "site", sites[0], "error", status.Convert(err).Message())
		return nil, false
	}
	return resp.GetDevices(), true
}

// instanceDevices lists one instance's devices as apps see them, only those
// of the wanted sites if any are.
func (s *HostServer) instanceDevices(ctx context.Context, inst *supervisor.Instance, wanted map[string]bool) []*ctiv1.Device {
	var devices []*ctiv1.Device
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if conn, err := inst.Client(cctx); err == nil {
		if resp, err := conn.Driver.ListDevices(cctx, &ctiv1.ListDevicesRequest{}); err == nil {
			devices = resp.GetDevices()
		}
		conn.Release()
	}
	var out []*ctiv1.Device
	if devices == nil {
		// Down: what exists is what config.hcl and the driver's last
		// announcements say, without capabilities.
		for _, d := range inst.ConfiguredDevices() {
			devices = append(devices, &ctiv1.Device{Device: d.GetDevice(), Model: d.GetModel(), Configured: true})
		}
		for _, d := range inst.DiscoveredDevices() {
			if len(wanted) == 0 || wanted[d.GetSite()] {
				d.Capabilities = nil
				out = append(out, d)
			}
		}
	}
	for _, d := range devices {
		site, ref := inst.Ref(d.GetDevice())
		if site == "" || (len(wanted) > 0 && !wanted[site]) || !inst.Serves(site) {
			continue // a shared driver's device of no site it serves, or of a site not asked for
		}
		if !d.GetConfigured() {
			if _, _, known := inst.Discovered(ref); !known {
				continue // not announced (DevicesChanged): the host could not route to it
			}
		}
		d.Device, d.Site, d.Driver = ref, site, inst.Driver()
		out = append(out, d)
	}
	return out
}

// GetDeviceState forwards to the driver and rewrites the device reference.
func (s *HostServer) GetDeviceState(ctx context.Context, req *ctiv1.GetDeviceStateRequest) (*ctiv1.DeviceState, error) {
	st, err := forward(ctx, s, "GetDeviceState", req, ctiv1.DriverClient.GetDeviceState)
	if err != nil {
		return nil, err
	}
	st.Device = req.GetDevice()
	return st, nil
}

// WatchEvents streams the bus to the app, filtered, from the requested
// sequence.
func (s *HostServer) WatchEvents(req *ctiv1.WatchEventsRequest, stream grpc.ServerStreamingServer[ctiv1.Event]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	if err := s.router.CheckSites(ctx, req.GetSites()); err != nil {
		return err
	}
	for _, ref := range req.GetDevices() {
		if _, err := s.router.Resolve(ctx, ref); err != nil {
			return err
		}
	}
	filter := bus.NewFilter(req)
	client := clientOf(ctx)
	name := ""
	if client != nil {
		name = client.Name
		if len(filter.Sites) == 0 && !client.AllSitesAllowed() {
			// Only the caller's sites, host events about their drivers
			// included: never another site's.
			filter.Sites = map[string]bool{}
			for _, site := range client.Sites {
				filter.Sites[site] = true
			}
		}
	}
	release, err := s.subs.acquire(name)
	if err != nil {
		return err
	}
	defer release()
	// Headers go out now: a client (the host's server-sent events among
	// them) learns that the stream was accepted before the first event.
	_ = stream.SendHeader(metadata.MD{})
	var revoked <-chan struct{} // nil, never ready, for calls made inside the host
	if client != nil {
		revoked = client.Revoked()
	}
	go func() {
		select {
		case <-s.closing:
		case <-revoked:
		case <-ctx.Done():
		}
		cancel()
	}()
	err = s.bus.Subscribe(ctx, req.GetFromSequence(), filter, func(ev *bus.Encoded) error {
		if ev.Event.GetGap() != nil && ev.Lost > 0 {
			s.metrics.EventsDropped("gap", ev.Lost)
		}
		// SendMsg with the encoded event: wireCodec sends its bytes.
		if err := stream.SendMsg(ev); err != nil {
			return err
		}
		s.metrics.EventOut()
		return nil
	})
	select {
	case <-s.closing:
		return status.Error(codes.Unavailable, "the host is shutting down; reconnect with from_sequence when it is back")
	default:
	}
	select {
	case <-revoked:
		return status.Error(codes.Unauthenticated, "this client's credentials or rights were changed by a config reload; reconnect with from_sequence")
	default:
	}
	if stream.Context().Err() != nil {
		return status.FromContextError(stream.Context().Err()).Err()
	}
	if err != nil {
		return status.Errorf(codes.Unavailable, "event stream ended: %v; reconnect with from_sequence", err)
	}
	return nil
}

var _ ctiv1.HostServer = (*HostServer)(nil)
